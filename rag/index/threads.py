"""One BLAS thread for the matrix-vector products of a search.

A search multiplies one query vector by a few thousand to a hundred thousand rows. On a 2-core machine
that other work keeps busy, OpenBLAS's second thread costs more than it saves: 10k x 384 took 4.4 ms on
one thread and 17 ms on two (measured for scripts/bench_scale.py). Builds keep their threads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import lru_cache


@lru_cache(maxsize=1)
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    with _controller().limit(limits=1, user_api="blas"):
        yield
