"""Repairs of PDF-extraction damage, applied to every document between ingestion and chunking.

Each repair is a small named function `(text, stat) -> text`; `clean_text` runs them in order (to a
fixed point) and records what each changed. Word repairs (letter spacing, words split inside, doubled
glyphs) are one lexicon-guided step, `rejoin_split_words`, applied only to lines that show damage, so
clean prose is never re-segmented. The lexicon is wordfreq's French list (see `rag.lexicon`). The function is pure and deterministic (chunk ids are content hashes).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from rag.text.lexicon import is_known_word, tokenize_words, zipf


@dataclass
class RepairStat:
    """What one repair changed: how many times, with a few (before, after) examples."""

    name: str
    count: int = 0
    examples: list[tuple[str, str]] = field(default_factory=list)

    def record(self, before: str, after: str) -> None:
        self.count += 1
        if len(self.examples) < 3:
            self.examples.append((before[:80], after[:80]))


@dataclass
class CleanResult:
    text: str
    stats: list[RepairStat]


def _in_context(m: re.Match, replacement: str, width: int = 25) -> tuple[str, str]:
    """(before, after) example of a small regex repair, with some text on each side to make it readable."""
    left = m.string[max(0, m.start() - width):m.start()].split("\n")[-1]
    right = m.string[m.end():m.end() + width].split("\n")[0]
    return left + m.group(0) + right, left + replacement + right


_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u3000"), " ")
_LIGATURES = {"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st", "\u00ad": "", "\u200b": "", "\u2010": "-", "\u2011": "-"}


def normalize_typography(text: str, stat: RepairStat) -> str:
    """Ligatures split, typographic spaces made plain, soft hyphens and zero-width spaces removed."""
    out = text.translate(_SPACES)
    for src, dst in _LIGATURES.items():
        out = out.replace(src, dst)
    if out != text:
        stat.record("(typography)", f"{sum(a != b for a, b in zip(text, out)) + abs(len(text) - len(out))} characters")
    return out


def join_hyphenation(text: str, stat: RepairStat) -> str:
    """'ar-\\nticle' -> 'article' when the line ends on a hyphen and the next starts in lower case."""
    def repl(m: re.Match) -> str:
        stat.record(*_in_context(m, m.group(1) + m.group(2)))
        return m.group(1) + m.group(2)

    return re.sub(r"(\w)-\n[ \t]*([a-zà-ÿ])", repl, text)


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


def _single_run(frags: list[str]) -> bool:
    """Fragments of one character each, all letters or all digits: a letter-spaced word or number."""
    if not all(len(f) == 1 for f in frags):
        return False
    return all(f.isalpha() for f in frags) and len(frags) >= 3 or all(f.isdigit() for f in frags)


def _segment_group(frags: list[str], only_unknown: bool = False) -> list[str]:
    """Best split of space-separated fragments into words (unigram model over wordfreq frequencies).

    A join of several fragments is allowed when the joined form is one known word, or when every
    fragment is a single character (a letter-spaced run). Punctuation ends (or opens) a word.
    `only_unknown`: on lines with little damage, a join must take in a fragment that is not a word
    itself, so that real word pairs ('plus tôt') are never fused.
    """
    n = len(frags)
    best: list[tuple[float, int]] = [(0.0, 0)] + [(-1e18, 0)] * n
    for j in range(1, n + 1):
        for i in range(j - 1, max(-1, j - 25), -1):
            if i < j - 1 and (frags[j - 2][-1] in _CLOSE or frags[i + 1][0] in _OPEN or frags[i + 1][-1] in "'’"):
                break  # punctuation inside the join; an elision ('l’') only opens a word
            if i < j - 1 and frags[i + 1][:1].isupper() and not "".join(frags[i:j]).isupper():
                break  # 'et' + 'X.': a capital starts a new word unless the whole run is in capitals
            if sum(map(len, frags[i:j])) > 40:
                break  # no French word is that long
            seg = "".join(frags[i:j])
            if j - i == 1:
                cost = _segment_cost(seg)
            elif only_unknown and all(_all_known(f) or not tokenize_words(f) for f in frags[i:j]):
                continue
            elif _all_known(seg) and not re.search(r"\d", re.sub(r"-\d+\W*$", "", seg)):  # 'creux' + '1000' is no word
                cost = _segment_cost(seg)
            elif _single_run(frags[i:j]):
                # an unknown letter run costs more the longer it is, so known words found inside it win
                cost = _UNKNOWN_COST - (j - i) if not frags[i].isdigit() else _NUMERIC_COST
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


def _undouble_fragment(frag: str) -> str:
    """Doubled-glyph repair inside one fragment: its letter runs, and runs of repeated punctuation ('?????')."""
    if len(frag) >= 2 and len(frag) % 2 == 0 and frag[0::2] == frag[1::2] and is_known_word(frag[0::2]):
        return frag[0::2]  # every glyph twice ('aa', 'SSaa'): no French word is written like that
    if is_known_word(frag):
        return frag
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
    text = re.sub(r" +([,.)…])", r"\1", text)
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
        level = _damage(line)
        if level:
            new = _repair_line(line, level)
            if new != line:
                stat.record(line.strip(), new.strip())
                line = new
        lines.append(line)
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
            continue
        lines = []
        for line in para.split("\n"):
            if _is_debris(line.strip(), words):
                stat.record(line.strip(), "")
                continue
            lines.append(line)
        kept.append("\n".join(lines))
    return "\n\n".join(kept)


def drop_glyph_debris(text: str, stat: RepairStat) -> str:
    """Before word repair: lines of lone symbols ('¼'), of one repeated glyph ('QQQQ'), map labels
    ('A 16A 16') and lone page numbers (a paragraph that is only a 1-3 digit number; a number inside a
    table is kept). Letter-spaced lines are left for the word repair to read."""
    return _drop_lines(text, stat, words=False)


def drop_debris_lines(text: str, stat: RepairStat) -> str:
    """After word repair: the same, plus lines that are still letter soup ('l l è d t i', 'p p p')."""
    return _drop_lines(text, stat, words=True)


def _shingles(para: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", para.lower())
    return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}


def _is_garbled_copy(para: str, seen_long: set[str]) -> bool:
    """A repeat that no longer matches word for word (a second, damaged rendering of a text box): all its
    long known words (8 or more) already appeared, or most (85%) of them and its own words are poorly known."""
    words = tokenize_words(para)
    long_words = {w for w in words if len(w) >= 6 and is_known_word(w)}
    if len(long_words) < 5:
        return False
    contained = len(long_words & seen_long) / len(long_words)
    share = sum(map(is_known_word, words)) / len(words)
    return contained == 1.0 and len(long_words) >= 8 or contained >= 0.85 and share < 0.95


def drop_repeated_paragraphs(text: str, stat: RepairStat) -> str:
    """A paragraph seen before is kept once: exact repeats (ignoring case, spacing, punctuation) of 40+
    characters, near-duplicates (80% of their word trigrams in one earlier paragraph), and garbled copies."""
    seen: set[str] = set()
    seen_long: set[str] = set()
    earlier: list[set] = []
    out = []
    for para in re.split(r"\n[ \t]*\n", text):
        key = "".join(ch for ch in para.lower() if ch.isalnum())
        sh = _shingles(para)
        dup = len(key) >= 40 and key in seen
        if not dup and len(sh) >= 6:
            dup = any(len(sh & e) >= 0.8 * len(sh) for e in earlier)
        if dup or _is_garbled_copy(para, seen_long):
            stat.record(para.strip(), "")
            continue
        seen.add(key)
        seen_long.update(w for w in tokenize_words(para) if len(w) >= 6 and is_known_word(w))
        if len(sh) >= 6:
            earlier.append(sh)
        out.append(para)
    return "\n\n".join(out)


_LOWER = "a-zàâçéèêëîïôûùüÿœ"


def reflow_paragraphs(text: str, stat: RepairStat) -> str:
    """Prose lines broken by the PDF are joined: a line ending on a letter or comma, followed (even after
    one blank line) by a line starting in lower case, continues the same sentence. Headings (lines starting
    in upper case) and table cells (numbers) stay on their own lines."""
    def repl(m: re.Match) -> str:
        stat.record(*_in_context(m, m.group(1) + " " + m.group(2)))
        return m.group(1) + " " + m.group(2)

    return re.sub(rf"([^\W\d_],?)[ \t]*\n(?:[ \t]*\n)?[ \t]*([{_LOWER}])", repl, text)


def tidy_blank_lines(text: str, stat: RepairStat) -> str:
    """Trailing spaces removed and runs of blank lines reduced to one."""
    out = re.sub(r"[ \t]+\n", "\n", text)
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


def clean_text(text: str, *, boilerplate_start: str | None = None) -> CleanResult:
    """The repaired text of a document and what each repair changed."""
    text = unicodedata.normalize("NFC", text)
    stats = [RepairStat("cut_boilerplate")]
    text = cut_boilerplate(text, boilerplate_start, stats[0])
    by_name = {r.__name__: RepairStat(r.__name__) for r in REPAIRS}
    repair_stats = [by_name[r.__name__] for r in REPAIRS]
    # One repair can expose work for another (a rejoined word ends on a hyphen...): run to a fixed
    # point so that cleaning clean text changes nothing.
    for _ in range(4):
        before = text
        for repair, stat in zip(REPAIRS, repair_stats):
            text = repair(text, stat)
        if text == before:
            break
    return CleanResult(text, stats + list(by_name.values()))
