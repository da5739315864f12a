"""Normalisation used to match `facts` and `evidence` strings (the evaluation contract).

NFKC, lower case, typographic apostrophes to "'", then every character that is not a letter or
a digit removed, so "2.800", "2 800" and letter-spaced text all match.
"""

import unicodedata

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'"})


def normalize_for_match(text: str) -> str:
    """Return the contract's normalised form of `text`."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)
    return "".join(ch for ch in text if ch.isalnum())


def contains_normalized(haystack: str, needle: str) -> bool:
    """True when `needle` occurs in `haystack` after both are normalised (empty needles never match)."""
    n = normalize_for_match(needle)
    return bool(n) and n in normalize_for_match(haystack)
