"""Scale benchmark: both stores on synthetic French-like indexes of 10k, 100k and 1M chunks.

    .venv/bin/python scripts/bench_scale.py --sizes 10000 100000 --stores files postgres \\
        --database-url postgresql://postgres@127.0.0.1:5432/postgres [--work /tmp/rag-scale] [--out results.json]

Data (deterministic, `generate`): chunks shaped like the real corpus's (sentences per chunk and words per
sentence resampled from the shipped index: 12.1 sentences and ~700 characters per chunk today),
words drawn by a Zipf law over a vocabulary growing with the index (Heaps' law: the corpus's words first,
then made-up words from their syllables), with a topic bias; documents of 20-2,000 chunks with
sections of 1-4 chunks (as in the corpus); vectors clustered, not uniform: 256 topics, a document near its
topic, a chunk near its document, a sentence near its chunk (e5-like cosines). Queries: 3-6 words of a
target chunk, the query vector near the target's. BM25 terms come from analysing each vocabulary word once
(the analysis is word by word: checked on a sample of chunks).

Each step runs in its own process, so its peak memory is its own: `build` (time, peak RSS, index size) and
`query` (open the store, then hybrid searches through rag.retrieval.Retriever with the settings' defaults,
as the app does; the query vector is looked up, not computed: the bundled model adds ~17 ms per question on
this machine; p50/p95 warm; RSS of the serving process = the app without Gradio's ~150 MB). `query` also
reports how many of the top 5 agree with the files store's (exact scoring) on the same data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIM = 384
TOPICS = 256
SEED = 20261130
EXACT_UP_TO = 100_000  # chunks: above, the exact reference pass (every sentence vector read for every query:
# 18.6 GB at 1M, more than the page cache holds) would take hours; PostgreSQL is then compared with the files store


def rss_mb() -> float:
    """Resident memory of this process now (MB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], pct: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(pct / 100 * (len(values) - 1)))))]


# --- data ---------------------------------------------------------------------------------------------

def corpus_shape() -> dict:
    """Vocabulary with frequencies, and the distributions of sentences per chunk and words per sentence."""
    from rag.index.store import open_index
    from rag.settings import load_settings
    from rag.text.analysis import _raw_words

    index = open_index(load_settings(store="files"))
    counts: dict[str, int] = {}
    for doc in index.docs:
        for w in _raw_words(doc["text"]):
            if w.isalpha():
                counts[w] = counts.get(w, 0) + 1
    sentences = [len(sp) for sp in index.spans]
    words = [max(1, len(_raw_words(c.text[a:b]))) for c, sp in zip(index.chunks, index.spans) for a, b in sp]
    return {"vocabulary": sorted(counts), "frequency": [counts[w] for w in sorted(counts)],
            "sentences_per_chunk": sentences, "words_per_sentence": words}


