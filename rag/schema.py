"""Plain data passed between stages: chunks, retrieved passages, citations and answers.

`to_json()` methods produce the contract of ARCHITECTURE.md (`rag ask --json`, `rag retrieve --json`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Chunk:
    """A piece of a cleaned document, the unit that is indexed and retrieved."""

    chunk_id: str  # content hash: same text in the same document gives the same id
    doc_id: str
    title: str
    text: str
    start: int  # character offsets in the cleaned document text
    end: int
    heading: str | None = None
    n_tokens: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)  # publisher, author, date, kind, source_url

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Chunk":
        return cls(**data)


@dataclass
class Passage:
    """A chunk returned for a question, with its rank (1-based) and scores."""

    rank: int
    chunk: Chunk
    score: float
    dense_score: float | None = None
    bm25_score: float | None = None

    @property
    def doc_id(self) -> str:
        return self.chunk.doc_id

    @property
    def chunk_id(self) -> str:
        return self.chunk.chunk_id

    @property
    def text(self) -> str:
        return self.chunk.text

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "doc_id": self.chunk.doc_id, "chunk_id": self.chunk.chunk_id,
            "title": self.chunk.title, "heading": self.chunk.heading, "text": self.chunk.text,
            "score": round(float(self.score), 6),
            "dense_score": None if self.dense_score is None else round(float(self.dense_score), 6),
            "bm25_score": None if self.bm25_score is None else round(float(self.bm25_score), 6),
        }


@dataclass
class Citation:
    """Citation [n] of an answer: the passage and the supporting sentence in it.

    `start`/`end` are character offsets of `quote` inside `text` (the passage text).
    """

    n: int
    doc_id: str
    title: str
    chunk_id: str
    text: str
    quote: str
    start: int
    end: int
    rank: int | None = None
    score: float | None = None
    support: float | None = None  # how strongly the quote supports the answer sentence (0..1)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """What the assistant returns for one question."""

    question: str
    standalone_question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    answerer: str = "extractive"
    notice: str | None = None  # e.g. "LLM unreachable, extractive answer shown instead"
    source_doc_id: str | None = None  # the document the question names ("selon la lettre de 2021"), read first

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "passages": [p.to_json() for p in self.passages],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "answerer": self.answerer,
            "notice": self.notice,
            "source_doc_id": self.source_doc_id,
        }
