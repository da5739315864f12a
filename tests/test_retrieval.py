"""Retrieval over the real index: modes, filters, the LangChain retriever, bad input."""

import pytest

from rag.errors import InputError
from rag.retrieval.langchain import HybridRetriever


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_mode_finds_the_gigafactory_jobs(retriever, mode):
    passages = retriever.search("Combien d'emplois représentent les trois gigafactories ?", k=5, mode=mode)
    assert len(passages) == 5
    assert [p.rank for p in passages] == [1, 2, 3, 4, 5]
    assert any("2.800 emplois" in p.text for p in passages)
    assert passages[0].score >= passages[-1].score


def test_hybrid_puts_the_exact_passage_first(retriever):
    top = retriever.search("montant mobilisé par la task-force régionale d'ici 2028", k=3)[0]
    assert "250 millions" in top.text
    assert top.doc_id == "region-hdf-2025-assises-defense"


def test_accentless_query_matches_accented_text(retriever):
    passages = retriever.search("Assises regionales de la defense Chantilly", k=3, mode="bm25")
    assert any("Chantilly" in p.text for p in passages)


def test_document_filter_restricts_passages(retriever):
    doc = "aletheia-2024-territoires-industrie"
    passages = retriever.search("gigafactories batteries emplois", k=4, doc_ids=[doc])
    assert passages and all(p.doc_id == doc for p in passages)


@pytest.mark.parametrize("kwargs, message", [
    ({"query": "   "}, "empty"),
    ({"query": "x" * 5000}, "too long"),
    ({"query": "emploi", "k": 0}, "at least 1"),
    ({"query": "emploi", "mode": "magic"}, "Unknown retrieval mode"),
    ({"query": "emploi", "doc_ids": ["nope"]}, "Unknown document id nope"),
])
def test_bad_requests_get_clear_errors(retriever, kwargs, message):
    with pytest.raises(InputError, match=message):
        retriever.search(**kwargs)


def test_k_larger_than_the_corpus_returns_what_exists(retriever):
    doc = "region-hdf-2025-assises-defense"
    n = sum(c.doc_id == doc for c in retriever.index.chunks)
    assert len(retriever.search("défense", k=100, doc_ids=[doc])) == n


def test_langchain_retriever_returns_documents_with_metadata(retriever):
    lc = HybridRetriever(retriever=retriever, k=3)
    docs = lc.invoke("Pass Drones Asterodyn subvention")
    assert len(docs) == 3
    meta = docs[0].metadata
    assert {"chunk_id", "doc_id", "title", "score", "rank", "start", "end"} <= set(meta)
    assert any("Asterodyn" in d.page_content for d in docs)


@pytest.mark.parametrize("unit", ["sentence", "both"])
def test_dense_scores_a_chunk_by_its_best_sentence(index, index_settings, unit):
    """With sentence scoring, a question repeating one sentence finds its chunk, and the score says so: the
    sentence's own vector, not only the whole chunk's diluted one."""
    from rag.retrieval.retriever import Retriever

    retriever = Retriever(index, index_settings.model_copy(update={"dense_unit": unit}))
    row = next(i for i, c in enumerate(index.chunks) if "2.800 emplois" in c.text)
    a, b = next((a, b) for a, b in index.sentence_spans(row) if "2.800 emplois" in index.chunks[row].text[a:b])
    sentence = index.chunks[row].text[a:b]
    top = retriever.search(sentence, k=1, mode="dense")[0]
    whole = float(index.chunk_vector(row) @ retriever.embedder.encode_query(sentence))
    assert top.chunk is index.chunks[row]
    assert top.dense_score > whole  # the best sentence lifts the chunk above its whole-chunk cosine


def test_zscore_fusion_weighs_both_rankings_on_one_scale():
    import numpy as np

    from rag.retrieval.fusion import convex_fusion

    rng = np.random.default_rng(0)
    dense = 0.45 + 0.03 * rng.standard_normal(100)  # the narrow cosine spread of the bundled model
    bm25 = np.zeros(100)
    bm25[[3, 7, 9]] = [2.0, 11.0, 6.0]  # most chunks share no keyword with the question
    dense[3], dense[7], dense[9] = 0.60, 0.45, 0.50
    fused = convex_fusion(dense, bm25, alpha=0.3)
    # the strong keyword match first, then the keyword matches helped by their cosine, then the rest
    assert list(np.argsort(-fused)[:3]) == [7, 9, 3]
    # with no keyword match at all, the order is the dense order
    assert list(np.argsort(-convex_fusion(dense, np.zeros(100), alpha=0.3))) == list(np.argsort(-dense))


def test_hybrid_beats_each_single_mode_on_the_question_set(retriever):
    import json

    from rag.text.normalize import contains_normalized

    from .conftest import QUESTIONS

    questions = [q for q in map(json.loads, QUESTIONS.read_text(encoding="utf-8").splitlines())
                 if q.get("answerable", True) and q.get("evidence") and q["category"] not in ("follow-up", "english")]

    def mrr(mode):
        total = 0.0
        for q in questions:
            texts = [p.text for p in retriever.search(q["question"], k=10, mode=mode)]
            rank = next((i for i, t in enumerate(texts, 1) if any(contains_normalized(t, e) for e in q["evidence"])), None)
            total += 1 / rank if rank else 0.0
        return total / len(questions)

    hybrid, dense, bm25 = mrr("hybrid"), mrr("dense"), mrr("bm25")
    assert hybrid > bm25 and hybrid > dense, (hybrid, dense, bm25)


