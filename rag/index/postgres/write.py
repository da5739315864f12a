"""Writing one build (a generation) of the PostgreSQL store, in one transaction.

COPY (binary) of chunks, sentences, documents and analysed terms into a new schema, then the BM25
postings and the indexes, then the pointer row moves to it: a build that fails or is killed rolls back
whole, and readers keep the previous generation meanwhile (COPY into new tables blocks nobody). The
generation before the new one is kept for searches that started on it; older ones are dropped.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from rag.index.cache import text_key
from rag.index.postgres.schema import GENERATION_DDL, IMPACT_DDL, LAYOUT, POSTINGS_DDL, SAMPLE_DDL, VIEWS, VectorTypes
from rag.index.statistics import KEYWORD_SAMPLE, SAMPLE_SIZE, sample_rows, vector_moments
from rag.text.analysis import analyze

# Searches allowed at most this many rows score every row, as the files store does (a dense scan costs the
# server ~1-2 us per row, and every score crosses the wire: 10k rows take 20-40 ms on 2 busy cores); above,
# candidates come from HNSW and impact-ordered postings, with z-score statistics from a fixed sample of rows.
EXACT_BELOW = 2_000


def bm25_text(chunk: dict[str, Any]) -> str:
    """As rag.index.files_write.bm25_text: the heading adds the section's words to every chunk under it."""
    heading, text = chunk.get("heading"), chunk["text"]
    return f"{heading}\n{text}" if heading and heading not in text else text


