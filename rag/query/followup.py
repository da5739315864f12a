"""Follow-up questions without an LLM: the new question plus the salient words of the conversation.

The result is a `Query`: the text searched with (the question followed by the words carried over) and,
apart, the carried words themselves, which the answerer weighs less than the question's own.
"Et lors de la phase I ?" after "Combien de territoires se sont engagés dans la phase II de Territoires
d'industrie ?" carries "combien territoires engagés Territoires d'industrie":
- the previous user turns give their content words (most recent first, two turns back at most) and
  their question word ("combien", "quand"...) when the new question has none, so the question type
  carries over;
- a word of the previous turn that the new question replaces is left out: when both share a head word
  ("phase"), the previous modifier ("II") is dropped, so the old value does not outvote the new one;
- the previous assistant answers give only their names and acronyms ("SOFIE"), which is what pronouns
  ("ce sigle", "elle") usually point at.
A question that already names its topic (3+ content words of its own) takes only the previous turn, and
one that also has no pronoun, possessive or opening "Et" pointing back is taken as it is: a new,
self-contained question must not be pulled towards the previous topic.
"""

from __future__ import annotations

import re

from dataclasses import dataclass

from rag.text.analysis import analyze, words
from rag.text.lexicon import zipf
from rag.text.wordlists import word_list


@dataclass(frozen=True)
class Query:
    """A question ready to search with: as asked, and standalone (with what it carried from the conversation)."""

    question: str
    text: str  # what retrieval searches: the question, then the carried words
    carried: tuple[str, ...] = ()  # words taken from the previous turns (topic words, names, question word)

    def __str__(self) -> str:
        return self.text

_WORD = re.compile(r"[^\W\d_][\w'’-]*|\d[\d.,]*")
_QUESTION_WORDS = ("combien", "quand", "qui", "où", "pourquoi", "comment", "quel", "quelle", "quels", "quelles")  # French grammar
_NAME = re.compile(r"\b(?:[A-ZÀ-Ý]{2,}[\w-]*|[A-ZÀ-Ý][a-zà-ÿ]+(?:[- ][A-ZÀ-Ý][a-zà-ÿ]+)*)\b")
_ROMAN = re.compile(r"(?:I|II|III|IV|V|VI)")
_OWN_TOPIC = 3  # content words that make a question self-sufficient enough to look back one turn only


# Words that point back at the conversation (the list and its source: rag/query/data/pointers.txt).
_POINTERS = word_list("query/data/pointers.txt")


def depends_on_conversation(question: str) -> bool:
    """Whether the question needs the previous turns: it opens with "Et", points back with a pronoun or a
    possessive, or has no content word of its own ("Pourquoi ?")."""
    ws = words(question)
    pointers = {w for i, w in enumerate(ws) if w in _POINTERS and not (w == "ce" and i and ws[i - 1] == "est")}  # "qu'est-ce"
    return bool(ws) and ws[0] in ("et", "and") or bool(pointers) or not analyze(question)


def _has_question_word(text: str) -> bool:
    ws = words(text)
    return any(w in ("combien", "quand", "qui", "ou", "pourquoi", "comment") or w.startswith("quel") for w in ws)


def _is_value(word: str) -> bool:
    """A word that can replace a previous modifier: a content word, a number or a roman numeral ("phase I")."""
    return bool(analyze(word)) or bool(_ROMAN.fullmatch(word))


def _replaced(previous: str, question: str) -> set[str]:
    """Words of `previous` that follow a head word the new question repeats with its own modifier."""
    prev = _WORD.findall(previous)
    new = _WORD.findall(question)
    out = set()
    for i, w in enumerate(new[:-1]):
        for j, pw in enumerate(prev[:-1]):
            if (pw.lower() == w.lower() and analyze(w) and _is_value(new[i + 1])
                    and prev[j + 1].lower() != new[i + 1].lower()):
                out.add(prev[j + 1])
    return out


def _sentence_initial_word(text: str, m: re.Match) -> bool:
    """A capitalised common word opening a sentence ("Créer une douzaine de zones…"): capital by position,
    not a name. A rare word there ("Stellantis porte…") or several capitalised words ("Xavier Bertrand")
    still count as names, as do acronyms."""
    word = m.group(0)
    before = text[:m.start()].rstrip(" «\"“(")
    if " " in word or "-" in word or word.isupper() or (before and before[-1] not in ".!?…"):
        return False
    return zipf(word.lower()) >= 3.0


def standalone_question(question: str, history: list[tuple[str, str]] | None) -> Query:
    """The question, with the salient words of the conversation it depends on carried over."""
    if not history or not depends_on_conversation(question):
        return Query(question, question)
    own = set(analyze(question))
    turns = history[-1:] if len(own) >= _OWN_TOPIC else history[-2:]
    extra: list[str] = []
    seen = set(own)
    if not _has_question_word(question):
        for user, _ in reversed(turns):
            qw = next((w for w in _WORD.findall(user) if w.lower() in _QUESTION_WORDS), None)
            if qw:
                extra.append(qw.lower())
                break
    for user, assistant in reversed(turns):
        drop = _replaced(user, question) | _replaced(assistant, question)
        for w in _WORD.findall(user):
            stems = analyze(w)
            if w in drop or not stems or stems[0] in seen:
                continue
            seen.add(stems[0])
            extra.append(w)
        for m in _NAME.finditer(assistant):
            stems = analyze(m.group(0))
            if _sentence_initial_word(assistant, m):
                continue
            if m.group(0) not in drop and stems and not set(stems) <= seen:
                seen.update(stems)
                extra.append(m.group(0))
    carried = tuple(dict.fromkeys(extra))
    return Query(question, f"{question} {' '.join(carried)}" if carried else question, carried)
