"""An optional PostgreSQL + pgvector store for the index (psycopg 3 + psycopg_pool).

Layout, in schema `rag` (the `schema` argument):
    rag.schema_version       migrations applied (MIGRATIONS, in order, each once)
    rag.generations          one row per build: manifest (jsonb) and BM25 statistics
    rag.current              the pointer row: the generation being served
    rag_g<N>.*               one schema per build: chunks, sentences, postings, terms, documents
    rag.chunks, rag.sentences, rag.postings, rag.terms, rag.documents: views on the current generation

`replace_index` writes a whole new generation (COPY, then the indexes) and repoints the views and the
pointer row in the same transaction: a build that fails or is killed rolls back whole and the previous
generation keeps serving. The generation before the current one is kept for slow readers and dropped by
the next build.

Scores: dense = inner product of normalised vectors (cosine), HNSW (vector_ip_ops) with iterative scans;
a document filter over few rows is scanned exactly. bm25 = bm25s' default ("lucene": idf
ln(1 + (N - df + 0.5)/(df + 0.5)) times tf / (tf + k1 (1 - b + b dl/avgdl)), k1 1.5, b 0.75) over the terms
of rag.analysis.analyze: postings (term, row, tf, dl, weight), the weight computed at build as bm25s does,
so scores equal the files store's. fulltext = ts_rank_cd over to_tsvector('french', fold(text)), accents
folded before stemming (no `unaccent` needed).
"""

from __future__ import annotations

import re
import struct
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

try:  # the package is being reorganised: rag.analysis moved to rag.text.analysis
    from .text.analysis import analyze
except ImportError:  # pragma: no cover
    from .analysis import analyze
from .errors import IndexMissingError, RagError

_ACCENTED = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝŸ"
_PLAIN = "aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUYY"
_VIEWS = ("chunks", "sentences", "postings", "terms", "documents")

# Each migration is (description, SQL); {s} is the schema. Never edit one that has shipped: append.
MIGRATIONS: list[tuple[str, str]] = [
    ("generations, pointer row, accent folding", f"""
CREATE TABLE {{s}}.generations (gen int PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
    manifest jsonb NOT NULL, bm25 jsonb NOT NULL);
CREATE TABLE {{s}}.current (one bool PRIMARY KEY DEFAULT true CHECK (one), gen int NOT NULL);
CREATE FUNCTION {{s}}.fold(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN replace(replace(replace(replace(translate(t, '{_ACCENTED}', '{_PLAIN}'),
        'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE');
CREATE FUNCTION {{s}}.fts_text(heading text, body text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN heading IS NOT NULL AND strpos(body, heading) = 0 THEN heading || E'\\n' || body ELSE body END;
"""),
]

_GENERATION_DDL = """
CREATE SCHEMA {g};
CREATE TABLE {g}.chunks (row_id int PRIMARY KEY, chunk_id text NOT NULL, doc_id text NOT NULL, title text NOT NULL,
    text text NOT NULL, char_start int NOT NULL, char_end int NOT NULL, heading text, n_tokens int NOT NULL,
    metadata jsonb NOT NULL, embedding vector({dim}) NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('french'::regconfig, {s}.fold({s}.fts_text(heading, text)))) STORED);
ALTER TABLE {g}.chunks ALTER COLUMN embedding SET STORAGE PLAIN;
CREATE TABLE {g}.sentences (chunk_row int NOT NULL, idx int NOT NULL, char_start int NOT NULL, char_end int NOT NULL,
    doc_id text NOT NULL, embedding vector({dim}) NOT NULL, PRIMARY KEY (chunk_row, idx));
ALTER TABLE {g}.sentences ALTER COLUMN embedding SET STORAGE PLAIN;
CREATE TABLE {g}.documents (doc_id text PRIMARY KEY, n_chunks int NOT NULL, n_sentences int NOT NULL,
    metadata jsonb NOT NULL, text text NOT NULL);
CREATE TEMP TABLE chunk_terms (row_id int, terms text[]) ON COMMIT DROP;
"""
_GENERATION_INDEXES = """
CREATE TABLE {g}.postings AS SELECT term, row_id, tf, dl, df,
    (ln(1 + ({n} - df + 0.5) / (df + 0.5)) * tf / (tf + {k1} * (1 - {b} + {b} * dl / {avgdl})))::real AS weight
  FROM (SELECT *, count(*) OVER (PARTITION BY term)::float8 AS df FROM (
    SELECT t.term COLLATE "C" AS term, c.row_id, count(*)::int AS tf, greatest(cardinality(c.terms), 1) AS dl
    FROM chunk_terms c, unnest(c.terms) AS t(term) GROUP BY 1, 2, 4) x) y ORDER BY 1, 2;
CREATE INDEX ON {g}.postings (term) INCLUDE (row_id, weight);
CREATE TABLE {g}.terms AS SELECT term, min(df)::int AS df, ln(1 + ({n} - min(df) + 0.5) / (min(df) + 0.5)) AS idf
    FROM {g}.postings GROUP BY term;
ALTER TABLE {g}.postings DROP COLUMN df;
ALTER TABLE {g}.terms ADD PRIMARY KEY (term);
CREATE INDEX ON {g}.chunks (doc_id);
CREATE INDEX ON {g}.sentences (doc_id);
CREATE INDEX ON {g}.chunks USING gin (tsv);
CREATE INDEX ON {g}.chunks USING hnsw (embedding vector_ip_ops) WITH (m = {m}, ef_construction = {efc});
"""


