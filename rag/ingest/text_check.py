"""Is a file's content text? A binary file saved as .txt (a program, an image, an archive) must not be indexed.

Three measures, each with a threshold far from both sides (measured on the shipped corpus and on real
binaries, see `not_text_reason`):
- NUL bytes: text never holds them; binaries and UTF-16 text are full of them;
- printable share: characters of the decoded text that are printable or ordinary white space;
- known-word share: alphabetic tokens of three letters or more that are French or English words
  (wordfreq), on a sample of the text; the letter runs of binary data are short and random, and the
  names inside a program ('GLIBC', 'xmalloc', 'deregister') are mostly not words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from wordfreq import get_frequency_dict, zipf_frequency

from rag.text.lexicon import MIN_ZIPF, is_known_word, tokenize_words

# Thresholds, between the worst text and the best binary measured (bytes decoded as the loader does;
# known words on the first 2,000 words of 3+ letters):
#                      NUL bytes   printable   known words
#   shipped corpus     0 %         100 %       0.98 .. 1.00 (0.96 over the whole damaged PDF text)
#   an XPM image (C)   0 %         100 %       0.68 (text after all: kept)
#   /bin/ls (ELF)      26 %        61 %        0.08
#   python3.11 (ELF)   31 %        57 %        0.10
#   PNG image          2.1 %       84 %        0.06
#   zip, wheel, gzip   0.3-1.1 %   86-87 %     0.07-0.09
#   JPEG, PDF          0.4-0.7 %   87 %        0.07-0.10
#   random bytes       0.4 %       87 %        0.07
#   UTF-16 text        50 %        50 %        -
MAX_NUL_SHARE = 0.001
MIN_PRINTABLE_SHARE = 0.95
MIN_KNOWN_WORD_SHARE = 0.5
MIN_WORD_LETTERS = 3
MIN_TOKENS = 30  # fewer words of 3+ letters than this: too little to judge on words (a short note is fine)
SAMPLE_TOKENS = 2_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff]")


@dataclass(frozen=True)
class TextMeasures:
    nul_share: float
    printable_share: float
    known_word_share: float
    tokens: int


@lru_cache(maxsize=100_000)
def _known_in_english(word: str) -> bool:
    english = get_frequency_dict("en")
    if word.isascii() and word.isalpha() and word not in english:
        return False  # wordfreq would find nothing either (a plain ASCII word is its own token)
    return zipf_frequency(word, "en") >= MIN_ZIPF


def measure(data: bytes, text: str) -> TextMeasures:
    """The three measures of a file's raw bytes and its decoded text (known words on the first 2,000 words)."""
    nul = data.count(b"\x00") / max(1, len(data))
    printable = 1.0 - len(_CONTROL.findall(text)) / max(1, len(text))
    tokens = [t for t in tokenize_words(text[: SAMPLE_TOKENS * 20]) if len(t) >= MIN_WORD_LETTERS][:SAMPLE_TOKENS]
    known = sum(is_known_word(t) or _known_in_english(t) for t in tokens) / len(tokens) if tokens else 1.0
    return TextMeasures(nul, printable, known, len(tokens))


def not_text_reason(data: bytes, text: str) -> str | None:
    """Why the file is not text (a short English phrase for the warning), or None when it is text."""
    m = measure(data, text)
    if m.nul_share > MAX_NUL_SHARE:
        return f"{m.nul_share:.0%} of its bytes are NUL (a binary file, or UTF-16 text: re-save it as UTF-8)"
    if m.printable_share < MIN_PRINTABLE_SHARE:
        return f"only {m.printable_share:.0%} of its characters are printable (a binary file)"
    if m.tokens >= MIN_TOKENS and m.known_word_share < MIN_KNOWN_WORD_SHARE:
        return f"only {m.known_word_share:.0%} of its words are French or English words (a binary file)"
    return None
