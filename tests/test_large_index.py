"""The files store's large-index path (over `exact_below` chunks: HNSW candidates, exact BM25 and statistics
from the vectors' moments, sampled best-sentence statistics) ranks as scoring every row does, on the corpus."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag.index.files_write import write_files_build
from rag.index.store import open_index
from rag.retrieval.retriever import Retriever

from .conftest import QUESTIONS, make_settings


@pytest.fixture(scope="module")
def large_index(index, tmp_path_factory):
    """The session index written again as a large one (every search takes the candidates path)."""
    folder = tmp_path_factory.mktemp("large-index")
    write_files_build(folder, index.chunks, index.docs, index._chunk_matrix, index.spans, np.asarray(index.sentence_matrix),
                      {k: v for k, v in index.manifest.items() if k != "files"}, exact_below=0)
    large = open_index(make_settings(folder))
    assert large.hnsw is not None and large.moments is not None
    return large


@pytest.mark.parametrize("unit", ["chunk", "both"])
def test_large_index_path_ranks_like_scoring_every_row(index, large_index, index_settings, embedder, unit):
    settings = index_settings.model_copy(update={"dense_unit": unit})
    exact, candidates = Retriever(index, settings, embedder), Retriever(large_index, settings, embedder)
    for mode in ("hybrid", "dense", "bm25") if unit == "chunk" else ("hybrid",):
        for question, docs in _queries():
            a = exact.search(question, k=10, mode=mode, doc_ids=docs)
            b = candidates.search(question, k=10, mode=mode, doc_ids=docs)
            assert [p.chunk_id for p in a] == [p.chunk_id for p in b], (unit, mode, question)
            assert np.allclose([p.score for p in a], [p.score for p in b], atol=1e-4)


def test_large_index_best_sentence_ranking_keeps_the_top_five(index, large_index, index_settings, embedder):
    """dense_unit=sentence on a large index ranks the chunk graph's candidates by their best sentence: a chunk
    whose one sentence matches while the whole chunk does not can be missed, so only the top 5 must hold."""
    settings = index_settings.model_copy(update={"dense_unit": "sentence"})
    exact, candidates = Retriever(index, settings, embedder), Retriever(large_index, settings, embedder)
    queries = _queries()
    same = sum([p.chunk_id for p in exact.search(q, k=5, doc_ids=d)] == [p.chunk_id for p in candidates.search(q, k=5, doc_ids=d)]
               for q, d in queries)
    assert same >= 0.95 * len(queries), f"the top 5 differ on {len(queries) - same} of {len(queries)} questions"


def _queries() -> list[tuple[str, list[str] | None]]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(q["question"], None) for q in rows] + [(q["question"], [q["doc"]]) for q in rows if q.get("doc")][:20]
