"""Tables of the PostgreSQL store, their versioned migrations, and connections (psycopg 3).

In the store's schema (`RAG_DATABASE_SCHEMA`, default `rag`):
    schema_version      migrations applied (MIGRATIONS, in order, each once, under an advisory lock)
    generations         one row per build: manifest, search parameters, section continuity bitmap
    current             the pointer row: the generation being served
    <schema>_g<N>.*     one schema per build: chunks, sentences, documents, postings, terms (GENERATION_DDL)
    chunks, sentences, documents, postings, terms: views on the current generation, for people with psql

A build writes a whole generation and moves the pointer in one transaction (rag.index.postgres.write);
readers read the pointer once per search and query that generation's tables, so a reader never mixes two
builds and a killed build leaves nothing behind but a rolled-back transaction.
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

import numpy as np
import psycopg
from psycopg import sql
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format

from rag.errors import RagError

VIEWS = ("chunks", "sentences", "documents", "postings", "terms")
LAYOUT = 3  # the generation tables' layout: a generation written with another one is rebuilt, never read

# Each migration is (description, SQL); {s} is the quoted schema. Never edit one that has shipped: append.
MIGRATIONS: list[tuple[str, str]] = [
    ("generations and the pointer row", """
CREATE TABLE {s}.generations (gen int PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
    manifest jsonb NOT NULL, params jsonb NOT NULL, continues bytea NOT NULL);
CREATE TABLE {s}.current (one bool PRIMARY KEY DEFAULT true CHECK (one), gen int NOT NULL);
"""),
]

# One build's tables. Rows are the chunks in index order; a document's chunks are consecutive rows
# (row_lo..row_hi), so a document filter is a row range. Sentence vectors are half precision (halfvec): there
# are ~8-12 per chunk, so they are most of the store (a row of 384 floats takes ~2 KB with its page's slack, of
# halves ~0.9 KB: the sentences of a million chunks take ~11 GB instead of ~24); a cosine moves by ~3e-5, which
# changed no answer on the question sets (README, the PostgreSQL store). Chunk vectors, which the HNSW index
# ranks, stay single precision. `embed_key` is the sha256 of the text that was
# embedded (rag.index.cache.text_key): a later build reuses the vector of unchanged text.
GENERATION_DDL = """
CREATE SCHEMA {g};
CREATE TABLE {g}.chunks (row_id int PRIMARY KEY, chunk_id text NOT NULL, doc_id text NOT NULL, title text NOT NULL,
    text text NOT NULL, char_start int NOT NULL, char_end int NOT NULL, heading text, n_tokens int NOT NULL,
    metadata jsonb NOT NULL, embed_key text NOT NULL, embedding vector({dim}) NOT NULL);
ALTER TABLE {g}.chunks ALTER COLUMN embedding SET STORAGE PLAIN;
CREATE TABLE {g}.sentences (chunk_row int NOT NULL, idx int NOT NULL, char_start int NOT NULL, char_end int NOT NULL,
    embed_key text NOT NULL, embedding halfvec({dim}) NOT NULL, PRIMARY KEY (chunk_row, idx));
ALTER TABLE {g}.sentences ALTER COLUMN embedding SET STORAGE PLAIN;
CREATE TABLE {g}.documents (doc_id text PRIMARY KEY, ord int NOT NULL, row_lo int NOT NULL, row_hi int NOT NULL,
    n_chunks int NOT NULL, n_sentences int NOT NULL, metadata jsonb NOT NULL, text text NOT NULL);
CREATE TABLE {g}.moments (dim int NOT NULL, mean_and_second bytea NOT NULL);
CREATE TEMP TABLE chunk_terms (row_id int, terms text[]) ON COMMIT DROP;
"""

# BM25 as bm25s computes it by default ("lucene": idf ln(1 + (N - df + 0.5) / (df + 0.5)) times
# tf / (tf + k1 (1 - b + b dl / avgdl))), one weight per (term, chunk) computed here once, so a query only
# sums weights. dl is the number of analysed terms (1 for a chunk without any, as bm25s indexes [""]).
POSTINGS_DDL = """
CREATE TABLE {g}.postings AS SELECT term, row_id,
    (ln(1 + ({n} - df + 0.5) / (df + 0.5)) * tf / (tf + {k1} * (1 - {b} + {b} * dl / {avgdl})))::real AS weight
  FROM (SELECT *, count(*) OVER (PARTITION BY term)::float8 AS df FROM (
    SELECT t.term COLLATE "C" AS term, c.row_id, count(*)::int AS tf, greatest(cardinality(c.terms), 1) AS dl
    FROM chunk_terms c, unnest(c.terms) AS t(term) GROUP BY 1, 2, 4) x) y ORDER BY 1, 2;
