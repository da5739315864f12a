"""Two complements coordinated in a question ("pour la défense et pour les gigafactories", "à Lille et à
Arras"): French grammar repeats the preposition before each one. Each complement is an aspect the answer
must cover, and each is searched for on its own (a synthesis across two documents)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text.analysis import fold_accents

_COORDINATED = re.compile(r"\b(?P<p1>pour|de|du|des|sur|dans|à|a|en|au|aux|chez|for|in|on|to)\s+(?P<c1>.+?)\s+(?:et|and)\s+"
                          r"(?P<p2>pour|de|du|des|sur|dans|à|a|en|au|aux|chez|for|in|on|to)\s+(?P<c2>[^?,;.]+)", re.IGNORECASE)


# "au port et aux écoles", "du port et des écoles": the article contracted with the preposition
_CONTRACTED = {"au": "a", "aux": "a", "du": "de", "des": "de"}


def _preposition(word: str) -> str:
    word = fold_accents(word.lower())
    return _CONTRACTED.get(word, word)


@dataclass(frozen=True)
class Coordination:
    first: str  # the first complement, without its preposition ("la défense")
    second: str
    questions: tuple[str, str]  # the question asking about each complement alone


def coordination(question: str) -> Coordination | None:
    """The two coordinated complements of `question` and the question about each, or None."""
    m = _COORDINATED.search(question)
    if not m or _preposition(m.group("p1")) != _preposition(m.group("p2")):
        return None
    second = m.group("c2").rstrip()
    before, after = question[:m.start()], question[m.start("c2") + len(second):]
    alone = (f"{before}{m.group('p1')} {m.group('c1')}{after}", f"{before}{m.group('p2')} {second}{after}")
    return Coordination(m.group("c1"), second, alone)
