"""Putting dense and keyword scores on one scale and fusing them (hybrid mode).

Convex fusion of z-scored scores is the measured default (Bruch et al. 2022 found a tuned convex
combination beats reciprocal rank fusion in general; scripts/bench_retrieval.py measures it here).
"""

from __future__ import annotations

import numpy as np

NORMALISATIONS = ("zscore", "max", "minmax")


def normalise(scores: np.ndarray, how: str) -> np.ndarray:
    """Scores of one ranking put on a comparable scale before convex fusion.

    zscore (default): (s - mean) / std over all scored chunks, so each ranking counts by how far a chunk
    stands out from the rest, whatever the spread of raw cosines (narrow for this model) or BM25 scores.
    max: cosines kept raw, BM25 divided by its best score (the previous default). minmax: both to [0, 1].
    """
    if scores.size == 0:
        return scores
    if how == "zscore":
        std = float(scores.std())
        return (scores - scores.mean()) / std if std > 1e-9 else np.zeros_like(scores)
    if how == "minmax":
        lo, hi = float(scores.min()), float(scores.max())
        return (scores - lo) / (hi - lo) if hi - lo > 1e-9 else np.zeros_like(scores)
    return scores


def convex_fusion(dense: np.ndarray, bm25: np.ndarray, alpha: float, how: str = "zscore",
                  stats: tuple[tuple[float, float], tuple[float, float]] | None = None) -> np.ndarray:
    """alpha * normalised dense + (1 - alpha) * normalised BM25, for aligned arrays of chunk scores.

    `stats` ((dense mean, std), (BM25 mean, std)) are given when the arrays hold only the candidate rows
    of a larger index: the z-scores then use the statistics of every allowed row, as when all are scored."""
    if how == "max":  # the best BM25 score is always among the candidates
        top = float(bm25.max()) if bm25.size else 0.0
        return alpha * dense + (1 - alpha) * (bm25 / top if top > 0 else bm25)
    if stats is None:
        return alpha * normalise(dense, how) + (1 - alpha) * normalise(bm25, how)
    if how != "zscore":
        raise ValueError(f"normalisation {how!r} needs every row's scores: use zscore or max with this store")
    return alpha * _zscore_with(dense, *stats[0]) + (1 - alpha) * _zscore_with(bm25, *stats[1])


def _zscore_with(scores: np.ndarray, mean: float, std: float) -> np.ndarray:
    return (scores - mean) / std if std > 1e-9 else np.zeros_like(scores)


def top_rows(scores: np.ndarray, rows: np.ndarray, n: int, positive: bool = False) -> list[int]:
    """The n best rows (ties broken by row number), optionally only those scoring above 0."""
    if len(scores) > 2048 and n < len(scores) // 4:
        # Large indexes: sort only the rows scoring at least the n-th best score (ties included), which
        # hold the n best in the same order as a full sort; sorting 100k rows per ranking costs ~10 ms.
        kth = np.partition(scores, len(scores) - n)[len(scores) - n]
        keep = np.flatnonzero(scores >= kth)
        order = keep[np.lexsort((rows[keep], -scores[keep]))][:n]
    else:
        order = np.lexsort((rows, -scores))[:n]
    return [int(rows[i]) for i in order if not positive or scores[i] > 0]
