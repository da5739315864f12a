"""Scoring a large files index by candidates (more than EXACT_BELOW allowed rows).

Scoring every row, as the files store does for the shipped corpus, costs the dense side one pass over
every chunk vector: at 100k chunks a 150 MB matrix-vector product, 15-40 ms on this 2-core machine, more
than the rest of a search. So above EXACT_BELOW rows:
- BM25 is still computed for every row (bm25s: ~1 ms per 100k rows): the keyword ranking, its section
  context and its statistics stay exact;
- the dense top rows come from an HNSW graph over the chunk vectors (FAISS, written with the index:
  `hnsw.index`), or, for a document filter, from an exact pass over that document's rows only;
- their statistics are exact too for whole-chunk scores: the mean of q.x over the rows is q.mean(x), and
  its second moment q^T (X^T X / n) q, from `moments.npy` written with the index; for best-sentence scores
  they are estimated on a fixed sample of rows (rag.index.statistics);
- the candidates (each ranking's top n, overall and in the named document) get their other score, and the
  retriever fuses them with these statistics (rag.index.interface.Scores).
The only approximation is HNSW's recall (~0.99 at 100k on clustered vectors) and, for dense_unit sentence
or both, the sampled statistics and the rescoring of the chunk graph's top 4n rows by their best sentence.
"""

from __future__ import annotations

import numpy as np

from rag.index.interface import ScoreRequest, Scores
from rag.index.statistics import SENTENCE_SAMPLE, mean_std, moment_stats, sample_rows, vector_moments
from rag.retrieval.fusion import top_rows

EXACT_BELOW = 20_000  # rows: every row is scored up to this many (20k: ~5 ms), candidates above
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


def write_large_index_files(folder, matrix: np.ndarray, threads: int) -> None:
    """The HNSW graph and the chunk vectors' moments of a large index."""
    import faiss

    n, dim = matrix.shape
    faiss.omp_set_num_threads(threads)
    hnsw = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    for i in range(0, n, 50_000):
        hnsw.add(np.ascontiguousarray(matrix[i:i + 50_000], dtype=np.float32))
    faiss.write_index(hnsw, str(folder / "hnsw.index"))
    np.save(folder / "moments.npy", vector_moments(matrix), allow_pickle=False)


def score_candidates(index, req: ScoreRequest, allowed: np.ndarray) -> Scores:
    """The candidates' scores and every allowed row's statistics (see the module doc)."""
    unit = req.dense_unit if len(index.sentence_matrix) else "chunk"
    everything = len(allowed) == len(index.chunks)
    preferred = np.sort(index._doc_rows[req.preferred]) if req.preferred else None
    candidates: list[int] = []
    bm25_full = keyword_full = None
    keyword_stats = None
    if req.mode in ("bm25", "hybrid"):
        bm25_full = index.bm25_all(req.terms)
        keyword_full = index.with_context(bm25_full, req.context_weight) if req.mode == "hybrid" else bm25_full
        keyword = keyword_full if everything else keyword_full[allowed]
        keyword_stats = (float(keyword.mean()), float(keyword.std()))  # as normalise() computes them
        candidates += top_rows(keyword, allowed, req.n, positive=True)
        if preferred is not None:
            candidates += top_rows(keyword_full[preferred], preferred, req.n, positive=True)
    dense_stats = None
    vec = req.query_vector
    if vec is not None:
        matrix = index._chunk_matrix
        limit = req.n if unit == "chunk" else 4 * req.n
        if everything:
            found = _hnsw_top(index, vec, limit)
            if unit == "chunk":
                dense_stats = moment_stats(index.moments, vec)
        else:
            scores = matrix[allowed] @ vec
            found = top_rows(scores, allowed, limit)
            if unit == "chunk":
                dense_stats = (float(scores.mean()), float(scores.std()))
        if preferred is not None:
            found += top_rows(matrix[preferred] @ vec, preferred, limit)
        if unit != "chunk":  # rescored by the best sentence: each ranking keeps its top n
            rescored = np.array(sorted(set(found)), dtype=np.int64)
            scores = dense_of_rows(index, vec, rescored, unit)
            found = top_rows(scores, rescored, req.n)
            if preferred is not None:
                inside = np.isin(rescored, preferred)
                found += top_rows(scores[inside], rescored[inside], req.n)
            dense_stats = _sampled_dense_stats(index, vec, allowed, unit)
        candidates += found
    rows = np.array(sorted(set(candidates)), dtype=np.int64)
    return Scores(rows=rows, dense=None if vec is None else dense_of_rows(index, vec, rows, unit),
                  bm25=None if bm25_full is None else bm25_full[rows], keyword=None if keyword_full is None else keyword_full[rows],
                  preferred=np.isin(rows, preferred) if preferred is not None else np.zeros(len(rows), dtype=bool),
                  complete=False, dense_stats=dense_stats, keyword_stats=keyword_stats)


def _hnsw_top(index, vec: np.ndarray, k: int) -> list[int]:
    import faiss

    params = faiss.SearchParametersHNSW()
    params.efSearch = max(HNSW_EF_SEARCH, k)
    scores, rows = index.hnsw.search(np.asarray(vec, np.float32)[None, :], k, params=params)
    return [int(r) for r in rows[0] if r >= 0]


def dense_of_rows(index, vec: np.ndarray, rows: np.ndarray, unit: str) -> np.ndarray:
    """Dense scores of `rows`, computed as Index.dense_all computes them for every row."""
    unit = unit if len(index.sentence_matrix) else "chunk"
    chunk = index._chunk_matrix[rows] @ vec if unit != "sentence" else None
    if unit == "chunk":
        return chunk
    # one product over all the rows' sentences: the same kernel for every row, so equal sentences score equal
    bounds = index.sentence_bounds
    lengths = bounds[rows + 1] - bounds[rows]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    sentence = np.maximum.reduceat(index.sentence_rows(rows) @ vec, starts) if len(rows) else np.zeros(0, np.float32)
    return sentence if chunk is None else (chunk + sentence) / 2


def _sampled_dense_stats(index, vec: np.ndarray, allowed: np.ndarray, unit: str) -> tuple[float, float]:
    """(mean, std) of best-sentence (or mean of chunk and best-sentence) scores, on the sample rows allowed."""
    cached = index.__dict__.get("_sentence_sample")
    if cached is None:
        rows = sample_rows(len(index.chunks), SENTENCE_SAMPLE)
        lengths = index.sentence_bounds[rows + 1] - index.sentence_bounds[rows]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        cached = index.__dict__["_sentence_sample"] = (rows, starts, index.sentence_rows(rows))
    rows, starts, vectors = cached
    keep = np.isin(rows, allowed)
    best = np.maximum.reduceat(vectors @ vec, starts)[keep]
    return mean_std(best if unit == "sentence" else (index._chunk_matrix[rows[keep]] @ vec + best) / 2)
