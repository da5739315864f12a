"""Choose the retrieval settings by cross-validation on the shipped question set; report held-out sets as checks.

    .venv/bin/python scripts/tune_retrieval.py [--chunk-sizes 200] [--folds 5] [--repeats 3]
        [--heldout tests/heldout_questions.jsonl --heldout tests/heldout2_questions.jsonl ...] [--out FILE]

For every chunk size (one index each, embeddings shared through the cache) and every combination of
dense unit (chunk, best sentence, both), fusion (convex over z-scores with alpha 0.1..0.9, or RRF with
k 10/30/60), candidates per ranking, section-context weight and named sources on/off, each answerable
shipped question is searched as the assistant searches it, and the rank of its
first relevant passage (one holding an evidence string) is kept.

Selection is by k-fold cross-validation, repeated with several shuffles: on each fold, the configuration
with the best MRR@10 on the other folds (ties: hit@5, then hit@1, then the simpler configuration) is
scored on the fold. The CV figures estimate what the selection procedure gives on unseen questions; the
configuration finally chosen is the best on the whole shipped set. The held-out sets are only scored,
with that configuration, never used to choose.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_retrieval import DEPTH, grouped, load_questions, rank_of_first_relevant, summarize  # noqa: E402

SHIPPED = ROOT / "rag" / "evaluation" / "data" / "questions.jsonl"
HELDOUT = [ROOT / "tests" / f"heldout{n}_questions.jsonl" for n in ("", "2", "3")]


def fusions() -> list[dict]:
    convex = [{"fusion": "convex", "fusion_alpha": round(a / 10, 1)} for a in range(1, 10)]
    return convex + [{"fusion": "rrf", "rrf_k": k} for k in (10, 30, 60)]


def grid(args) -> list[dict]:
    out = []
    for unit, fusion, cand, ctx, src in itertools.product(
            ("chunk", "sentence", "both"), fusions(), args.candidates, args.context_weights, (True, False)):
        out.append({"dense_unit": unit, **fusion, "candidates": cand, "context_weight": ctx, "source_references": src})
    return out


def complexity(cfg: dict) -> tuple:
    """Ties go to the simpler configuration: fewer features switched on."""
    return (cfg["source_references"], cfg["context_weight"] > 0, cfg["dense_unit"] != "chunk")


def queries_for(questions: list[dict]) -> list[str]:
    """What the assistant searches with: a follow-up carries the words of the conversation it depends on."""
    from rag.query.followup import standalone_question

    return [standalone_question(q["question"], [tuple(h) for h in q.get("history") or []] or None).text for q in questions]


class Runner:
    """Ranks of every question under a configuration, over one index."""

    def __init__(self, index, settings):
        from rag.retrieval.retriever import Retriever

        self.settings = settings
        self.retrievers = {u: Retriever(index, settings.model_copy(update={"dense_unit": u})) for u in ("chunk", "sentence", "both")}

    def ranks(self, cfg: dict, questions: list[dict], qs: list[str]) -> list[int | None]:
        r = self.retrievers[cfg["dense_unit"]]
        r.settings = self.settings.model_copy(update=cfg)
        return [rank_of_first_relevant([p.text for p in r.search(query, k=DEPTH, mode="hybrid")], q["evidence"])
                for q, query in zip(questions, qs)]


def mrr(ranks) -> float:
    return sum(1 / r for r in ranks if r) / max(1, len(ranks))


def key(ranks, cfg) -> tuple:
    s = summarize(ranks)
    return (round(mrr(ranks), 6), s["hit@5"], s["hit@1"], tuple(not c for c in complexity(cfg)))


def cross_validate(table: dict[int, list], configs: list[dict], n: int, folds: int, repeats: int) -> dict:
    """CV of the selection: per repeat, per fold, pick on the rest, score on the fold."""
    all_test_ranks, picks = [], []
    for rep in range(repeats):
        order = list(range(n))
        random.Random(rep).shuffle(order)
        for f in range(folds):
            test = set(order[f::folds])
            train = [i for i in range(n) if i not in test]
            best = max(range(len(configs)), key=lambda c: key([table[c][i] for i in train], configs[c]))
            picks.append(best)
            all_test_ranks += [table[best][i] for i in sorted(test)]
    # the CV figures average over repeats (each repeat scores every question once)
    return {"cv": summarize(all_test_ranks) | {"mrr": round(mrr(all_test_ranks), 3)},
            "picked": {json.dumps(configs[c], sort_keys=True): picks.count(c) for c in sorted(set(picks))}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chunk-sizes", default="200", help="comma-separated chunk sizes (cl100k tokens); overlap is a fifth")
    ap.add_argument("--embed-context", choices=("off", "on", "both"), default="off",
                    help="embed chunks with their title and heading in front (settings.embed_context)")
    ap.add_argument("--candidates", default="20,50", help="comma-separated candidates per ranking")
    ap.add_argument("--context-weights", default="0,0.1,0.2,0.3")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--heldout", type=Path, action="append", default=None)
    ap.add_argument("--index-root", type=Path, default=None, help="folder for the per-chunk-size indexes (default: index/tune)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    args.candidates = [int(x) for x in args.candidates.split(",")]
    args.context_weights = [float(x) for x in args.context_weights.split(",")]

    from rag.index.store import load_index
    from rag.settings import load_settings

    base = load_settings()
    root = args.index_root or (base.index_dir.parent / "index-tune")
    shipped = load_questions(SHIPPED)
    heldout = {p.name: load_questions(p) for p in (args.heldout or HELDOUT)}
    configs = grid(args)
    results: dict = {"model": base.embedding_model, "n_shipped": len(shipped), "n_configs": len(configs), "by_chunk_size": {}}
    print(f"{len(shipped)} shipped questions, {len(configs)} configurations per chunk size", file=sys.stderr)
    sets = {"shipped": shipped, **heldout}
    queries = {name: queries_for(qs) for name, qs in sets.items()}
    best_overall = None
    contexts = {"off": (False,), "on": (True,), "both": (False, True)}[args.embed_context]
    for size, context in itertools.product((int(x) for x in args.chunk_sizes.split(",")), contexts):
        label = f"{size}{'+context' if context else ''}"
        settings = base.model_copy(update={"chunk_size": size, "chunk_overlap": size // 5, "embed_context": context,
                                           "index_dir": root / f"{base.embedding_model}-{label}".replace("/", "_")})
        cache = base.index_dir / "cache"
        if cache.is_dir() and not (settings.index_dir / "cache").exists():
            shutil.copytree(cache, settings.index_dir / "cache")
        t0 = time.perf_counter()
        index = load_index(settings, quiet=False)
        runner = Runner(index, settings)
        table = {}
        for c, cfg in enumerate(configs):
            table[c] = runner.ranks(cfg, shipped, queries["shipped"])
        full_best = max(range(len(configs)), key=lambda c: key(table[c], configs[c]))
        cv = cross_validate(table, configs, len(shipped), args.folds, args.repeats)
        chosen = configs[full_best]
        entry = {"n_chunks": len(index.chunks), "seconds": round(time.perf_counter() - t0, 1), "cv": cv["cv"],
                 "cv_picks": cv["picked"], "chosen": chosen,
                 "shipped": summarize(table[full_best]) | {"mrr": round(mrr(table[full_best]), 3)},
                 "shipped_by_category": grouped(shipped, table[full_best], "category")}
        for name, qs in heldout.items():
            ranks = runner.ranks(chosen, qs, queries[name])
            entry[name] = summarize(ranks) | {"mrr": round(mrr(ranks), 3)}
            entry[f"{name}_by_category"] = grouped(qs, ranks, "category")
        # what each switch adds, around the chosen configuration (shipped set; held-out shown, not used)
        ablations = {}
        for change in ({"source_references": not chosen["source_references"]},
                       {"context_weight": 0.0 if chosen["context_weight"] else 0.2},
                       {"dense_unit": "chunk"}, {"dense_unit": "sentence"}, {"dense_unit": "both"},
                       {"fusion": "rrf", "rrf_k": 60}):
            cfg = {**chosen, **change}
            if cfg == chosen:
                continue
            row = {"shipped": summarize(runner.ranks(cfg, shipped, queries["shipped"]))}
            for name, qs in heldout.items():
                row[name] = summarize(runner.ranks(cfg, qs, queries[name]))
            ablations[json.dumps(change)] = row
        entry["ablations"] = ablations
        results["by_chunk_size"][label] = entry
        print(json.dumps({label: {k: entry[k] for k in ("n_chunks", "cv", "chosen", "shipped", *heldout)}}, indent=1))
        if best_overall is None or entry["cv"]["mrr"] > results["by_chunk_size"][best_overall]["cv"]["mrr"]:
            best_overall = label
    results["best_chunk_size_by_cv"] = best_overall
    print(f"best chunk size by CV MRR: {best_overall}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
