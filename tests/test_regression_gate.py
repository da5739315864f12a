"""Regression gate on the shipped question set, and the outside recomputation of its metrics.

One full evaluation (module fixture) serves every test here. The floors live in tests/eval_floors.json
(measured value minus a small margin); regenerate them after a deliberate change with:
    rag eval --questions rag/evaluation/data/questions.jsonl --out DIR
    python scripts/recompute_metrics.py DIR --write-floors tests/eval_floors.json
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import QUESTIONS, ROOT

FLOORS_FILE = ROOT / "tests" / "eval_floors.json"
SCRIPT = ROOT / "scripts" / "recompute_metrics.py"
REGENERATE = ("regenerate after a deliberate change: rag eval --questions rag/evaluation/data/questions.jsonl --out DIR && "
              "python scripts/recompute_metrics.py DIR --write-floors tests/eval_floors.json")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shipped_eval(tmp_path_factory, index_settings):
    from rag.evaluation.run import run_evaluation

    out = tmp_path_factory.mktemp("eval-shipped")
    result = run_evaluation(QUESTIONS, out, index_settings, progress=False)
    return out, result


def test_shipped_question_set_stays_above_its_floors(shipped_eval):
    out, result = shipped_eval
    metrics = result["metrics"]
    gate = json.loads(FLOORS_FILE.read_text(encoding="utf-8"))
    assert not result["load_errors"], result["load_errors"]
    assert metrics["n.errors"] == 0, f"some questions raised: see {out / 'results.jsonl'}"
    assert metrics["primary_metric"] in gate["floors"], "the primary metric must be gated"
    below = {k: (metrics[k], floor) for k, floor in gate["floors"].items() if metrics[k] is None or metrics[k] < floor}
    above = {k: (metrics[k], ceiling) for k, ceiling in gate["ceilings"].items() if metrics[k] is None or metrics[k] > ceiling}
    assert not below and not above, (f"metrics fell below their floors {below} or rose above their ceilings {above} "
                                     f"(value, limit); open {out / 'report.md'}; {REGENERATE}")


def test_follow_ups_do_as_well_as_their_standalone_versions(shipped_eval):
    out, result = shipped_eval
    m = result["metrics"]
    n_followups = sum(1 for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
                      if line.strip() and json.loads(line).get("standalone"))
    assert m["followup.n"] == n_followups > 0
    gap = json.loads(FLOORS_FILE.read_text(encoding="utf-8"))["max_followup_gap"]
    assert m["followup.fact_recall"] >= m["followup.standalone.fact_recall"] - gap, (
        f"follow-ups find {m['followup.fact_recall']} of their facts, their standalone versions "
        f"{m['followup.standalone.fact_recall']}: see the follow-up section of {out / 'report.md'}")
    assert "## Follow-up questions vs their standalone versions" in (out / "report.md").read_text(encoding="utf-8")
    assert (out / "followups.png").stat().st_size > 1000


def test_an_outside_script_recomputes_every_metric_from_results_alone(shipped_eval):
    out, _ = shipped_eval
    # -S -I: no site-packages and no current directory on the path, so the script cannot import rag
    done = subprocess.run([sys.executable, "-S", "-I", str(SCRIPT), str(out), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    recomputed = json.loads(done.stdout)
    reported = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert set(recomputed) == set(reported)
    for key, value in reported.items():
        if isinstance(value, float):
            assert recomputed[key] == pytest.approx(value, abs=1e-6), key
        else:
            assert recomputed[key] == value, key
    # every question category is covered, so the per-category definitions are exercised too
    assert {k.split(".")[1] for k in reported if k.startswith("category.")} >= {"fact", "follow-up", "near-miss", "english"}


def test_writing_floors_is_one_command(shipped_eval, tmp_path):
    out, result = shipped_eval
    target = tmp_path / "floors.json"
    done = subprocess.run([sys.executable, "-S", "-I", str(SCRIPT), str(out), "--write-floors", str(target), "--margin", "0.05"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    written = json.loads(target.read_text(encoding="utf-8"))
    m = result["metrics"]
    assert written["floors"]["answer.accuracy"] == round(m["answer.accuracy"] - 0.05, 3)
    assert written["ceilings"]["abstention.false_rate"] == round(min(1.0, m["abstention.false_rate"] + 0.05), 3)
    assert set(written) >= {"floors", "ceilings", "max_followup_gap", "margin"}


def test_the_report_reads_without_programming(shipped_eval):
    out, result = shipped_eval
    report = (out / "report.md").read_text(encoding="utf-8")
    headline = report.split("## Headline numbers")[1].split("\n## ")[0]
    # the project's targets are next to the measured values, with a plain verdict
    assert "| citation.precision |" in headline and "≥ 0.90" in headline
    assert all(f"| {k} |" in headline for k in ("answer.accuracy", "answer.all_facts", "abstention.false_rate"))
    worst = report.split("## Questions that went worst")[1]
    rows = [line for line in worst.splitlines() if line.startswith("| q")]
    labels = ("error", "answered although", "refused", "wrong passage", "fact missing", "unsupported citation", "follow-up worse")
    assert rows, "the worst questions are listed"
    for row in rows:
        what = row.split(" | ")[3]
        assert what.startswith(labels), row
    for chart in ("categories.png", "latency.png", "followups.png"):
        assert f"]({chart})" in report and (out / chart).stat().st_size > 1000