def test_a_question_naming_its_source_reads_that_document_first(retriever, index_settings):
    """"Selon la lettre du collège de prospective": the letters' passage answers, not their masthead."""
    from rag.retrieval.retriever import Retriever

    question = "Pourquoi la relocalisation est-elle d'actualité selon la lettre du collège de prospective ?"
    evidence = "Si la relocalisation est d’actualité"
    ranks = {}
    for on in (True, False):
        r = Retriever(retriever.index, index_settings.model_copy(update={"source_references": on}), retriever.embedder)
        texts = [p.text for p in r.search(question, k=10)]
        ranks[on] = next((i for i, t in enumerate(texts, 1) if evidence in t), 99)
    assert ranks[True] <= 3 < ranks[False], ranks
    top = retriever.search(question, k=5)
    assert all(p.doc_id == "agence-hdf-2020-2040-prospective-industrie" for p in top)


@pytest.mark.parametrize("question, doc", [
    ("Que dit la lettre de 2021 sur la relocalisation ?", "agence-hdf-2020-2040-prospective-industrie"),
    ("Comment le document de l'Agence définit-il les « Territoires d'industrie » ?", "agence-hdf-2020-2040-prospective-industrie"),
    ("Quelles obsessions prête-t-on à Xavier Bertrand selon Mediacités ?", "mediacites-2025-defense-eldorado"),
    ("Que contient le communiqué de la Région sur Chantilly ?", "region-hdf-2025-assises-defense"),
    # speakers, plain prepositions and phrases shared by several documents name no document
    ("Quels ingrédients de la réindustrialisation selon Xavier Bertrand ?", None),
    ("Quelle part du PIB régional contre sa part dans le PIB national ?", None),
    ("Pourquoi la défense s'impose-t-elle selon la Région ?", None),
    ("Que constate la Cour des comptes dans son rapport ?", None),
])
def test_source_phrases_are_matched_to_document_metadata(retriever, question, doc):
    ref = retriever.source_reference(question)
    assert (ref.doc_id if ref else None) == doc


def test_a_question_about_the_document_itself_keeps_its_words(retriever):
    ref = retriever.source_reference("Quand est parue la lettre d'information n°5 du collège de prospective ?")
    assert ref and ref.query.startswith("Quand est parue la lettre d'information n°5")
    top = retriever.search("Quand est parue la lettre d'information n°5 du collège de prospective ?", k=3)
    assert any("24 novembre 2020" in p.text for p in top)


def test_an_explicit_document_filter_wins_over_a_named_source(retriever):
    doc = "elus-locaux-2025-transition-industrielle"
    passages = retriever.search("Que dit la lettre de 2021 sur la relocalisation ?", k=3, doc_ids=[doc])
    assert passages and all(p.doc_id == doc for p in passages)


def test_a_chunk_carries_part_of_the_previous_chunks_keyword_score(retriever, index_settings):
    """In hybrid mode a chunk gets `context_weight` of the BM25 score of the chunk before it in the same
    section (a passage often goes on about what the one before named); keyword mode stays plain BM25."""
    import numpy as np

    from rag.retrieval.retriever import Retriever
    from rag.text.analysis import analyze

    query = "proposition de l'Institut Montaigne pour relancer l'industrie"
    plain = Retriever(retriever.index, index_settings.model_copy(update={"context_weight": 0.0}), retriever.embedder)
    bm25 = retriever.index.bm25_all(analyze(query))
    with_context = retriever.index.with_context(bm25, index_settings.context_weight)
    chunks = retriever.index.chunks
    for row in range(1, len(chunks)):
        same_section = chunks[row - 1].doc_id == chunks[row].doc_id and chunks[row - 1].heading == chunks[row].heading
        expected = bm25[row] + (index_settings.context_weight * bm25[row - 1] if same_section else 0.0)
        assert np.isclose(with_context[row], expected), row
    assert [p.chunk_id for p in retriever.search(query, k=5, mode="bm25")] == [p.chunk_id for p in plain.search(query, k=5, mode="bm25")]


def test_a_question_coordinating_two_complements_finds_a_passage_for_each(retriever):
    """"… pour la défense et pour les gigafactories": the sums for defence are in the defence articles, the
    gigafactory money in another document; the best passage for each complement alone is among the k."""
    from rag.query.coordination import coordination

    question = "Quels montants la Région mobilise-t-elle pour la défense et pour les gigafactories ?"
    both = coordination(question)
    assert both.questions == ("Quels montants la Région mobilise-t-elle pour la défense ?",
                              "Quels montants la Région mobilise-t-elle pour les gigafactories ?")
    passages = retriever.search(question, k=5)
    assert len(passages) == 5 and [p.rank for p in passages] == [1, 2, 3, 4, 5]
    assert any("81 millions" in p.text for p in passages)  # the gigafactory money
    assert any("défense" in p.text.lower() for p in passages)
    # "du" is "de" with its article: two complements; without a repeated preposition, one complement
    assert coordination("Quel est le montant de la subvention et du projet ?").second == "projet"
    assert coordination("Quel est le montant accordé par la Région et l'État ?") is None


def test_a_question_about_a_word_with_a_footnote_call_retrieves_the_footnote(retriever):
    """"comme avec Ynsect*" in one passage and, at the end of the article, "* La start-up … larves de
    scarabées…": the note never names Ynsect, so the search alone misses it; a question about Ynsect gets it
    among its passages, and a question not about the marked word does not."""
    note = "larves de scarabées"
    passages = retriever.search("Que produisait Ynsect ?", k=5)
    assert any(note in p.text for p in passages)
    assert [p.rank for p in passages] == [1, 2, 3, 4, 5]
    assert not any(note in p.text for p in retriever.search("Combien d'emplois représentent les trois gigafactories ?", k=5))
