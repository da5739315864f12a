"""Repairs of PDF-extraction damage, applied to every document between ingestion and chunking.

Each repair is a small named function `text -> text`; `clean_text` runs them in order and records
what each changed. The function is pure and deterministic (chunk ids are content hashes).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable


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
        stat.record(m.group(0), m.group(1) + m.group(2))
        return m.group(1) + m.group(2)

    return re.sub(r"(\w)-\n[ \t]*([a-zà-ÿ])", repl, text)


def _is_spaced_group(tokens: list[str]) -> bool:
    if len(tokens) < 3:
        return False
    singles = sum(len(t) == 1 for t in tokens)
    return all(len(t) <= 2 for t in tokens) and singles >= 0.7 * len(tokens)


def _join_single_letter_runs(tokens: list[str], min_run: int = 5) -> str:
    """Join runs of at least `min_run` one-letter tokens ('S C É N A R I O S' -> 'SCÉNARIOS')."""
    out: list[str] = []
    run: list[str] = []
    for t in tokens + [""]:
        if len(t) == 1 and t.isalpha():
            run.append(t)
            continue
        out.append("".join(run) if len(run) >= min_run else " ".join(run)) if run else None
        run = []
        out.append(t)
    return " ".join(x for x in out if x)


def rejoin_letter_spacing(text: str, stat: RepairStat) -> str:
    """'L e t t r e  d ' i n f o' -> 'Lettre d'info': single-spaced letters are one word, wider gaps separate words."""
    lines = []
    for line in text.split("\n"):
        groups = re.split(r"( {2,})", line)
        changed = False
        for i in range(0, len(groups), 2):
            tokens = groups[i].split(" ")
            if _is_spaced_group([t for t in tokens if t]):
                joined = "".join(tokens)
                joined = re.sub(r"\s*(['’])\s*", r"\1", joined)
                groups[i] = joined
                changed = True
            else:  # a spaced run inside a group of real words: 'MICRO- S C É N A R I O S'
                new_group = _join_single_letter_runs(tokens)
                if new_group != groups[i]:
                    groups[i] = new_group
                    changed = True
        if changed:
            new = re.sub(r" {2,}", " ", "".join(groups))
            stat.record(line.strip(), new.strip())
            line = new
        lines.append(line)
    return "\n".join(lines)


def repair_doubled_glyphs(text: str, stat: RepairStat) -> str:
    """'ppaarroollee' -> 'parole': bold rendering doubles every glyph of a word."""
    def repl(m: re.Match) -> str:
        word = m.group(0)
        # a run of one letter ('AAAA') is debris or an acronym, not a doubled word: halving it never converges
        if len(word) >= 4 and len(word) % 2 == 0 and word[0::2] == word[1::2] and len(set(word)) > 1:
            stat.record(word, word[0::2])
            return word[0::2]
        return word

    return re.sub(r"[^\W\d_]{4,}", repl, text)


_REPEATED = re.compile(r"^([^\W\d_])\1{2,}$")


def drop_debris_lines(text: str, stat: RepairStat) -> str:
    """Lines with no real content: lone page numbers, symbols, runs of one repeated letter ('QQQQ')."""
    kept = []
    for line in text.split("\n"):
        s = line.strip()
        tokens = s.split()
        debris = bool(s) and (
            re.fullmatch(r"\d{1,3}", s) is not None
            or not (any(ch.isalpha() for ch in s) or re.search(r"[0-9]", s))  # symbols, '¼'...
            or all(_REPEATED.match(t) for t in tokens)
        )
        if debris:
            stat.record(s, "")
            continue
        kept.append(line)
    return "\n".join(kept)


def drop_repeated_paragraphs(text: str, stat: RepairStat) -> str:
    """A paragraph (40+ characters) that already appeared, ignoring case, spacing and punctuation, is kept once."""
    seen: set[str] = set()
    out = []
    for para in re.split(r"\n[ \t]*\n", text):
        key = "".join(ch for ch in para.lower() if ch.isalnum())
        if len(key) >= 40 and key in seen:
            stat.record(para.strip(), "")
            continue
        seen.add(key)
        out.append(para)
    return "\n\n".join(out)


def tidy_blank_lines(text: str, stat: RepairStat) -> str:
    """Trailing spaces removed and runs of blank lines reduced to one."""
    out = re.sub(r"[ \t]+\n", "\n", text)
    out = re.sub(r"\n{3,}", "\n\n", out).strip() + "\n"
    if out != text:
        stat.record("(whitespace)", "")
    return out


REPAIRS: list[Callable[[str, RepairStat], str]] = [
    # debris goes before glyph repair, which would otherwise turn 'QQQQ' into a plausible 'QQ'
    normalize_typography, join_hyphenation, rejoin_letter_spacing, drop_debris_lines,
    repair_doubled_glyphs, drop_repeated_paragraphs, tidy_blank_lines,
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
    repair_stats = [RepairStat(r.__name__) for r in REPAIRS]
    # One repair can expose work for another (a rejoined word ends on a hyphen...): run to a fixed
    # point so that cleaning clean text changes nothing.
    for _ in range(4):
        before = text
        for repair, stat in zip(REPAIRS, repair_stats):
            text = repair(text, stat)
        if text == before:
            break
    return CleanResult(text, stats + repair_stats)
