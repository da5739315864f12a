"""Repairs of PDF-extraction damage, applied to every document between ingestion and chunking.

Each repair is a small named function `(text, stat) -> text`; `clean_text` runs the line and paragraph
repairs to a fixed point, then drops paragraphs that copy an earlier one, and records what each repair
changed and how many characters it removed. Word repairs (letter spacing, words split inside, doubled
glyphs) are one lexicon-guided step, `rejoin_split_words`, applied only to lines that show damage, so
clean prose is never re-segmented. The lexicon is wordfreq's French list (see `rag.text.lexicon`).

Cleaning removes text only where it can show why: debris lines (lone symbols, page numbers, letter
soup), the metadata's boilerplate, and paragraphs that copy ONE earlier kept paragraph without adding a
figure, name or word to it (`rag.ingest.duplicates`, which also names the original of every drop).
Every step is linear in the document's length (a 16 MB document: see scripts/bench_clean.py). The
function is pure and deterministic (chunk ids are content hashes).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

from rag.ingest.duplicates import CopyFinder
from rag.ingest.repair_stats import CleanResult, RepairStat, _ignore, in_context as _in_context
from rag.ingest.word_repair import rejoin_split_words
from rag.text.lexicon import is_known_word, tokenize_words

_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u3000"), " ")
_TYPOGRAPHIC_SPACE = re.compile("[" + "".join(map(chr, _SPACES)) + "]")
_LIGATURES = {"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st", "\u00ad": "", "\u200b": "", "\u2010": "-", "\u2011": "-"}


def normalize_typography(text: str, stat: RepairStat) -> str:
    """Ligatures split, typographic spaces made plain, soft hyphens and zero-width spaces removed."""
    out = _TYPOGRAPHIC_SPACE.sub(" ", text)
    for src, dst in _LIGATURES.items():
        out = out.replace(src, dst)
    if out != text:
        stat.record("(typography)", f"{len(_TYPOGRAPHIC_SPACE.findall(text)) + sum(text.count(c) for c in _LIGATURES)} characters")
    return out


_HYPHEN_BREAK = re.compile(r"-\n[ \t]*(?=[a-zà-ÿ])")  # starts with a literal: the regex engine skips to it


def join_hyphenation(text: str, stat: RepairStat) -> str:
    """'ar-\\nticle' -> 'article' when the line ends on a hyphen after a letter or digit and the next
    starts in lower case."""
    def repl(m: re.Match) -> str:
        start = m.start()
        if start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_"):
            return m.group(0)
        stat.record(*_in_context(m, ""))
        return ""

    return _HYPHEN_BREAK.sub(repl, text)


_REPEATED = re.compile(r"^([^\W\d_])\1+$")
_MASH = re.compile(r"^\d+[A-Z]+\d*$|^[A-Z]\d*[A-Z]+\d*$")  # map labels glued together: '16A', '2AA', '1AAA'


def _is_debris(s: str, words: bool = True) -> bool:
    tokens = s.split()
    if not tokens:
        return False
    if not any(ch.isalpha() or ch in "0123456789" for ch in s):
        return True  # lone symbols: '¼', '•', '___'
    junk = all(len(t) == 1 and t.isalpha() or t.isdigit() or _REPEATED.match(t) or _MASH.match(t) for t in tokens)
    if junk and not any(len(t) > 1 and t.isalpha() and not _REPEATED.match(t) and is_known_word(t) for t in tokens):
        # one glued label could be a real code ('5G'): ask for two, or one next to a lone capital ('A 16A')
        glued = sum(bool(_MASH.match(t)) for t in tokens)
        repeated = [t for t in tokens if _REPEATED.match(t)]
        lone_capital = any(len(t) == 1 and t.isupper() for t in tokens)
        marked = glued + len(repeated) >= 2 or any(len(t) >= 3 for t in repeated) or glued and lone_capital
        lone_letters = all(len(t) == 1 and t.isalpha() and not is_known_word(t) for t in tokens)
        if marked or lone_letters and words:
            return True  # 'QQQQ', 'A 16A 16', 'p p p' (a lone 'A 16' is kept: it can be a road)
    if re.search(r"[0-9]", s) or not words:
        return False  # figures are never debris on word grounds
    words = tokenize_words(s)
    unknown = sum(not is_known_word(w) for w in words)
    return unknown >= 3 and unknown > 0.6 * len(words)


def _drop_lines(text: str, stat: RepairStat, words: bool) -> str:
    kept = []
    for para in re.split(r"\n[ \t]*\n", text):
        if re.fullmatch(r"\s*\d{1,3}\s*", para):
            stat.record(para.strip(), "")
            stat.removed.append(para)
            continue
        lines = []
        for line in para.split("\n"):
            debris = stat.memo.get(line)
            if debris is None:
                debris = stat.memo[line] = _is_debris(line.strip(), words)
            if debris:
                stat.record(line.strip(), "")
                stat.removed.append(line)
                continue
            lines.append(line)
        kept.append("\n".join(lines))
        stat.advance(len(para) + 2)
    return "\n\n".join(kept)


def drop_glyph_debris(text: str, stat: RepairStat) -> str:
    """Before word repair: lines of lone symbols ('¼'), of one repeated glyph ('QQQQ'), map labels
    ('A 16A 16') and lone page numbers (a paragraph that is only a 1-3 digit number; a number inside a
    table is kept). Letter-spaced lines are left for the word repair to read."""
    return _drop_lines(text, stat, words=False)


def drop_debris_lines(text: str, stat: RepairStat) -> str:
    """After word repair: the same, plus lines that are still letter soup ('l l è d t i', 'p p p')."""
    return _drop_lines(text, stat, words=True)


def drop_repeated_paragraphs(text: str, stat: RepairStat) -> str:
    """A paragraph that copies an earlier, kept one is dropped: an exact repeat (ignoring case, spacing and
    punctuation) or a near or damaged copy of ONE earlier paragraph that adds no figure, name or known
    word to it (see `rag.ingest.duplicates`). Each drop records the paragraph it copies."""
    paragraphs = re.split(r"\n[ \t]*\n", text)
    out = []
    for para, copy in zip(paragraphs, CopyFinder().find(paragraphs, stat.advance)):
        if copy is not None:
            stat.record(para.strip(), "")
            stat.copies.append(copy)
            continue
        out.append(para)
    return "\n\n".join(out)


_LOWER = "a-zàâçéèêëîïôûùüÿœ"


_LINE_BREAK = re.compile(rf"\n(?:[ \t]*\n)?[ \t]*(?=[{_LOWER}])")  # starts with a literal: the regex engine skips to it
_ENDS_IN_LETTER = re.compile(r"[^\W\d_],?$")


def reflow_paragraphs(text: str, stat: RepairStat) -> str:
    """Prose lines broken by the PDF are joined: a line ending on a letter or comma, followed (even after
    one blank line) by a line starting in lower case, continues the same sentence. Headings (lines starting
    in upper case) and table cells (numbers) stay on their own lines."""
    out, last = [], 0
    for m in _LINE_BREAK.finditer(text):
        before = text[last:m.start()].rstrip(" \t")
        if _ENDS_IN_LETTER.search(before[-2:]):
            stat.record(*_in_context(m, " "))
            out += (before, " ")
        else:
            out.append(text[last:m.end()])
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def tidy_blank_lines(text: str, stat: RepairStat) -> str:
    """Trailing spaces removed and runs of blank lines reduced to one."""
    out = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    out = re.sub(r"\n{3,}", "\n\n", out).strip() + "\n"
    if out != text:
        stat.record("(whitespace)", "")
    return out


REPAIRS: list[Callable[[str, RepairStat], str]] = [
    # debris goes before word repair, which would otherwise turn 'QQQQ' into a plausible 'Q'
    normalize_typography, join_hyphenation, drop_glyph_debris, rejoin_split_words, drop_debris_lines,
    reflow_paragraphs, drop_repeated_paragraphs, tidy_blank_lines,
]


def cut_boilerplate(text: str, marker: str | None, stat: RepairStat) -> str:
    """Drop everything from the metadata's `boilerplate_start` marker to the end (e.g. a paywall pitch)."""
    if not marker:
        return text
    pos = text.find(marker)
    if pos < 0:
        return text
    stat.record(text[pos:pos + 80], "")
    return text[:pos]


