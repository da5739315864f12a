"""`rag eval`: question-file loading, and an end-to-end run whose metrics an outside script can recompute."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag.errors import InputError
from rag.evaluation.run import load_questions

# checked before the session index is built, so the skip costs nothing
needs_chain = pytest.mark.skipif(importlib.util.find_spec("rag.assistant") is None, reason="rag/assistant.py is not written yet")

GOOD = [
    {"id": "e1", "question": "Où se sont tenues les Assises régionales de la défense du 24 juin 2025 ?", "answer": "À Chantilly.",
     "facts": ["Chantilly"], "evidence": ["Chantilly, dans l’Oise, aux Assises"], "answerable": True, "category": "fact"},
    {"id": "e2", "question": "Et quel montant a reçu Asterodyn dans le cadre du Pass Drones ?", "answer": "30 000 euros.",
     "facts": ["30 000 euros"], "evidence": ["pour 30 000 euros"], "answerable": True, "category": "follow-up",
     "history": [["Quelles start-up de drones sont citées ?", "Asterodyn, une start-up de drones [1]."]],
     "standalone": "Quel montant la start-up Asterodyn a-t-elle reçu dans le cadre du Pass Drones ?"},
    {"id": "e3", "question": "Quel est le prix d'une baguette de pain à Lille en 2025 ?", "answer": "",
     "facts": [], "evidence": [], "answerable": False, "category": "out-of-scope"},
]


def write_questions(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_malformed_line_is_reported_with_its_number_and_the_others_load(tmp_path):
    f = write_questions(tmp_path / "q.jsonl", [
        json.dumps(GOOD[0], ensure_ascii=False),
        '{"id": "broken", "question": ',           # line 2: not JSON
        "",                                        # blank lines are ignored
        json.dumps({"id": "nq", "facts": ["x"]}),  # line 4: no question
        json.dumps({**GOOD[2], "history": "oops"}, ensure_ascii=False),  # line 5: bad history
        json.dumps(GOOD[1], ensure_ascii=False),
        json.dumps({**GOOD[1], "id": "e7", "standalone": 3}, ensure_ascii=False),  # line 7: standalone not text
    ])
    questions, errors = load_questions(f)
    assert [q["id"] for q in questions] == ["e1", "e2"]
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 4", "line 5", "line 7"]
    assert "question" in errors[1] and "history" in errors[2] and "standalone" in errors[3]


def test_a_missing_question_file_says_what_to_give(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_questions(tmp_path / "nope.jsonl")


# --- an outside script's recomputation: scripts/recompute_metrics.py, standard library only ----------------

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "recompute_metrics.py"


def recompute(out_dir: Path) -> dict:
    """Every metric recomputed from results.jsonl by the outside script, run where `rag` cannot be imported."""
    done = subprocess.run([sys.executable, "-S", "-I", str(SCRIPT), str(out_dir), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "OK: all" in done.stderr
    return json.loads(done.stdout)


def _run_cli(tmp_path, index_settings, monkeypatch, capsys, *extra):
    from rag.cli import main

    # the CLI reads its settings from the environment, like a user's shell
    monkeypatch.setenv("RAG_INDEX_DIR", str(index_settings.index_dir))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(index_settings.corpus_dir))
    f = write_questions(tmp_path / "unseen.jsonl", [json.dumps(GOOD[0], ensure_ascii=False), "{not json",
                                                    *(json.dumps(q, ensure_ascii=False) for q in GOOD[1:])])
    out = tmp_path / "out"
    code = main(["eval", "--questions", str(f), "--out", str(out), "--no-progress", *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return out, captured


@needs_chain
def test_eval_on_an_unseen_file_writes_recomputable_outputs(tmp_path, index_settings, monkeypatch, capsys):
    from rag.evaluation.metrics import compute_metrics

    out, captured = _run_cli(tmp_path, index_settings, monkeypatch, capsys)
    assert "line 2" in captured.err  # the malformed line is named; the other three ran
    records = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["e1", "e2", "e3"]
    assert all("answer" in r and "passages" in r and "timings_ms" in r for r in records)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["primary_metric"] in metrics and metrics["primary_metric_value"] == metrics[metrics["primary_metric"]]
    # every metric recomputes exactly from the JSON records ...
    assert compute_metrics(records) == metrics
    # ... and also by an outside script that knows only the documented definitions (no rag import)
    recomputed = recompute(out)
    assert set(recomputed) == set(metrics)
    for key, value in metrics.items():
        assert recomputed[key] == (pytest.approx(value, abs=1e-6) if isinstance(value, float) else value), key
    # the follow-up was also asked in its standalone form, side by side in the metrics
    assert records[1]["standalone_run"]["question"].startswith("Quel montant") and metrics["followup.n"] == 1
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["n_questions"] == 3 and run["load_errors"][0].startswith("line 2")
    report = (out / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Evaluation report") and "## Headline numbers" in report
    assert (out / "categories.png").stat().st_size > 1000
    assert "answer.accuracy" in captured.out and "report.md" in captured.out


@needs_chain
@pytest.mark.slow
def test_eval_compare_shows_what_each_retriever_buys(tmp_path, index_settings, monkeypatch, capsys):
    out, _ = _run_cli(tmp_path, index_settings, monkeypatch, capsys, "--compare")
    compare = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert set(compare["systems"]) >= {"dense", "bm25", "hybrid"} and len(compare["systems"]) == 4
    assert all(0.0 <= s["hit@5"] <= 1.0 for s in compare["systems"].values())
    assert (out / "compare.png").stat().st_size > 1000
    assert "## Comparison of retrieval methods" in (out / "report.md").read_text(encoding="utf-8")
