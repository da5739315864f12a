"""The held-out question sets are well formed and their answer keys really are in the indexed text.

tests/heldout*_questions.jsonl measure generalisation: each was written from the corpus alone, by someone
who had not seen the code or its answers, after retrieval and the extractive answerer had been tuned on the
shipped set (rag/evaluation/data/questions.jsonl), and asks about other facts. A malformed line or an evidence string absent from the chunks would silently score zero and
make the generalisation gap look larger than it is, so both are checked here.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from rag.ingest.loaders import load_documents
from rag.text.normalize import normalize_for_match

from .conftest import CORPUS, QUESTIONS, ROOT, strings_outside_chunks

SETS = ["heldout_questions.jsonl", "heldout2_questions.jsonl", "heldout3_questions.jsonl"]
CATEGORIES = {"fact", "list", "definition", "why", "paraphrase", "follow-up", "english", "out-of-scope", "near-miss"}
UNANSWERABLE = {"out-of-scope", "near-miss"}
FIELDS = {"id", "question", "answer", "facts", "evidence", "answerable", "category", "history", "standalone", "doc"}


def _read(path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                pytest.fail(f"{path.name} line {number} is not valid JSON: {exc}")
    return rows


@pytest.fixture(scope="module", params=SETS)
def heldout(request) -> list[dict]:
    return _read(ROOT / "tests" / request.param)


@pytest.fixture(scope="module")
def doc_ids() -> set[str]:
    return {doc.doc_id for doc in load_documents(CORPUS)}


def test_ids_fields_and_categories(heldout):
    ids = Counter(q["id"] for q in heldout)
    assert not [i for i, n in ids.items() if n > 1], "duplicate question ids"
    assert all(i.startswith("h") for i in ids), "held-out ids start with 'h' so they never clash with q-ids"
    for q in heldout:
        assert set(q) <= FIELDS, f"{q['id']}: unknown fields {set(q) - FIELDS}"
        assert q["category"] in CATEGORIES, q["id"]
        assert isinstance(q["question"], str) and q["question"].strip(), q["id"]
        assert isinstance(q["answer"], str) and q["answer"].strip(), q["id"]
        assert q["answerable"] is (q["category"] not in UNANSWERABLE), q["id"]


def test_mix_covers_every_category_and_document(heldout, doc_ids):
    assert 35 <= len(heldout) <= 60
    assert {q["category"] for q in heldout} == CATEGORIES
    per_doc = Counter(q["doc"] for q in heldout if q["answerable"] and "doc" in q)
    assert set(per_doc) == doc_ids, f"documents without a held-out question: {doc_ids - set(per_doc)}"
    categories = Counter(q["category"] for q in heldout)
    assert categories["out-of-scope"] >= 3 and categories["near-miss"] >= 3


def test_answer_keys_match_answerability(heldout, doc_ids):
    for q in heldout:
        if q["answerable"]:
            # a synthesis across two documents names none
            assert q.get("doc", next(iter(doc_ids))) in doc_ids, q["id"]
            assert 1 <= len(q["evidence"]) <= 8 and 1 <= len(q["facts"]) <= 8, q["id"]  # a list has its items
            assert all(isinstance(s, str) and normalize_for_match(s) for s in q["evidence"] + q["facts"]), q["id"]
        else:
            # a near-miss may name the document its topic comes from
            assert q["facts"] == [] and q["evidence"] == [] and q.get("doc", next(iter(doc_ids))) in doc_ids, q["id"]


def test_follow_ups_have_history_and_standalone(heldout):
    for q in heldout:
        if q["category"] == "follow-up":
            assert 1 <= len(q["history"]) <= 2, q["id"]
            assert all(len(t) == 2 and all(isinstance(s, str) and s.strip() for s in t) for t in q["history"]), q["id"]
            assert len(q["standalone"]) > len(q["question"]), q["id"]
        else:
            assert "history" not in q and "standalone" not in q, q["id"]


def test_questions_are_new(heldout):
    """A held-out question repeating a tuned one would measure memory, not generalisation."""
    shipped = {normalize_for_match(q["question"]) for q in _read(QUESTIONS)}
    repeated = [q["id"] for q in heldout if normalize_for_match(q["question"]) in shipped]
    assert not repeated, f"questions copied from {QUESTIONS.name}: {repeated}"


@pytest.mark.slow
@pytest.mark.parametrize("name", SETS)
def test_evidence_and_facts_are_in_the_indexed_chunks_of_their_document(name, index):
    """Each string must sit inside one chunk of its document, or it could never be retrieved or quoted."""
    missing = strings_outside_chunks(_read(ROOT / "tests" / name), index)
    assert not missing, f"strings not inside any single chunk of their document: {missing}"