class _PassProgress:
    """Characters processed, for a progress bar. The first run of each repair is the work (later runs only
    touch what changed), so each gets a share of the document's length in proportion to its measured
    cost, and reports through `RepairStat.advance` as it goes."""

    def __init__(self, total: int, report: Callable[[int], None] | None):
        self.total, self.report = total, report
        self.done = 0.0
        self.reported = 0

    def share(self, weight: float) -> Callable[[int], None]:
        def advance(n: int) -> None:
            self.done += n * weight
            self._emit(min(self.done, self.total))
        return advance

    def settle(self, upto: float) -> None:
        """The repair is over: count its whole share even if it reported less (regex repairs report nothing)."""
        self.done = max(self.done, upto)
        self._emit(min(self.done, self.total))

    def _emit(self, value: float) -> None:
        value = int(value)
        if self.report is not None and value > self.reported:
            self.report(value - self.reported)
            self.reported = value


# Share of the first pass's time taken by each repair (profiled on the synthetic 4 MB document of
# scripts/bench_clean.py); the repairs not listed are single regex passes that take next to nothing.
_COST_SHARE = {"rejoin_split_words": 0.6, "drop_glyph_debris": 0.05, "drop_debris_lines": 0.1,
               "drop_repeated_paragraphs": 0.2}
