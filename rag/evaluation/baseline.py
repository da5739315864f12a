"""The naive LangChain baseline the evaluation compares against.

What a first tutorial would build: the raw ingested text (no cleaning of PDF damage), LangChain's
`RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)` and an exact FAISS inner-product
index over the same embedder as the real pipeline. Built in memory in a few seconds; nothing cached
(and nothing pickled).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rag.index.embeddings import Embedder, get_embedder
from rag.ingest.loaders import load_documents
from rag.settings import Settings

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
NAME = "baseline (LangChain 1000/200 + FAISS dense)"


class NaiveBaseline:
    """Dense search over naively split raw documents; passages in the `rag retrieve --json` shape."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        import faiss
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.embedder = embedder or get_embedder(settings)
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        self.chunks: list[dict[str, Any]] = []
        for doc in load_documents(settings.corpus_dir, pdf_engine=settings.pdf_engine):
            for i, text in enumerate(splitter.split_text(doc.text)):
                self.chunks.append({"doc_id": doc.doc_id, "chunk_id": f"{doc.doc_id}#naive{i}", "text": text})
        vectors = self.embedder.encode_passages([c["text"] for c in self.chunks], batch_size=settings.embedding_batch_size)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)

    def search(self, query: str, k: int = 10) -> list[dict[str, Any]]:
        """The k nearest chunks to `query` (cosine similarity), ranked from 1."""
        vec = np.ascontiguousarray(self.embedder.encode_query(query)[None, :], dtype=np.float32)
        sims, rows = self.index.search(vec, min(k, self.index.ntotal))
        return [
            {"rank": i + 1, **self.chunks[int(row)], "score": round(float(sim), 6)}
            for i, (row, sim) in enumerate(zip(rows[0], sims[0])) if row >= 0
        ]
