"""What the retriever, the answerer and the app need from an index store, whichever store it is.

Two stores implement it: the files store (rag.index.store.Index: FAISS, bm25s and JSONL under
`index_dir`, loaded into memory) and the PostgreSQL store (rag.index.postgres.store.PostgresStore:
tables, HNSW and BM25 postings in a database shared by every process).

Retrieval is split between the store and the retriever: the store scores (`score`), the retriever fuses
and ranks (rag.retrieval.retriever), so both stores share one fusion with the same settings. A store
either returns every allowed row's scores (`Scores.complete`, the files store: the fusion normalises over
them) or only the rows that can be ranked, with the statistics of all allowed rows (`dense_stats`,
`keyword_stats`): enough for the same z-score fusion without moving a million scores to Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag.schema import Chunk


@dataclass(frozen=True)
class ScoreRequest:
    """One search, as the store sees it: which scores, for which rows, how many candidates."""

    mode: str  # dense | bm25 | hybrid
    query_vector: np.ndarray | None  # the embedded question (dense and hybrid modes)
    terms: list[str]  # the analysed question (bm25 and hybrid modes; rag.text.analysis.analyze)
    doc_ids: list[str] | None  # only these documents (None: all)
    preferred: str | None  # the document the question names: its best rows must be among the candidates
    n: int  # rows each ranking must contribute: its top n overall and its top n in `preferred`
    dense_unit: str  # chunk | sentence | both
    context_weight: float  # share of the previous chunk's BM25 score (same section) in the keyword score


@dataclass
class Scores:
    """Scores of candidate rows, aligned with `rows` (ascending).

    `keyword` is what the fusion reads on the keyword side: BM25 plus context in hybrid mode, else BM25.
    With `complete`, `rows` are all allowed rows; otherwise they hold at least each ranking's top n
    (overall and in the preferred document) and `*_stats` are (mean, std) over all allowed rows.
    """

    rows: np.ndarray
    dense: np.ndarray | None
    bm25: np.ndarray | None
    keyword: np.ndarray | None
    preferred: np.ndarray  # bool mask: the row belongs to the preferred document
    complete: bool = True
    dense_stats: tuple[float, float] | None = None
    keyword_stats: tuple[float, float] | None = None


@runtime_checkable
class Store(Protocol):
    """An opened index. `row` is a chunk's row in the index (0..n_chunks-1), as `row_of` gives it."""

    manifest: dict[str, Any]

    @property
    def path(self) -> Path | str: ...  # where the index lives (a folder, or the database and schema)

    @property
    def chunks(self) -> list[Chunk]: ...  # every chunk in row order (the PostgreSQL store loads them on first use)

    @property
    def n_chunks(self) -> int: ...

    @property
    def docs(self) -> list[dict[str, Any]]: ...  # each document's id, title and metadata fields

    @property
    def doc_ids(self) -> list[str]: ...

    def documents(self) -> list[dict[str, Any]]: ...  # each document's id, title, metadata and chunk count

    def document_text(self, doc_id: str) -> str: ...

    def row_of(self, chunk_id: str) -> int: ...

    def chunk_vector(self, row: int) -> np.ndarray: ...  # the chunk's L2-normalised embedding

    def sentence_spans(self, row: int) -> list[tuple[int, int]]: ...

    def sentence_vectors(self, row: int) -> np.ndarray: ...

    def term_document_frequency(self, term: str) -> int: ...  # chunks whose text or heading has the analysed term

    def refresh(self) -> None: ...  # follow an index rebuilt by another process (a no-op for the files store)

    def score(self, request: ScoreRequest) -> Scores: ...

    def chunks_at(self, rows: list[int]) -> list[Chunk]: ...  # the chunks of `rows`, in that order