ALTER TABLE {g}.postings ADD PRIMARY KEY (term, row_id) INCLUDE (weight);
CREATE TABLE {g}.terms AS SELECT term, count(*)::int AS df, max(weight) AS max_weight FROM {g}.postings GROUP BY term;
ALTER TABLE {g}.terms ADD PRIMARY KEY (term);
CREATE INDEX ON {g}.chunks (chunk_id);
CREATE INDEX ON {g}.chunks USING hnsw (embedding vector_ip_ops) WITH (m = {m}, ef_construction = {efc});
"""

# Only for indexes larger than `exact_below` rows, where a search reads the best postings of each term first
# (rag.index.postgres.search.keyword_top).
IMPACT_DDL = "CREATE INDEX postings_impact ON {g}.postings (term, weight DESC, row_id)"

# Only for indexes larger than the keyword sample (rag.index.statistics): the postings of its rows (and of the rows
# before them, for the section context), from which a search estimates the statistics of the BM25 scores.
SAMPLE_DDL = """
CREATE TABLE {g}.postings_sample AS SELECT p.term, p.row_id, p.weight FROM {g}.postings p
    WHERE p.row_id = ANY(%(sample)s::int[]) ORDER BY 1, 2;
CREATE INDEX ON {g}.postings_sample (term) INCLUDE (row_id, weight);
"""


class StoreError(RagError):
    """The PostgreSQL store cannot be used (server unreachable, pgvector missing, schema too new)."""


def describe(url: str) -> str:
    """host:port/dbname of a URL, without user or password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the configured server"
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def unreachable(url: str, exc: BaseException) -> StoreError:
    """The one-line error for a server that cannot be reached (the URL's password is never shown)."""
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return StoreError(f"PostgreSQL unreachable at {describe(url)} ({reason}): check RAG_DATABASE_URL and that the server is running.")


class VectorDumper(Dumper):
    """numpy float32 vectors sent to pgvector in its binary format (dimension, unused, big-endian floats)."""

    format = Format.BINARY
    dtype = ">f4"

    def dump(self, obj: Any) -> bytes:
        a = np.asarray(obj, dtype=self.dtype).ravel()
        return struct.pack(">HH", a.size, 0) + a.tobytes()


class HalfvecDumper(VectorDumper):
    """numpy vectors sent as pgvector's halfvec: the same layout with IEEE half floats."""

    dtype = ">f2"


class VectorLoader(Loader):
    format = Format.BINARY
    dtype = ">f4"

    def load(self, data) -> np.ndarray:
        dim = struct.unpack_from(">H", data)[0]
        return np.frombuffer(bytes(data), dtype=self.dtype, count=dim, offset=4).astype(np.float32)


class HalfvecLoader(VectorLoader):
    dtype = ">f2"


class VectorTypes(NamedTuple):
    vector: int  # oids of pgvector's types in this database
    halfvec: int


def vector_types(conn: psycopg.Connection) -> VectorTypes:
    """The oids of pgvector's vector and halfvec types; StoreError naming the fix when the extension is not
    enabled, or too old to have halfvec (0.7.0)."""
    oid, half = conn.execute("SELECT to_regtype('vector')::oid, to_regtype('halfvec')::oid").fetchone()
    if oid is None:
        available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
        raise StoreError(f"the pgvector extension is not enabled in database {conn.info.dbname}: run `CREATE EXTENSION vector;` "
                         "in it as its owner or a superuser" + ("" if available else " (after installing pgvector on the server)") + ".")
    if half is None:
        raise StoreError(f"the pgvector extension in database {conn.info.dbname} is older than 0.7.0 (no halfvec type): "
                         "run `ALTER EXTENSION vector UPDATE;` as its owner, after installing pgvector 0.7 or newer on the server.")
    return VectorTypes(oid, half)


def migrate(conn: psycopg.Connection, schema: str) -> int:
    """Create the store's schema or bring it to this code's version; returns the version. A schema already
    at this version is only read, so app processes may connect to a read-only replica."""
    s = sql.Identifier(schema)
    if conn.execute("SELECT to_regclass(%s)", [f"{s.as_string(conn)}.schema_version"]).fetchone()[0] is not None:
        version = conn.execute(sql.SQL("SELECT coalesce(max(version), 0) FROM {s}.schema_version").format(s=s)).fetchone()[0]
        if version == len(MIGRATIONS):
            return version
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{schema}:migrate"])
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {s}; CREATE TABLE IF NOT EXISTS {s}.schema_version "
                             "(version int PRIMARY KEY, description text NOT NULL, "
                             "applied_at timestamptz NOT NULL DEFAULT now())").format(s=s))
        version = conn.execute(sql.SQL("SELECT coalesce(max(version), 0) FROM {s}.schema_version").format(s=s)).fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(f"the database schema {schema} is at version {version}, newer than this code "
                             f"({len(MIGRATIONS)}): upgrade rag-hdf, or point RAG_DATABASE_SCHEMA at another schema.")
        for number, (description, ddl) in enumerate(MIGRATIONS[version:], start=version + 1):
            conn.execute(ddl.replace("{s}", s.as_string(conn)))
            conn.execute(sql.SQL("INSERT INTO {s}.schema_version (version, description) VALUES (%s, %s)").format(s=s),
                         [number, description])
    return len(MIGRATIONS)
