"""Word lists kept as data files (rag/*/data/*.txt), each saying where its words come from.

Format: one or more words per line, separated by spaces; a line starting with "#" is a comment (the
first comment lines give the source). Multi-word entries are written with "_" ("parce_que") and read
back with a space.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=None)
def word_list(relative: str) -> frozenset[str]:
    """The words of rag/<relative> (e.g. "text/data/stopwords_fr.txt"), lower-cased."""
    words: set[str] = set()
    for line in (_PACKAGE / relative).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.update(w.replace("_", " ").lower() for w in line.split())
    return frozenset(words)


@lru_cache(maxsize=None)
def word_table(relative: str) -> tuple[tuple[str, str], ...]:
    """(key, value) rows of a two-column data file ("key<TAB>value"), in file order; comments skipped."""
    rows = []
    for line in (_PACKAGE / relative).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("\t")
            rows.append((key.strip().lower(), value.strip()))
    return tuple(rows)
