"""Citation verification on passages made of real corpus sentences, and the prompt templates' checks."""

import pytest

from rag.answer.citations import split_claims, verify
from rag.errors import SettingsError
from rag.answer.prompts import REFUSAL, check_template, default_prompts
from rag.schema import Chunk, Passage

GIGA = ("Trois gigafactories de batteries sont en construction dans le Dunkerquois et le Douaisis. "
        "Elles représentent 2.800 emplois directs d'ici 2030.")
TASK = "La task-force régionale doit mobiliser 250 millions d'euros d'ici 2028."


def _passages():
    return [Passage(rank=i, chunk=Chunk(chunk_id=f"c{i}", doc_id="d", title="T", text=t, start=0, end=len(t)), score=1.0)
            for i, t in enumerate([GIGA, TASK], start=1)]


def test_supported_claim_keeps_its_citation_with_exact_quote():
    v = verify("Les gigafactories représentent 2.800 emplois directs [1].", _passages())
    assert v.text.endswith("[1]") and not v.removed_citations
    c = v.citations[0]
    assert c.text[c.start:c.end] == c.quote and "2.800" in c.quote


def test_hallucinated_and_wrong_citations_are_removed():
    v = verify("Les gigafactories représentent 2.800 emplois [2][7]. La task-force mobilise 250 millions d'euros [2].", _passages())
    assert sorted(v.removed_citations) == [2, 7]
    assert "2.800" not in v.text and v.dropped_sentences and "250 millions" in v.text


def test_marker_after_the_period_belongs_to_the_sentence_before():
    assert split_claims("Phrase un. [1] Phrase deux [2].") == [("Phrase un.", [1]), ("Phrase deux .", [2])] or \
        [n for _, n in split_claims("Phrase un. [1] Phrase deux [2].")] == [[1], [2]]


def test_prompts_use_the_single_refusal_phrase_and_bad_templates_fail_at_start():
    p = default_prompts()
    assert REFUSAL in p.render_system() and REFUSAL in p.render_answer("q ?", ["a"])
    with pytest.raises(SettingsError, match="unknown"):
        check_template("answer", "{passages} {question} {refusal} {oops}")
    with pytest.raises(SettingsError, match="misses"):
        check_template("condense", "{question}")


def test_a_wrong_figure_is_not_supported_even_with_the_same_words():
    v = verify("Les gigafactories représentent 3.000 emplois directs [1].", _passages())
    assert v.removed_citations == [1] and not v.citations and v.dropped_sentences


def test_figures_match_whatever_the_thousands_separator():
    v = verify("Elles représentent 2 800 emplois directs d'ici 2030 [1].", _passages())
    assert v.citations and "2.800" in v.citations[0].quote and v.citations[0].support > 0


def test_stored_sentence_vectors_give_the_same_verdict_as_the_model(index, index_settings, embedder, retriever):
    from rag.answer.extractive import ExtractiveAnswerer

    passages = retriever.search("Combien d'emplois représentent les trois gigafactories ?")
    n = next(i for i, p in enumerate(passages, start=1) if "2.800" in p.text)
    claim = f"Les trois gigafactories représentent 2.800 emplois [{n}]. La Lune est en fromage [{n}]."
    stored = ExtractiveAnswerer(index, embedder, index_settings).stored_vectors
    fresh, fast = verify(claim, passages, embedder), verify(claim, passages, embedder, stored)
    assert fresh.text == fast.text and "2.800" in fast.text and "Lune" not in fast.text
    assert [(c.quote, c.start, c.end) for c in fresh.citations] == [(c.quote, c.start, c.end) for c in fast.citations]
    c = fast.citations[0]
    assert c.text[c.start:c.end] == c.quote
