"""Cut generated answer text into claims: one sentence (or list item) with the [n] markers it carries.

Used on a whole answer (`split_claims`) and on a stream (`ClaimSplitter`), with the same boundaries,
so a claim released while streaming is exactly the claim the whole-text split would give.

Boundaries, and why:
- a sentence end (. ! ? …, closing quotes allowed) followed by a space: not inside a number ("2.800",
  "18,9", no space), not after an abbreviation or an initial ("M. Dupont", "env. 30"), not when the
  next word starts in lower case ("etc. et"), unless markers follow the period;
- markers after the period belong to the sentence before it, when they are on the same line
  ("… emplois. [1] Elles …");
- markers that end a sentence written without a period, when a capital follows ("… emplois [1] Elles");
- a line break before a bullet, a marker, a capital or a digit, or after a finished line, and any blank
  line; markers at the start of a line label that line ("[2] Une première subvention …"), as small
  models copy the passage labels;
- the end of the text: a last sentence without a period is a claim too.
Merging two sentences into one claim is the safe error (the claim must then be supported as a whole);
that is what the rules lean to when in doubt.
"""

from __future__ import annotations

import re

# [3], [1, 2], [1][2], [passage 2]
MARKER = re.compile(r"\[\s*(?:passages?\s*)?(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]", re.IGNORECASE)
_PARTIAL_MARKER_AT_END = re.compile(r"\[\s*(?:p[a-z]*\s*)?[\d,; ]*$", re.IGNORECASE)
_END = re.compile(r"[.!?…]+(?:[ \u00a0\u202f]?[»”\"')])*")
_SAME_LINE_MARKERS = re.compile(r"(?:[ \t\u00a0\u202f]*" + MARKER.pattern + r")+", re.IGNORECASE)
_SENTENCE_START = re.compile(r"[A-ZÀ-ÖØ-Þ0-9«\"“(•·▪\-–—*\[]")
_BULLET = re.compile(r"^\s*(?:[-•·▪◦*–—]|\d{1,2}[.)])\s+")
_ABBREVIATIONS = frozenset(
    "m mm mme mmes mlle dr pr st ste cf ex art al av bd vol chap fig p pp no nos n° env min max "
    "hab km kg md mds mrd mrds t tr trim janv févr fév avr juil sept oct nov déc dept dép".split()
)


def _is_abbreviation(text: str, dot: int) -> bool:
    m = re.search(r"([\wÀ-ÿ°]+)$", text[:dot])
    if not m:
        return False
    word = m.group(1)
    return (len(word) == 1 and word.isalpha()) or word.lower() in _ABBREVIATIONS


def _next_char(text: str, pos: int) -> str:
    m = re.compile(r"\s*").match(text, pos)
    return text[m.end():m.end() + 1]


def _boundaries(text: str) -> list[int]:
    """Positions where a claim ends (sorted, without 0 and len(text))."""
    cuts: set[int] = set()
    for m in _END.finditer(text):
        end = m.end()
        markers = _SAME_LINE_MARKERS.match(text, end)
        if markers:
            end = markers.end()
        if end < len(text) and not text[end].isspace():
            continue  # "2.800", "n.d.", "[1]." glued to more text
        nxt = _next_char(text, end)
        if not markers:
            if m.group(0) == "." and _is_abbreviation(text, m.start()):
                continue
            if nxt and nxt.islower():
                continue  # "etc. et la suite": the sentence goes on
        cuts.add(end)
    for m in _SAME_LINE_MARKERS.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = MARKER.sub("", text[line_start:m.start()]).strip()
        if not before or before[-1] in ".!?…":
            continue  # a line label, or markers after a period (handled above)
        nxt = _next_char(text, m.end())
        if nxt and _SENTENCE_START.match(nxt) and nxt != "[" and "\n" not in text[m.end():m.end() + 3]:
            cuts.add(m.end())
    for m in re.finditer(r"[ \t]*\n\s*", text):
        line = text[text.rfind("\n", 0, m.start()) + 1:m.start()].strip()
        nxt_line = text[m.end():m.end() + 12]
        blank = m.group(0).count("\n") >= 2
        finished = bool(line) and (line[-1] in ".!?…:;»\"”" or bool(re.search(r"\]\s*$", line)))
        starts = bool(nxt_line) and (bool(_BULLET.match(nxt_line)) or bool(_SENTENCE_START.match(nxt_line[0])))
        if blank or finished or starts:
            cuts.add(m.start())
    return sorted(c for c in cuts if 0 < c < len(text))


def _claim(segment: str) -> tuple[str, list[int]]:
    nums = [int(n) for group in MARKER.findall(segment) for n in re.split(r"\s*[,;]\s*", group)]
    # a marker goes with the space before it: "emplois [1]." -> "emplois."
    text = " ".join(re.sub(r"\s*" + MARKER.pattern, "", segment, flags=re.IGNORECASE).split())
    return _BULLET.sub("", text).strip(), nums


def _segments(text: str) -> list[str]:
    cuts = [0, *_boundaries(text), len(text)]
    return [text[a:b] for a, b in zip(cuts, cuts[1:])]


def _has_text(segment: str) -> bool:
    """A segment that has begun a claim: something besides spaces and (possibly unfinished) markers."""
    rest = _PARTIAL_MARKER_AT_END.sub("", MARKER.sub("", segment))
    return bool(rest.strip())


def _merge(segments: list[str]) -> list[tuple[str, list[int]]]:
    out: list[tuple[str, list[int]]] = []
    for seg in segments:
        text, nums = _claim(seg)
        if text:
            out.append((text, nums))
        elif out and nums:
            out[-1][1].extend(nums)  # markers alone on their line belong to the sentence before
    return out


def split_claims(answer: str) -> list[tuple[str, list[int]]]:
    """The answer as (claim text without markers, cited passage numbers), in order."""
    return _merge(_segments(answer))


class ClaimSplitter:
    """Streaming form of `split_claims`: `feed` text pieces, get the claims that can no longer change."""

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, piece: str) -> list[tuple[str, list[int]]]:
        self._pending += piece
        segments = _segments(self._pending)
        # A claim is final once the next one has really begun: what follows a boundary (markers that
        # may still attach to it, a lower-case word that would undo it) is known only then.
        last_started = max((i for i, s in enumerate(segments) if _has_text(s)), default=-1)
        if last_started <= 0:
            return []
        done, keep = segments[:last_started], segments[last_started:]
        self._pending = "".join(keep)
        return _merge(done)

    def finish(self) -> list[tuple[str, list[int]]]:
        """The claims left when the stream has ended (the last one may have no period)."""
        rest, self._pending = self._pending, ""
        return _merge(_segments(rest))
