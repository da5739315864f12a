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
from .errors import InputError
from .index import Index, load_index
from .retrieval import Retriever, validate_request
from .schema import Answer, Citation, Passage
from .sentences import split_sentences
from .settings import Settings, load_settings

REFUSAL = "Je ne trouve pas la réponse dans les documents disponibles."

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
        t0 = time.perf_counter()
        question, k, mode = validate_request(self.settings, question, k, mode)
        if (answerer or self.settings.answerer) != "extractive":
            raise InputError("Only the extractive answerer is available in this version (RAG_ANSWERER=extractive).")
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

    def stream(self, question: str, history: list[tuple[str, str]] | None = None, **options) -> Iterator[str | Answer]:
        """Yield the answer text so far a few words at a time, then the final Answer."""
        answer = self.ask(question, history, **options)
        words = answer.answer.split(" ")
        for i in range(4, len(words), 4):
            yield " ".join(words[:i])
        yield answer.answer
        yield answer


# --- rag ask ----------------------------------------------------------------------------------------

def add_ask_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", help="the question, in French")
    p.add_argument("--history", type=Path, default=None, help='JSON file: [["question", "answer"], ...], oldest first')
    p.add_argument("-k", type=int, default=None, help="passages retrieved (default: RAG_TOP_K)")
    p.add_argument("--mode", default=None, help="dense | bm25 | hybrid")
    p.add_argument("--doc", action="append", default=None, metavar="ID", help="only search this document id (repeatable)")
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
    answer = Assistant(settings).ask(args.question, history, mode=args.mode, k=args.k, doc_ids=args.doc)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(answer.answer)
    for c in answer.citations:
        print(f"\n[{c.n}] {c.title} ({c.doc_id})\n    « {c.quote} »")
    return 0
