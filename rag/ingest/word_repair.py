"""Lexicon-guided word repair: letter-spaced words, words split inside, doubled glyphs (bold rendering).

Applied only to lines that show damage, so clean prose is never re-segmented; fragments are rejoined where
the joined form is a known French word likelier than its pieces (wordfreq's French list, rag.text.lexicon).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.ingest.repair_stats import RepairStat
from rag.text.lexicon import is_known_word, tokenize_words, zipf

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
