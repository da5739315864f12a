"""The PostgreSQL store answers the question sets as the files store does: what `rag eval` runs, both stores."""

from __future__ import annotations

import pytest

from .conftest import QUESTIONS, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
pytest.importorskip("psycopg", reason="psycopg is not installed: bash scripts/setup.sh installs the postgres extra")

SETS = [QUESTIONS, ROOT / "tests" / "heldout_questions.jsonl", ROOT / "tests" / "heldout2_questions.jsonl"]


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.stem)
def test_question_sets_get_the_same_passages_and_answers_on_both_stores(path, index, index_settings, pg_store, pg_index_settings):
    from rag.assistant import Assistant
    from rag.evaluation.metrics import retrieval_metrics
    from rag.evaluation.questions import load_questions
    from rag.evaluation.run import run_question

    questions, errors = load_questions(path)
    assert not errors
    records = {}
    for name, store, settings in (("files", index, index_settings), ("postgres", pg_store, pg_index_settings)):
        assistant = Assistant(settings, index=store)
        records[name] = [run_question(assistant, q, mode=None, answerer=None) for q in questions]
        assert not [r["id"] for r in records[name] if r.get("error")], name
    hits = {name: retrieval_metrics(recs)["retrieval.hit@5"] for name, recs in records.items()}
    assert abs(hits["files"] - hits["postgres"]) <= 0.02, hits
    same = sum(a["answer"] == b["answer"] for a, b in zip(records["files"], records["postgres"]))
    assert same >= 0.95 * len(questions), (same, len(questions))
