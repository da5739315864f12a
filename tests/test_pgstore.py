"""The PostgreSQL store against a real PostgreSQL 18 + pgvector server (tests.pg_server): it holds the same
index as the files store and searches it the same way, on small and on large-index paths."""

from __future__ import annotations

import json

import numpy as np
import pytest

from .conftest import QUESTIONS, ROOT, free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed: bash scripts/setup.sh installs the postgres extra")

from rag.errors import IndexMissingError  # noqa: E402
from rag.index.interface import ScoreRequest  # noqa: E402
from rag.index.postgres.schema import MIGRATIONS, StoreError  # noqa: E402
from rag.index.postgres.store import PostgresStore  # noqa: E402
from rag.retrieval.retriever import Retriever  # noqa: E402

SETS = [QUESTIONS, ROOT / "tests" / "heldout_questions.jsonl", ROOT / "tests" / "heldout2_questions.jsonl"]


def questions(path=QUESTIONS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def copy_of(index, store: PostgresStore, **options) -> dict:
    """Write the files store's index into `store` as it is: same chunks, vectors, sentences and documents."""
    return store.replace_index(index.chunks, index._chunk_matrix, sentence_spans=index.spans,
                               sentence_vectors=np.asarray(index.sentence_matrix), documents=index.docs,
                               manifest=index.manifest, **options)


def rankings(retriever: Retriever, queries: list[tuple[str, list[str] | None]], mode: str, k: int = 10) -> list[list]:
    return [[(p.chunk_id, p.score) for p in retriever.search(q, k=k, mode=mode, doc_ids=docs)] for q, docs in queries]


def test_schema_is_created_once_and_versioned(postgres):
    with PostgresStore(postgres.url, schema="rag_versions") as st:
        with pytest.raises(IndexMissingError, match="rag index"):
            st.require_index()
        with st.connection() as conn:
            first = conn.execute("SELECT version, applied_at FROM rag_versions.schema_version").fetchall()
    assert [v for v, _ in first] == list(range(1, len(MIGRATIONS) + 1))
    with PostgresStore(postgres.url, schema="rag_versions") as st:  # a second start applies nothing
        with st.connection() as conn:
            assert conn.execute("SELECT version, applied_at FROM rag_versions.schema_version").fetchall() == first
            conn.execute("INSERT INTO rag_versions.schema_version (version, description) VALUES (%s, 'from a newer release')",
                         [len(MIGRATIONS) + 1])
    with pytest.raises(StoreError, match="newer than this code") as info:
        PostgresStore(postgres.url, schema="rag_versions")
    assert "\n" not in str(info.value)


def test_store_holds_what_the_files_store_holds(pg_store, index):
    assert pg_store.n_chunks == len(index.chunks) and pg_store.chunks == index.chunks
    assert pg_store.documents() == index.documents() and pg_store.doc_ids == index.doc_ids
    for doc in index.doc_ids:
        assert pg_store.document_text(doc) == index.document_text(doc)
    for row, chunk in enumerate(index.chunks):
        assert pg_store.row_of(chunk.chunk_id) == row
        assert pg_store.sentence_spans(row) == index.sentence_spans(row)
        # stored in half precision: each component within half a unit in the last place of a half float
        assert np.allclose(pg_store.sentence_vectors(row), index.sentence_vectors(row), rtol=2 ** -11, atol=1e-7)
    for term in index.bm25.vocab_dict:
        assert pg_store.term_document_frequency(term) == index.term_document_frequency(term), term
    assert pg_store.term_document_frequency("absentdelindex") == 0
    assert pg_store.term_frequencies() == index.term_frequencies()
    for row in (0, len(index.chunks) - 1):
        assert np.allclose(pg_store.chunk_vector(row), index.chunk_vector(row), atol=1e-6)
    same = {k for k in index.manifest if k not in ("files", "built_at")}
    assert {k: pg_store.manifest[k] for k in same} == {k: index.manifest[k] for k in same}


def test_bm25_scores_equal_bm25s(pg_store, index):
    for query in ("territoires industrie phase", "défense défense drones", "region Hauts-de-France emploi formation",
                  "Nacon", "250 millions d'euros", "universite polytechnique", "programme"):
        from rag.text.analysis import analyze

        request = ScoreRequest(mode="bm25", query_vector=None, terms=analyze(query), doc_ids=None, preferred=None,
                               n=50, dense_unit="chunk", context_weight=0.2)
        files, pg = index.score(request), pg_store.score(request)
        assert np.array_equal(files.rows, pg.rows) and pg.complete
        assert np.allclose(files.bm25, pg.bm25, atol=1e-4), query


def test_every_mode_ranks_like_the_files_store(pg_store, index, index_settings, embedder):
    files, pg = Retriever(index, index_settings, embedder), Retriever(pg_store, index_settings, embedder)
    queries = [(q["question"], None) for q in questions()] + [(q["question"], [q["doc"]]) for q in questions() if q.get("doc")][:30]
    for mode in ("hybrid", "dense", "bm25"):
        a, b = rankings(files, queries, mode), rankings(pg, queries, mode)
        same = sum([c for c, _ in x[:5]] == [c for c, _ in y[:5]] for x, y in zip(a, b))
        assert same >= 0.98 * len(queries), (mode, same, len(queries))  # near-ties may swap (float32 vs float64)
        # half-precision sentence vectors move a cosine by ~3e-5, a z-scored fusion (divided by the cosines'
        # spread, ~0.03) by ~1e-3
        for x, y in zip(a, b):
            for (cx, sx), (cy, sy) in zip(x, y):
                assert cx != cy or abs(sx - sy) < 5e-3


def test_large_index_path_ranks_like_the_exact_path(postgres, index, index_settings, embedder, pg_store):
    """Above `exact_below` rows the store searches HNSW and the best postings first, with statistics from a
    sample: on the corpus (sample = every row) it must rank as the exact path does."""
    with PostgresStore(postgres.url, schema="rag_large") as large:
        copy_of(index, large, exact_below=0)
        queries = [(q["question"], None) for q in questions()] + [(q["question"], [q["doc"]]) for q in questions() if q.get("doc")][:20]
        for unit in ("chunk", "both"):
            settings = index_settings.model_copy(update={"dense_unit": unit})
            exact, approx = Retriever(pg_store, settings, embedder), Retriever(large, settings, embedder)
            for mode in ("hybrid", "dense", "bm25") if unit == "chunk" else ("hybrid",):
                a, b = rankings(exact, queries, mode), rankings(approx, queries, mode)
                assert [[c for c, _ in x] for x in a] == [[c for c, _ in x] for x in b], (unit, mode)
                assert max(abs(sx - sy) for x, y in zip(a, b) for (_, sx), (_, sy) in zip(x, y)) < 1e-4
        # best-sentence ranking rescores the chunk graph's candidates: a chunk matched by one sentence only can
        # be missed (as in the files store, tests/test_large_index.py), so only the top 5 must hold
        settings = index_settings.model_copy(update={"dense_unit": "sentence"})
        a = rankings(Retriever(pg_store, settings, embedder), queries, "hybrid")
        b = rankings(Retriever(large, settings, embedder), queries, "hybrid")
        same = sum([c for c, _ in x[:5]] == [c for c, _ in y[:5]] for x, y in zip(a, b))
        assert same >= 0.95 * len(queries), f"the top 5 differ on {len(queries) - same} of {len(queries)} questions"


class LookedUp:
    """An embedder face for synthetic vectors: the query text names a row of `vectors`."""

    def __init__(self, vectors):
        self.vectors = vectors

    def encode_query(self, text: str) -> np.ndarray:
        return self.vectors[int(text.split()[-1])]


def test_document_filter_returns_k_rows_from_the_document(postgres, index_settings):
    """A filtered HNSW scan stops after ef_search candidates unless iterative scans are on: a document whose
    rows sit far from the query would get fewer than k rows. A small document is scanned exactly."""
    rng = np.random.default_rng(7)
    dim, n = 32, 4000
    centres = rng.normal(size=(20, dim))
    label = rng.integers(0, 19, n)
    doc = np.array(["common"] * n, dtype=object)
    doc[:12], doc[12:812] = "rare", "far"
    label[:812] = 19  # both filtered documents sit in a cluster of their own, away from the query
    vecs = centres[label] + 0.3 * rng.normal(size=(n, dim))
    vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
    chunks = [{"chunk_id": f"c{i}", "doc_id": doc[i], "title": "t", "text": f"texte {i}", "start": 0, "end": 7}
              for i in range(n)]
    query = (centres[0] / np.linalg.norm(centres[0])).astype(np.float32)
    with PostgresStore(postgres.url, schema="rag_filter", ef_search=10) as st:
        st.replace_index(chunks, vecs, documents=[{"doc_id": d, "title": d} for d in ("rare", "far", "common")], exact_below=100)
        retriever = Retriever(st, index_settings, LookedUp([query]))
        for name, rows in (("rare", np.arange(12)), ("far", np.arange(12, 812))):
            got = retriever.search("requête 0", k=10, mode="dense", doc_ids=[name])
            exact = rows[np.argsort(-(vecs[rows] @ query), kind="stable")][:10]
            assert len(got) == 10 and {p.doc_id for p in got} == {name}, name
            if name == "rare":  # scanned exactly; "far" (800 rows, over exact_below) goes through HNSW
                assert [st.row_of(p.chunk_id) for p in got] == exact.tolist()


def test_a_failed_build_leaves_the_previous_index_serving(postgres, index, index_settings, embedder):
    with PostgresStore(postgres.url, schema="rag_fail") as st:
        copy_of(index, st)
        retriever = Retriever(st, index_settings, embedder)
        before = rankings(retriever, [("Quel montant la task-force régionale doit-elle mobiliser ?", None)], "hybrid")
        shuffled = index.chunks[1:] + index.chunks[:1]  # a document's chunks no longer on consecutive rows
        with pytest.raises(ValueError, match="consecutive rows"):
            st.replace_index(shuffled, index._chunk_matrix, documents=index.docs)
        assert rankings(retriever, [("Quel montant la task-force régionale doit-elle mobiliser ?", None)], "hybrid") == before
        with st.connection() as conn:
            assert conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rag_fail_g%'").fetchall() == [("rag_fail_g1",)]


def test_unreachable_server_is_one_clear_line():
    with pytest.raises(StoreError) as info:
        PostgresStore(f"postgresql://postgres:secret@127.0.0.1:{free_port()}/postgres", connect_timeout=3)
    message = str(info.value)
    assert "\n" not in message and "RAG_DATABASE_URL" in message and "unreachable" in message and "secret" not in message


def test_missing_extension_is_one_clear_line(postgres):
    postgres.psql("DROP DATABASE IF EXISTS no_vector")
    postgres.psql("CREATE DATABASE no_vector")
    with pytest.raises(StoreError) as info:
        PostgresStore(postgres.dsn("no_vector"))
    message = str(info.value)
    assert "\n" not in message and "CREATE EXTENSION vector" in message and "no_vector" in message
