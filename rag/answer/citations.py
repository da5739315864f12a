"""Citation verification, shared by both answerers.

Each answer sentence is checked against the passages it cites: a citation must point to a passage that
was given ([7] with 5 passages is a hallucination), and the passage must hold a sentence that supports
the claim (rag.answer.support: its figures and names present, close enough in words and meaning). The
best supporting sentence is returned as the quote (with offsets) for display. Unsupported citations are
removed; a sentence left without any support is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.answer.claims import split_claims
from rag.answer.support import support
from rag.schema import Citation, Passage

__all__ = ["Verification", "Verifier", "split_claims", "support", "verify"]


@dataclass
class Verification:
    """Outcome: the cleaned answer text, its citations (renumbered 1..m) and what was removed."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    removed_citations: list[int] = field(default_factory=list)  # original numbers removed
    dropped_sentences: list[str] = field(default_factory=list)
    kept_sentences: list[str] = field(default_factory=list)  # each verified claim with its renumbered markers


class Verifier:
    """Checks claims one at a time (as they stream in) and numbers the citations that survive.

    Citations are numbered 1..m in the order the verified claims first use them; two claims backed by
    different sentences of one passage get two numbers, so every [n] shows the quote behind its claim."""

    def __init__(self, passages: list[Passage], embedder=None, sentence_vectors=None):
        self.passages = passages
        self.embedder = embedder
        self.sentence_vectors = sentence_vectors  # passage -> its stored (spans, vectors), or None
        self.result = Verification(text="")
        self._by_quote: dict[tuple[int, int], Citation] = {}

    def check(self, claim: str, nums: list[int]) -> str | None:
        """The claim with its renumbered markers when at least one citation supports it, else None."""
        claim_vec = self.embedder.encode_passages([claim])[0] if self.embedder is not None and nums else None
        kept: list[int] = []
        for n in dict.fromkeys(nums):
            if not 1 <= n <= len(self.passages):
                self.result.removed_citations.append(n)  # hallucinated passage number
                continue
            p = self.passages[n - 1]
            stored = self.sentence_vectors(p) if self.sentence_vectors is not None else None
            score, span = support(claim, p.text, self.embedder, claim_vec, stored)
            if span is None:
                self.result.removed_citations.append(n)  # cited passage does not back the claim
                continue
            key = (n, span.start)
            if key not in self._by_quote:
                self._by_quote[key] = Citation(
                    n=len(self._by_quote) + 1, doc_id=p.doc_id, title=p.chunk.title, chunk_id=p.chunk_id,
                    text=p.text, quote=span.text, start=span.start, end=span.end, rank=p.rank, score=p.score,
                    support=round(score, 4))
            if self._by_quote[key].n not in kept:
                kept.append(self._by_quote[key].n)
        if not kept:
            self.result.dropped_sentences.append(claim)
            return None
        sentence = claim + " " + "".join(f"[{k}]" for k in kept)
        self.result.kept_sentences.append(sentence)
        self.result.text = " ".join(self.result.kept_sentences)
        self.result.citations = list(self._by_quote.values())
        return sentence


def verify(answer: str, passages: list[Passage], embedder=None, sentence_vectors=None) -> Verification:
    """Check every [n] of `answer` against `passages` (numbered from 1) and rebuild a verified answer.

    `sentence_vectors(passage)` may give the passage's stored (spans, vectors), or None."""
    verifier = Verifier(passages, embedder, sentence_vectors)
    for claim, nums in split_claims(answer):
        verifier.check(claim, nums)
    return verifier.result
