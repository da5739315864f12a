"""Names typed in lower case: "nacon ça fabrique quoi", "c'est quoi le pass drones".

Users type fast and skip capitals; the question's analysis finds its focus by them ("Nacon", "Pass Drones").
A name the retrieved passages write with capitals is written so in the question too, when the question has
it in lower case: a run of capitalised words inside a sentence ("le “Pass Drones”"), or a single word the
passages never write in lower case and that is no common word of French ("Nacon", not "Parmi").
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.text.analysis import STOPWORDS, fold_accents
from rag.text.lexicon import COMMON_WORD_ZIPF, zipf

# a capitalised word or acronym, and runs of them ("Pass Drones", "Territoires d'industrie" is one word here)
_CAPITALISED = r"(?:[A-ZÀ-Ý][\w’'-]*[\w]|[A-Z]{2,}\d*)"
_NAME = re.compile(rf"(?<![\w’'-]){_CAPITALISED}(?:\s+{_CAPITALISED})*(?![\w’'-])")
# what stands right before a word opening a sentence (the eight characters before it are searched)
_SENTENCE_START = re.compile(r"(?:^|[.!?…:;]\s*|\n\s*)[«“\"(]?\s*$")


@lru_cache(maxsize=4096)
def _names_written(text: str) -> tuple[tuple[str, str], ...]:
    """(lower-case form, form written) of the names in a passage `text` (cached: passages come back from
    question to question); a capital opening a sentence makes no name of a single word, nor does a word the
    passage also writes in lower case."""
    in_lower_case = set(re.findall(r"(?<![\w’'-])[a-zà-ÿ][\w’'-]*", text))
    found: dict[str, str] = {}
    for m in _NAME.finditer(text):
        name = m.group(0)
        words = name.split()
        opens_sentence = _SENTENCE_START.search(text[max(0, m.start() - 8):m.start()]) is not None
        if len(words) == 1:
            word = name.lower()
            if opens_sentence or word in in_lower_case or fold_accents(word) in STOPWORDS or zipf(word) >= COMMON_WORD_ZIPF:
                continue
        elif opens_sentence and zipf(words[0].lower()) >= COMMON_WORD_ZIPF:
            if len(words) == 2:
                continue
            name = " ".join(words[1:])  # "Parmi Les Échos": the first word is capital by position
        found.setdefault(name.lower(), name)
    return tuple(found.items())


def with_names_capitalised(question: str, texts: list[str]) -> str:
    """The question with the names the passages `texts` write with capitals, where it types them in lower case."""
    if not re.search(r"(?<![\w’'-])[a-zà-ÿ]", question):
        return question
    names = dict(pair for text in texts for pair in _names_written(text))
    for lower, written in sorted(names.items(), key=lambda kv: -len(kv[0])):  # "pass drones" before "drones"
        if lower in question:  # only a form typed all in lower case matches
            question = re.sub(rf"(?<![\w’'-]){re.escape(lower)}(?![\w’'-])", written, question)
    return question
