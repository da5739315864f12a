"""The LangChain face of the retriever: a `BaseRetriever` returning Documents with chunk metadata and scores."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.retrieval.retriever import Retriever
from rag.schema import Passage


class HybridRetriever(BaseRetriever):
    """LangChain retriever over `Retriever`: returns Documents with the chunk metadata and scores.

    `k`, `mode` and `doc_ids` set in the constructor are the defaults; each call may override them
    (`retriever.invoke("Pass Drones", k=3)`). Async calls (`ainvoke`) run the search in a worker thread.
    Passes LangChain's standard retriever suite (tests/test_langchain_suite.py)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    k: int | None = None
    mode: str | None = None
    doc_ids: list[str] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None, mode: str | None = None,
                                doc_ids: list[str] | None = None) -> list[Document]:
        passages = self.retriever.search(query, k=k if k is not None else self.k, mode=mode or self.mode,
                                         doc_ids=doc_ids if doc_ids is not None else self.doc_ids)
        return [passage_to_document(p) for p in passages]


def passage_to_document(p: Passage) -> Document:
    """A LangChain Document for a passage (chunk fields and scores in metadata)."""
    c = p.chunk
    meta = {"chunk_id": c.chunk_id, "doc_id": c.doc_id, "title": c.title, "heading": c.heading,
            "start": c.start, "end": c.end, "rank": p.rank, "score": p.score,
            "dense_score": p.dense_score, "bm25_score": p.bm25_score, **c.metadata}
    return Document(page_content=c.text, metadata=meta, id=c.chunk_id)
