"""Token-aware, sentence-aware chunking.

Sentences are packed into chunks of at most `chunk_size` cl100k_base tokens, consecutive chunks sharing
about `chunk_overlap` tokens of whole sentences. A chunk never ends mid-sentence unless one sentence
alone is too long, and never exceeds the embedding model's window (counted with the model's own
tokenizer: multilingual-e5-small, like all-MiniLM-L6-v2, silently truncates past its window of word pieces). Chunk text is an exact slice of
the cleaned document, so offsets point at it and no text is lost between chunks.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass
from typing import Callable

from rag.schema import Chunk
from rag.text.sentences import Span, split_sentences
from rag.text.tokens import count_tokens

_WORD_SPAN = re.compile(r"\S+")


@dataclass
class _Unit:
    start: int
    end: int
    tokens: int
    heading: bool
    continues_heading: bool = False  # a heading line right under another one: the same heading, on two lines


def _is_heading(text: str, span: Span) -> bool:
    """A short line standing alone that does not read like a sentence."""
    s = span.text
    if len(s) > 90 or "\n" in s or s[-1] in ".!?…;,":
        return False
    letters = sum(ch.isalpha() for ch in s)
    if letters < 4 or letters < len(s) * 0.5:
        return False
    before = text[max(0, span.start - 2):span.start]
    after = text[span.end:span.end + 2]
    return (span.start == 0 or "\n" in before) and (span.end == len(text) or after.startswith("\n"))


def _split_long(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Cut text[start:end] at word boundaries into pieces of at most `limit` tokens."""
    pieces: list[tuple[int, int]] = []
    words = [(m.start() + start, m.end() + start) for m in _WORD_SPAN.finditer(text[start:end])]
    cur_start, cur_end, cur_tokens = None, None, 0
    for w_start, w_end in words:
        w_tokens = count_tokens(" " + text[w_start:w_end])
        over = cur_start is not None and cur_tokens + w_tokens > limit - 4
        if over:  # near the limit the running sum is approximate: count the real slice
            over = count_tokens(text[cur_start:w_end]) > limit
        if over:
            pieces.append((cur_start, cur_end))
            cur_start, cur_tokens = None, 0
        if cur_start is None:
            cur_start = w_start
        cur_end = w_end
        cur_tokens += w_tokens
    if cur_start is not None:
        pieces.append((cur_start, cur_end))
    return pieces


def _units(text: str, chunk_size: int) -> list[_Unit]:
    units: list[_Unit] = []
    for span in split_sentences(text, finished_lines=False):
        n = count_tokens(span.text)
        if n <= chunk_size:
            heading = _is_heading(text, span)
            continues = (heading and bool(units) and units[-1].heading
                         and "\n\n" not in text[units[-1].end:span.start].replace(" ", ""))
            units.append(_Unit(span.start, span.end, n, heading, continues))
        else:
            for s, e in _split_long(text, span.start, span.end, chunk_size):
                units.append(_Unit(s, e, count_tokens(text[s:e]), False))
    return units


def _pack(units: list[_Unit], chunk_size: int, overlap: int) -> list[list[_Unit]]:
    """Group units into chunks; a heading starts a new chunk once the current one is half full."""
    groups: list[list[_Unit]] = []
    cur: list[_Unit] = []
    cur_tokens = 0
    for u in units:
        starts_section = u.heading and not u.continues_heading and cur_tokens >= chunk_size // 2
        if cur and (cur_tokens + u.tokens > chunk_size or starts_section):
            groups.append(cur)
            tail: list[_Unit] = []
            if not starts_section:
                tail_tokens = 0
                for prev in reversed(cur[1:]):  # never repeat the whole chunk
                    if tail_tokens + prev.tokens > overlap:
                        break
                    tail.insert(0, prev)
                    tail_tokens += prev.tokens
                # a tail that leaves no room for the new unit is dropped
                if tail_tokens + u.tokens > chunk_size:
                    tail = []
            cur = tail
            cur_tokens = sum(t.tokens for t in cur)
        cur.append(u)
        cur_tokens += u.tokens
    if cur:
        groups.append(cur)
    return groups


def chunk_id(doc_id: str, text: str) -> str:
    """Stable id of a chunk: a hash of its document id and text."""
    return hashlib.sha256(f"{doc_id}\n{text}".encode("utf-8")).hexdigest()[:16]


def chunk_document(
    doc_id: str,
    title: str,
    text: str,
    *,
    chunk_size: int,
    chunk_overlap: int,
    window_tokens: Callable[[str], int] | None = None,
    window: int = 256,
    metadata: dict | None = None,
) -> list[Chunk]:
    """Chunks of a cleaned document.

    `window_tokens` counts the embedding model's word pieces; a chunk above `window` is split again.
    """
    groups = _pack(_units(text, chunk_size), chunk_size, chunk_overlap)

    def fits(group: list[_Unit]) -> bool:
        body = text[group[0].start:group[-1].end]
        # unit counts add up to slightly less than the joined text's count, so the sum is checked again
        if len(group) > 1 and count_tokens(body) > chunk_size:
            return False
        return window_tokens is None or window_tokens(body) <= window

    final: list[list[_Unit]] = []
    pending = deque(groups)  # a deque: putting halves back in front must not copy the rest of a long document
    while pending:
        group = pending.popleft()
        if fits(group):
            final.append(group)
        elif len(group) > 1:
            mid = len(group) // 2
            pending.extendleft([group[mid:], group[:mid]])
        else:  # one sentence above the model window: halve it at word boundaries
            u = group[0]
            parts = _split_long(text, u.start, u.end, max(8, u.tokens // 2))
            if len(parts) < 2:
                final.append(group)  # a single unbreakable token run; the model truncates it
                continue
            pending.extendleft(reversed([[_Unit(s, e, count_tokens(text[s:e]), False)] for s, e in parts]))

    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    heading: str | None = None
    unit_heading: dict[int, str] = {}
    for u in _units_headings(text, groups):
        unit_heading[u[0]] = u[1]
    heading_starts = sorted(unit_heading)
    for group in final:
        start, end = group[0].start, group[-1].end
        body = text[start:end]
        heading = _nearest_heading(unit_heading, heading_starts, start) or None
        cid = chunk_id(doc_id, body)
        seen[cid] = seen.get(cid, 0) + 1
        if seen[cid] > 1:  # the same text twice in one document keeps distinct ids
            cid = f"{cid}-{seen[cid]}"
        chunks.append(Chunk(
            chunk_id=cid, doc_id=doc_id, title=title, text=body, start=start, end=end,
            heading=heading, n_tokens=count_tokens(body), metadata=dict(metadata or {}),
        ))
    return chunks


def _units_headings(text: str, groups: list[list[_Unit]]) -> list[tuple[int, str]]:
    return [(u.start, text[u.start:u.end]) for g in groups for u in g if u.heading]


def _nearest_heading(headings: dict[int, str], starts: list[int], start: int) -> str | None:
    """The last heading that starts at or before `start` (a chunk opening on a heading takes it);
    `starts` are the headings' positions, sorted, so that a long document is not scanned once per chunk."""
    k = bisect_right(starts, start)
    return headings[starts[k - 1]] if k else None