def write_generation(conn: psycopg.Connection, schema: str, types: VectorTypes, chunks: Sequence[Any], chunk_vectors,
                     *, sentence_spans: Sequence[Sequence[tuple[int, int]]] = (), sentence_vectors=None,
                     documents: Sequence[dict[str, Any]] = (), manifest: dict[str, Any] | None = None,
                     chunk_keys: Sequence[str] | None = None, sentence_keys: Sequence[str] | None = None,
                     bm25_terms: Sequence[list[str]] | None = None, k1: float = 1.5, b: float = 0.75, m: int = 16,
                     ef_construction: int = 64, exact_below: int = EXACT_BELOW, sample_size: int = SAMPLE_SIZE,
                     maintenance_work_mem: str = "256MB", parallel_workers: int | None = None) -> dict[str, Any]:
    """Write a new generation and make it current; returns {"generation", "n_chunks", "n_sentences", "seconds"}.

    `chunks`: rag.schema.Chunk objects (or their to_json() dicts) in row order, a document's chunks on
    consecutive rows; row i has vector chunk_vectors[i] (any array-like, a memmap too). `sentence_spans[i]`:
    (start, end) of chunk i's sentences, whose vectors follow one another in `sentence_vectors`.
    `chunk_keys` / `sentence_keys`: text_key of the text each vector embeds (default: the chunk or sentence
    text). `bm25_terms[i]`: chunk i's analysed terms (default: analyze(heading + text)). `maintenance_work_mem`
    (also the build's work_mem) is server memory for the postings' sort and the index builds: the default
    suits a small managed instance; a million chunks build faster with a few GB (scripts/bench_scale.py: 3GB).
    """
    n = len(chunks)
    if n == 0:
        raise ValueError("an index needs at least one chunk")
    if len(chunk_vectors) != n:
        raise ValueError(f"{n} chunks but {len(chunk_vectors)} chunk vectors")
    dim = int(np.asarray(chunk_vectors[0]).shape[-1])
    spans = [list(sp) for sp in sentence_spans] if len(sentence_spans) else [[] for _ in range(n)]
    n_sent = sum(len(sp) for sp in spans)
    if sentence_vectors is None and n_sent or sentence_vectors is not None and len(sentence_vectors) != n_sent:
        raise ValueError("sentence_spans and sentence_vectors disagree on the number of sentences")
    s = sql.Identifier(schema)
    t = [time.perf_counter()]
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{schema}:write"])
        conn.execute("SELECT set_config('maintenance_work_mem', %s, true)", [maintenance_work_mem])
        # the postings are one sort and one window over every (term, chunk): in memory rather than on disk
        conn.execute("SELECT set_config('work_mem', %s, true)", [maintenance_work_mem])
        if parallel_workers is not None:  # HNSW and btree builds in parallel (they share maintenance_work_mem)
            conn.execute("SELECT set_config('max_parallel_maintenance_workers', %s, true)", [str(parallel_workers)])
        q = lambda text: sql.SQL(text).format(s=s)  # noqa: E731
        gen = conn.execute(q("SELECT coalesce(max(gen), 0) + 1 FROM {s}.generations")).fetchone()[0]
        g = sql.Identifier(f"{schema}_g{gen}")
        fmt = {"g": g.as_string(conn), "s": s.as_string(conn), "dim": dim}
        conn.execute(GENERATION_DDL.format(**fmt))
        rows = _copy_rows(conn, g, types, chunks, chunk_vectors, chunk_keys, spans, sentence_vectors,
                          sentence_keys, bm25_terms, documents)
        t.append(time.perf_counter())
        conn.execute(sql.SQL("INSERT INTO {}.moments VALUES (%s, %s)").format(g), [dim, vector_moments(chunk_vectors).tobytes()])
        avgdl = conn.execute("SELECT coalesce(avg(greatest(cardinality(terms), 1)), 1)::float8 FROM chunk_terms").fetchone()[0]
        conn.execute(POSTINGS_DDL.format(**fmt, n=n, m=int(m), efc=int(ef_construction), k1=float(k1), b=float(b), avgdl=avgdl))
        if n > exact_below:
            conn.execute(IMPACT_DDL.format(**fmt))
        sampled = n > KEYWORD_SAMPLE  # else the statistics read every row's postings
        if sampled:
            sample = sample_rows(n, KEYWORD_SAMPLE)
            with_previous = np.union1d(sample, sample[rows["continues"][sample]] - 1)  # for the section context
            for statement in SAMPLE_DDL.format(**fmt).split(";"):
                if statement.strip():
                    conn.execute(statement, {"sample": with_previous.tolist()})
        t.append(time.perf_counter())
        for name in (*VIEWS, *(("postings_sample",) if sampled else ())):
            conn.execute(sql.SQL("ANALYZE {}.{}").format(g, sql.Identifier(name)))
        params = {"layout": LAYOUT, "n": n, "dim": dim, "n_sentences": rows["n_sentences"], "k1": k1, "b": b, "avgdl": avgdl,
                  "method": "lucene", "exact_below": exact_below, "sample_size": sample_size, "keyword_sample": KEYWORD_SAMPLE, "hnsw": {"m": m, "ef_construction": ef_construction}}
        conn.execute(q("INSERT INTO {s}.generations (gen, manifest, params, continues) VALUES (%s, %s, %s, %s)"),
                     [gen, Jsonb(manifest or {}), Jsonb(params), np.packbits(rows["continues"]).tobytes()])
        previous = conn.execute(q("SELECT gen FROM {s}.current")).fetchone()
        conn.execute(q("INSERT INTO {s}.current (gen) VALUES (%s) ON CONFLICT (one) DO UPDATE SET gen = excluded.gen"), [gen])
        for name in VIEWS:  # for people reading the index with psql; the store itself reads the generation's tables
            conn.execute(sql.SQL("DROP VIEW IF EXISTS {s}.{v}; CREATE VIEW {s}.{v} AS SELECT * FROM {g}.{v}")
                         .format(s=s, v=sql.Identifier(name), g=g))
        keep = [gen] + ([previous[0]] if previous else [])
        for (old,) in conn.execute(q("SELECT gen FROM {s}.generations WHERE gen <> ALL(%s)"), [keep]).fetchall():
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(f"{schema}_g{old}")))
            conn.execute(q("DELETE FROM {s}.generations WHERE gen = %s"), [old])
    t.append(time.perf_counter())
    # outside the transaction: the visibility map lets BM25 read postings from their index alone
    conn.execute(sql.SQL("VACUUM (ANALYZE) {}.postings").format(g))
    t.append(time.perf_counter())
    seconds = dict(zip(("copy", "postings_and_indexes", "analyze_and_commit", "vacuum"), np.diff(t).round(3).tolist()))
    return {"generation": gen, "n_chunks": n, "n_sentences": rows["n_sentences"], "dimension": dim, "seconds": seconds}


