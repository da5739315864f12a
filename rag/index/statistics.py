"""Score statistics of a large index (both stores), without scoring every row.

The z-score fusion needs the mean and spread of every allowed row's scores; computing every row's score is
what a large index avoids. Whole-chunk dense scores have them exactly: the mean of q.x over the rows is
q.mean(x) and their second moment q^T (X^T X / n) q (`vector_moments`, computed at build). Other scores
(best-sentence cosines, BM25 in PostgreSQL, any score under a document filter) are estimated on an evenly
spread sample of rows, fixed per build: exact when the index has no more rows than the sample.
"""

from __future__ import annotations

import numpy as np

SAMPLE_SIZE = 20_000  # rows whose dense scores estimate a filtered large index's statistics (~0.5 % error on a spread)
SENTENCE_SAMPLE = 2_000  # rows whose sentences estimate best-sentence statistics (~17k sentence vectors)
KEYWORD_SAMPLE = 5_000  # rows whose BM25 estimates its statistics in PostgreSQL (~1.4 %; its postings are read per search)


def sample_rows(n: int, size: int = SAMPLE_SIZE) -> np.ndarray:
    """The evenly spread sample of rows of an index of n rows (all rows when n <= size)."""
    if n <= size:
        return np.arange(n, dtype=np.int64)
    return np.unique(np.linspace(0, n - 1, size).round().astype(np.int64))


def mean_std(values) -> tuple[float, float]:
    values = np.asarray(values, np.float64)
    return (float(values.mean()), float(values.std())) if values.size else (0.0, 0.0)


def vector_moments(vectors) -> np.ndarray:
    """Mean and second moment (X^T X / n) of the rows of `vectors` (any array-like, a memmap too), float64,
    shape (dim + 1, dim), read 50k rows at a time."""
    n, dim = len(vectors), int(np.asarray(vectors[0]).shape[-1])
    second, total = np.zeros((dim, dim)), np.zeros(dim)
    for i in range(0, n, 50_000):
        block = np.asarray(vectors[i:i + 50_000], np.float64)
        second += block.T @ block
        total += block.sum(axis=0)
    return np.vstack([total / n, second / n])


def moment_stats(moments: np.ndarray, vec: np.ndarray) -> tuple[float, float]:
    """(mean, std) of every row's q.x, from `vector_moments`."""
    mean, second = float(moments[0] @ vec), float(vec @ moments[1:] @ vec)
    return mean, float(np.sqrt(max(second - mean * mean, 0.0)))
