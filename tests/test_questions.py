"""The shipped evaluation question set is well formed, and every answer key really is in the corpus.

An evaluation is only as good as its answer key: a fact or evidence string that does not occur in
the text the assistant sees can never be matched, so the question would silently score zero. These
tests read the corpus with the real ingestion and cleaning code (no model, no index: fast); the
last one, marked slow, also checks the strings against the chunks of a real index.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from rag.ingest.loaders import load_documents
from rag.text.normalize import normalize_for_match

from .conftest import CORPUS, QUESTIONS, strings_outside_chunks

CATEGORIES = {"fact", "list", "definition", "why", "paraphrase", "follow-up", "english", "out-of-scope", "near-miss"}
UNANSWERABLE = {"out-of-scope", "near-miss"}
MIN_QUESTIONS = 95
MIN_PER_DOCUMENT = 10
LONG_DOCUMENT = "agence-hdf-2020-2040-prospective-industrie"


def load_questions() -> list[dict]:
    """Parse the JSONL file; a broken line fails with its line number so it can be fixed quickly."""
    questions = []
    for number, line in enumerate(QUESTIONS.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                questions.append(json.loads(line))
            except json.JSONDecodeError as exc:
                pytest.fail(f"{QUESTIONS.name} line {number} is not valid JSON: {exc}")
    return questions


def _visible_text(doc) -> str:
    """The text the assistant indexes: cleaned when the cleaning stage exists, else the raw text."""
    try:
        from rag.ingest.clean import clean_text
    except ImportError:
        return doc.text
    return clean_text(doc.text, boilerplate_start=doc.metadata.get("boilerplate_start")).text


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    return load_questions()


@pytest.fixture(scope="module")
def corpus_texts() -> dict[str, str]:
    """doc_id -> normalised indexed text of every corpus document."""
    return {doc.doc_id: normalize_for_match(_visible_text(doc)) for doc in load_documents(CORPUS)}


def test_ids_are_unique_and_categories_known(questions):
    ids = Counter(q["id"] for q in questions)
    assert not [i for i, n in ids.items() if n > 1], "duplicate question ids"
    unknown = {q["id"]: q["category"] for q in questions if q["category"] not in CATEGORIES}
    assert not unknown, f"unknown categories: {unknown}"


def test_set_is_large_and_covers_every_category_and_document(questions, corpus_texts):
    assert len(questions) >= MIN_QUESTIONS
    assert {q["category"] for q in questions} == CATEGORIES
    per_doc = Counter(q["doc"] for q in questions if q["answerable"] and "doc" in q)
    for doc_id in corpus_texts:
        assert per_doc[doc_id] >= MIN_PER_DOCUMENT, f"only {per_doc[doc_id]} questions on {doc_id}"
    # The long prospective report holds most of the corpus text, so it gets the most questions.
    assert per_doc[LONG_DOCUMENT] == max(per_doc.values())


def test_required_fields_match_answerability(questions):
    for q in questions:
        qid = q["id"]
        assert isinstance(q["question"], str) and q["question"].strip(), qid
        assert isinstance(q["answer"], str) and q["answer"].strip(), qid
        assert isinstance(q["answerable"], bool), qid
        assert q["answerable"] == (q["category"] not in UNANSWERABLE), qid
        if q["answerable"]:
            # a list question expects every item: up to 8 facts
            assert 1 <= len(q["evidence"]) <= 4 and 1 <= len(q["facts"]) <= 8, qid
            assert all(isinstance(s, str) and normalize_for_match(s) for s in q["evidence"] + q["facts"]), qid
        else:
            assert q["facts"] == [] and q["evidence"] == [] and "doc" not in q, qid


def test_follow_ups_carry_a_realistic_history(questions):
    for q in questions:
        history = q.get("history")
        if q["category"] == "follow-up":
            assert history and 1 <= len(history) <= 2, q["id"]
            for turn in history:
                assert len(turn) == 2 and all(isinstance(t, str) and t.strip() for t in turn), q["id"]
        else:
            assert not history, f"{q['id']} has a history but is not a follow-up"


def test_docs_are_corpus_document_ids(questions, corpus_texts):
    unknown = {q["id"]: q["doc"] for q in questions if "doc" in q and q["doc"] not in corpus_texts}
    assert not unknown, f"doc is not a corpus file stem: {unknown}"


def test_facts_and_evidence_occur_in_their_source_document(questions, corpus_texts):
    whole_corpus = "\n".join(corpus_texts.values())
    missing = []
    for q in questions:
        if not q["answerable"]:
            continue
        haystack = corpus_texts[q["doc"]] if "doc" in q else whole_corpus
        missing += [(q["id"], s) for s in q["evidence"] + q["facts"] if normalize_for_match(s) not in haystack]
    assert not missing, f"strings not found in the (cleaned) source text: {missing}"


@pytest.mark.slow
def test_evidence_and_facts_are_in_the_indexed_chunks_of_their_document(questions, index):
    """An evidence string cut by a chunk boundary could never be retrieved whole."""
    missing = strings_outside_chunks(questions, index)
    assert not missing, f"strings not inside any single chunk: {missing}"


def test_follow_ups_have_a_standalone_version(questions):
    """`rag eval` asks each follow-up again in this self-contained form to compare the two (followup.*)."""
    for q in questions:
        if q["category"] == "follow-up":
            standalone = q.get("standalone")
            assert isinstance(standalone, str) and standalone.strip(), f"{q['id']} has no standalone version"
            assert standalone != q["question"], q["id"]
        else:
            assert "standalone" not in q, f"{q['id']} has a standalone version but is not a follow-up"
