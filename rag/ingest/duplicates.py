"""Which earlier paragraph a paragraph copies, found in linear time.

A paragraph copies an earlier one when both hold:
- similarity: at least `COPY_SHARE` (80 %) of its distinct character 8-grams (lower-cased letters and
  digits only, so spacing and punctuation damage does not count) are 8-grams of that ONE earlier
  paragraph. Grams of 8 characters span word boundaries, so word order counts: "effet local négatif
  ... mais positif" and "effet local positif ... mais négatif" share only 57 % of their grams;
- it adds nothing: each of its figures is a figure of the earlier paragraph, and each of its known
  words and capitalised names (two letters or more) is found in it. A row of a table that differs from
  the one above by its company name ("BOMBARDIER" under "ALSTOM", 77 % alike) or a legend item that
  differs by one word ("positif" instead of "négatif", 83 %) is not a copy.
Exact repeats (same letters and digits) are copies too. Paragraphs under 40 letters and digits
(headings such as "VARIABLES :") are never dropped.

Finding the candidate without comparing every pair: winnowing (Schleimer, Wilkerson and Aiken 2003,
the scheme behind MOSS). Of every window of `WINDOW` consecutive 8-grams, the smallest hash is a
fingerprint, so two paragraphs that share a run of WINDOW + 7 (23) letters and digits share a fingerprint. Each
kept paragraph's fingerprints go into an index of capped posting lists; a new paragraph looks up its
own, and only the earlier paragraphs holding at least half of its informative fingerprints (those
not already in `POSTING_CAP` paragraphs) are compared in full, at most `CANDIDATES` of them, each at
most `MAX_LENGTH_RATIO` times longer than the paragraph. The work per paragraph is thus proportional
to its length. Hashes are computed with numpy for a block of paragraphs at a time.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass
from itertools import chain
from typing import Callable, Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rag.text.lexicon import is_known_word

GRAM = 8
WINDOW = 16
COPY_SHARE = 0.8
MIN_KEY_CHARS = 40
POSTING_CAP = 16
CANDIDATES = 3
MAX_LENGTH_RATIO = 20  # a paragraph is not compared with one 20 times its length (a cost bound): it is kept
BLOCK_CHARS = 1 << 18  # paragraphs hashed together (numpy), about 2 MB of hashes at a time
_RECENT_GRAMS = 1024   # gram sets of originals kept at hand for comparisons (the rest are recomputed)

_FIGURE = re.compile(r"\d+(?:[ .,]\d+)*")
_WORD = re.compile(r"[^\W\d_]{2,}")
_MULT = np.uint64(0x100000001B3)
_MIX1, _MIX2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)


class _AlnumOnly(dict):
    """str.translate table that keeps letters and digits and deletes everything else (filled as it meets characters)."""

    def __missing__(self, code: int):
        ch = chr(code)
        self[code] = ch if ch.isalnum() else None
        return self[code]


_ALNUM_ONLY = _AlnumOnly()


def squash(text: str) -> str:
    """Letters and digits only, lower-cased: what the comparison sees of a paragraph."""
    return text.lower().translate(_ALNUM_ONLY)


def gram_hashes(key: str) -> np.ndarray:
    """64-bit hashes of the character 8-grams of `key`, in order (deterministic, unlike Python's hash)."""
    codes = np.frombuffer(key.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    n = len(codes) - GRAM + 1
    if n <= 0:
        return np.zeros(0, np.uint64)
    h = np.zeros(n, np.uint64)
    for j in range(GRAM):
        h = h * _MULT + codes[j:j + n]
    h ^= h >> _S33  # murmur3's finaliser: the low and high bits both depend on every character
    h *= _MIX1
    h ^= h >> _S33
    h *= _MIX2
    h ^= h >> _S33
    return h


def figures(text: str) -> set[str]:
    """The numbers of a text, separators dropped ('1 000' and '1000' are one figure)."""
    return {re.sub(r"[ .,]", "", m) for m in _FIGURE.findall(text)}


def _informative_words(text: str) -> set[str]:
    """Lower-cased capitalised names and known words: what a copy may not add to its original."""
    return {w.lower() for w in _WORD.findall(text) if w[0].isupper() or is_known_word(w.lower())}


def adds_nothing(paragraph: str, original: str) -> bool:
    """True when every figure, known word and capitalised name of `paragraph` is in `original`."""
    if not figures(paragraph) <= figures(original):
        return False
    original_words = set(_WORD.findall(original.lower()))
    key = None
    for word in _informative_words(paragraph):
        if word in original_words:
            continue
        key = key if key is not None else squash(original)
        if word not in key:  # a word cut in two by the damage ('Imag iner') is still found in the original
            return False
    return True


@dataclass(frozen=True)
class Copy:
    """A paragraph found to copy an earlier, kept one: both texts and how alike they are (share of grams)."""

    text: str
    original: str
    similarity: float


@dataclass
class _Paragraph:
    text: str
    key: str
    grams: np.ndarray        # hashes of its 8-grams, in order
    fingerprints: list[int]


def _analysed(paragraphs: list[str]) -> Iterator[_Paragraph | None]:
    """Each paragraph with its grams and fingerprints (None when too short to be dropped), hashed by blocks."""
    start = 0
    while start < len(paragraphs):
        keys, size, end = [], 0, start
        while end < len(paragraphs) and (size < BLOCK_CHARS or end == start):
            keys.append(squash(paragraphs[end]))
            size += len(keys[-1])
            end += 1
        hashes = gram_hashes("".join(keys))  # grams across two paragraphs are computed, never used
        mins = sliding_window_view(hashes, WINDOW).min(axis=1) if len(hashes) >= WINDOW else hashes
        offset = 0
        for text, key in zip(paragraphs[start:end], keys):
            if len(key) < MIN_KEY_CHARS:
                yield None
            else:
                n = len(key) - GRAM + 1
                grams = hashes[offset:offset + n]
                prints = mins[offset:offset + n - WINDOW + 1] if n >= WINDOW else grams.min(keepdims=True)
                yield _Paragraph(text, key, grams, list(set(prints.tolist())))
            offset += len(key)
        start = end


class CopyFinder:
    """The paragraphs of one document, read in order, each either a copy of a kept one or kept itself."""

    def __init__(self) -> None:
        self._exact: dict[bytes, int] = {}
        # fingerprint -> the id of the one kept paragraph holding it, or the list of them (most are in one:
        # a bare int takes a third of the memory of a list)
        self._postings: dict[int, int | list[int]] = {}
        self._originals: list[tuple[str, int]] = []  # (text, length of its key)
        self._gram_sets: OrderedDict[int, set[int]] = OrderedDict()

    def find(self, paragraphs: list[str], advance: Callable[[int], None] | None = None) -> list[Copy | None]:
        """For each paragraph, the Copy of the earlier kept paragraph it copies, or None when it is kept."""
        out: list[Copy | None] = []
        for para in _analysed(paragraphs):
            if para is not None:
                out.append(self._copy_of(para))
                if advance:
                    advance(len(para.text) + 2)
            else:
                out.append(None)
        return out

    def _copy_of(self, para: _Paragraph) -> Copy | None:
        digest = hashlib.blake2b(para.key.encode("utf-8"), digest_size=16).digest()
        if digest in self._exact:
            return Copy(para.text, self._originals[self._exact[digest]][0], 1.0)
        found = self._best_match(para)
        if found is None:
            self._remember(para, digest)
        return found

    def _best_match(self, para: _Paragraph) -> Copy | None:
        informative = [self._ids(fp) for fp in para.fingerprints]
        informative = [ids for ids in informative if len(ids) < POSTING_CAP]  # a full list is a common phrase
        votes = Counter(chain.from_iterable(informative))
        needed = 0.5 * len(informative)
        best: Copy | None = None
        grams = None
        for i, n in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[:CANDIDATES]:
            text, key_length = self._originals[i]
            if n < needed or key_length > MAX_LENGTH_RATIO * len(para.key):
                continue
            grams = grams if grams is not None else set(para.grams.tolist())
            share = len(grams & self._grams_of(i)) / len(grams)
            if share >= COPY_SHARE and (best is None or share > best.similarity) and adds_nothing(para.text, text):
                best = Copy(para.text, text, round(share, 3))
        return best

    def _grams_of(self, i: int) -> set[int]:
        grams = self._gram_sets.get(i)
        if grams is None:
            grams = set(gram_hashes(squash(self._originals[i][0])).tolist())
            self._gram_sets[i] = grams
            if len(self._gram_sets) > _RECENT_GRAMS:
                self._gram_sets.popitem(last=False)
        else:
            self._gram_sets.move_to_end(i)
        return grams

    def _ids(self, fp: int) -> tuple[int, ...] | list[int]:
        ids = self._postings.get(fp, ())
        return (ids,) if isinstance(ids, int) else ids

    def _remember(self, para: _Paragraph, digest: bytes) -> None:
        i = len(self._originals)
        self._originals.append((para.text, len(para.key)))
        self._exact[digest] = i
        postings = self._postings
        for fp in para.fingerprints:
            ids = postings.get(fp)
            if ids is None:
                postings[fp] = i
            elif isinstance(ids, int):
                postings[fp] = [ids, i]
            elif len(ids) < POSTING_CAP:
                ids.append(i)