def _copy_rows(conn, g, types, chunks, vectors, chunk_keys, spans, sent, sentence_keys, bm25_terms, documents) -> dict[str, Any]:
    """COPY every row; returns {"continues": bool per row (same section as the row before), "n_sentences"}."""
    cur = conn.cursor()
    n = len(chunks)
    ranges: dict[str, list[int]] = {}
    continues = np.zeros(n, dtype=bool)
    previous: dict[str, Any] | None = None
    with cur.copy(sql.SQL("COPY {}.chunks (row_id, chunk_id, doc_id, title, text, char_start, char_end, heading, "
                          "n_tokens, metadata, embed_key, embedding) FROM STDIN (FORMAT BINARY)").format(g)) as copy:
        copy.set_types(["int4", "text", "text", "text", "text", "int4", "int4", "text", "int4", "jsonb", "text", types.vector])
        for row, chunk in enumerate(chunks):
            c = _as_dict(chunk)
            doc = c["doc_id"]
            if doc in ranges and ranges[doc][1] != row - 1:
                raise ValueError(f"the chunks of document {doc} are not on consecutive rows (row {row})")
            ranges.setdefault(doc, [row, row])[1] = row
            continues[row] = previous is not None and previous["doc_id"] == doc and previous.get("heading") == c.get("heading")
            previous = c
            key = chunk_keys[row] if chunk_keys is not None else text_key(c["text"])
            copy.write_row((row, c["chunk_id"], doc, c["title"], c["text"], c["start"], c["end"], c.get("heading"),
                            c.get("n_tokens", 0), Jsonb(c.get("metadata") or {}), key, np.asarray(vectors[row], np.float32)))
    with cur.copy("COPY chunk_terms FROM STDIN (FORMAT BINARY)") as copy:  # one COPY at a time on a connection
        copy.set_types(["int4", "text[]"])
        for row, chunk in enumerate(chunks):
            terms = list(bm25_terms[row]) if bm25_terms is not None else analyze(bm25_text(_as_dict(chunk)))
            copy.write_row((row, terms or [""]))  # bm25s indexes a chunk without terms as [""]: length 1
    k = 0
    with cur.copy(sql.SQL("COPY {}.sentences FROM STDIN (FORMAT BINARY)").format(g)) as copy:
        copy.set_types(["int4", "int4", "int4", "int4", "text", types.halfvec])
        for row, sp in enumerate(spans):
            text = _as_dict(chunks[row])["text"] if sp and sentence_keys is None else ""
            for i, (a, b) in enumerate(sp):
                key = sentence_keys[k] if sentence_keys is not None else text_key(text[a:b])
                copy.write_row((row, i, a, b, key, np.asarray(sent[k], np.float32)))
                k += 1
    sentences_per_doc = {doc: sum(len(spans[r]) for r in range(lo, hi + 1)) for doc, (lo, hi) in ranges.items()}
    with cur.copy(sql.SQL("COPY {}.documents FROM STDIN (FORMAT BINARY)").format(g)) as copy:
        copy.set_types(["text", "int4", "int4", "int4", "int4", "int4", "jsonb", "text"])
        listed = {d["doc_id"] for d in documents}
        extra = [{"doc_id": doc} for doc in ranges if doc not in listed]  # a chunk's document is always listed
        for order, d in enumerate([*documents, *extra]):
            lo, hi = ranges.get(d["doc_id"], (0, -1))
            meta = {key: v for key, v in d.items() if key not in ("doc_id", "text", "n_chunks")}
            copy.write_row((d["doc_id"], order, lo, hi, hi - lo + 1, sentences_per_doc.get(d["doc_id"], 0), Jsonb(meta),
                            d.get("text", "")))
    return {"continues": continues, "n_sentences": k}


def _as_dict(chunk: Any) -> dict[str, Any]:
    return chunk.to_json() if hasattr(chunk, "to_json") else chunk

