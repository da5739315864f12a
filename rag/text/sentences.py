"""French sentence splitting with character offsets (used by chunking and by the answerers).

A sentence ends at . ! ? … (optionally followed by a closing quote or bracket) when what follows starts
a new sentence (capital letter, digit, opening quote, bullet). Abbreviations ("M.", "n°", "art.",
initials "J. F.") and numbers ("2.800", "18,9 %") never end a sentence. A straight quote glued to the
final period closes the sentence, one after a space opens the next (`batterie". "J'ai`); a short «…»
quotation of several sentences stays one sentence, so no quote keeps a stray « or ». A line break
inside a paragraph ends a sentence only when the line looks finished (PDF text breaks lines mid-sentence).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from rag.text.wordlists import word_list

_ABBREVIATIONS = word_list("text/data/abbreviations_fr.txt")
# Closing marks glued to the end: » may follow a (narrow) space, as French typography wants; a straight
# quote only counts when glued (`batterie". "J'ai` : the second " opens the next sentence).
_END = re.compile(r"[.!?…]+(?:[”\"')\]]|\s?»)*")
_NEXT_START = re.compile(r"\s+[«\"“(\[]?\s*[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒ0-9•·–—-]")
_BULLET = re.compile(r"^\s*[•·▪◦\-–—*]\s+")


@dataclass(frozen=True)
class Span:
    """A sentence: its text (stripped) and offsets in the text it was cut from."""

    text: str
    start: int
    end: int


_WORD_BEFORE = 64  # characters looked at before a dot: far more than any abbreviation, and a bounded cost per dot


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the '.' at `dot` closes an abbreviation or an initial rather than a sentence."""
    m = re.search(r"([\wÀ-ÿ°€]+)$", text[max(0, dot - _WORD_BEFORE):dot])
    if not m:
        return False
    word = m.group(1)
    if len(word) == 1 and word.isalpha():  # initials: "J. F. Kennedy", "X. Bertrand"
        return True
    return word.lower() in _ABBREVIATIONS


_QUOTATION = re.compile(r"«[^«»]*»|“[^“”]*”")
MAX_QUOTATION_CHARS = 400  # a longer quotation is cut into its sentences (an answer quotes a few lines at most)


def _quotations(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the «…» / “…” quotations of text[start:end] short enough to stay in one sentence:
    « A. B », dit-il. cut after "A." would leave a stray « on one side and a stray » on the other."""
    return [(m.start(), m.end()) for m in _QUOTATION.finditer(text, start, end) if m.end() - m.start() <= MAX_QUOTATION_CHARS]


def _spans_in_line(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence boundaries inside text[start:end] (a single paragraph line block)."""
    out = []
    cur = start
    quotes = _quotations(text, start, end)
    quote_starts = [a for a, _ in quotes]
    for m in _END.finditer(text, start, end):
        stop = m.end()
        if stop >= end:
            break
        k = bisect_left(quote_starts, stop) - 1  # the quotations are sorted and apart: only this one can hold stop
        if k >= 0 and quotes[k][0] < stop < quotes[k][1]:
            continue
        if text[m.start()] == "." and m.end() - m.start() == 1 and _is_abbreviation(text, m.start()):
            continue
        if text[m.start()] == "." and m.start() > 0 and text[m.start() - 1].isdigit() and stop < end and text[stop].isdigit():
            continue  # 2.800
        if not _NEXT_START.match(text, stop):
            continue
        out.append((cur, stop))
        cur = stop
    out.append((cur, end))
    return out


# Words after which a line cannot end a sentence: the next line goes on with a name ("avec la\nMaison").
_SEQUEL_WORDS = word_list("text/data/sequel_words_fr.txt")
_LAST_WORD = re.compile(r"(\w+)\W*$")


def _line_looks_finished(line: str) -> bool:
    """A line that could end a block: not on a comma, hyphen or sequel word, with its brackets closed."""
    if line[-1] in ",-–—(«“'’" or line.count("(") > line.count(")") or line.count("«") > line.count("»"):
        return False
    m = _LAST_WORD.search(line)
    return not m or m.group(1).lower() not in _SEQUEL_WORDS


def split_sentences(text: str, offset: int = 0, *, finished_lines: bool = True) -> list[Span]:
    """Sentences of `text` with offsets (shifted by `offset`); blank lines and bullets always split.

    `finished_lines` (default) also ends a sentence at a long line that looks finished before a capital
    (contents entries, table rows: "Interview : Banque des territoires : un milliard d'euros pour
    l'aménagement industriel" is quoted alone, not with the whole contents list). Chunking passes False:
    its units, hence chunk boundaries, stay as measured (finer units moved them and cost retrieval).
    """
    spans: list[Span] = []
    # Blocks: paragraphs split on blank lines, and single lines that are bullets or look finished.
    block_start = 0
    lines = text.split("\n")
    pos = 0
    blocks: list[tuple[int, int]] = []
    for i, line in enumerate(lines):
        line_end = pos + len(line)
        stripped = line.strip()
        next_line = lines[i + 1] if i + 1 < len(lines) else ""
        ends_block = (
            not stripped
            or not next_line.strip()
            or _BULLET.match(next_line)
            or _BULLET.match(line)
            or stripped[-1] in ".!?…:;»\""
            # before a capital, a line ends a block when it does not end on a word needing a sequel ("de", "la",
            # a comma, an open bracket): a heading, a contents entry, a table row or a caption ends there, "avec
            # la\nMaison des entreprises de\nVervins" goes on (cleaned text has its broken prose lines joined).
            # Chunking (not `finished_lines`) keeps its measured rule: any short line before a capital.
            or (next_line.strip()[:1].isupper()
                and (_line_looks_finished(stripped) if finished_lines else len(stripped) < 60))
        )
        if ends_block:
            blocks.append((block_start, line_end))
            block_start = line_end + 1
        pos = line_end + 1
    if block_start < len(text):
        blocks.append((block_start, len(text)))
    for b_start, b_end in blocks:
        for s, e in _spans_in_line(text, b_start, b_end):
            raw = text[s:e]
            if not raw.strip():
                continue
            lead = len(raw) - len(raw.lstrip())
            trail = len(raw) - len(raw.rstrip())
            spans.append(Span(raw.strip(), offset + s + lead, offset + e - trail))
    return spans
