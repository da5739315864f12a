"""Metric functions on hand-computable toy records (no model, no index)."""

from __future__ import annotations

import math

import pytest

from rag.evaluation.metrics import (
    answer_sentences,
    compute_metrics,
    diagnose,
    hit_at_k,
    ndcg_at_k,
    percentile,
    quote_supports,
    reciprocal_rank,
    relevance,
)


def passages(*texts):
    return [{"rank": i + 1, "doc_id": "d", "chunk_id": f"c{i}", "text": t, "score": 1.0 - i / 10} for i, t in enumerate(texts)]


def answered(qid, ranked, answer, citations, *, facts=("Chantilly",), evidence=("Chantilly, dans l’Oise",), category="fact", timings=None):
    return {"id": qid, "question": "?", "facts": list(facts), "evidence": list(evidence), "answerable": True,
            "category": category, "answer": answer, "abstained": False, "citations": citations,
            "passages": ranked, "timings_ms": timings or {"retrieve": 10.0, "answer": 5.0, "total": 15.0}}


def unanswerable(qid, abstained, timings=None):
    return {"id": qid, "question": "?", "facts": [], "evidence": [], "answerable": False, "category": "out-of-scope",
            "answer": "Je ne sais pas." if abstained else "Paris [1].", "abstained": abstained, "citations": [],
            "passages": passages("rien"), "timings_ms": timings or {"retrieve": 10.0, "answer": 5.0, "total": 15.0}}


def test_rank_metrics_have_textbook_values():
    rels = [False, True, False, True]
    assert hit_at_k(rels, 1) == 0.0 and hit_at_k(rels, 3) == 1.0
    assert reciprocal_rank(rels) == 0.5
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3)
    assert ndcg_at_k(rels, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at_k([True, False], 10) == 1.0
    assert reciprocal_rank([False, False]) == 0.0 and ndcg_at_k([False], 10) == 0.0


def test_relevance_uses_the_contract_normalisation():
    rec = {"evidence": ["2 800 emplois"], "passages": passages("création de 2.800 EMPLOIS", "sans rapport")}
    assert relevance(rec) == [True, False]


def test_percentile_matches_linear_interpolation():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10.0] * 3 + [100.0], 95) == pytest.approx(86.5)
    assert percentile([], 50) is None


def test_citation_support_needs_numbers_and_most_words():
    quote = "La Région a versé 30 000 euros à la start-up Asterodyn."
    assert quote_supports(quote, "La Région a versé 30 000 euros à Asterodyn")
    assert not quote_supports(quote, "La Région a versé 40 000 euros à Asterodyn")
    assert not quote_supports(quote, "Les gigafactories de batteries emploient des milliers de salariés")


def test_marker_after_the_period_belongs_to_the_sentence_before():
    assert answer_sentences("Chantilly accueille. [1] Autre phrase [2].") == [("Chantilly accueille.", [1]), ("Autre phrase.", [2])]


def test_compute_metrics_on_a_toy_set():
    good_cit = {"n": 1, "doc_id": "d", "chunk_id": "c0", "title": "t", "text": "À Chantilly, dans l'Oise, aux Assises.",
                "quote": "À Chantilly, dans l'Oise, aux Assises.", "start": 0, "end": 10}
    bad_cit = {"n": 2, "doc_id": "d", "chunk_id": "c9", "title": "t", "text": "Les data centers du Dunkerquois.",
               "quote": "Les data centers du Dunkerquois.", "start": 0, "end": 10}
    records = [
        # evidence ranked 1st, fact in answer, one good citation
        answered("a", passages("À Chantilly, dans l’Oise, aux Assises", "x"), "Les Assises se sont tenues à Chantilly, dans l'Oise [1].", [good_cit],
                 timings={"retrieve": 10.0, "answer": 10.0, "total": 20.0}),
        # evidence ranked 2nd, fact missing, the sentence's citation unsupported
        answered("b", passages("x", "Chantilly, dans l’Oise ici"), "Les gigafactories attirent des investisseurs étrangers [2].", [bad_cit],
                 category="paraphrase", timings={"retrieve": 30.0, "answer": 10.0, "total": 40.0}),
        # abstained on an answerable question, evidence never found
        {**answered("c", passages("x", "y"), "Je ne sais pas.", []), "abstained": True},
        unanswerable("d", abstained=True),
        unanswerable("e", abstained=False),
    ]
    m = compute_metrics(records)
    assert m["retrieval.hit@1"] == pytest.approx(1 / 3)
    assert m["retrieval.hit@5"] == pytest.approx(2 / 3)
    assert m["retrieval.mrr"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert m["answer.fact_recall"] == pytest.approx(1 / 3)
    # a right, d right; b, c, e wrong
    assert m["answer.accuracy"] == pytest.approx(2 / 5)
    assert m["primary_metric"] == "answer.accuracy" and m["primary_metric_value"] == m["answer.accuracy"]
    assert m["citation.precision"] == pytest.approx(1 / 2)
    assert m["citation.recall"] == pytest.approx(1 / 2)
    assert m["abstention.precision"] == pytest.approx(1 / 2)
    assert m["abstention.recall"] == pytest.approx(1 / 2)
    assert m["abstention.false_rate"] == pytest.approx(1 / 3)
    assert m["latency.retrieve.median_ms"] == 10.0
    assert m["category.paraphrase.retrieval.mrr"] == 0.5
    assert m["category.out-of-scope.abstention.recall"] == 0.5
    assert diagnose(records[1]) == ['fact missing: "Chantilly"', "unsupported citation (1 of 1 citations)"]
    assert diagnose(records[2]) == ["wrong passage: none of the first 5 passages holds the evidence",
                                    "refused although the documents answer it"]
    assert diagnose(records[4]) == ["answered although the documents do not say (should have refused)"]


def test_a_failed_question_counts_as_wrong_and_is_reported():
    rec = {"id": "z", "question": "?", "facts": ["x"], "evidence": ["x"], "answerable": True, "category": "fact",
           "answer": "", "abstained": False, "citations": [], "passages": [], "timings_ms": {}, "error": "InputError: boom"}
    m = compute_metrics([rec])
    assert m["n.errors"] == 1 and m["answer.accuracy"] == 0.0 and m["retrieval.hit@10"] == 0.0
    assert diagnose(rec) == ["error: InputError: boom"]


def test_follow_ups_are_scored_next_to_their_standalone_versions():
    fu = answered("f", passages("x", "y"), "Je ne sais pas vraiment.", [], category="follow-up")
    fu["standalone_run"] = {"question": "Où se sont tenues les Assises ?", "answer": "À Chantilly [1].", "abstained": False,
                            "citations": [], "retrieved": passages("À Chantilly, dans l’Oise, aux Assises"), "timings_ms": {}}
    m = compute_metrics([fu, answered("a", passages("x"), "Rien.", [])])
    assert m["followup.n"] == 1
    assert (m["followup.fact_recall"], m["followup.hit@5"]) == (0.0, 0.0)
    assert (m["followup.standalone.fact_recall"], m["followup.standalone.hit@5"]) == (1.0, 1.0)
    # the standalone run is a comparison only: it counts in no other metric
    assert m["n.questions"] == 2 and m["answer.fact_recall"] == 0.0
    assert "follow-up worse than standalone" in diagnose(fu)[-1]
