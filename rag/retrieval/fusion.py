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


def convex_fusion(dense: np.ndarray, bm25: np.ndarray, alpha: float, how: str = "zscore") -> np.ndarray:
    """alpha * normalised dense + (1 - alpha) * normalised BM25, for aligned arrays of chunk scores."""
    if how == "max":
        top = float(bm25.max()) if bm25.size else 0.0
        return alpha * dense + (1 - alpha) * (bm25 / top if top > 0 else bm25)
    return alpha * normalise(dense, how) + (1 - alpha) * normalise(bm25, how)


def top_rows(scores: np.ndarray, rows: np.ndarray, n: int, positive: bool = False) -> list[int]:
    """The n best rows (ties broken by row number), optionally only those scoring above 0."""
    order = np.lexsort((rows, -scores))[:n]
    return [int(rows[i]) for i in order if not positive or scores[i] > 0]
