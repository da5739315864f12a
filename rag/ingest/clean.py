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
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from rag.ingest.duplicates import Copy, CopyFinder
from rag.text.lexicon import is_known_word, tokenize_words, zipf


def _ignore(n: int) -> None:
    pass


@dataclass
class RepairStat:
    """What one repair changed: how many times, how many characters it removed (net), a few (before, after)
    examples, and for dropped duplicates the kept paragraph each one copies.

    `advance` is how a long repair reports the characters it has gone through (see `clean_text`'s progress);
    `memo` is the repair's memory of the lines it has already judged in this document."""

    name: str
    count: int = 0
    chars_removed: int = 0
    examples: list[tuple[str, str]] = field(default_factory=list)
    copies: list[Copy] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # what a debris rule took out, line by line
    advance: Callable[[int], None] = field(default=_ignore, repr=False, compare=False)
    # what a line repair decided about each line, kept across the passes of one document: a later pass
    # only works on the lines an earlier one changed
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def record(self, before: str, after: str) -> None:
        self.count += 1
        if len(self.examples) < 3:
            self.examples.append((before[:80], after[:80]))


@dataclass
class CleanResult:
    text: str
    stats: list[RepairStat]

    @property
    def copies(self) -> list[Copy]:
        """Every paragraph dropped as a copy, with the kept paragraph it copies."""
        return [c for s in self.stats for c in s.copies]

    def removed_by_rule(self) -> dict[str, int]:
        """Characters removed (net) by each repair that removed any."""
        return {s.name: s.chars_removed for s in self.stats if s.chars_removed > 0}


def _in_context(m: re.Match, replacement: str, width: int = 25) -> tuple[str, str]:
    """(before, after) example of a small regex repair, with some text on each side to make it readable."""
    left = m.string[max(0, m.start() - width):m.start()].split("\n")[-1]
    right = m.string[m.end():m.end() + width].split("\n")[0]
    return left + m.group(0) + right, left + replacement + right


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


# ---- lexicon-guided word repair ------------------------------------------------------------------

_UNKNOWN_COST = -12.0  # log10 probability given to a token that is not a known French word
_NUMERIC_COST = -3.0   # a number is neither rewarded nor punished: it just has to stay a number
_CLOSE = ".,;:!?)»\"…"
_OPEN = "(«\""


def _word_cost(word: str) -> float:
    w = word.lower()
    return zipf(w) - 9.0 if is_known_word(w) else _UNKNOWN_COST


@lru_cache(maxsize=100_000)
def _segment_cost(seg: str) -> float:
    words = tokenize_words(seg)
    if not words:
        return _NUMERIC_COST
    return sum(_word_cost(w) for w in words)


@lru_cache(maxsize=100_000)
def _all_known(seg: str) -> bool:
    words = tokenize_words(seg)
    return bool(words) and all(is_known_word(w) for w in words)


_DIGIT = re.compile(r"\d")
_TRAILING_NUMBER = re.compile(r"-\d+\W*$")


def _segment_group(frags: list[str], only_unknown: bool = False) -> list[str]:
    """Best split of space-separated fragments into words (unigram model over wordfreq frequencies).

    A join of several fragments is allowed when the joined form is one known word, or when every
    fragment is a single character (a letter-spaced run). Punctuation ends (or opens) a word.
    `only_unknown`: on lines with little damage, a join must take in a fragment that is not a word
    itself, so that real word pairs ('plus tôt') are never fused.
    """
    n = len(frags)
    # per fragment, computed once: the window below looks at each fragment up to 24 times
    plain = [_all_known(f) or not tokenize_words(f) for f in frags] if only_unknown else None
    closes = [f[-1] in _CLOSE for f in frags]
    opens = [f[0] in _OPEN or f[-1] in "'’" for f in frags]
    capital = [f[:1].isupper() for f in frags]
    best: list[tuple[float, int]] = [(0.0, 0)] + [(-1e18, 0)] * n
    for j in range(1, n + 1):
        seg, all_plain, single, alpha, digit = "", True, True, True, True
        for i in range(j - 1, max(-1, j - 25), -1):
            if i < j - 1 and (closes[j - 2] or opens[i + 1]):
                break  # punctuation inside the join; an elision ('l’') only opens a word
            f = frags[i]
            seg = f + seg  # frags[i:j], grown one fragment at a time
            if i < j - 1 and capital[i + 1] and not seg.isupper():
                break  # 'et' + 'X.': a capital starts a new word unless the whole run is in capitals
            if len(seg) > 40:
                break  # no French word is that long
            if plain is not None:
                all_plain = all_plain and plain[i]
            single, alpha, digit = single and len(f) == 1, alpha and f.isalpha(), digit and f.isdigit()
            if j - i == 1:
                cost = _segment_cost(seg)
            elif plain is not None and all_plain:
                continue
            elif _all_known(seg) and not _DIGIT.search(_TRAILING_NUMBER.sub("", seg)):  # 'creux' + '1000' is no word
                cost = _segment_cost(seg)
            elif single and (alpha and j - i >= 3 or digit):  # a letter-spaced word or number
                # an unknown letter run costs more the longer it is, so known words found inside it win
                cost = _UNKNOWN_COST - (j - i) if not digit else _NUMERIC_COST
            else:
                continue
            if best[i][0] + cost > best[j][0]:
                best[j] = (best[i][0] + cost, i)
    out, j = [], n
    while j > 0:
        i = best[j][1]
        out.append("".join(frags[i:j]))
        j = i
    return out[::-1]


