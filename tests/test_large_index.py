"""The files store's large-index path (over `exact_below` chunks: HNSW candidates, exact BM25 and statistics
from the vectors' moments, sampled best-sentence statistics) ranks as scoring every row does, on the corpus."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag.index.build import write_files_build
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


@pytest.mark.parametrize("unit", ["chunk", "sentence", "both"])
def test_large_index_path_ranks_like_scoring_every_row(index, large_index, index_settings, embedder, unit):
    settings = index_settings.model_copy(update={"dense_unit": unit})
    exact, candidates = Retriever(index, settings, embedder), Retriever(large_index, settings, embedder)
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = [(q["question"], None) for q in rows] + [(q["question"], [q["doc"]]) for q in rows if q.get("doc")][:20]
    for mode in ("hybrid", "dense", "bm25") if unit == "chunk" else ("hybrid",):
        for question, docs in queries:
            a = exact.search(question, k=10, mode=mode, doc_ids=docs)
            b = candidates.search(question, k=10, mode=mode, doc_ids=docs)
            assert [p.chunk_id for p in a] == [p.chunk_id for p in b], (unit, mode, question)
            assert np.allclose([p.score for p in a], [p.score for p in b], atol=1e-4)
