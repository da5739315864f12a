"""`rag eval`: run a question set through the assistant and write results, metrics, report and charts.

Each question goes through `Assistant.ask`, the code path of `rag ask` (follow-ups with their
history). Outputs in the chosen folder (the contract of ARCHITECTURE.md):
- `results.jsonl`: one record per question = the question's fields (its reference answer renamed
  `reference_answer`) + the `rag ask --json` output + `retrieved` (the top 10 of the same retrieval,
  so hit@10 and nDCG@10 mean something even when the answer uses 5 passages) and `error` if it raised;
- `metrics.json`: the flat dict of `rag.metrics.compute_metrics`, recomputable from results.jsonl;
- `run.json` (question file, mode, answerer, model, duration, malformed lines), `report.md` and PNG
  charts; with `--compare`, `compare.json` and `compare_results.jsonl`.
A follow-up with a `standalone` field is also asked in that self-contained form without history
(stored in its record as `standalone_run`) for the `followup.*` metrics.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from rag.errors import InputError
from rag.evaluation.metrics import compute_metrics, retrieval_metrics
from rag.evaluation.questions import load_questions
from rag.settings import Settings

RETRIEVED_K = 10



# --- running ----------------------------------------------------------------------------------------

def _slim(passages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = ("rank", "doc_id", "chunk_id", "text", "score")
    return [{k: p.get(k) for k in keep} for p in passages]


def _record(question: dict[str, Any]) -> dict[str, Any]:
    rec = {k: v for k, v in question.items() if k != "answer"}
    rec["reference_answer"] = question.get("answer")
    return rec


def _ask(assistant: Any, question: str, history: list[tuple[str, str]] | None, *, mode: str | None,
         answerer: str | None) -> dict[str, Any]:
    """The `rag ask --json` output for one question, plus `retrieved` (top 10 of the same query)."""
    answer = assistant.ask(question, history, mode=mode, answerer=answerer)
    out = answer.to_json()
    query = answer.standalone_question or question
    # the assistant's embedder keeps recent query vectors, so this ranking costs no second model call
    out["retrieved"] = _slim([p.to_json() for p in assistant.retriever.search(query, k=RETRIEVED_K, mode=mode)])
    return out


def run_question(assistant: Any, question: dict[str, Any], *, mode: str | None, answerer: str | None) -> dict[str, Any]:
    """One question through `Assistant.ask`; a question that raises gives a record with `error`.

    A follow-up with a `standalone` version is also asked that version with no history, stored under
    `standalone_run`, so the report can show whether follow-ups do as well as self-contained questions.
    """
    rec = _record(question)
    history = [tuple(turn) for turn in question.get("history") or []] or None
    try:
        rec.update(_ask(assistant, question["question"], history, mode=mode, answerer=answerer))
    except Exception as exc:  # one bad question must not stop the run; the record says what happened
        rec.update({"answer": "", "abstained": False, "citations": [], "passages": [], "timings_ms": {},
                    "error": f"{type(exc).__name__}: {exc}"})
    if question.get("standalone") and history:
        try:
            run = _ask(assistant, question["standalone"], None, mode=mode, answerer=answerer)
            rec["standalone_run"] = {k: run.get(k) for k in ("question", "answer", "abstained", "citations", "retrieved", "timings_ms")}
        except Exception as exc:
            rec["standalone_run"] = {"question": question["standalone"], "answer": "", "abstained": False,
                                     "citations": [], "retrieved": [], "timings_ms": {}, "error": f"{type(exc).__name__}: {exc}"}
    return rec


def run_comparison(assistant: Any, settings: Settings, records: list[dict[str, Any]], *,
                   progress: bool = True) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Retrieval metrics of dense / bm25 / hybrid and the naive baseline on the same (standalone) queries.

    Reuses the loaded index and embedder: only the baseline's ~100 chunks are embedded.
    """
    from rag.evaluation.baseline import NAME, NaiveBaseline
    from rag.retrieval.retriever import MODES

    retriever = assistant.retriever
    t0 = time.perf_counter()
    baseline = NaiveBaseline(settings, retriever.embedder)
    build_s = time.perf_counter() - t0
    systems: dict[str, Any] = {m: (lambda q, m=m: _slim([p.to_json() for p in retriever.search(q, k=RETRIEVED_K, mode=m)])) for m in MODES}
    systems[NAME] = lambda q: _slim(baseline.search(q, RETRIEVED_K))
    rows = [{"id": r["id"], "query": r.get("standalone_question") or r["question"]} for r in records]
    summary: dict[str, Any] = {}
    for name, search in systems.items():
        pseudo = []
        for rec, row in zip(records, _progress(rows, progress, f"compare {name}")):
            ranked = search(row["query"])
            row[name] = ranked
            pseudo.append({**rec, "retrieved": ranked})
        metrics = retrieval_metrics(pseudo, prefix="")
        summary[name] = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in metrics.items()}
    return {"systems": summary, "k": RETRIEVED_K, "baseline_build_seconds": round(build_s, 2),
            "baseline_chunks": len(baseline.chunks)}, rows


def _progress(items, enabled: bool, desc: str):
    from tqdm import tqdm

    return tqdm(items, desc=desc, file=sys.stderr, disable=not enabled, leave=False, unit="q")


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def run_evaluation(questions_path: str | Path, out_dir: str | Path, settings: Settings, *, mode: str | None = None,
                   answerer: str | None = None, compare: bool = False, progress: bool = True,
                   assistant: Any = None) -> dict[str, Any]:
    """Run every question, write the outputs to `out_dir`, return metrics, comparison, paths and load errors.

    `assistant` lets a caller that already holds a loaded `rag.assistant.Assistant` reuse it.
    """
    from rag.evaluation.report import render_report

    questions, load_errors = load_questions(questions_path)
    if not questions:
        detail = ("; ".join(load_errors[:5])) if load_errors else "the file is empty"
        raise InputError(f"No usable question in {questions_path} ({detail}). Fix the file: one JSON object per line.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if assistant is None:
        from rag.assistant import Assistant

        assistant = Assistant(settings)
    records = [run_question(assistant, q, mode=mode, answerer=answerer) for q in _progress(questions, progress, "eval")]
    metrics = compute_metrics(records)
    paths = {"results": out / "results.jsonl", "metrics": out / "metrics.json"}
    _write_jsonl(paths["results"], records)
    paths["metrics"].write_text(json.dumps(metrics, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    comparison = None
    if compare:
        comparison, rows = run_comparison(assistant, settings, records, progress=progress)
        paths["compare"] = out / "compare.json"
        paths["compare_results"] = out / "compare_results.jsonl"
        paths["compare"].write_text(json.dumps(comparison, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        _write_jsonl(paths["compare_results"], rows)
    run_info = {
        "questions_file": str(questions_path), "n_questions": len(questions), "load_errors": load_errors,
        "mode": mode or settings.retrieval_mode, "answerer": answerer or settings.answerer,
        "top_k": settings.top_k, "embedding_model": settings.embedding_model,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    paths["run"] = out / "run.json"
    paths["run"].write_text(json.dumps(run_info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    paths.update(render_report(metrics, records, out, compare=comparison, run_info=run_info))
    return {"metrics": metrics, "compare": comparison, "paths": {k: str(v) for k, v in paths.items()},
            "load_errors": load_errors, "run": run_info}
