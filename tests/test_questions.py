"""The shipped question set is well formed and its evidence really is in the indexed passages."""

import json

from rag.textnorm import contains_normalized

from .conftest import QUESTIONS

CATEGORIES = {"fact", "list", "definition", "why", "paraphrase", "follow-up", "english", "out-of-scope", "near-miss"}


def load():
    return [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_format():
    qs = load()
    assert len(qs) >= 40
    assert len({q["id"] for q in qs}) == len(qs)
    for q in qs:
        assert q["category"] in CATEGORIES and q["question"].strip()
        if q["answerable"]:
            assert q["evidence"] and q["facts"] and q.get("doc"), q["id"]
        else:
            assert not q["evidence"] and not q["facts"], q["id"]


def test_evidence_and_facts_are_in_the_indexed_chunks_of_their_document(index):
    for q in load():
        if not q["answerable"]:
            continue
        chunks = [c.text for c in index.chunks if c.doc_id == q["doc"]]
        for ev in q["evidence"]:
            assert any(contains_normalized(t, ev) for t in chunks), (q["id"], ev)
        for fact in q["facts"]:
            assert any(contains_normalized(t, fact) for t in chunks), (q["id"], fact)
