"""French text analysis for keyword matching (BM25) and lexical overlap.

Lower case, accents folded (so "region" finds "région"), elisions stripped (l', d', qu', jusqu'...),
French stopwords removed, Snowball French stemming. The same function analyses documents and queries.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

from rag.text.wordlists import word_list

# Elided forms: the apostrophe may be typographic; "jusqu'", "lorsqu'", "puisqu'", "quoiqu'" included.
_ELISION = re.compile(r"\b(?:jusqu|lorsqu|puisqu|quoiqu|qu|[cdjlmnst])['’‘ʼ]", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Stop words (accent-folded): content words such as "emploi" or "région" must stay searchable, while question
# words ("combien", "quel") carry no topic. French, and English for questions asked in English; the lists
# and their sources: rag/text/data/stopwords_fr.txt and stopwords_en.txt.
STOPWORDS = word_list("text/data/stopwords_fr.txt") | word_list("text/data/stopwords_en.txt")


def fold_accents(text: str) -> str:
    """Remove diacritics ("région" -> "region", "œ" -> "oe")."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("french")


def _raw_words(text: str) -> list[str]:
    text = _ELISION.sub(" ", unicodedata.normalize("NFKC", text))
    return _WORD.findall(text.lower())


def words(text: str) -> list[str]:
    """Lower-cased, accent-folded words of `text` with elisions stripped (no stopword removal, no stemming)."""
    return [fold_accents(w) for w in _raw_words(text)]


# Ordinals and roman numerals as the number they stand for, so "deuxième phase" finds "phase II" and
# "la première lettre" finds "Lettre d'information n°1" (the single letters I, V, X are dropped as
# words, so "phase I" stays out of reach).
_NUMBERS = {
    **dict.fromkeys(("premier", "premiere", "premiers", "premieres", "1er", "1ere", "1re", "first"), "1"),
    **dict.fromkeys(("deuxieme", "second", "seconde", "2e", "2eme", "2nd", "ii"), "2"),
    **dict.fromkeys(("troisieme", "3e", "3eme", "third", "iii"), "3"),
    **dict.fromkeys(("quatrieme", "4e", "4eme", "fourth", "iv"), "4"),
    **dict.fromkeys(("cinquieme", "5e", "5eme", "fifth"), "5"),
    **dict.fromkeys(("sixieme", "6e", "6eme", "sixth", "vi"), "6"),
    **dict.fromkeys(("septieme", "7e", "7eme", "vii"), "7"),
    **dict.fromkeys(("huitieme", "8e", "8eme", "viii"), "8"),
}


def ordinal_value(word: str) -> int | None:
    """The number an ordinal or roman numeral stands for ("deuxième" -> 2, "II" -> 2), else None."""
    number = _NUMBERS.get(fold_accents(word.lower()))
    return int(number) if number else None


_RANK_TOKEN = re.compile(r"n[°o]\s?\d{1,2}\b|[^\W\d_][\w-]*|\d+\w*", re.IGNORECASE)


# a cheap first look: most texts rank nothing, and tokenising them all costs milliseconds per question
_RANK_HINT = re.compile(r"(?i:\b(?:premi|deuxi|second|troisi|quatri|cinqui|sixi|septi|huiti|first|third|fourth|fifth|sixth)"
                        r"|\b\d+(?:er|ère|re|e|ème|eme|nd)\b|\bn[°o]\s?\d)|\b(?:I|II|III|IV|V|VI|VII|VIII)\b")


@lru_cache(maxsize=4096)
def ranks_in(text: str, asked: bool = False) -> frozenset[tuple[str | None, int]]:
    """What `text` ranks, as (stem of the noun ranked, rank): an ordinal ranks the noun after it ("la deuxième
    phase"), a roman numeral or "n°" one of the three words before it ("phase II", "Lettre d'information n°1").
    A quantity is no rank ("2.400 emplois"). An ordinal with no noun after it ranks something unsaid (None).
    `asked`: a question's ranks, its singular ordinals only ("la première phase"; its "phase I" is a strict
    constraint of its own, and a plural, "les premiers résultats", ranks nothing)."""
    if not _RANK_HINT.search(text):
        return frozenset()
    tokens = _RANK_TOKEN.findall(text)
    found = set()
    for i, token in enumerate(tokens):
        numbered = re.fullmatch(r"n[°o]\s?(\d{1,2})", token, re.IGNORECASE)
        if ROMAN_NUMERAL.fullmatch(token) or numbered:
            if not asked:
                value = int(numbered.group(1)) if numbered else _ROMAN_VALUES.index(token) + 1
                found |= {(stem, value) for before in tokens[max(0, i - 3):i] for stem in analyze(before)[:1]}
        elif not token.isdigit() and (value := ordinal_value(token)) and not (asked and token.lower().endswith("s")):
            after = analyze(tokens[i + 1])[:1] if i + 1 < len(tokens) and not tokens[i + 1][0].isdigit() else []
            found.add((after[0] if after else None, value))
    return frozenset(found)


@lru_cache(maxsize=65536)
def _term(word: str) -> str:
    # Accents are folded BEFORE stemming: people type "universite" or "securite", and the stemmer cuts
    # accented and unaccented forms differently ("université" -> "univers", "universite" -> "universit"),
    # so folding first is what makes both forms one term. Snowball French leaves some plurals alone
    # ("emplois" stays "emplois"), so a final s/x is dropped first.
    word = fold_accents(word)
    number = _NUMBERS.get(word)
    if number:
        return number
    if len(word) > 3 and word[-1] in "sx" and not word.isdigit():
        word = word[:-1]
    return _stemmer().stemWord(word)


def analyze(text: str) -> list[str]:
    """The analysed terms of `text`: content words, stemmed (used for both documents and queries)."""
    out = []
    for w in _raw_words(text):
        folded = fold_accents(w)
        if folded in STOPWORDS or (len(w) == 1 and not w.isdigit()):
            continue
        out.append(_term(w))
    return out


# Roman numerals as capitals ("phase II", "titre IV"): analyze() reads them as their digits, and the answerer
# keeps them apart as terms of their own ("phase I" is not "phase II").
ROMAN_NUMERAL = re.compile(r"\b(?:I|II|III|IV|V|VI|VII|VIII)\b")
_ROMAN_VALUES = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")


def roman_terms(text: str) -> frozenset[str]:
    """The answerer's terms for the roman numerals of `text` ("roman:II")."""
    return frozenset("roman:" + r for r in ROMAN_NUMERAL.findall(text))

