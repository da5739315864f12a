"""The PostgreSQL store: the index in tables shared by every process, read through a connection pool.

`PostgresStore` is the Store of rag.index.interface over the current generation (rag.index.postgres.schema);
it follows a rebuild made by another process at the next search (`refresh`), so app replicas sharing one
database all serve the new index without a restart. Chunks, sentence spans and vectors are read by row
when asked for (a small per-generation cache keeps the recent ones); `chunks`, the whole list, is loaded
only if someone reads it.

It is one class implementing the whole Store protocol (reading, following generations, the build lock and
the vectors a re-index reuses), hence its length; scoring is in search.py, writing in write.py.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from rag.errors import IndexCorruptedError, IndexMissingError
from rag.index.interface import ScoreRequest, Scores
from rag.index.postgres import search
from rag.index.postgres.schema import (LAYOUT, HalfvecDumper, HalfvecLoader, StoreError, VectorDumper, VectorLoader, describe,
                                       migrate, unreachable, vector_types)
from rag.index.postgres.search import Batch, Generation
from rag.index.postgres.write import write_generation
from rag.schema import Chunk
from rag.settings import Settings

_CHUNK_COLUMNS = "row_id, chunk_id, doc_id, title, text, char_start, char_end, heading, n_tokens, metadata"
_SENTENCES_SQL = sql.SQL("SELECT chunk_row, char_start, char_end, embedding FROM {}.sentences WHERE chunk_row = ANY(%(rows)s) "
                         "ORDER BY chunk_row, idx")
_RECENT_ROWS = 2048  # sentence spans and vectors kept per generation (the answerer reads the retrieved rows')
# A search checks which generation is current at most this often: a rebuild by another process is served
# within a second, and most searches save a round trip (the previous generation outlives the switch).
REFRESH_SECONDS = 1.0


class PostgresStore:
    """Chunks, chunk and sentence vectors, BM25 postings and documents in PostgreSQL (pgvector)."""

    def __init__(self, url: str, *, schema: str = "rag", pool_size: int = 4, connect_timeout: int = 5,
                 ef_search: int = 200):
        self.url, self.schema, self.ef_search = url, schema, ef_search
        kwargs = {"autocommit": True, "connect_timeout": connect_timeout,
                  # plans are per query text, and the text names the generation: nothing to gain from prepared plans
                  "prepare_threshold": None}
        try:
            with psycopg.connect(url, **kwargs) as conn:
                self.types = vector_types(conn)
                migrate(conn, schema)
        except psycopg.OperationalError as exc:
            raise unreachable(url, exc) from None
        self._dumper = type("Dumper", (VectorDumper,), {"oid": self.types.vector})
        self._half_dumper = type("HalfDumper", (HalfvecDumper,), {"oid": self.types.halfvec})
        self.pool = ConnectionPool(url, min_size=1, max_size=pool_size, kwargs=kwargs, configure=self._configure,
                                   open=True, name=f"rag-{schema}", timeout=max(connect_timeout, 10))
        self._generation: Generation | None = None
        self._checked_at = 0.0
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings) -> PostgresStore:
        return cls(settings.database_url.get_secret_value(), schema=settings.database_schema,
                   pool_size=settings.database_pool_size, connect_timeout=settings.database_connect_timeout,
                   ef_search=settings.database_ef_search)

    def _configure(self, conn: psycopg.Connection) -> None:
        conn.adapters.register_dumper(np.ndarray, self._dumper)
        conn.adapters.register_dumper(None, self._half_dumper)  # chosen by its oid only: the sentences' COPY
        conn.adapters.register_loader(self.types.vector, VectorLoader)
        conn.adapters.register_loader(self.types.halfvec, HalfvecLoader)
        # Every query of this store wants these: iterative_scan lets a filtered HNSW scan go on until LIMIT rows
        # pass the filter (relaxed_order: results are re-sorted in Python).
        conn.execute(f"SET hnsw.ef_search = {int(self.ef_search)}; SET hnsw.iterative_scan = relaxed_order")

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection; an unreachable server or a dropped generation becomes a one-line error."""
        try:
            with self.pool.connection() as conn:
                yield conn
        except psycopg.errors.UndefinedTable:
            raise IndexMissingError(f"The index in PostgreSQL schema {self.schema} is gone: run `rag index`.") from None
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise unreachable(self.url, exc) from None

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the generation being served ------------------------------------------------------------------
    def _q(self, text: str) -> sql.Composed:
        return sql.SQL(text).format(s=sql.Identifier(self.schema))

    def current_generation(self) -> int | None:
        with self.connection() as conn:
            got = conn.execute(self._q("SELECT gen FROM {s}.current")).fetchone()
        return got[0] if got else None

    def refresh(self, force: bool = False) -> None:
        """Follow the current generation: one cheap query at most every REFRESH_SECONDS (a search's round trip
        saved), and a reload of the small per-build state when another process has built a new index."""
        now = time.monotonic()
        if not force and self._generation is not None and now - self._checked_at < REFRESH_SECONDS:
            return
        gen = self.current_generation()
        self._checked_at = now
        current = self._generation
        if gen is not None and (current is None or current.gen != gen):
            self._load(gen)

    def _load(self, gen: int) -> Generation:
        with self._lock:
            if self._generation is not None and self._generation.gen == gen:
                return self._generation
            with self.connection() as conn:
                got = conn.execute(self._q("SELECT manifest, params, continues FROM {s}.generations WHERE gen = %s"), [gen]).fetchone()
                if got is None:  # dropped between the two queries by two builds in a row: read the pointer again
                    return self._load(self.current_generation())
                manifest, params, continues = got
                if params.get("layout") != LAYOUT:
                    raise IndexCorruptedError(f"The index in PostgreSQL schema {self.schema} was written by another version "
                                              "of rag-hdf: run `rag index --rebuild`.")
                params = {**params, "schema": f"{self.schema}_g{gen}"}
                docs = conn.execute(sql.SQL("SELECT doc_id, n_chunks, n_sentences, row_lo, row_hi, metadata FROM {}.documents "
                                            "ORDER BY ord").format(sql.Identifier(params["schema"]))).fetchall()
            n = int(params["n"])
            docs = [{"doc_id": d, **meta, "n_chunks": nc, "n_sentences": ns, "row_lo": lo, "row_hi": hi}
                    for d, nc, ns, lo, hi, meta in docs]
            flags = np.unpackbits(np.frombuffer(continues, dtype=np.uint8), count=n).astype(bool)
            self._generation = Generation(gen=gen, manifest=manifest, params=params, continues=flags, docs=docs)
            return self._generation

    @property
    def generation(self) -> Generation:
        g = self._generation
        if g is None:
            gen = self.current_generation()
            if gen is None:
                raise IndexMissingError(f"No index in PostgreSQL schema {self.schema} at {describe(self.url)} yet: run `rag index`.")
            g = self._load(gen)
        return g

    def require_index(self) -> PostgresStore:
        """This store, with its current generation loaded (IndexMissingError naming the fix when none)."""
        self.refresh(force=True)
        _ = self.generation
        return self

    # --- Store: what the retriever, the answerer and the app read ---------------------------------------------
    @property
    def manifest(self) -> dict[str, Any]:
        return self.generation.manifest

    @property
    def path(self) -> str:
        return f"PostgreSQL {describe(self.url)}, schema {self.schema} (generation {self.generation.gen})"

    @property
    def n_chunks(self) -> int:
        return self.generation.n

    @property
    def docs(self) -> list[dict[str, Any]]:
        return self.generation.docs

    @property
    def doc_ids(self) -> list[str]:
        return [d["doc_id"] for d in self.docs]

    def documents(self) -> list[dict[str, Any]]:
        """Each document's id, title, metadata fields and chunk count (no text)."""
        return [{k: v for k, v in d.items() if k not in ("row_lo", "row_hi", "n_sentences")} for d in self.docs]

    def document_text(self, doc_id: str) -> str:
        g = self.generation
        with self.connection() as conn:
            got = conn.execute(sql.SQL("SELECT text FROM {}.documents WHERE doc_id = %s").format(g.schema), [doc_id]).fetchone()
        if got is None:
            raise KeyError(doc_id)
        return got[0]

    @property
    def chunks(self) -> list[Chunk]:
        """Every chunk in row order, loaded on first use (per generation)."""
        g = self.generation
        with self._lock:
            if "chunks" not in g.cache:
                with self.connection() as conn:
                    got = conn.execute(sql.SQL(f"SELECT {_CHUNK_COLUMNS} FROM {{}}.chunks ORDER BY row_id").format(g.schema)).fetchall()
                g.cache["chunks"] = [_chunk(r) for r in got]
            return g.cache["chunks"]

    def chunks_at(self, rows: Sequence[int]) -> list[Chunk]:
        """The chunks of `rows`, in that order; their sentences come in the same round trip, for the answerer."""
        g = self.generation
        rows = [int(r) for r in rows]
        with self.connection() as conn:
            batch = Batch(conn)
            batch.add(sql.SQL(f"SELECT {_CHUNK_COLUMNS} FROM {{}}.chunks WHERE row_id = ANY(%(rows)s)").format(g.schema), {"rows": rows})
            missing = self._missing_sentences(g, rows)
            if missing:
                batch.add(_SENTENCES_SQL.format(g.schema), {"rows": missing})
            got = batch.run()
        if missing:
            self._keep_sentences(g, missing, got[1])
        by_row = {r[0]: _chunk(r) for r in got[0]}
        g.cache.setdefault("row_of", {}).update({c.chunk_id: r for r, c in by_row.items()})
        return [by_row[r] for r in rows]

    def row_of(self, chunk_id: str) -> int:
        g = self.generation
        ids = g.cache.setdefault("row_of", {})
        if chunk_id not in ids:
            with self.connection() as conn:
                got = conn.execute(sql.SQL("SELECT row_id FROM {}.chunks WHERE chunk_id = %s").format(g.schema), [chunk_id]).fetchone()
            if got is None:
                raise KeyError(chunk_id)
            ids[chunk_id] = got[0]
        return ids[chunk_id]

    def _missing_sentences(self, g: Generation, rows: Sequence[int]) -> list[int]:
        recent = g.cache.setdefault("sentences", OrderedDict())
        return [r for r in rows if r not in recent]

    def _keep_sentences(self, g: Generation, rows: Sequence[int], got: list[tuple]) -> None:
        recent: OrderedDict = g.cache.setdefault("sentences", OrderedDict())
        found: dict[int, list] = {r: [] for r in rows}
        for row, a, b, v in got:
            found[row].append((a, b, v))
        for row, items in found.items():
            vectors = np.stack([v for *_, v in items]) if items else np.zeros((0, g.params["dim"]), np.float32)
            recent[row] = ([(a, b) for a, b, _ in items], vectors)
        while len(recent) > _RECENT_ROWS:
            recent.popitem(last=False)

    def _sentences(self, g: Generation, rows: Sequence[int]) -> dict[int, tuple[list[tuple[int, int]], np.ndarray]]:
        missing = self._missing_sentences(g, rows)
        if missing:
            with self.connection() as conn, conn.cursor(binary=True) as cur:
                self._keep_sentences(g, missing, cur.execute(_SENTENCES_SQL.format(g.schema), {"rows": missing}).fetchall())
        recent = g.cache["sentences"]
        return {r: recent[r] for r in rows}

    def chunk_vector(self, row: int) -> np.ndarray:
        """The L2-normalised embedding of chunk `row` (the answerer compares it with the question's)."""
        g = self.generation
        recent: OrderedDict = g.cache.setdefault("chunk_vectors", OrderedDict())
        row = int(row)
        if row not in recent:
            with self.connection() as conn, conn.cursor(binary=True) as cur:
                got = cur.execute(sql.SQL("SELECT embedding FROM {}.chunks WHERE row_id = %s").format(g.schema), [row]).fetchone()
            if got is None:
                raise IndexError(f"no chunk at row {row}")
            recent[row] = np.asarray(got[0], dtype=np.float32)
            while len(recent) > _RECENT_ROWS:
                recent.popitem(last=False)
        return recent[row]

    def sentence_spans(self, row: int) -> list[tuple[int, int]]:
        """(start, end) character offsets of the sentences of chunk `row` inside the chunk text."""
        g = self.generation
        return list(self._sentences(g, [int(row)])[int(row)][0])

    def sentence_vectors(self, row: int) -> np.ndarray:
        """L2-normalised float32 vectors of the sentences of chunk `row`, shape (n_sentences, dimension)."""
        g = self.generation
        return self._sentences(g, [int(row)])[int(row)][1]

    def term_document_frequency(self, term: str) -> int:
        """How many chunks have the analysed `term` in their text or heading."""
        g = self.generation
        known: dict[str, int] = g.cache.setdefault("df", {})
        if term not in known:
            with self.connection() as conn:
                got = conn.execute(sql.SQL('SELECT df FROM {}.terms WHERE term = %s COLLATE "C"').format(g.schema), [term]).fetchone()
            known[term] = got[0] if got else 0
        return known[term]

    def term_frequencies(self) -> tuple[dict[str, int], int]:
        """(document frequency of every analysed term, number of chunks): the answerer's vocabulary, read from
        the terms table in one query instead of every chunk's text."""
        g = self.generation
        with self.connection() as conn:
            got = conn.execute(sql.SQL("SELECT term, df FROM {}.terms").format(g.schema)).fetchall()
        return {term: df for term, df in got if df and term}, self.n_chunks

    def score(self, request: ScoreRequest) -> Scores:
        g = self.generation
        with self.connection() as conn:
            return search.score(conn, g, request)

    # --- building ----------------------------------------------------------------------------------------
    def read_manifest(self) -> dict[str, Any]:
        """The current generation's manifest; IndexMissingError when no index was built."""
        self.refresh(force=True)
        return self.generation.manifest

    @contextlib.contextmanager
    def build_lock(self, on_wait) -> Iterator[None]:
        """Only one process builds this schema at a time: a session advisory lock, released by the server
        when the holder ends, killed or not. `on_wait()` is called when another process holds it."""
        key = f"{self.schema}:build"
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise unreachable(self.url, exc) from None
        with conn:
            if not conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [key]).fetchone()[0]:
                on_wait()
                conn.execute("SELECT pg_advisory_lock(hashtext(%s))", [key])
            yield  # the lock goes with the connection

    def stored_vectors(self, identity: dict[str, str], keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors of the current index whose embedded text has one of these keys (rag.index.cache.text_key),
        when that index was embedded by the same embedder: what a re-index need not embed again."""
        try:
            g = self.generation
        except IndexMissingError:
            return {}
        if g.manifest.get("embedding") != identity or not keys:
            return {}
        with self.connection() as conn, conn.transaction(), conn.cursor(binary=True) as cur:
            cur.execute("CREATE TEMP TABLE wanted (key text PRIMARY KEY) ON COMMIT DROP")
            with cur.copy("COPY wanted FROM STDIN") as copy:
                for key in dict.fromkeys(keys):
                    copy.write_row((key,))
            # a text embedded both as a chunk and as a sentence: the chunk's single-precision vector
            got = cur.execute(sql.SQL("SELECT DISTINCT ON (key) key, embedding FROM (SELECT embed_key AS key, embedding, 0 AS half "
                                      "FROM {g}.chunks UNION ALL SELECT embed_key, embedding::vector, 1 FROM {g}.sentences) v "
                                      "JOIN wanted USING (key) ORDER BY key, half")
                              .format(g=g.schema)).fetchall()
        return dict(got)

    def replace_index(self, chunks: Sequence[Any], chunk_vectors, **options) -> dict[str, Any]:
        """Write a new generation and make it current (rag.index.postgres.write.write_generation's options)."""
        with self.connection() as conn:
            stats = write_generation(conn, self.schema, self.types, chunks, chunk_vectors, **options)
        self.refresh(force=True)
        return stats


def _chunk(row: tuple) -> Chunk:
    _, chunk_id, doc_id, title, text, start, end, heading, n_tokens, metadata = row
    return Chunk(chunk_id=chunk_id, doc_id=doc_id, title=title, text=text, start=start, end=end, heading=heading,
                 n_tokens=n_tokens, metadata=metadata)


_shared: dict[tuple, PostgresStore] = {}
_shared_lock = threading.Lock()


def shared_store(settings: Settings) -> PostgresStore:
    """One store (one connection pool) per database, schema and pool settings in the process."""
    key = (settings.database_url.get_secret_value(), settings.database_schema, settings.database_pool_size,
           settings.database_connect_timeout, settings.database_ef_search)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = PostgresStore.from_settings(settings)
        return _shared[key]


__all__ = ["PostgresStore", "StoreError", "shared_store"]
