"""Verified streaming: generated text reaches the user one sentence at a time, and only once checked.

The model's text is cut into claims as it arrives (rag.answer.claims); each finished claim goes
through citation verification (rag.answer.citations.Verifier) and is shown only if a cited passage
supports it. Meanwhile the caller shows a "rédaction…" state. The stream is stopped when the model
repeats a sentence (small models loop until their token cap) or opens with the refusal phrase.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable, Iterator

from rag.answer.citations import Verifier
from rag.answer.claims import ClaimSplitter
from rag.answer.prompts import REFUSAL
from rag.text.normalize import normalize_for_match

DRAFTING_LABEL = "rédaction…"  # what the chat shows while the model writes the next sentence
HEARTBEAT_S = 1.0  # while the model writes, the unchanged text is yielded again this often (see verified_stream)


class AnswerSoFar(str):
    """The answer text shown so far (a str, so text-only callers keep working), with the drafting state:
    `drafting` is True while the model is still writing (the text holds only verified sentences)."""

    drafting: bool

    def __new__(cls, text: str = "", drafting: bool = False) -> "AnswerSoFar":
        obj = super().__new__(cls, text)
        obj.drafting = drafting
        return obj


@dataclass
class StreamOutcome:
    """Why the verified stream ended: "end" (the model stopped), "repetition", "refusal"."""

    stop: str = "end"
    claims: int = 0  # claims the model wrote (verified or not)


def is_refusal(text: str) -> bool:
    """The model said it cannot answer (the refusal phrase, possibly with punctuation around it)."""
    t = normalize_for_match(text)
    return (normalize_for_match(REFUSAL.rstrip(".")) in t or t.startswith("je ne trouve pas")
            or t.startswith("je ne sais pas"))


def verified_stream(pieces: Iterable[str], verifier: Verifier, outcome: StreamOutcome | None = None) -> Iterator[AnswerSoFar]:
    """Yield the verified answer (drafting=True) each time a sentence passes verification, and again
    about every HEARTBEAT_S while the model writes, so that a web app can stop when its reader leaves.

    Returns (ending the iteration) when `pieces` end, when a sentence repeats, or when the model
    opens with the refusal phrase; the caller closes `pieces` (the HTTP stream) in any case."""
    outcome = outcome if outcome is not None else StreamOutcome()
    splitter = ClaimSplitter()
    seen: set[str] = set()

    def take(claims) -> bool:
        """Verify `claims`; False when the stream must stop."""
        for claim, nums in claims:
            key = normalize_for_match(claim)
            if key in seen:
                outcome.stop = "repetition"
                return False
            seen.add(key)
            outcome.claims += 1
            if is_refusal(claim):
                if outcome.claims == 1:
                    outcome.stop = "refusal"
                    return False
                continue  # a refusal after verified sentences: they stand, the phrase itself is not a claim
            if verifier.check(claim, nums) is not None:
                yield_now.append(AnswerSoFar(verifier.result.text, drafting=True))
        return True

    yield_now: list[AnswerSoFar] = []
    last_yield = time.monotonic()
    for piece in pieces:
        go_on = take(splitter.feed(piece))
        if not yield_now and time.monotonic() - last_yield >= HEARTBEAT_S:
            # nothing new to show, but the caller gets a chance to notice that the reader left: Gradio
            # checks for a closed connection only when the handler yields, and closes it then
            yield_now.append(AnswerSoFar(verifier.result.text, drafting=True))
        if yield_now:
            last_yield = time.monotonic()
        yield from yield_now
        yield_now.clear()
        if not go_on:
            return
    take(splitter.finish())
    yield from yield_now