class StoreError(RagError):
    """The PostgreSQL store cannot be used (server unreachable, pgvector missing, schema too new)."""


class _VectorDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: Any) -> bytes:
        a = np.asarray(obj, dtype=">f4").ravel()
        return struct.pack(">HH", a.size, 0) + a.tobytes()


class _VectorLoader(Loader):
    format = Format.BINARY

    def load(self, data) -> np.ndarray:
        dim = struct.unpack_from(">H", data)[0]
        return np.frombuffer(bytes(data), dtype=">f4", count=dim, offset=4).astype(np.float32)


def _unreachable(url: str, exc: BaseException) -> StoreError:
    """The one-line error for a server that cannot be reached (the URL's password is never shown)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
        where = f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
    except psycopg.ProgrammingError:
        where = "the configured server"
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return StoreError(f"PostgreSQL unreachable at {where} ({reason}): check RAG_DATABASE_URL and that the server is running.")


class PostgresStore:
    """Chunks, sentence and chunk vectors, BM25 postings and French full text in PostgreSQL."""

    def __init__(self, url: str, pool_size: int = 4, schema: str = "rag", *, ef_search: int = 100,
                 exact_below: int = 20000, connect_timeout: int = 5):
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", schema):
            raise StoreError(f"invalid schema name {schema!r}: use lower-case letters, digits and _")
        self.schema, self.ef_search, self.exact_below = schema, ef_search, exact_below
        self.s, self._url = sql.Identifier(schema), url
        # prepare_threshold=None: psycopg would prepare a query run 5 times, whose plan then ignores SET enable_*.
        kwargs = {"autocommit": True, "prepare_threshold": None, "connect_timeout": connect_timeout}
        try:
            conn = psycopg.connect(url, **kwargs)
        except psycopg.Error as exc:
            raise _unreachable(url, exc) from None
        with conn:
            self.vector_oid = conn.execute("SELECT to_regtype('vector')::oid").fetchone()[0]
            if self.vector_oid is None:
                available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
                raise StoreError(f"the pgvector extension is not enabled in database {conn.info.dbname}: run `CREATE EXTENSION "
                                 "vector;` in it as its owner or a superuser" + ("" if available else " (after installing pgvector on the server)") + ".")
            self._dumper = type("VectorDumper", (_VectorDumper,), {"oid": self.vector_oid})
            self._migrate(conn)
        self.pool = ConnectionPool(url, min_size=1, max_size=pool_size, kwargs=kwargs, configure=self._configure,
                                   open=True, name=f"rag-{schema}", timeout=max(connect_timeout, 10))

    # --- connections and schema -----------------------------------------------------------------------
    def _configure(self, conn: psycopg.Connection) -> None:
        conn.adapters.register_dumper(np.ndarray, self._dumper)
        conn.adapters.register_loader(self.vector_oid, _VectorLoader)
        # Session settings: every query of this store wants them. iterative_scan makes a filtered HNSW scan
        # go on until LIMIT rows pass the filter (relaxed_order: re-sorted in Python).
        conn.execute(f"SET hnsw.ef_search = {int(self.ef_search)}; SET hnsw.iterative_scan = relaxed_order")

    def _migrate(self, conn: psycopg.Connection) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{self.schema}:migrate"])
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {s}; CREATE TABLE IF NOT EXISTS {s}.schema_version "
                                 "(version int PRIMARY KEY, description text NOT NULL, "
                                 "applied_at timestamptz NOT NULL DEFAULT now())").format(s=self.s))
            version = conn.execute(sql.SQL("SELECT coalesce(max(version), 0) FROM {s}.schema_version")
                                   .format(s=self.s)).fetchone()[0]
            if version > len(MIGRATIONS):
                raise StoreError(f"the database schema {self.schema} is at version {version}, newer than this code "
                                 f"({len(MIGRATIONS)}): upgrade rag-hdf.")
            for number, (description, ddl) in enumerate(MIGRATIONS[version:], start=version + 1):
                conn.execute(ddl.replace("{s}", f'"{self.schema}"'))
                conn.execute(sql.SQL("INSERT INTO {s}.schema_version (version, description) VALUES (%s, %s)")
                             .format(s=self.s), [number, description])

    def schema_version(self) -> int:
        return self._one(sql.SQL("SELECT max(version) FROM {s}.schema_version").format(s=self.s))[0]

    def _run(self, query, params=None, binary: bool = False) -> list[tuple]:
        try:
            with self.pool.connection() as conn, conn.cursor(binary=binary) as cur:
                cur.execute(query, params)
                return cur.fetchall()
        except psycopg.errors.UndefinedTable:
            raise IndexMissingError(f"No index in PostgreSQL schema {self.schema} yet: run `rag index`.") from None
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise _unreachable(self._url, exc) from None

    def _one(self, query, params=None) -> tuple:
        rows = self._run(query, params)
        return rows[0] if rows else (None,)

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- build ----------------------------------------------------------------------------------------------
    def replace_index(self, chunks: Sequence[Any], chunk_vectors: np.ndarray,
                      sentence_spans: Sequence[Sequence[tuple[int, int]]] | None = None,
                      sentence_vectors: np.ndarray | None = None, documents: Sequence[dict[str, Any]] = (),
                      manifest: dict[str, Any] | None = None, *, bm25_terms: Sequence[list[str]] | None = None,
                      k1: float = 1.5, b: float = 0.75, m: int = 16, ef_construction: int = 64,
                      maintenance_work_mem: str = "1GB", parallel_workers: int | None = None) -> dict[str, Any]:
        """Replace the whole index in one transaction; returns {"generation", "n_chunks", ...}.

        `chunks`: rag.schema.Chunk objects (or their to_json() dicts), row i has vector chunk_vectors[i];
        `sentence_spans[i]`: (start, end) of chunk i's sentences, whose vectors follow one another in
        `sentence_vectors`; `bm25_terms[i]`: chunk i's analysed terms (default: analyze(heading + text)).
        k1 and b are fixed at build (as in bm25s); m and ef_construction are the HNSW parameters; the result's
        "seconds" times the phases (copy, postings and indexes, analyze and commit, vacuum)."""
        vectors = np.asarray(chunk_vectors, dtype=np.float32)
        dim = int(vectors.shape[1])
        spans = list(sentence_spans or [])
        sent = np.zeros((0, dim), np.float32) if sentence_vectors is None else np.asarray(sentence_vectors, np.float32)
        if spans and sum(len(sp) for sp in spans) != len(sent):
            raise ValueError("sentence_spans and sentence_vectors disagree on the number of sentences")
        t = [time.perf_counter()]
        with self.pool.connection() as conn:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{self.schema}:build"])
                conn.execute("SELECT set_config('maintenance_work_mem', %s, true)", [maintenance_work_mem])
                if parallel_workers is not None:  # HNSW builds in parallel (shared memory of maintenance_work_mem)
                    conn.execute("SELECT set_config('max_parallel_maintenance_workers', %s, true)", [str(parallel_workers)])
                q = lambda text: sql.SQL(text).format(s=self.s)  # noqa: E731
                gen = conn.execute(q("SELECT coalesce(max(gen), 0) + 1 FROM {s}.generations")).fetchone()[0]
                current = conn.execute(q("SELECT gen FROM {s}.current")).fetchone()
                for (old,) in conn.execute(q("SELECT gen FROM {s}.generations WHERE gen <> %s"), [current[0] if current else -1]).fetchall():
                    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(self._gen_schema(old)))
                    conn.execute(q("DELETE FROM {s}.generations WHERE gen = %s"), [old])
                g = self._gen_schema(gen)
                fmt = {"g": g.as_string(conn), "s": self.s.as_string(conn), "dim": dim}
                conn.execute(_GENERATION_DDL.format(**fmt))
                n_sent = self._copy_rows(conn, g, chunks, vectors, spans, sent, bm25_terms, documents)
                n = len(vectors)
                t.append(time.perf_counter())
                avgdl = conn.execute("SELECT coalesce(avg(greatest(cardinality(terms), 1)), 1)::float8 FROM chunk_terms").fetchone()[0]
                conn.execute(_GENERATION_INDEXES.format(**fmt, n=n, m=int(m), efc=int(ef_construction), k1=float(k1), b=float(b), avgdl=avgdl))
                if len(sent):
                    conn.execute(sql.SQL("CREATE INDEX ON {}.sentences USING hnsw (embedding vector_ip_ops) "
                                         "WITH (m = {}, ef_construction = {})").format(g, sql.Literal(m), sql.Literal(ef_construction)))
                t.append(time.perf_counter())
                for name in _VIEWS:
                    conn.execute(sql.SQL("ANALYZE {}.{}").format(g, sql.Identifier(name)))
                bm25 = {"k1": k1, "b": b, "avgdl": avgdl, "n": n, "method": "lucene"}
                conn.execute(q("INSERT INTO {s}.generations (gen, manifest, bm25) VALUES (%s, %s, %s)"),
                             [gen, Jsonb(manifest or {}), Jsonb(bm25)])
                # Last: the views' locks are held only until the commit just below. A migration that changes the
                # generation tables' columns must drop these views (CREATE OR REPLACE keeps the column list).
                for name in _VIEWS:
                    conn.execute(sql.SQL("CREATE OR REPLACE VIEW {s}.{v} AS SELECT * FROM {g}.{v}")
                                 .format(s=self.s, v=sql.Identifier(name), g=g))
                conn.execute(q("INSERT INTO {s}.current (gen) VALUES (%s) ON CONFLICT (one) DO UPDATE SET gen = excluded.gen"), [gen])
            t.append(time.perf_counter())
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}.postings").format(g))  # visibility map: index-only scans
        t.append(time.perf_counter())
        seconds = dict(zip(("copy", "postings_and_indexes", "analyze_and_commit", "vacuum"), np.diff(t).round(3).tolist()))
        return {"generation": gen, "n_chunks": len(vectors), "n_sentences": n_sent, "dimension": dim, "seconds": seconds}

    def _gen_schema(self, gen: int) -> sql.Identifier:
        return sql.Identifier(f"{self.schema}_g{int(gen)}")

    def _copy_rows(self, conn, g, chunks, vectors, spans, sent, bm25_terms, documents) -> int:
        cur = conn.cursor()
        counts: dict[str, list[int]] = {}
        doc_of, terms_of = [], []
        with cur.copy(sql.SQL("COPY {}.chunks (row_id, chunk_id, doc_id, title, text, char_start, char_end, heading, "
                              "n_tokens, metadata, embedding) FROM STDIN (FORMAT BINARY)").format(g)) as copy:
            copy.set_types(["int4", "text", "text", "text", "text", "int4", "int4", "text", "int4", "jsonb", self.vector_oid])
            for row, c in _chunk_records(chunks, vectors):
                copy.write_row((row, c["chunk_id"], c["doc_id"], c["title"], c["text"], c["start"], c["end"], c.get("heading"),
                                c.get("n_tokens", 0), Jsonb(c.get("metadata") or {}), vectors[row]))
                per_doc = counts.setdefault(c["doc_id"], [0, 0])
                per_doc[0] += 1
                per_doc[1] += len(spans[row]) if spans else 0
                doc_of.append(c["doc_id"])
                terms_of.append(list(bm25_terms[row]) if bm25_terms is not None else analyze(_bm25_text(c)))
        k = 0
        with cur.copy(sql.SQL("COPY {}.sentences FROM STDIN (FORMAT BINARY)").format(g)) as copy:
            copy.set_types(["int4", "int4", "int4", "int4", "text", self.vector_oid])
            for row, sp in enumerate(spans):
                for i, (a, b) in enumerate(sp):
                    copy.write_row((row, i, a, b, doc_of[row], sent[k]))
                    k += 1
        with cur.copy("COPY chunk_terms FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "text[]"])
            for row, terms in enumerate(terms_of):
                copy.write_row((row, terms or [""]))  # bm25s indexes an empty chunk as [""]: length 1
        with cur.copy(sql.SQL("COPY {}.documents FROM STDIN (FORMAT BINARY)").format(g)) as copy:
            copy.set_types(["text", "int4", "int4", "jsonb", "text"])
            for d in documents:
                n_chunks, n_sent = counts.get(d["doc_id"], (0, 0))
                meta = {key: v for key, v in d.items() if key not in ("doc_id", "text")}
                copy.write_row((d["doc_id"], n_chunks, n_sent, Jsonb(meta), d.get("text", "")))
        return k

    # --- queries --------------------------------------------------------------------------------------------
    def _exact(self, doc_ids: Sequence[str] | None, column: str) -> bool:
        """Scan a document filter exactly when it keeps few rows (HNSW would visit many rows to find them)."""
        if not doc_ids:
            return False
        total = self._one(sql.SQL("SELECT sum({}) FROM {}.documents WHERE doc_id = ANY(%s)")
                          .format(sql.Identifier(column), self.s), [list(doc_ids)])[0]
        return (total or 0) <= self.exact_below

    def dense(self, query_vec: np.ndarray, n: int, doc_ids: Sequence[str] | None = None,
              unit: str = "sentence") -> list[tuple[int, float]]:
        """Top-n (row, cosine) by the chunk vector (unit="chunk") or the chunk's best sentence (unit="sentence",
        the files store's default; chunk vectors when the index has no sentence vectors)."""
        params = {"q": np.asarray(query_vec, dtype=np.float32), "docs": list(doc_ids or []), "n": n}
        filt = sql.SQL("WHERE doc_id = ANY(%(docs)s)" if doc_ids else "")
        exact = self._exact(doc_ids, "n_sentences" if unit == "sentence" else "n_chunks")
        # "+ 0": an ORDER BY the HNSW index cannot serve, so the (few) filtered rows are scanned exactly.
        order = sql.SQL("(embedding <#> %(q)s) + 0" if exact else "embedding <#> %(q)s")
        if unit == "sentence":  # best sentence per chunk: widen the sentence list until it covers n chunks
            limit = 4 * n
            while True:
                got = self._run(sql.SQL("SELECT chunk_row, -(embedding <#> %(q)s) FROM {}.sentences {} ORDER BY {} LIMIT %(m)s")
                                .format(self.s, filt, order), {**params, "m": limit})
                best: dict[int, float] = {}
                for r, score in got:
                    best[r] = max(score, best.get(r, -2.0))
                if len(best) >= n or len(got) < limit:
                    break
                limit *= 4
            if best:
                return sorted(best.items(), key=lambda t: (-t[1], t[0]))[:n]
        rows = self._run(sql.SQL("SELECT row_id, -(embedding <#> %(q)s) FROM {}.chunks {} ORDER BY {} LIMIT %(n)s")
                         .format(self.s, filt, order), params)
        return sorted(((int(r), float(s)) for r, s in rows), key=lambda t: (-t[1], t[0]))  # relaxed_order: re-sort

    def bm25(self, terms: Sequence[str] | str, n: int, doc_ids: Sequence[str] | None = None) -> list[tuple[int, float]]:
        """Top-n (row, BM25 score) for analysed `terms` (a string is analysed); rows scoring 0 are left out.
        A repeated term counts once per occurrence, as in bm25s. Each posting's weight (idf times the
        saturated tf) is computed at build with the build's k1 and b, as bm25s does."""
        terms = analyze(terms) if isinstance(terms, str) else list(terms)
        if not terms:
            return []
        filt = sql.SQL("WHERE p.row_id IN (SELECT row_id FROM {}.chunks WHERE doc_id = ANY(%(docs)s))").format(self.s) if doc_ids else sql.SQL("")
        rows = self._run(sql.SQL("""
            WITH q AS (SELECT term COLLATE "C" AS term, count(*) AS qtf FROM unnest(%(terms)s::text[]) AS term GROUP BY 1)
            SELECT p.row_id, sum(q.qtf * p.weight::float8) AS score FROM q JOIN {s}.postings p ON p.term = q.term {filt}
            GROUP BY p.row_id ORDER BY score DESC, p.row_id LIMIT %(n)s""").format(s=self.s, filt=filt),
                         {"terms": terms, "n": n, "docs": list(doc_ids or [])})
        return [(int(r), float(s)) for r, s in rows if s > 0]

    def fulltext(self, text: str, n: int, doc_ids: Sequence[str] | None = None, match: str = "any") -> list[tuple[int, float]]:
        """Top-n (row, ts_rank_cd) of PostgreSQL's French full text; match="any" ORs the words, "all" ANDs them."""
        tsq = "plainto_tsquery('french', {s}.fold(%(text)s))"
        if match == "any":
            tsq = f"replace({tsq}::text, '&', '|')::tsquery"
        filt = sql.SQL("AND c.doc_id = ANY(%(docs)s)" if doc_ids else "")
        rows = self._run(sql.SQL("SELECT c.row_id, ts_rank_cd(c.tsv, x.q)::float8 AS score FROM {s}.chunks c, (SELECT " + tsq +
                                 " AS q) x WHERE c.tsv @@ x.q {filt} ORDER BY score DESC, c.row_id LIMIT %(n)s").format(s=self.s, filt=filt),
                         {"text": text, "n": n, "docs": list(doc_ids or [])})
        return [(int(r), float(s)) for r, s in rows]

    def chunks(self, rows: Sequence[int]) -> list[dict[str, Any]]:
        """The chunks of `rows`, in that order, as rag.schema.Chunk.to_json() dicts plus "row"."""
        got = self._run(sql.SQL("SELECT row_id, chunk_id, doc_id, title, text, char_start, char_end, heading, n_tokens, "
                                "metadata FROM {}.chunks WHERE row_id = ANY(%s)").format(self.s), [list(map(int, rows))])
        keys = ("row", "chunk_id", "doc_id", "title", "text", "start", "end", "heading", "n_tokens", "metadata")
        by_row = {r[0]: dict(zip(keys, r)) for r in got}
        return [by_row[r] for r in rows if r in by_row]

    def sentences(self, row: int) -> tuple[list[tuple[int, int]], np.ndarray]:
        """(start, end) spans and vectors of chunk `row`'s sentences."""
        got = self._run(sql.SQL("SELECT char_start, char_end, embedding FROM {}.sentences WHERE chunk_row = %s ORDER BY idx")
                        .format(self.s), [int(row)], binary=True)
        return [(a, b) for a, b, _ in got], (np.stack([v for *_, v in got]) if got else np.zeros((0, 0), np.float32))

    def documents(self) -> list[dict[str, Any]]:
        return [{"doc_id": d, "n_chunks": n, **meta} for d, n, meta in self._run(
            sql.SQL("SELECT doc_id, n_chunks, metadata FROM {}.documents ORDER BY doc_id").format(self.s))]

    def manifest(self) -> dict[str, Any]:
        got = self._one(sql.SQL("SELECT manifest FROM {s}.generations JOIN {s}.current USING (gen)").format(s=self.s))[0]
        if got is None:
            raise IndexMissingError(f"No index in PostgreSQL schema {self.schema} yet: run `rag index`.")
        return got


def _bm25_text(c: dict[str, Any]) -> str:
    """As rag.index.bm25_text: the heading adds the section's words to every chunk under it."""
    heading, text = c.get("heading"), c["text"]
    return f"{heading}\n{text}" if heading and heading not in text else text


def _chunk_records(chunks: Sequence[Any], vectors: np.ndarray):
    """(row, chunk as a dict) in row order."""
    if len(chunks) != len(vectors):
        raise ValueError(f"{len(chunks)} chunks but {len(vectors)} chunk vectors")
    for row, c in enumerate(chunks):
        yield row, (c.to_json() if hasattr(c, "to_json") else c)