def vocabulary(shape: dict, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Words and their probabilities for an index of n chunks. A corpus's vocabulary grows with its size
    (Heaps' law: ~40 * sqrt(tokens) distinct words here, 100k at 100k chunks) and word frequencies fall off
    as 1/rank (Zipf): the corpus's 2.6k words, by frequency, take the first ranks, and made-up words built
    from their syllables the rare tail, so that a large index has rare terms as a real one does."""
    words = [w for _, w in sorted(zip(shape["frequency"], shape["vocabulary"]), reverse=True)]
    tokens = n * float(np.mean(shape["sentences_per_chunk"])) * float(np.mean(shape["words_per_sentence"]))
    size = max(len(words), int(40 * np.sqrt(tokens)))
    syllables = sorted({w[i:i + 3] for w in words if len(w) >= 6 for i in range(0, len(w) - 2, 3)})
    known = set(words)
    while len(words) < size:
        made = "".join(rng.choice(syllables, int(rng.integers(3, 5))))
        if made not in known:
            known.add(made)
            words.append(made)
    weights = 1.0 / np.arange(1, size + 1) ** 1.05
    return np.array(words, dtype=object), weights / weights.sum()


def generate(n: int, out: Path) -> None:
    """Write a synthetic index of n chunks to `out` (see the module doc)."""
    from rag.text.analysis import analyze

    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED + n)
    shape = corpus_shape()
    vocab, p_global = vocabulary(shape, n, rng)
    cdf = np.cumsum(p_global)

    def draw(k: int) -> np.ndarray:  # k word ids by frequency (rng.choice with p= costs O(vocabulary) per call)
        return np.minimum(np.searchsorted(cdf, rng.random(k) * cdf[-1]), len(vocab) - 1)
    # each topic has its own words among the mid-frequency ones (a report on batteries says "cellules", "lithium")
    topic_words = [rng.choice(np.arange(100, min(len(vocab), 30_000)), 300, replace=False) for _ in range(TOPICS)]
    term_of = [analyze(w) for w in vocab]  # each word gives 0 or 1 term: the analysis is word by word
    terms = sorted({t for ts in term_of for t in ts})
    term_id = {t: i for i, t in enumerate(terms)}
    word_term = np.array([term_id[ts[0]] if ts else -1 for ts in term_of], dtype=np.int32)

    # documents and sections
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(np.exp(rng.uniform(np.log(20), np.log(2000)))))
    sizes[-1] -= sum(sizes) - n
    sizes = [s for s in sizes if s > 0]
    centres = rng.normal(size=(TOPICS, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    common = rng.normal(size=DIM).astype(np.float32)
    common /= np.linalg.norm(common)

    def unit(x):
        return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)

    n_sent = rng.choice(shape["sentences_per_chunk"], n)
    total_sent = int(n_sent.sum())
    chunk_vectors = np.lib.format.open_memmap(out / "chunk_vectors.npy", mode="w+", dtype=np.float32, shape=(n, DIM))
    sentence_vectors = np.lib.format.open_memmap(out / "sentence_vectors.npy", mode="w+", dtype=np.float32, shape=(total_sent, DIM))
    spans_flat = np.zeros((total_sent, 2), dtype=np.int32)
    term_ids: list[np.ndarray] = []
    row = s_row = 0
    with (out / "chunks.jsonl").open("w", encoding="utf-8") as chunks_f, (out / "docs.jsonl").open("w", encoding="utf-8") as docs_f:
        for d, size in enumerate(sizes):
            topic = int(rng.integers(TOPICS))
            doc_vec = unit(centres[topic] + 0.6 * common + 0.35 * unit(rng.normal(size=DIM)))
            doc_id = f"doc-{d:05d}"
            title = f"Document {d} : " + " ".join(vocab[draw(4)])
            docs_f.write(json.dumps({"doc_id": doc_id, "title": title, "publisher": f"Éditeur {d % 37}", "date": f"20{10 + d % 16}",
                                     "kind": "report", "n_chunks": size, "text": title}, ensure_ascii=False) + "\n")
            in_section, heading, start = 0, None, 0
            vecs = unit(doc_vec + 0.45 * unit(rng.normal(size=(size, DIM))))
            chunk_vectors[row:row + size] = vecs
            for i in range(size):
                if in_section == 0:
                    in_section = int(rng.integers(1, 5)) if rng.random() < 0.4 else 1
                    heading = " ".join(vocab[draw(3)]).capitalize()
                in_section -= 1
                k = int(n_sent[row])
                lengths = rng.choice(shape["words_per_sentence"], k)
                pick_topic = rng.random(int(lengths.sum())) < 0.3
                words = np.where(pick_topic, rng.choice(topic_words[topic], int(lengths.sum())), draw(int(lengths.sum())))
                parts, spans, pos, w0 = [], [], 0, 0
                for length in lengths:
                    sentence = " ".join(vocab[words[w0:w0 + length]]).capitalize() + "."
                    w0 += length
                    parts.append(sentence)
                    spans.append((pos, pos + len(sentence)))
                    pos += len(sentence) + 1
                text = " ".join(parts)
                chunk_id = hashlib.sha256(f"{doc_id}\0{text}".encode()).hexdigest()[:16]
                chunks_f.write(json.dumps({"chunk_id": chunk_id, "doc_id": doc_id, "title": title, "text": text,
                                           "start": start, "end": start + len(text), "heading": heading,
                                           "n_tokens": len(text) // 4, "metadata": {"publisher": f"Éditeur {d % 37}"}},
                                          ensure_ascii=False) + "\n")
                start += len(text) + 1
                spans_flat[s_row:s_row + k] = spans
                heading_terms = [term_id[t] for w in heading.lower().split() for t in analyze(w)] if heading not in text else []
                ids = word_term[words]
                term_ids.append(np.concatenate([np.array(heading_terms, dtype=np.int32), ids[ids >= 0]]))
                sentence_vectors[s_row:s_row + k] = unit(vecs[i] + 0.55 * unit(rng.normal(size=(k, DIM))))
                row += 1
                s_row += k
    chunk_vectors.flush()
    sentence_vectors.flush()
    np.save(out / "spans.npy", spans_flat)
    np.save(out / "sentences_per_chunk.npy", n_sent.astype(np.int32))
    np.save(out / "term_ids.npy", np.concatenate(term_ids))
    np.save(out / "term_offsets.npy", np.concatenate([[0], np.cumsum([len(t) for t in term_ids])]).astype(np.int64))
    (out / "terms.json").write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
    # queries: 3-6 words of a target chunk; the vector near the target's
    targets = rng.choice(n, 300, replace=False)
    chunks = _read_chunks(out, set(targets.tolist()))
    queries = []
    qvecs = unit(chunk_vectors[np.sort(targets)] + 0.5 * unit(rng.normal(size=(len(targets), DIM))))
    for t, v in zip(np.sort(targets), qvecs):
        words = [w for w in chunks[int(t)]["text"].replace(".", "").lower().split() if len(w) > 3]
        q = " ".join(rng.choice(words, min(len(words), int(rng.integers(3, 7))), replace=False)) if words else "industrie"
        queries.append({"query": f"{q} ?", "target": int(t)})
    (out / "queries.jsonl").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries), encoding="utf-8")
    np.save(out / "query_vectors.npy", qvecs)
    (out / "info.json").write_text(json.dumps({"n": n, "sentences": total_sent, "documents": len(sizes),
                                               "seconds": round(time.perf_counter() - t0, 1)}), encoding="utf-8")


def _read_chunks(data: Path, rows: set[int] | None = None) -> dict[int, dict]:
    out = {}
    with (data / "chunks.jsonl").open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            if rows is None or i in rows:
                out[i] = json.loads(line)
    return out


def check_terms(data: Path, sample: int = 300) -> None:
    """The generated terms equal rag's analysis of the chunk text (and heading) on a sample of chunks."""
    from rag.index.files_write import bm25_text
    from rag.schema import Chunk
    from rag.text.analysis import analyze

    terms = json.loads((data / "terms.json").read_text(encoding="utf-8"))
    ids, offsets = np.load(data / "term_ids.npy"), np.load(data / "term_offsets.npy")
    for row, c in _read_chunks(data, set(range(0, len(offsets) - 1, max(1, (len(offsets) - 1) // sample)))).items():
        want = analyze(bm25_text(Chunk.from_json(c)))
        got = [terms[i] for i in ids[offsets[row]:offsets[row + 1]]]
        assert sorted(got) == sorted(want), (row, got[:10], want[:10])


def load_for_build(data: Path):
    from rag.schema import Chunk

    chunks = [Chunk.from_json(c) for c in _read_chunks(data).values()]
    docs = [json.loads(line) for line in (data / "docs.jsonl").read_text(encoding="utf-8").splitlines()]
    counts = np.load(data / "sentences_per_chunk.npy")
    flat = [tuple(pair) for pair in np.load(data / "spans.npy").tolist()]  # lists first: numpy scalars are slow
    bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
    spans = [flat[bounds[i]:bounds[i + 1]] for i in range(len(chunks))]
    terms = json.loads((data / "terms.json").read_text(encoding="utf-8"))
    words = [terms[i] for i in np.load(data / "term_ids.npy").tolist()]
    offsets = np.load(data / "term_offsets.npy").tolist()
    bm25_terms = [words[offsets[r]:offsets[r + 1]] for r in range(len(chunks))]
    return (chunks, docs, np.load(data / "chunk_vectors.npy", mmap_mode="r"), spans,
            np.load(data / "sentence_vectors.npy", mmap_mode="r"), bm25_terms)


def manifest_for(chunks) -> dict:
    """The manifest a build writes (rag.index.build), with what the answerer reads at start: the chunks'
    roman-numeral counts (the other document frequencies come from the store's term statistics)."""
    from rag.index.build import roman_frequencies

    return {"synthetic": True, "n_chunks": len(chunks), "n_documents": 0, "embedding": {"model": "synthetic"},
            "roman_frequencies": roman_frequencies(chunks)}


# --- steps (each in its own process) ---------------------------------------------------------------------

def step_build(store: str, data: Path, where: str, schema: str) -> dict:
    t0 = time.perf_counter()
    chunks, docs, matrix, spans, sentences, bm25_terms = load_for_build(data)
    loaded = time.perf_counter() - t0
    load_peak = peak_mb()
    t1 = time.perf_counter()
    if store == "files":
        from rag.index.files_write import write_files_build

        folder = write_files_build(Path(where), chunks, docs, matrix, spans, sentences, manifest_for(chunks),
                                   threads=2, bm25_terms=bm25_terms)
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        detail = {}
    else:
        from rag.index.postgres.store import PostgresStore

        with PostgresStore(where, schema=schema) as st:
            detail = st.replace_index(chunks, matrix, sentence_spans=spans, sentence_vectors=sentences, documents=docs,
                                      manifest=manifest_for(chunks), bm25_terms=bm25_terms,
                                      maintenance_work_mem="3GB", parallel_workers=1)
            with st.connection() as conn:
                size = conn.execute("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
                                    "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r', 'm')",
                                    [f"{schema}_g{detail['generation']}"]).fetchone()[0]
    return {"load_input_s": round(loaded, 1), "build_s": round(time.perf_counter() - t1, 1), "size_mb": round(size / 2**20),
            "peak_rss_mb": round(peak_mb()), "input_peak_rss_mb": round(load_peak), "detail": detail}


class LookedUpQueries:
    """The embedder face the retriever needs: query vectors of the synthetic questions, looked up."""

    def __init__(self, queries: list[str], vectors: np.ndarray):
        self.vectors = dict(zip(queries, vectors))

    def encode_query(self, text: str) -> np.ndarray:
        if text in self.vectors:
            return self.vectors[text]
        # the retriever took a phrase naming a source out of the question ("... selon <document> ?"): the
        # vector is the one of the question it came from
        words = set(text.replace("?", " ").split())
        return next(v for q, v in self.vectors.items() if words <= set(q.replace("?", " ").split()))


def step_query(store: str, data: Path, where: str, schema: str, n_queries: int) -> dict:
    from rag.retrieval.retriever import Retriever
    from rag.settings import load_settings

    base = rss_mb()
    t0 = time.perf_counter()
    if store == "files":
        from rag.index.store import open_index

        settings = load_settings(store="files", index_dir=where)
        index = open_index(settings)
    else:
        from rag.index.postgres.store import PostgresStore

        settings = load_settings(store="postgres", database_url=where, database_schema=schema)
        index = PostgresStore(where, schema=schema).require_index()
    open_s = time.perf_counter() - t0
    queries = [json.loads(line) for line in (data / "queries.jsonl").read_text(encoding="utf-8").splitlines()][:n_queries]
    vectors = np.load(data / "query_vectors.npy")
    retriever = Retriever(index, settings, LookedUpQueries([q["query"] for q in queries], vectors))
    for q in queries[:20]:  # warm-up: first touches of memory and buffers
        retriever.search(q["query"], k=5, mode="hybrid")
    latency, filtered, results = [], [], {}
    for q in queries:
        t = time.perf_counter()
        passages = retriever.search(q["query"], k=5, mode="hybrid")
        latency.append((time.perf_counter() - t) * 1000)
        results[q["query"]] = [p.chunk_id for p in passages]
    docs = [d["doc_id"] for d in index.docs]
    for i, q in enumerate(queries[:100]):
        t = time.perf_counter()
        retriever.search(q["query"], k=5, mode="hybrid", doc_ids=[docs[i % len(docs)]])
        filtered.append((time.perf_counter() - t) * 1000)
    hit = sum(1 for q in queries if _chunk_row(index, results[q["query"]], q["target"])) / len(queries)
    serving_rss = rss_mb()  # the app's searches only: the exact reference below reads every sentence vector
    # The extractive answerer reads its vocabulary (every term's document frequency) when it starts: from the
    # store's term statistics, as with an index `rag index` built: the app's start and memory with it.
    from rag.answer.extractive import ExtractiveAnswerer

    t = time.perf_counter()
    ExtractiveAnswerer(index, None, settings)
    answerer = {"answerer_init_s": round(time.perf_counter() - t, 1), "rss_with_answerer_mb": round(rss_mb())}
    if store == "files" and index.moments is not None and index.n_chunks <= EXACT_UP_TO:
        # the reference: every row scored exactly (the files store's small-index path), to measure what the
        # large-index paths of both stores (HNSW, sampled statistics, MaxScore) change in the top 5
        index.moments = None
        exact = {q["query"]: [p.chunk_id for p in retriever.search(q["query"], k=5, mode="hybrid")] for q in queries}
        (data / "results-exact.json").write_text(json.dumps(exact), encoding="utf-8")
    keyword = getattr(index, "generation", None) and index.generation.cache.get("keyword")  # MaxScore's exact share
    return {"bm25_top_exact": keyword, **answerer, "open_s": round(open_s, 1), "p50_ms": round(statistics.median(latency), 1), "p95_ms": round(percentile(latency, 95), 1),
            "filtered_p50_ms": round(statistics.median(filtered), 1), "filtered_p95_ms": round(percentile(filtered, 95), 1),
            "rss_mb": round(serving_rss), "rss_before_open_mb": round(base), "peak_rss_mb": round(peak_mb()),
            "target_in_top5": round(hit, 3), "results": results}


def _chunk_row(index, chunk_ids: list[str], target: int) -> bool:
    return any(index.row_of(c) == target for c in chunk_ids)


def run_step(args: list[str]) -> dict:
    """One step in a child process (its own peak memory), at lower priority: the machine is shared."""
    proc = subprocess.run(["nice", "-n", "10", sys.executable, __file__, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip()[-3000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--stores", nargs="+", default=["files", "postgres"], choices=["files", "postgres"])
    ap.add_argument("--database-url", default=os.environ.get("RAG_DATABASE_URL"))
    ap.add_argument("--work", type=Path, default=Path("/tmp/rag-scale"))
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the built indexes and the data")
    ap.add_argument("--query-only", action="store_true", help="search the indexes built by an earlier --keep run")
    ap.add_argument("--step", nargs="+", help=argparse.SUPPRESS)  # internal: one step in a child process
    args = ap.parse_args()
    if args.step:
        kind, *rest = args.step
        if kind == "generate":
            generate(int(rest[0]), Path(rest[1]))
            check_terms(Path(rest[1]))
            result = json.loads((Path(rest[1]) / "info.json").read_text()) | {"peak_rss_mb": round(peak_mb())}
        elif kind == "build":
            result = step_build(rest[0], Path(rest[1]), rest[2], rest[3])
        else:
            result = step_query(rest[0], Path(rest[1]), rest[2], rest[3], int(rest[4]))
            # kept beside the data: the other store's run, even a later one, is compared with it
            (Path(rest[1]) / f"results-{rest[0]}.json").write_text(json.dumps(result.pop("results")), encoding="utf-8")
        print(json.dumps(result))
        return 0
    if "postgres" in args.stores and not args.database_url:
        ap.error("--database-url (or RAG_DATABASE_URL) is needed for the postgres store")
    report: dict = {}
    for n in args.sizes:
        data = args.work / f"data-{n}"
        entry = report[str(n)] = {}
        if not (data / "info.json").exists():
            entry["generate"] = run_step(["--step", "generate", str(n), str(data)])
        entry["data"] = json.loads((data / "info.json").read_text())
        for store in args.stores:
            where = str(args.work / f"files-{n}") if store == "files" else args.database_url
            schema = f"scale_{n}"
            entry[store] = {} if args.query_only else {"build": run_step(["--step", "build", store, str(data), where, schema])}
            entry[store]["query"] = run_step(["--step", "query", store, str(data), where, schema, str(args.queries)])
            print(json.dumps({n: {store: entry[store]}}), flush=True)
        # share of the top 5 shared with the reference (exact scoring of every row, or the files store's)
        reference = data / "results-exact.json" if (data / "results-exact.json").exists() else data / "results-files.json"
        for store in ("files", "postgres"):
            mine = data / f"results-{store}.json"
            if reference.exists() and mine.exists() and mine != reference:
                a, b = (json.loads(f.read_text(encoding="utf-8")) for f in (reference, mine))
                common = [q for q in a if q in b]
                entry[f"{store}_top5_agreement_with_{reference.stem.split('-')[1]}"] = round(
                    sum(len(set(a[q]) & set(b[q])) for q in common) / (5 * len(common)), 3)
        if not args.keep:
            shutil.rmtree(args.work / f"files-{n}", ignore_errors=True)
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
