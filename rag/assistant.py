"""The assistant: question (+ history) -> standalone question -> retrieval -> answer with [n] -> Answer.

Two answerers: the extractive one (rag.answer, offline, the default) quotes the best sentences of the
retrieved passages verbatim; the LLM one (rag.llm) writes an answer that rag.citations then verifies.
Both abstain with `REFUSAL` when the evidence is too weak. Follow-ups are rewritten into a standalone
question (rag.followup without an LLM, the condense prompt with one).
"""

from __future__ import annotations

import time
from typing import Iterator

from rag.answer.extractive import ExtractiveAnswerer
from rag.index.embeddings import get_embedder
from rag.errors import InputError, LLMError
from rag.query.followup import Query, standalone_question
from rag.index.store import Index, load_index
from rag.retrieval.retriever import Retriever, validate_request
from rag.schema import Answer
from rag.settings import Settings, load_settings

from rag.answer.prompts import REFUSAL  # noqa: E402  (defined once, re-exported for callers and tests)

__all__ = ["Assistant", "REFUSAL", "standalone_question"]


class Assistant:
    """Answers questions over one index; load once, ask many times (thread-safe for concurrent asks)."""

    def __init__(self, settings: Settings | None = None, index: Index | None = None):
        self.settings = settings or load_settings()
        embedder = get_embedder(self.settings)  # it caches recent query vectors: retrieval and scoring embed the same question
        self.retriever = Retriever(index or load_index(self.settings), self.settings, embedder)
        self.extractive = ExtractiveAnswerer(self.retriever.index, embedder, self.settings)

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, *, mode: str | None = None,
            k: int | None = None, doc_ids: list[str] | None = None, answerer: str | None = None) -> Answer:
        """Answer `question` (with the conversation `history`, oldest first) citing the passages used."""
        for item in self._run(question, history, mode=mode, k=k, doc_ids=doc_ids, answerer=answerer, streaming=False):
            if isinstance(item, Answer):
                return item
        raise AssertionError("the chain always ends with an Answer")

    def stream(self, question: str, history: list[tuple[str, str]] | None = None, **options) -> Iterator[str | Answer]:
        """Yield the answer text so far (whole text each time) as soon as it grows, then the final verified Answer."""
        yield from self._run(question, history, streaming=True, **options)

    def _run(self, question, history, *, mode=None, k=None, doc_ids=None, answerer=None, streaming=True):
        question, k, mode = validate_request(self.settings, question, k, mode)
        which = answerer or self.settings.answerer
        if which not in ("extractive", "llm"):
            raise InputError(f"Unknown answerer {which!r}: use extractive or llm.")
        notice = None
        if which == "llm":
            try:
                from rag.answer.llm import LLMAnswerer
                answer = yield from self._llm(LLMAnswerer(self.settings), question, history, mode, k, doc_ids, streaming)
                return (yield answer)
            except LLMError as exc:
                from rag.answer.llm import FALLBACK_NOTICE
                notice = FALLBACK_NOTICE.format(reason=getattr(exc, "reason", "aucun serveur configuré"))
        answer = yield from self._extractive(question, history, mode, k, doc_ids, streaming)
        answer.notice = notice
        yield answer

    def _llm(self, llm, question, history, mode, k, doc_ids, streaming):
        """LLM path: condense, retrieve, stream, then verify; abstain when the model refuses or nothing survives."""
        from rag.answer.citations import verify
        from rag.answer.llm import is_refusal

        t0 = time.perf_counter()
        standalone = llm.condense(question, history) if history else question
        query = standalone  # English questions are embedded as they are: the model is multilingual
        passages, ref = self.retriever.search_named(query, k=k, mode=mode, doc_ids=doc_ids)
        t1 = time.perf_counter()
        answer = Answer(question=question, standalone_question=standalone, answer=REFUSAL, abstained=True,
                        passages=passages, answerer="llm", source_doc_id=ref.doc_id if ref else None)
        # The same evidence test as the extractive path, before the model is asked: a refusal must not rest
        # on the prompt alone, and a question the documents cannot answer costs no LLM call.
        analysis, ranked = self.extractive.score(ref.query if ref else query, passages)
        raw = REFUSAL if self.extractive.refusal_reason(analysis, ranked, passages) else ""
        if not raw:
            for raw in llm.stream_answer(standalone, [p.text for p in passages]):
                if streaming:
                    yield raw
        elif streaming:
            yield REFUSAL
        if not is_refusal(raw):
            checked = verify(raw, passages, self.retriever.embedder, self.extractive.stored_vectors)
            if checked.citations:
                answer.answer, answer.abstained, answer.citations = checked.text, False, checked.citations
        t2 = time.perf_counter()
        answer.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000}
        return answer

    def _extractive(self, question, history, mode, k, doc_ids, streaming):
        """Extractive path; while streaming, each chosen sentence is yielded as soon as it is chosen."""
        t0 = time.perf_counter()
        query = standalone_question(question, history)
        passages, ref = self.retriever.search_named(query.text, k=k, mode=mode, doc_ids=doc_ids)
        t1 = time.perf_counter()
        answer = Answer(question=question, standalone_question=query.text, answer=REFUSAL, abstained=True,
                        passages=passages, source_doc_id=ref.doc_id if ref else None)
        shown = ""
        if ref:  # units are scored on what is asked, not on the words naming where to look
            query = Query(query.question, ref.query, query.carried)
        for text, citations in self.extractive.answer(query, passages):
            answer.answer, answer.abstained, answer.citations = text, False, citations
            if streaming:  # the sentence is known now: show it at once, in a few growing pieces for the chat box
                yield from _pieces(shown, text)
                shown = text
        if streaming and answer.abstained:
            yield REFUSAL
        t2 = time.perf_counter()
        answer.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000}
        return answer


def _pieces(before: str, text: str, words_per_piece: int = 12) -> Iterator[str]:
    """`text` (which extends `before`) as a few growing prefixes cut at word boundaries, ending with `text`."""
    added = text[len(before):].split(" ")
    for i in range(words_per_piece, len(added), words_per_piece):
        yield before + " ".join(added[:i])
    yield text