def _undouble(frag: str) -> str:
    """'ppaarroo' -> 'paro', 'AAAAAAAgggggggeeeeee' -> 'Agence': runs of a repeated glyph (bold rendering) cut
    back to one or two glyphs, keeping the variant that is a known word (or a strict halving)."""
    runs = [m.group(0) for m in re.finditer(r"(.)\1*", frag)]
    if len(runs) == len(frag) or len({c.lower() for c in frag if c.isalpha()}) < 2 and len(frag) != 2:
        return frag
    if len(frag) % 2 == 0 and frag[0::2] == frag[1::2] and is_known_word(frag[0::2]):
        return frag[0::2]
    multi = [k for k, r in enumerate(runs) if len(r) > 1]
    if len(multi) > 10:
        return frag
    best, best_z = frag, 0.0
    for mask in range(1 << len(multi)):
        parts = [r[0] for r in runs]
        for b, k in enumerate(multi):
            if mask >> b & 1:
                parts[k] = runs[k][:2]
        cand = "".join(parts)
        if tokenize_words(cand) and _all_known(cand) and zipf(tokenize_words(cand)[0]) > best_z:
            best, best_z = cand, zipf(tokenize_words(cand)[0])
    if best == frag and len(frag) % 2 == 0 and frag[0::2] == frag[1::2]:
        return frag[0::2]  # a doubled fragment of a word ('llee'): the rejoin step makes it whole
    return best


_TWICE = re.compile(r"(.)\1")


def _undouble_fragment(frag: str) -> str:
    """Doubled-glyph repair inside one fragment: its letter runs, and runs of repeated punctuation ('?????')."""
    if len(frag) >= 2 and len(frag) % 2 == 0 and frag[0::2] == frag[1::2] and is_known_word(frag[0::2]):
        return frag[0::2]  # every glyph twice ('aa', 'SSaa'): no French word is written like that
    if is_known_word(frag) or not _TWICE.search(frag):
        return frag  # every repair below undoes a glyph written twice in a row
    frag = re.sub(r"(['’?!»«])\1+", r"\1", frag)
    frag = re.sub(r"([^\W\d_])\1+(?=['’])", r"\1", frag)  # 'LLLLL'INDUSTRIE': a doubled elision
    # a doubled year ('22002200' for '2020'): 8+ digits only, so no real figure is ever halved
    frag = re.sub(r"\d{8,}", lambda m: m.group(0)[0::2] if m.group(0)[0::2] == m.group(0)[1::2] else m.group(0), frag)
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0) if is_known_word(m.group(0)) else _undouble(m.group(0)), frag)


def _damage(line: str) -> int:
    """0: clean line; 1: a word or two that are no words (repair only those); 2: damaged line."""
    words = tokenize_words(line)
    unknown = sum(not is_known_word(w) for w in words)
    # PDF text that marks word gaps with two spaces splits words with one: the wide gaps are the signal
    wide_gaps = len(re.findall(r"\S {2,}(?=\S)", line.strip()))
    # a lone letter that is not a word ('DE L A CROISSANCE'), not an initial ('J. F.') or an elision
    stray = re.search(r"(?:^|\s)(?![aàyôAÀYÔ]\s)[^\W\d_](?=\s+[^\W\d_])", line) is not None
    # headings in capitals are letter-spaced by the PDF and split where the kerning is wide ('DOLL AR')
    capitals = len(words) >= 2 and line == line.upper()
    if capitals or unknown >= 2 and unknown >= 0.15 * len(words) or wide_gaps >= 1 and unknown >= 1 or wide_gaps >= 3 or stray:
        return 2
    return 1 if unknown else 0


def _tidy_damaged_punctuation(line: str) -> str:
    line = re.sub(r"(?<=[^\W\d_]) ?(['’]) ?(?=[^\W\d_])", r"\1", line)       # l ’ industrie
    line = re.sub(r"(?<=[^\W\d_]) -(?=[^\W\d_])", "-", line)                # Hauts -de-France
    line = re.sub(r"\. \. \.", "...", line)
    line = re.sub(r",,+", ",", line)
    line = re.sub(r"\b([nN]) ?° ?(?=\d)", r"\1°", line)
    return line


def _attach_punctuation(text: str) -> str:
    text = re.sub(r"(?<! ) +([,.)…])", r"\1", text)  # the look-behind keeps a long run of spaces linear
    return re.sub(r"([(]) +", r"\1", text)


def _repair_line(line: str, level: int = 2) -> str:
    lead = line[: len(line) - len(line.lstrip())]
    body = _tidy_damaged_punctuation(line.strip())
    groups = re.split(r" {2,}", body)
    out = []
    for g in groups:
        frags = [_undouble_fragment(f) for f in g.split(" ") if f]
        out.append(" ".join(_segment_group(frags, only_unknown=level < 2)))
    return lead + _attach_punctuation(" ".join(out))


def rejoin_split_words(text: str, stat: RepairStat) -> str:
    """'contr ibut ion' -> 'contribution', 'L e t t r e  d ' i n f o' -> 'Lettre d'info',
    'ppaarroo llee' -> 'parole': on damaged lines only (several unknown fragments), fragments are
    rejoined where the joined form is a known word likelier than the pieces (wordfreq, French).
    Wide gaps (two spaces or more) always separate words."""
    lines = []
    for line in text.split("\n"):
        new = stat.memo.get(line)
        if new is None:
            level = _damage(line)
            new = stat.memo[line] = _repair_line(line, level) if level else line
        if new != line:
            stat.record(line.strip(), new.strip())
        lines.append(new)
        stat.advance(len(line) + 1)
    return "\n".join(lines)


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
