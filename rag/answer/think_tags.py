"""Remove `<think>…</think>` reasoning blocks from streamed model text.

Reasoning models (Qwen3, DeepSeek-R1 distills, ...) served without a reasoning parser write their
chain of thought inline. It is not the answer: it must never reach the citation check, let alone the
user. Tags can be split across stream chunks ("<thi" + "nk>"), so a possible tag start at the end of a
chunk is held back until the next one; a block still open when the stream ends is dropped whole.
"""

from __future__ import annotations

OPEN, CLOSE = "<think>", "</think>"


def _partial_tag_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that is a proper beginning of `tag` ("<th" for "<think>")."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-n:].lower()):
            return n
    return 0


class ThinkStripper:
    """Feed stream pieces, get back the visible text (possibly empty); call `finish()` at the end."""

    def __init__(self) -> None:
        self._pending = ""  # text not yet released: a possible tag start, or the inside of a block
        self._inside = False

    def feed(self, piece: str) -> str:
        self._pending += piece
        out: list[str] = []
        while True:
            lowered = self._pending.lower()
            if self._inside:
                end = lowered.find(CLOSE)
                if end < 0:
                    # keep only what could be the start of the closing tag: the rest is reasoning
                    keep = _partial_tag_suffix(self._pending, CLOSE)
                    self._pending = self._pending[len(self._pending) - keep:] if keep else ""
                    return "".join(out)
                self._pending = self._pending[end + len(CLOSE):]
                self._inside = False
                continue
            start = lowered.find(OPEN)
            if start >= 0:
                out.append(self._pending[:start])
                self._pending = self._pending[start + len(OPEN):]
                self._inside = True
                continue
            keep = _partial_tag_suffix(self._pending, OPEN)
            out.append(self._pending[:len(self._pending) - keep])
            self._pending = self._pending[len(self._pending) - keep:]
            return "".join(out)

    def finish(self) -> str:
        """What is left once the stream has ended: nothing when a block was never closed."""
        rest = "" if self._inside else self._pending
        self._pending, self._inside = "", False
        return rest


def strip_think(text: str) -> str:
    """`text` without its reasoning blocks (the whole-text form of ThinkStripper)."""
    s = ThinkStripper()
    return s.feed(text) + s.finish()
