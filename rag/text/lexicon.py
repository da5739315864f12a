"""French known-word lexicon (wordfreq) and the corpus-quality metric built on it.

The metric: alphabetic tokens, after splitting off the elisions l' d' j' n' s' c' m' t' qu', are
"known" when wordfreq gives them a French Zipf frequency >= 1.0; single letters count as known only
if they are a, à, y or ô (a lone "e" or "r" is letter-spacing debris, not a word).
"""

from __future__ import annotations

import re
from functools import lru_cache

from wordfreq import get_frequency_dict, zipf_frequency

MIN_ZIPF = 1.0
COMMON_WORD_ZIPF = 3.0  # a word this frequent is a common word of the language, not a name, whatever its capital
_SINGLE_LETTER_WORDS = frozenset("aàyô")
# A run of letters (any script's letters, no digits or underscore), optionally with inner apostrophes
# or hyphens kept apart below: "aujourd'hui" is one token to the split, elisions are peeled first.
_WORD = re.compile(r"[^\W\d_]+")
_ELISION = re.compile(r"\b(?:qu|[ldjnsmtc])['’](?=[^\W\d_])", re.IGNORECASE)


def tokenize_words(text: str) -> list[str]:
    """Alphabetic tokens of `text`, lower-cased, with French elisions (l', d', qu'...) split off and dropped."""
    return [w.lower() for w in _WORD.findall(_ELISION.sub(" ", text))]


# A string of these letters is its own single token for wordfreq, so it is known exactly when it is a key of
# the French frequency list (checked on 296,000 strings, random and from the list): the cleaner asks about
# many made-up fragments ('ibut', 'contrib'), and a dictionary look-up answers those 100 times faster.
_PLAIN_LETTERS = re.compile(r"[a-zàâäçéèêëîïôöùûüÿœæ]+")


@lru_cache(maxsize=200_000)
def zipf(word: str) -> float:
    """French Zipf frequency of a lower-cased word (cached: the cleaner asks about the same words often)."""
    if _PLAIN_LETTERS.fullmatch(word) and word not in get_frequency_dict("fr"):
        return 0.0
    return zipf_frequency(word, "fr")


@lru_cache(maxsize=200_000)
def is_known_word(word: str) -> bool:
    """True when `word` is a known French word by the metric's rules (Zipf >= 1.0; a, à, y, ô for single letters)."""
    w = word.lower()
    if len(w) == 1:
        return w in _SINGLE_LETTER_WORDS
    return zipf(w) >= MIN_ZIPF


def known_word_share(text: str) -> float:
    """Share (0..1) of alphabetic tokens of `text` that are known French words; 1.0 for text with no words."""
    tokens = tokenize_words(text)
    if not tokens:
        return 1.0
    return sum(is_known_word(t) for t in tokens) / len(tokens)


_CASED_WORD = re.compile(r"[^\W\d_]{2,}")


def garbled_words(text: str) -> int:
    """Words written in lower case that are no French word ("nddduuuussssttrrie", "platefoff"): extraction
    damage. Capitalised words are left out: names are rarely in the lexicon."""
    return sum(1 for w in _CASED_WORD.findall(_ELISION.sub(" ", text)) if w.islower() and not is_known_word(w))
