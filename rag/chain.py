"""The assistant: question (+ history) -> standalone question -> retrieval -> extractive answer with [n].

The extractive answerer quotes the best-matching sentences of the retrieved passages verbatim, each
followed by the number of its passage, so every claim is grounded by construction. It refuses
(`REFUSAL`) when the best sentence matches the question too weakly.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from .analysis import analyze
from .errors import InputError, LLMError
from .index import Index, load_index
from .retrieval import Retriever, validate_request
from .schema import Answer, Citation, Passage
from .sentences import split_sentences
from .settings import Settings, load_settings

from .prompts import REFUSAL  # noqa: E402  (defined once, re-exported for callers and tests)

_FIGURE = re.compile(r"\d")
_QUESTION_WANTS_FIGURE = re.compile(r"\b(combien|quel(le)?s? (montant|nombre|part|budget)|how (much|many))\b", re.I)


def standalone_question(question: str, history: list[tuple[str, str]] | None) -> str:
    """The question plus the content words of the previous user turn, so a follow-up can be retrieved alone."""
    if not history:
        return question
    previous = history[-1][0]
    own = set(analyze(question))
    extra = [w for w in re.findall(r"[^\W\d_][\w'’-]+|\d[\d.,]*", previous) if analyze(w) and analyze(w)[0] not in own]
    return f"{question} ({' '.join(dict.fromkeys(extra))})" if extra else question


class Assistant:
    """Answers questions over one index; load once, ask many times."""

    def __init__(self, settings: Settings | None = None, index: Index | None = None):
        self.settings = settings or load_settings()
        self.retriever = Retriever(index or load_index(self.settings), self.settings)

    def _score_sentences(self, query: str, passages: list[Passage]) -> list[tuple[float, int, object]]:
        terms = set(analyze(query))
        wants_figure = bool(_QUESTION_WANTS_FIGURE.search(query))
        candidates = []
        for n, p in enumerate(passages, start=1):
            for span in split_sentences(p.text):
                if len(span.text) >= 25 and sum(ch.isalpha() for ch in span.text) > 15:
                    candidates.append((n, span))
        if not candidates or not terms:
            return []
        vectors = self.retriever.embedder.encode([s.text for _, s in candidates])
        qvec = self.retriever.embedder.encode_query(query)
        cosines = vectors @ qvec
        scored = []
        for (n, span), cos in zip(candidates, cosines):
            overlap = len(terms & set(analyze(span.text))) / len(terms)
            score = 0.7 * overlap + 0.3 * float(cos) + (0.1 if wants_figure and _FIGURE.search(span.text) else 0.0)
            scored.append((score, n, span))
        scored.sort(key=lambda t: -t[0])
        return scored

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, *, mode: str | None = None,
            k: int | None = None, doc_ids: list[str] | None = None, answerer: str | None = None) -> Answer:
        """Answer `question` (with the conversation `history`, oldest first) citing the passages used."""
        for item in self._run(question, history, mode=mode, k=k, doc_ids=doc_ids, answerer=answerer, streaming=False):
            if isinstance(item, Answer):
                return item
        raise AssertionError("the chain always ends with an Answer")

    def stream(self, question: str, history: list[tuple[str, str]] | None = None, **options) -> Iterator[str | Answer]:
        """Yield the answer text so far (whole text each time) several times, then the final verified Answer."""
        yield from self._run(question, history, streaming=True, **options)

    def _run(self, question, history, *, mode=None, k=None, doc_ids=None, answerer=None, streaming=True):
        question, k, mode = validate_request(self.settings, question, k, mode)
        which = answerer or self.settings.answerer
        if which not in ("extractive", "llm"):
            raise InputError(f"Unknown answerer {which!r}: use extractive or llm.")
        notice = None
        if which == "llm":
            try:
                from .llm import LLMAnswerer
                answer = yield from self._llm(LLMAnswerer(self.settings), question, history, mode, k, doc_ids, streaming)
                return (yield answer)
            except LLMError as exc:
                from .llm import FALLBACK_NOTICE
                notice = FALLBACK_NOTICE.format(reason=getattr(exc, "reason", "aucun serveur configuré"))
        answer = self._extractive(question, history, mode, k, doc_ids)
        answer.notice = notice
        if streaming:
            words = answer.answer.split(" ")
            for i in range(3, len(words), 3):
                yield " ".join(words[:i])
            yield answer.answer
        yield answer

    def _llm(self, llm, question, history, mode, k, doc_ids, streaming):
        """LLM path: condense, retrieve, stream, then verify; abstain when the model refuses or nothing survives."""
        from .citations import verify
        from .llm import is_refusal

        t0 = time.perf_counter()
        standalone = llm.condense(question, history) if history else question
        passages = self.retriever.search(standalone, k=k, mode=mode, doc_ids=doc_ids)
        t1 = time.perf_counter()
        raw = ""
        for raw in llm.stream_answer(standalone, [p.text for p in passages]):
            if streaming:
                yield raw
        answer = Answer(question=question, standalone_question=standalone, answer=REFUSAL, abstained=True, passages=passages)
        if not is_refusal(raw):
            checked = verify(raw, passages, self.retriever.embedder)
            if checked.citations:
                answer.answer, answer.abstained, answer.citations = checked.text, False, checked.citations
        t2 = time.perf_counter()
        answer.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000}
        return answer

    def _extractive(self, question, history, mode, k, doc_ids) -> Answer:
        t0 = time.perf_counter()
        standalone = standalone_question(question, history)
        passages = self.retriever.search(standalone, k=k, mode=mode, doc_ids=doc_ids)
        t1 = time.perf_counter()
        scored = self._score_sentences(standalone, passages)
        answer = Answer(question=question, standalone_question=standalone, answer=REFUSAL, abstained=True, passages=passages)
        if scored and scored[0][0] >= self.settings.abstain_threshold:
            best = scored[0][0]
            chosen = [t for t in scored[: self.settings.max_answer_sentences] if t[0] >= best * 0.85][:2]
            parts, citations = [], {}
            for _, n, span in chosen:
                p = passages[n - 1]
                if n not in citations:
                    citations[n] = Citation(n=len(citations) + 1, doc_id=p.doc_id, title=p.chunk.title, chunk_id=p.chunk_id,
                                            text=p.text, quote=span.text, start=span.start, end=span.end,
                                            rank=p.rank, score=p.score)
                parts.append(f"{' '.join(span.text.split())} [{citations[n].n}]")
            answer.answer, answer.abstained, answer.citations = " ".join(parts), False, list(citations.values())
        t2 = time.perf_counter()
        answer.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000}
        return answer


# --- rag ask ----------------------------------------------------------------------------------------

def add_ask_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", help="the question, in French")
    p.add_argument("--history", type=Path, default=None, help='JSON file: [["question", "answer"], ...], oldest first')
    p.add_argument("-k", type=int, default=None, help="passages retrieved (default: RAG_TOP_K)")
    p.add_argument("--mode", default=None, help="dense | bm25 | hybrid")
    p.add_argument("--doc", action="append", default=None, metavar="ID", help="only search this document id (repeatable)")
    p.add_argument("--answerer", default=None, choices=("extractive", "llm"), help="who writes the answer (default: RAG_ANSWERER)")
    p.add_argument("--json", action="store_true", help="print the JSON contract")


def _read_history(path: Path | None) -> list[tuple[str, str]] | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [(str(u), str(a)) for u, a in data]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError) as exc:
        raise InputError(f"--history {path}: expected a JSON list of [question, answer] pairs ({exc}).") from None


def cmd_ask(args: argparse.Namespace) -> int:
    settings = load_settings()
    validate_request(settings, args.question, args.k, args.mode)  # fail fast, before loading the model
    history = _read_history(args.history)
    answer = Assistant(settings).ask(args.question, history, mode=args.mode, k=args.k, doc_ids=args.doc, answerer=args.answerer)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return 0
    if answer.notice:
        print(f"({answer.notice})\n")
    print(answer.answer)
    for c in answer.citations:
        print(f"\n[{c.n}] {c.title} ({c.doc_id})\n    « {c.quote} »")
    return 0
