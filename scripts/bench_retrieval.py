"""Retrieval benchmark: quality per mode (and per category / document), warm latency, build times.

    .venv/bin/python scripts/bench_retrieval.py [--questions rag/evaluation/data/questions.jsonl] [--sweep]
        [--clean-compare] [--no-build] [--raw-queries] [--misses] [--out FILE]
    .venv/bin/python scripts/bench_retrieval.py --compare-models [bundled,bundled-minilm] [--out FILE]

Every answerable question with evidence counts, follow-ups and English ones included: each is
searched with the query the assistant itself retrieves with (rag.assistant: a follow-up carries the
words of the conversation it depends on), unless --raw-queries. A passage is
relevant when it contains one of the question's evidence strings after the contract's normalisation.
MRR is MRR@10. Latency is `Retriever.search` warm (after a warm-up pass), k = top_k, over three passes
of the questions: each question embedded anew (as a user's new question is), and the search alone.

--clean-compare builds a second index with cleaning off (RAG_CLEAN=false) in a temporary folder and
prints hit@1 / MRR per mode and per document, cleaning off vs on (issue 3's measurement).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.settings import load_settings  # noqa: E402
from rag.text.normalize import contains_normalized  # noqa: E402

MODES = ("dense", "bm25", "hybrid")
DEPTH = 10  # ranks looked at: MRR@10
LATENCY_PASSES = 3
WHOLE_CHUNK = "dense (whole chunk)"  # also compared with cleaning off/on: reads whole chunks, not their best line


def load_questions(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [q for q in rows if q.get("answerable", True) and q.get("evidence")]


def retrieval_query(q: dict, raw: bool = False) -> str:
    """What the assistant searches with for this question (see rag.chain.Assistant._extractive)."""
    if raw:
        return q["question"]
    from rag.query.followup import standalone_question

    history = [tuple(h) for h in q.get("history") or []] or None
    return standalone_question(q["question"], history).text


def rank_of_first_relevant(texts: list[str], evidence: list[str]) -> int | None:
    for i, text in enumerate(texts, start=1):
        if any(contains_normalized(text, e) for e in evidence):
            return i
    return None


def ranks_for(search, questions: list[dict], queries: list[str]) -> list[int | None]:
    """Rank of the first relevant passage per question (None: not in the top DEPTH)."""
    return [rank_of_first_relevant(search(query, DEPTH), q["evidence"]) for q, query in zip(questions, queries)]


def summarize(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "n": len(ranks),
        "hit@1": round(sum(r == 1 for r in ranks) / n, 3),
        "hit@5": round(sum(1 for r in ranks if r and r <= 5) / n, 3),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 3),
    }


def grouped(questions: list[dict], ranks: list[int | None], key: str) -> dict[str, dict[str, float]]:
    groups: dict[str, list] = defaultdict(list)
    for q, r in zip(questions, ranks):
        groups[str(q.get(key))].append(r)
    return {g: summarize(rs) for g, rs in sorted(groups.items())}


def percentile(values: list[float], pct: float) -> float:
    values = sorted(values)
    idx = min(len(values) - 1, max(0, int(round(pct / 100 * (len(values) - 1)))))
    return values[idx]


def ranks_by_mode(index, settings, questions, queries) -> dict[str, list[int | None]]:
    """Ranks per mode (and for whole-chunk dense) over a loaded index."""
    from rag.retrieval.retriever import Retriever

    retriever = Retriever(index, settings)
    ranks = {mode: ranks_for(lambda q, k, m=mode: [p.text for p in retriever.search(q, k=k, mode=m)], questions, queries)
             for mode in MODES}
    whole = Retriever(index, settings.model_copy(update={"dense_unit": "chunk"}))
    ranks[WHOLE_CHUNK] = ranks_for(lambda q, k: [p.text for p in whole.search(q, k=k, mode="dense")], questions, queries)
    return ranks


def table(rows: list[tuple[str, dict]], cols=("hit@1", "hit@5", "mrr")) -> str:
    out = ["| retriever | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, r in rows:
        out.append(f"| {name} | " + " | ".join(f"{r[c]:.3f}" for c in cols) + " |")
    return "\n".join(out)


def clean_compare(settings, questions, queries, on: dict[str, list]) -> dict:
    """hit@1, hit@5 and MRR per mode (and whole-chunk dense) and per document, cleaning off vs `on`."""
    from rag.index.store import load_index

    with tempfile.TemporaryDirectory() as tmp:
        cache = settings.index_dir / "cache"
        if cache.is_dir():  # reuse vectors of unchanged text; only the damaged text is embedded
            shutil.copytree(cache, Path(tmp) / "cache")
        off_settings = settings.model_copy(update={"index_dir": Path(tmp), "clean": False})
        off = ranks_by_mode(load_index(off_settings, quiet=True), off_settings, questions, queries)
    result: dict = {}
    for mode in (*MODES, WHOLE_CHUNK):
        result[mode] = {"all": {"off": summarize(off[mode]), "on": summarize(on[mode])}}
        by_off, by_on = grouped(questions, off[mode], "doc"), grouped(questions, on[mode], "doc")
        for doc in by_on:
            result[mode][doc] = {"off": by_off[doc], "on": by_on[doc]}
    return result


def print_clean_compare(result: dict) -> None:
    print("\nCleaning off vs on (hit@1, hit@5, MRR@10):")
    print("| mode | document | n | hit@1 off | hit@1 on | hit@5 off | hit@5 on | MRR off | MRR on |")
    print("|---" * 9 + "|")
    for mode, docs in result.items():
        for doc, r in docs.items():
            print(f"| {mode} | {doc} | {r['on']['n']} | {r['off']['hit@1']:.3f} | {r['on']['hit@1']:.3f} | "
                  f"{r['off']['hit@5']:.3f} | {r['on']['hit@5']:.3f} | {r['off']['mrr']:.3f} | {r['on']['mrr']:.3f} |")


HELDOUT_SETS = tuple(ROOT / "tests" / f"heldout{n}_questions.jsonl" for n in ("", "2", "3"))


def compare_models(models: list[str], raw: bool) -> dict:
    """hit@1 / hit@5 / MRR of every mode for each model, on the shipped and held-out sets, with categories."""
    from rag.index.store import load_index
    from rag.retrieval.retriever import Retriever

    base = load_settings()
    sets = {"shipped": ROOT / "rag" / "evaluation" / "data" / "questions.jsonl",
            **{p.stem: p for p in HELDOUT_SETS if p.is_file()}}
    loaded = {name: load_questions(path) for name, path in sets.items()}
    queries = {name: [retrieval_query(q, raw) for q in qs] for name, qs in loaded.items()}
    results: dict = {}
    for model in models:
        settings = base.model_copy(update={"embedding_model": model,
                                           "index_dir": base.index_dir.parent / "index-compare" / model.replace("/", "_")})
        cache = base.index_dir / "cache"
        if cache.is_dir() and not (settings.index_dir / "cache").exists():
            shutil.copytree(cache, settings.index_dir / "cache")  # per-embedder folders: other models' vectors are not used
        index = load_index(settings, quiet=False)
        retriever = Retriever(index, settings)
        results[model] = {}
        for name, qs in loaded.items():
            per_mode = {}
            for mode in MODES:
                ranks = ranks_for(lambda q, k, m=mode: [p.text for p in retriever.search(q, k=k, mode=m)], qs, queries[name])
                per_mode[mode] = {"all": summarize(ranks), "by_category": grouped(qs, ranks, "category")}
            results[model][name] = per_mode
    print("| set | mode | " + " | ".join(f"{m} hit@1 / hit@5 / MRR" for m in models) + " |")
    print("|---|---|" + "---|" * len(models))
    for name in loaded:
        for mode in MODES:
            cells = [results[m][name][mode]["all"] for m in models]
            print(f"| {name} | {mode} | " + " | ".join(f"{c['hit@1']:.3f} / {c['hit@5']:.3f} / {c['mrr']:.3f}" for c in cells) + " |")
    print("\nHybrid by category (hit@5 / MRR):\n| set | category | " + " | ".join(models) + " |")
    print("|---|---|" + "---|" * len(models))
    for name in loaded:
        cats = sorted(results[models[0]][name]["hybrid"]["by_category"])
        for cat in cats:
            cells = [results[m][name]["hybrid"]["by_category"].get(cat) for m in models]
            print(f"| {name} | {cat} | " + " | ".join(f"{c['hit@5']:.3f} / {c['mrr']:.3f} (n={c['n']})" if c else "-" for c in cells) + " |")
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=Path, default=ROOT / "rag" / "evaluation" / "data" / "questions.jsonl")
    ap.add_argument("--sweep", action="store_true", help="also sweep fusion settings")
    ap.add_argument("--clean-compare", action="store_true", help="also measure an index built with cleaning off")
    ap.add_argument("--no-build", action="store_true", help="skip the cold build timing")
    ap.add_argument("--raw-queries", action="store_true", help="search the question text as written (no follow-up rewriting or English handling)")
    ap.add_argument("--misses", action="store_true", help="print each question the hybrid mode misses in the top 5")
    ap.add_argument("--compare-models", nargs="?", const="bundled,bundled-minilm", default=None, metavar="MODELS",
                    help="compare embedding models side by side (default: bundled,bundled-minilm), every mode, on the "
                         "shipped and held-out sets, per category; each model gets its own index under index-compare/")
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = ap.parse_args()
    if args.compare_models:
        results = compare_models(args.compare_models.split(","), args.raw_queries)
        if args.out:
            args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
        return 0

    from rag.index.embeddings import get_embedder
    from rag.index.store import build_index, ensure_index, load_index
    from rag.retrieval.retriever import Retriever

    settings = load_settings()
    results: dict = {"settings": {k: getattr(settings, k) for k in
                                  ("chunk_size", "chunk_overlap", "fusion", "fusion_alpha", "context_weight", "source_references", "candidates", "top_k")}}
    t0 = time.perf_counter()
    get_embedder(settings)
    results["model_load_s"] = round(time.perf_counter() - t0, 2)

    if not args.no_build:
        with tempfile.TemporaryDirectory() as tmp:
            cold = settings.model_copy(update={"index_dir": Path(tmp)})
            t0 = time.perf_counter()
            stats = build_index(cold, quiet=True)
            results["build_cold_s"] = round(time.perf_counter() - t0, 2)
            results["build_cold_embedded"] = {"chunks": stats["embedded"], "sentences": stats["embedded_sentences"]}
            t0 = time.perf_counter()
            ensure_index(cold, quiet=True)
            results["reindex_no_change_s"] = round(time.perf_counter() - t0, 3)
    ensure_index(settings, quiet=False)
    index = load_index(settings)
    retriever = Retriever(index, settings)
    questions = load_questions(args.questions)
    queries = [retrieval_query(q, args.raw_queries) for q in questions]
    results["n_questions"] = len(questions)
    results["n_chunks"] = len(index.chunks)

    for query in queries[:5]:  # warm-up
        retriever.search(query)
    ranks = ranks_by_mode(index, settings, questions, queries)
    for mode in MODES:
        results[mode] = summarize(ranks[mode])
    results["hybrid_by_category"] = grouped(questions, ranks["hybrid"], "category")
    results["hybrid_by_document"] = grouped(questions, ranks["hybrid"], "doc")
    results["hybrid_misses@5"] = {q["id"]: r for q, r in zip(questions, ranks["hybrid"]) if not r or r > 5}

    # A user's question is new: its embedding is part of the time (the embedder's query cache is emptied
    # before each search). The search alone, with the query vector already computed, is reported apart.
    latencies, search_only = [], []
    for _ in range(LATENCY_PASSES):  # several passes: one pass of ~100 queries moves by a few ms on a shared VM
        for query in queries:
            retriever.embedder._queries.clear()
            t0 = time.perf_counter()
            retriever.search(query, k=settings.top_k)
            latencies.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            retriever.search(query, k=settings.top_k)
            search_only.append((time.perf_counter() - t0) * 1000)
    results["latency_ms"] = {"median": round(statistics.median(latencies), 2), "p95": round(percentile(latencies, 95), 2),
                             "max": round(max(latencies), 2), "n": len(latencies)}
    results["latency_search_only_ms"] = {"median": round(statistics.median(search_only), 2),
                                         "p95": round(percentile(search_only, 95), 2), "n": len(search_only)}

    from rag.evaluation.baseline import NAME, NaiveBaseline

    base = NaiveBaseline(settings)
    results["baseline_naive_langchain"] = summarize(ranks_for(lambda q, k: [p["text"] for p in base.search(q, k)], questions, queries))

    if args.sweep:
        sweep = {}
        variants = [({"fusion": "convex", "fusion_alpha": a}, unit, norm)
                    for unit in ("sentence", "chunk") for norm in ("zscore", "max", "minmax") for a in (0.1, 0.2, 0.3, 0.5)]
        variants += [({"fusion": "rrf", "rrf_k": k}, unit, "zscore") for unit in ("sentence", "chunk") for k in (10, 60)]
        for update, unit, norm in variants:
            r = Retriever(index, settings.model_copy(update={**update, "dense_unit": unit}), normalisation=norm)
            name = f"hybrid {unit} " + (f"rrf k={update['rrf_k']}" if update["fusion"] == "rrf" else f"{norm} alpha={update['fusion_alpha']}")
            sweep[name] = summarize(ranks_for(lambda q, k, r=r: [p.text for p in r.search(q, k=k, mode="hybrid")], questions, queries))
        for w in (0.0, 0.1, 0.2, 0.3, 0.5):
            r = Retriever(index, settings.model_copy(update={"context_weight": w}))
            sweep[f"hybrid context_weight={w}"] = summarize(ranks_for(lambda q, k, r=r: [p.text for p in r.search(q, k=k, mode="hybrid")], questions, queries))
        r = Retriever(index, settings.model_copy(update={"source_references": False}))
        sweep["hybrid source_references=false"] = summarize(ranks_for(lambda q, k, r=r: [p.text for p in r.search(q, k=k, mode="hybrid")], questions, queries))
        sweep["dense chunk (whole-chunk cosine)"] = summarize(ranks[WHOLE_CHUNK])
        results["sweep"] = sweep

    rows = [(m, results[m]) for m in MODES] + [(NAME, results["baseline_naive_langchain"])]
    rows += list(results.get("sweep", {}).items())
    print(f"\n{len(questions)} questions ({'raw' if args.raw_queries else 'as the assistant searches them'}), {len(index.chunks)} chunks")
    print(table(rows))
    print("\nHybrid by category:\n" + table(list(results["hybrid_by_category"].items())))
    print("\nHybrid by document:\n" + table(list(results["hybrid_by_document"].items())))
    print(f"\nlatency warm, question embedded (ms): {results['latency_ms']}")
    print(f"latency warm, search only (ms): {results['latency_search_only_ms']}")
    for key in ("model_load_s", "build_cold_s", "build_cold_embedded", "reindex_no_change_s"):
        if key in results:
            print(f"{key}: {results[key]}")
    print(f"hybrid misses@5 (rank, None = beyond {DEPTH}): {results['hybrid_misses@5']}")
    if args.misses:
        by_id = {q["id"]: (q, query) for q, query in zip(questions, queries)}
        for qid, r in results["hybrid_misses@5"].items():
            q, query = by_id[qid]
            print(f"  {qid} [{q['category']}] rank {r}: {query}\n      evidence: {q['evidence']}")

    if args.clean_compare:
        results["clean_compare"] = clean_compare(settings, questions, queries, ranks)
        print_clean_compare(results["clean_compare"])
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
