"""Retrieval benchmark: quality per mode, warm latency, and index build times.

    .venv/bin/python scripts/bench_retrieval.py [--questions tests/questions.jsonl] [--sweep] [--out FILE]

Quality uses the answerable, non-follow-up questions of the set (a follow-up needs the chain's
question rewriting; `rag eval` measures those). A passage is relevant when it contains one of the
question's evidence strings after normalisation. Latency is measured warm (after one warm-up pass).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.settings import load_settings  # noqa: E402
from rag.textnorm import contains_normalized  # noqa: E402


def load_questions(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [q for q in rows if q.get("answerable", True) and q.get("evidence") and q.get("category") != "follow-up"]


def rank_of_first_relevant(texts: list[str], evidence: list[str]) -> int | None:
    for i, text in enumerate(texts, start=1):
        if any(contains_normalized(text, e) for e in evidence):
            return i
    return None


def quality(search, questions: list[dict], k: int = 10) -> dict[str, float]:
    """hit@1, hit@5, MRR@10 of a search function `search(question, k) -> list[str]`."""
    ranks = [rank_of_first_relevant(search(q["question"], k), q["evidence"]) for q in questions]
    n = len(ranks)
    return {
        "hit@1": sum(r == 1 for r in ranks if r) / n,
        "hit@5": sum(1 for r in ranks if r and r <= 5) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "misses@5": [q["id"] for q, r in zip(questions, ranks) if not r or r > 5],
    }


def percentile(values: list[float], pct: float) -> float:
    values = sorted(values)
    idx = min(len(values) - 1, max(0, int(round(pct / 100 * (len(values) - 1)))))
    return values[idx]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=Path, default=ROOT / "tests" / "questions.jsonl")
    ap.add_argument("--sweep", action="store_true", help="also sweep fusion weights and RRF")
    ap.add_argument("--no-build", action="store_true", help="skip the cold build timing")
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = ap.parse_args()

    from rag.embeddings import get_embedder
    from rag.index import build_index, ensure_index, load_index
    from rag.retrieval import Retriever

    settings = load_settings()
    results: dict = {"settings": {"chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap,
                                  "fusion": settings.fusion, "fusion_alpha": settings.fusion_alpha}}
    t0 = time.perf_counter()
    get_embedder(settings)
    results["model_load_s"] = round(time.perf_counter() - t0, 2)

    if not args.no_build:
        with tempfile.TemporaryDirectory() as tmp:
            cold = settings.model_copy(update={"index_dir": Path(tmp)})
            t0 = time.perf_counter()
            build_index(cold, quiet=True)
            results["build_cold_s"] = round(time.perf_counter() - t0, 2)
            t0 = time.perf_counter()
            ensure_index(cold, quiet=True)
            results["reindex_no_change_s"] = round(time.perf_counter() - t0, 3)
    ensure_index(settings, quiet=False)
    index = load_index(settings)
    retriever = Retriever(index, settings)
    questions = load_questions(args.questions)
    results["n_questions"] = len(questions)
    results["n_chunks"] = len(index.chunks)

    def searcher(mode, r=retriever):
        return lambda q, k: [p.text for p in r.search(q, k=k, mode=mode)]

    for q in questions[:5]:  # warm-up
        retriever.search(q["question"])
    for mode in ("dense", "bm25", "hybrid"):
        results[mode] = quality(searcher(mode), questions)
    latencies = []
    for q in questions:
        t0 = time.perf_counter()
        retriever.search(q["question"], k=settings.top_k)
        latencies.append((time.perf_counter() - t0) * 1000)
    results["latency_ms"] = {"median": round(statistics.median(latencies), 2), "p95": round(percentile(latencies, 95), 2),
                             "max": round(max(latencies), 2)}

    try:
        from rag.baseline import NaiveBaseline  # the naive LangChain splitter + FAISS dense baseline
    except ImportError:
        NaiveBaseline = None
    if NaiveBaseline is not None:
        base = NaiveBaseline(settings)
        results["baseline_naive_langchain"] = quality(lambda q, k: [p["text"] for p in base.search(q, k)], questions)

    if args.sweep:
        sweep = {}
        for alpha in (0.1, 0.3, 0.5, 0.7):
            s = settings.model_copy(update={"fusion": "convex", "fusion_alpha": alpha})
            sweep[f"convex alpha={alpha}"] = quality(searcher("hybrid", Retriever(index, s)), questions)
        for k in (10, 60):
            s = settings.model_copy(update={"fusion": "rrf", "rrf_k": k})
            sweep[f"rrf k={k}"] = quality(searcher("hybrid", Retriever(index, s)), questions)
        results["sweep"] = sweep

    rows = [(m, results[m]) for m in ("dense", "bm25", "hybrid", "baseline_naive_langchain") if m in results]
    rows += list(results.get("sweep", {}).items())
    print(f"\n{len(questions)} questions, {len(index.chunks)} chunks")
    print(f"| retriever | hit@1 | hit@5 | MRR |\n|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['hit@1']:.3f} | {r['hit@5']:.3f} | {r['mrr']:.3f} |")
    print(f"\nlatency warm (ms): {results['latency_ms']}")
    for key in ("model_load_s", "build_cold_s", "reindex_no_change_s"):
        if key in results:
            print(f"{key}: {results[key]}")
    print(f"hybrid misses@5: {results['hybrid']['misses@5']}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
