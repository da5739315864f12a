"""Citation verification, shared by both answerers.

Each answer sentence is checked against the passages it cites: a citation must point to a passage that
was given ([7] with 5 passages is a hallucination), and the passage must hold a sentence that supports
the claim (its numbers all present, enough content words shared, or close in embedding space). The best
supporting sentence is returned as the quote (with offsets) for display. Unsupported citations are
removed; a sentence left without any support is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rag.text.analysis import analyze
from rag.schema import Citation, Passage
from rag.text.sentences import Span, split_sentences
from rag.text.normalize import numbers_in

_MARKER = re.compile(r"\s*\[(\d+)\]")
# A claim is supported when this share of its content stems is in the quote (numbers must all be there),
# or when the quote is this close in embedding space.
MIN_OVERLAP = 0.5
MIN_COSINE = 0.75


@dataclass
class Verification:
    """Outcome: the cleaned answer text, its citations (renumbered 1..m) and what was removed."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    removed_citations: list[int] = field(default_factory=list)  # original numbers removed
    dropped_sentences: list[str] = field(default_factory=list)


def split_claims(answer: str) -> list[tuple[str, list[int]]]:
    """The answer as (sentence without markers, cited numbers); a marker after the period belongs before it."""
    out: list[tuple[str, list[int]]] = []
    pos = 0
    ends = [m.end() for m in re.finditer(r"(?<=[.!?…])(?:\s*\[\d+\])*(?=\s|$)|(?:\[\d+\])(?=\s+[A-ZÀ-Ý«])", answer)]
    for end in ends + [len(answer)]:  # the text after the last sentence end is a claim too
        chunk = answer[pos:end]
        pos = end
        nums = [int(n) for n in _MARKER.findall(chunk)]
        text = _MARKER.sub("", chunk).strip()
        if text:
            out.append((text, nums))
        elif out:
            out[-1][1].extend(nums)  # markers alone after a sentence belong to it
    return out


def support(claim: str, passage_text: str, embedder=None, claim_vec=None, stored=None) -> tuple[float, object | None]:
    """(support score in [0, 1], best supporting sentence Span or None) of `claim` in one passage.

    `stored` is the passage's (sentence spans, sentence vectors) from the index, which spares the model
    call; without it the passage's sentences are embedded here (when an embedder is given)."""
    if stored is not None and len(stored[0]) == len(stored[1]):
        spans = [Span(passage_text[a:b].strip(), a + len(passage_text[a:b]) - len(passage_text[a:b].lstrip()),
                      b - len(passage_text[a:b]) + len(passage_text[a:b].rstrip())) for a, b in stored[0]]
        keep = [i for i, sp in enumerate(spans) if sp.text]
        spans, vecs = [spans[i] for i in keep], stored[1][keep]
    else:
        spans = [s for s in split_sentences(passage_text) if s.text.strip()]
        vecs = embedder.encode_passages([s.text for s in spans]) if embedder is not None and spans else None
    if not spans:
        return 0.0, None
    stems = set(analyze(claim))
    nums = numbers_in(claim)
    cos = np.zeros(len(spans), dtype=np.float32)
    if embedder is not None and vecs is not None:
        cv = claim_vec if claim_vec is not None else embedder.encode_passages([claim])[0]
        cos = vecs @ cv
    best, best_span = 0.0, None
    for span, c in zip(spans, cos):
        if nums and not nums <= numbers_in(span.text):
            continue  # a figure that is not in the quote is not supported by it
        overlap = len(stems & set(analyze(span.text))) / len(stems) if stems else 0.0
        ok = overlap >= MIN_OVERLAP or float(c) >= MIN_COSINE
        score = max(overlap, float(c)) if ok else 0.0
        if score > best:
            best, best_span = score, span
    return best, best_span


def verify(answer: str, passages: list[Passage], embedder=None, sentence_vectors=None) -> Verification:
    """Check every [n] of `answer` against `passages` (numbered from 1) and rebuild a verified answer.

    `sentence_vectors(passage)` may give the passage's stored (spans, vectors), or None."""
    result = Verification(text="")
    by_passage: dict[int, Citation] = {}
    kept_sentences = []
    for claim, nums in split_claims(answer):
        claim_vec = embedder.encode_passages([claim])[0] if embedder is not None else None
        kept = []
        for n in dict.fromkeys(nums):
            if not 1 <= n <= len(passages):
                result.removed_citations.append(n)  # hallucinated passage number
                continue
            p = passages[n - 1]
            stored = sentence_vectors(p) if sentence_vectors is not None else None
            score, span = support(claim, p.text, embedder, claim_vec, stored)
            if span is None:
                result.removed_citations.append(n)  # cited passage does not back the claim
                continue
            if n not in by_passage:
                by_passage[n] = Citation(n=len(by_passage) + 1, doc_id=p.doc_id, title=p.chunk.title, chunk_id=p.chunk_id,
                                         text=p.text, quote=span.text, start=span.start, end=span.end,
                                         rank=p.rank, score=p.score, support=round(score, 4))
            kept.append(by_passage[n].n)
        if kept:
            kept_sentences.append(claim + " " + " ".join(f"[{k}]" for k in kept))
        else:
            result.dropped_sentences.append(claim)
    result.text = " ".join(kept_sentences)
    result.citations = list(by_passage.values())
    return result
