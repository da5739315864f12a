"""The fixed sample of rows on which a large index estimates score statistics (both stores).

The z-score fusion needs the mean and spread of every allowed row's scores. Where computing every row's
score is what a large index must avoid (best-sentence scores of 100k chunks; BM25 of a million chunks in
PostgreSQL), they are estimated on an evenly spread sample of rows, fixed per build: exact when the index
has no more rows than the sample.
"""

from __future__ import annotations

import numpy as np

SAMPLE_SIZE = 20_000  # rows whose scores estimate a large index's statistics (~0.5 % error on a spread)
SENTENCE_SAMPLE = 2_000  # rows whose sentences estimate best-sentence statistics (~17k sentence vectors)


def sample_rows(n: int, size: int = SAMPLE_SIZE) -> np.ndarray:
    """The evenly spread sample of rows of an index of n rows (all rows when n <= size)."""
    if n <= size:
        return np.arange(n, dtype=np.int64)
    return np.unique(np.linspace(0, n - 1, size).round().astype(np.int64))


def mean_std(values) -> tuple[float, float]:
    values = np.asarray(values, np.float64)
    return (float(values.mean()), float(values.std())) if values.size else (0.0, 0.0)
