"""Citation verification on passages made of real corpus sentences, and the prompt templates' checks."""

import pytest

from rag.citations import split_claims, verify
from rag.errors import SettingsError
from rag.prompts import REFUSAL, check_template, default_prompts
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
