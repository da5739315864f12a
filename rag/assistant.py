"""The assistant: question (+ history) -> standalone question -> retrieval -> answer with [n] -> Answer.

Two answerers: the extractive one (rag.answer.extractive, offline, the default) quotes the best sentences
of the retrieved passages verbatim; the LLM one (rag.answer.llm) writes an answer whose sentences reach
the user only once rag.answer.citations has verified them (rag.answer.streaming).
Both abstain with `REFUSAL` when the evidence is too weak. Follow-ups are rewritten into a standalone
question (rag.followup without an LLM, the condense prompt with one).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Iterator

from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.guidance import llm_guidance
from rag.answer.scoring import only_courtesy
from rag.index.embeddings import get_embedder
from rag.errors import InputError, LLMError
from rag.query.followup import Query, standalone_question
from rag.index.interface import Store
from rag.index.store import load_index
from rag.retrieval.retriever import Retriever, validate_request
from rag.schema import Answer
from rag.settings import Settings, load_settings

from rag.answer.prompts import REFUSAL  # noqa: E402  (defined once, re-exported for callers and tests)

__all__ = ["Assistant", "REFUSAL", "standalone_question"]

log = logging.getLogger(__name__)


class Assistant:
    """Answers questions over one index; load once, ask many times (thread-safe for concurrent asks)."""

    def __init__(self, settings: Settings | None = None, index: Store | None = None):
        self.settings = settings or load_settings()
        embedder = get_embedder(self.settings)  # it caches recent query vectors: retrieval and scoring embed the same question
        # a missing or stale index is built first, with its progress on stderr (rag ask, rag serve, the API)
        self.retriever = Retriever(index or load_index(self.settings, quiet=False), self.settings, embedder)
        self.extractive = ExtractiveAnswerer(self.retriever.index, embedder, self.settings)
        self._llm_answerer = None
        self._llm_lock = threading.Lock()

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, *, mode: str | None = None,
            k: int | None = None, doc_ids: list[str] | None = None, answerer: str | None = None,
            llm_report: dict | None = None) -> Answer:
        """Answer `question` (with the conversation `history`, oldest first) citing the passages used.

        `llm_report`, when given, receives the LLM generation's statistics (timings, tokens, why it stopped,
        claims written and kept) if the LLM wrote the answer."""
        for item in self._run(question, history, mode=mode, k=k, doc_ids=doc_ids, answerer=answerer, streaming=False,
                              llm_report=llm_report):
            if isinstance(item, Answer):
                return item
        raise AssertionError("the chain always ends with an Answer")

    def stream(self, question: str, history: list[tuple[str, str]] | None = None, **options) -> Iterator[str | Answer]:
        """Yield the answer shown so far (whole text each time) as it grows, then the final verified Answer.

        With the LLM, the texts are `AnswerSoFar` strings holding verified sentences only, with
        `.drafting` True while the model is still writing (show "rédaction…"). Close the iterator to stop:
        the LLM's HTTP stream is then closed too, so the server stops generating."""
        yield from self._run(question, history, streaming=True, **options)

    def ask_llm(self, question: str, *, k: int | None = None, report: dict | None = None) -> Answer:
        """The LLM's verified answer, raising LLMError instead of falling back (for diagnostics: llm-check)."""
        question, k, mode = validate_request(self.settings, question, k, None)
        gen = self._llm(self.llm(), question, None, mode, k, None, False, report)
        try:
            while True:
                next(gen)
        except StopIteration as done:
            return done.value

    def llm(self):
        """The LLM answerer, made once; with RAG_LLM_MODEL_PATH, llama.cpp's server is started for it first."""
        from rag.answer.llm import LLMAnswerer

        with self._llm_lock:
            if self._llm_answerer is None:
                settings = self.settings
                if settings.llm_model_path is not None:
                    from rag.answer.local_server import serve_local_model

                    settings = serve_local_model(settings)
                self._llm_answerer = LLMAnswerer(settings)
            return self._llm_answerer

    def _run(self, question, history, *, mode=None, k=None, doc_ids=None, answerer=None, streaming=True, llm_report=None):
        question, k, mode = validate_request(self.settings, question, k, mode)
        if only_courtesy(question):
            # "Merci beaucoup !": nothing is asked of the documents, so nothing is searched (no "closest passages")
            if streaming:
                yield REFUSAL
            yield Answer(question=question, standalone_question=question, answer=REFUSAL, abstained=True, passages=[],
                         timings_ms={"retrieve": 0.0, "answer": 0.0, "total": 0.0},
                         answerer=answerer or self.settings.answerer)
            return
        which = answerer or self.settings.answerer
        if which not in ("extractive", "llm"):
            raise InputError(f"Unknown answerer {which!r}: use extractive or llm.")
        notice = None
        if which == "llm":
            try:
                answer = yield from self._llm(self.llm(), question, history, mode, k, doc_ids, streaming, llm_report)
                return (yield answer)
            except LLMError as exc:
                from rag.answer.llm import FALLBACK_NOTICE

                log.warning("LLM answer failed, falling back to the extractive answer: %s", exc)
                notice = FALLBACK_NOTICE.format(reason=getattr(exc, "reason", "aucun serveur configuré"))
        answer = yield from self._extractive(question, history, mode, k, doc_ids, streaming)
        answer.notice = notice
        yield answer

    def _llm(self, llm, question, history, mode, k, doc_ids, streaming, report):
        """LLM path: condense, retrieve, then stream the model's text through sentence-by-sentence verification.

        Only verified sentences are ever yielded; the answer is the refusal when none survives."""
        from rag.answer.citations import Verifier
        from rag.answer.streaming import AnswerSoFar, StreamOutcome, verified_stream

        t0 = time.perf_counter()
        standalone = llm.condense(question, history) if history else question
        query = standalone  # English questions are embedded as they are: the model is multilingual
        passages, ref = self.retriever.search_named(query, k=k, mode=mode, doc_ids=doc_ids)
        t1 = time.perf_counter()
        answer = Answer(question=question, standalone_question=standalone, answer=REFUSAL, abstained=True,
                        passages=passages, answerer="llm", source_doc_id=ref.doc_id if ref else None)
        timings = {}
        # The same evidence test as the extractive path, before the model is asked: a refusal must not rest
        # on the prompt alone, and a question the documents cannot answer costs no LLM call.
        analysis, ranked = self.extractive.score(ref.query if ref else query, passages)
        if not self.extractive.refusal_reason(analysis, ranked, passages):
            if streaming:
                yield AnswerSoFar("", drafting=True)
            verifier = Verifier(passages, self.retriever.embedder, self.extractive.stored_vectors)
            outcome = StreamOutcome()
            # the extractive analysis guides the model: what kind of answer is asked, which sentences hold it
            generation = llm.stream_answer(standalone, [p.text for p in passages], llm_guidance(analysis, self.settings.answer))
            try:
                for shown in verified_stream(generation, verifier, outcome):
                    if streaming:
                        yield shown
            finally:
                generation.close()  # however the loop ended (done, repetition, client gone): free the server
            if verifier.result.citations:
                answer.answer, answer.abstained, answer.citations = verifier.result.text, False, verifier.result.citations
            if generation.first_token_s is not None:
                timings["first_token"] = generation.first_token_s * 1000
            if report is not None:
                report.update(_generation_report(generation, outcome, verifier.result))
        if streaming:
            yield AnswerSoFar(answer.answer)  # drafting is over
        t2 = time.perf_counter()
        answer.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000, **timings}
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


def _generation_report(generation, outcome, verification) -> dict:
    """What `rag llm-check` reports about one LLM answer."""
    gen_s = (generation.total_s or 0) - (generation.first_token_s or 0)
    tokens = generation.completion_tokens or 0
    return {
        "first_token_s": generation.first_token_s, "total_s": generation.total_s,
        "completion_tokens": tokens, "tokens_counted_by": generation.tokens_counted_by,
        "prompt_tokens": generation.prompt_tokens, "max_tokens": generation.max_tokens,
        "tokens_per_s": (tokens - 1) / gen_s if tokens > 1 and gen_s > 0 else None,
        "prompt_tokens_per_s": (generation.server_timings or {}).get("prompt_per_second"),
        "prompt_tokens_read": (generation.server_timings or {}).get("prompt_n"),
        "finish_reason": generation.finish_reason, "stop": outcome.stop, "claims": outcome.claims,
        "kept_sentences": len(verification.kept_sentences),
        "dropped_sentences": list(verification.dropped_sentences),
        "removed_citations": list(verification.removed_citations),
    }
