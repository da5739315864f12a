"""Dense, BM25 and hybrid retrieval over a loaded index, and its LangChain retriever.

Hybrid mode fuses the two rankings, either by a convex combination of cosine and max-scaled BM25
scores (default: measured better than RRF on the question set, as Bruch et al. 2022 found in
general) or by reciprocal rank fusion.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .analysis import analyze
from .embeddings import Embedder, get_embedder
from .errors import InputError
from .index import Index
from .schema import Passage
from .settings import Settings

MODES = ("dense", "bm25", "hybrid")


def convex_fusion(dense: dict[int, float], bm25: dict[int, float], alpha: float) -> dict[int, float]:
    """alpha * cosine + (1 - alpha) * BM25 / best BM25 score.

    Cosines are kept raw: min-max scaling them stretched tiny similarity differences of the
    English-trained model over the whole [0, 1] range and cost 8 points of hit@1 on the question set.
    A row missing from one ranking gets that ranking's floor (lowest cosine seen, BM25 0).
    """
    top_bm25 = max(bm25.values()) if bm25 else 1.0
    floor = min(dense.values()) if dense else 0.0
    return {row: alpha * dense.get(row, floor) + (1 - alpha) * bm25.get(row, 0.0) / top_bm25
            for row in set(dense) | set(bm25)}


def validate_request(settings: Settings, query: str, k: int | None, mode: str | None) -> tuple[str, int, str]:
    """Validated (query, k, mode) with defaults filled in; InputError with a clear message otherwise."""
    query = (query or "").strip()
    if not query:
        raise InputError("The question is empty: type a question.")
    if len(query) > settings.max_question_chars:
        raise InputError(f"The question is too long ({len(query)} characters, at most {settings.max_question_chars}).")
    k = settings.top_k if k is None else k
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError(f"k must be a whole number of at least 1 (got {k!r}).")
    mode = mode or settings.retrieval_mode
    if mode not in MODES:
        raise InputError(f"Unknown retrieval mode {mode!r}: use one of {', '.join(MODES)}.")
    return query, k, mode


class Retriever:
    """Searches one loaded index; cheap to call from many threads."""

    def __init__(self, index: Index, settings: Settings, embedder: Embedder | None = None):
        self.index = index
        self.settings = settings
        self.embedder = embedder or get_embedder(settings)
        self._doc_rows: dict[str, np.ndarray] = {}
        for i, c in enumerate(index.chunks):
            self._doc_rows.setdefault(c.doc_id, [])  # type: ignore[arg-type]
            self._doc_rows[c.doc_id].append(i)  # type: ignore[union-attr]
        self._doc_rows = {k: np.array(v, dtype=np.int64) for k, v in self._doc_rows.items()}

    def check(self, query: str, k: int | None, mode: str | None, doc_ids: Iterable[str] | None) -> tuple[str, int, str, list[str] | None]:
        """Validated (query, k, mode, doc_ids); InputError with a clear message otherwise."""
        query, k, mode = validate_request(self.settings, query, k, mode)
        ids = None
        if doc_ids:
            ids = list(dict.fromkeys(doc_ids))
            unknown = [d for d in ids if d not in self._doc_rows]
            if unknown:
                raise InputError(f"Unknown document id {', '.join(unknown)}. Known ids: {', '.join(sorted(self._doc_rows))}.")
        return query, k, mode, ids

    # --- scoring ----------------------------------------------------------------------------------
    def _allowed(self, doc_ids: list[str] | None) -> np.ndarray | None:
        if not doc_ids:
            return None
        return np.concatenate([self._doc_rows[d] for d in doc_ids])

    def dense_scores(self, query: str, allowed: np.ndarray | None, n: int) -> dict[int, float]:
        """Top-n rows by cosine similarity."""
        vec = self.embedder.encode_query(query)
        if allowed is None:
            sims, rows = self.index.faiss_index.search(vec[None, :], min(n, self.index.faiss_index.ntotal))
            return {int(r): float(s) for r, s in zip(rows[0], sims[0]) if r >= 0}
        # a filtered search over a few hundred vectors is cheaper exact in numpy than through FAISS selectors
        mat = self.index.faiss_index.reconstruct_batch(allowed)
        sims = mat @ vec
        top = np.argsort(-sims)[:n]
        return {int(allowed[i]): float(sims[i]) for i in top}

    def bm25_scores(self, query: str, allowed: np.ndarray | None, n: int) -> dict[int, float]:
        """Top-n rows by BM25 score (rows scoring 0 are left out)."""
        terms = analyze(query)
        if not terms:
            return {}
        scores = self.index.bm25.get_scores(terms)
        if allowed is not None:
            masked = np.full_like(scores, -1.0)
            masked[allowed] = scores[allowed]
            scores = masked
        top = np.argsort(-scores)[:n]
        return {int(i): float(scores[i]) for i in top if scores[i] > 0}

    def search(self, query: str, k: int | None = None, mode: str | None = None, doc_ids: Iterable[str] | None = None) -> list[Passage]:
        """The k best passages for `query` (mode: dense | bm25 | hybrid; doc_ids restricts the documents)."""
        query, k, mode, ids = self.check(query, k, mode, doc_ids)
        allowed = self._allowed(ids)
        n = max(k, self.settings.candidates)
        dense = self.dense_scores(query, allowed, n) if mode in ("dense", "hybrid") else {}
        bm25 = self.bm25_scores(query, allowed, n) if mode in ("bm25", "hybrid") else {}
        if mode == "dense":
            fused = dense
        elif mode == "bm25":
            fused = bm25
        elif self.settings.fusion == "rrf":
            fused = {}
            for ranking in (dense, bm25):
                for rank, row in enumerate(sorted(ranking, key=ranking.get, reverse=True), start=1):
                    fused[row] = fused.get(row, 0.0) + 1.0 / (self.settings.rrf_k + rank)
        else:
            fused = convex_fusion(dense, bm25, self.settings.fusion_alpha)
        order = sorted(fused, key=lambda r: (-fused[r], r))[:k]
        return [
            Passage(rank=i + 1, chunk=self.index.chunks[row], score=fused[row],
                    dense_score=dense.get(row), bm25_score=bm25.get(row))
            for i, row in enumerate(order)
        ]


class HybridRetriever(BaseRetriever):
    """LangChain retriever over `Retriever`: returns Documents with the chunk metadata and scores."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    k: int | None = None
    mode: str | None = None
    doc_ids: list[str] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        passages = self.retriever.search(query, k=self.k, mode=self.mode, doc_ids=self.doc_ids)
        return [passage_to_document(p) for p in passages]


def passage_to_document(p: Passage) -> Document:
    """A LangChain Document for a passage (chunk fields and scores in metadata)."""
    c = p.chunk
    meta = {"chunk_id": c.chunk_id, "doc_id": c.doc_id, "title": c.title, "heading": c.heading,
            "start": c.start, "end": c.end, "rank": p.rank, "score": p.score,
            "dense_score": p.dense_score, "bm25_score": p.bm25_score, **c.metadata}
    return Document(page_content=c.text, metadata=meta, id=c.chunk_id)
