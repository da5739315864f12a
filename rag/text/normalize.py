"""Normalisation used to match `facts` and `evidence` strings (the evaluation contract).

NFKC, lower case, typographic apostrophes to "'", then every character that is not a letter or
a digit removed, so "2.800", "2 800" and letter-spaced text all match.
"""

import re
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


_NUMBER = re.compile(r"\d+(?:[ .\u202f\u00a0]\d{3})*(?:,\d+)?")


def numbers_in(text: str) -> set[str]:
    """The numbers of `text` with their thousands separators removed ("2.400", "2 400" -> "2400")."""
    return {re.sub(r"[ .\u202f\u00a0]", "", m.group(0)) for m in _NUMBER.finditer(text)}