_LOCAL_REPAIRS = [r for r in REPAIRS if r is not drop_repeated_paragraphs]


class _Run:
    """One document's cleaning: applies repairs, keeps their stats, reports the first pass's progress."""

    def __init__(self, total: int, progress: Callable[[int], None] | None):
        self.stats = {r.__name__: RepairStat(r.__name__) for r in REPAIRS}
        self.ticker = _PassProgress(total, progress)
        self.first_time: set[str] = set(self.stats)
        # inputs each repair left unchanged, by (hash, length): a later round skips it on the same input
        # (only fingerprints are kept, not the texts: a long document would otherwise be held many times over)
        self.fixed: dict[str, set[tuple[int, int]]] = {name: set() for name in self.stats}
        other = (1.0 - sum(_COST_SHARE.values())) / sum(r.__name__ not in _COST_SHARE for r in REPAIRS)
        self.weights = {name: _COST_SHARE.get(name, other) for name in self.stats}

    def apply(self, repair: Callable[[str, RepairStat], str], text: str) -> str:
        if (hash(text), len(text)) in self.fixed[repair.__name__]:
            return text
        stat = self.stats[repair.__name__]
        first = repair.__name__ in self.first_time
        if first:  # its first run is the one that counts for progress (later ones redo little)
            self.first_time.discard(repair.__name__)
            share = self.weights[repair.__name__] * self.ticker.total
            stat.advance, upto = self.ticker.share(share / max(1, len(text))), self.ticker.done + share
        out = repair(text, stat)
        stat.chars_removed += len(text) - len(out)
        if first:
            stat.advance = _ignore
            self.ticker.settle(upto)
        if out == text:
            self.fixed[repair.__name__].add((hash(text), len(text)))
        return out

    def local_fixed_point(self, text: str) -> str:
        """The line and paragraph repairs, again and again until they change nothing: one repair can expose
        work for another (a rejoined word ends on a hyphen...), and cleaning clean text must change nothing."""
        for _ in range(4):
            previous = text
            for repair in _LOCAL_REPAIRS:
                text = self.apply(repair, text)
            if text == previous:
                break
        return text


def clean_text(text: str, *, boilerplate_start: str | None = None,
               progress: Callable[[int], None] | None = None) -> CleanResult:
    """The repaired text of a document and what each repair changed.

    `progress`, when given, is called with the number of characters processed since its last call; the
    calls add up to `len(text)` by the time this returns."""
    run = _Run(len(text), progress)
    text = unicodedata.normalize("NFC", text)
    cut = RepairStat("cut_boilerplate")
    before = len(text)
    text = cut_boilerplate(text, boilerplate_start, cut)
    cut.chars_removed = before - len(text)
    text = run.local_fixed_point(text)
    # Dropping copies, which compares each paragraph with the document before it, runs once the local
    # repairs are done; the local repairs then tidy around the drops. When they change nothing, a second
    # search would find no copy (the kept paragraphs were each judged against the same kept paragraphs)
    # and is skipped.
    for _ in range(4):
        deduplicated = run.apply(drop_repeated_paragraphs, text)
        if deduplicated == text:
            break
        text = run.local_fixed_point(deduplicated)
        if text == deduplicated:
            break
    run.ticker.settle(run.ticker.total)
    return CleanResult(text, [cut, *run.stats.values()])
