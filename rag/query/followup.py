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
  ("ce sigle", "elle") usually point at;
- "Et celui de Brookfield ?" names a new holder of the previous question's noun: the previous names are
  left out ("Data4", and the previous answer's names), the rest of the question ("montant du projet") kept;
- a noun left out after an ordinal ("Qui finance la deuxième ?", "Et la dernière ?") points at that item of
  the enumeration the previous answer gave: only that item's names are carried, not its neighbours'.
A question that already names its topic (3+ content words of its own) takes only the previous turn, and
one that also has no pronoun, possessive or opening "Et" pointing back is taken as it is: a new,
self-contained question must not be pulled towards the previous topic.
"""

from __future__ import annotations

import re

from dataclasses import dataclass

from rag.text.analysis import analyze, fold_accents, ordinal_value, words
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


# Verbs that follow the pronoun "en", never the preposition (rag/query/data/auxiliaries.txt says why).
_AUXILIARIES = frozenset(fold_accents(w) for w in word_list("query/data/auxiliaries.txt"))
_ELIDED_EN = re.compile(r"\b(?:qu|n|s|m|t|j)['’]en\b|\by\s+en\b", re.IGNORECASE)  # "qu'en", "n'en", "y en"
# A determiner and an adjective with no noun after them, before the end of a clause: "la deuxième ?",
# "Et les deux autres ?" ("et"/"ou" may follow: "la première et pour combien").
_NOUNLESS = re.compile(r"\b(?:le|la|les|l['’])\s*([^\W\d_]+|\d+(?:er|re|ere|e|eme)?)\s*(?=[?!.,;:]|$|\s(?:et|ou)\b)",
                       re.IGNORECASE)
_LAST = ("dernier", "derniere", "derniers", "dernieres")


_SUBJECT_PRONOUNS = frozenset("je tu il elle on nous vous ils elles".split())  # French grammar

# "Et celui de Brookfield ?", "Et celle de Verkor ?": the demonstrative pronoun stands for the previous
# question's noun, and the name after its "de" takes the place of the previous one (French grammar)
_DEMONSTRATIVE_OF_NAME = re.compile(r"\b(?:celui|celle|ceux|celles)\s+(?:de|du|des|d['’])\s*(?:la\s+|le\s+|les\s+|l['’])?"
                                    r"(?=[A-ZÀ-Ý])", re.IGNORECASE)


def pronoun_en(question: str) -> bool:
    """Whether the text holds the adverbial pronoun "en" (standing for a complement said before: "Quelle
    commune en a bénéficié ?", "Qu'en pense la Région ?", "On en dénombre 7"): after an elided "que"/"ne", after
    "y" or a subject pronoun, or right before an auxiliary or modal verb. The preposition "en" ("en 2025")
    comes before its noun."""
    if _ELIDED_EN.search(question):
        return True
    ws = words(question)
    return any(w == "en" and (following in _AUXILIARIES or before in _SUBJECT_PRONOUNS)
               for before, w, following in zip([""] + ws, ws, ws[1:] + [""]))


# "l'est" is more often the East ("dans l'est de la région") than "il l'est": not a verb after the pronoun
_AUX_ALTERNATION = "|".join(sorted(_AUXILIARIES - {"est", "es"}, key=len, reverse=True))
# An object pronoun le/la/les/l' stands right before its verb: after "qui" ("Qui la dirige ?", "Qui les
# finance ?") or before an auxiliary ("Qui l'a aidée ?", "Pourquoi l'a-t-il fait ?"). The article of the same
# form comes before a noun ("Qui dirige l'usine ?", "Quand l'usine ouvrira-t-elle ?": after other question
# words an article is usual, so only "qui" counts there).
_OBJECT_PRONOUN = re.compile(r"\b(?i:qui)\s+(?i:l['’]|(?:le|la|les)\s+)(?=[a-z])"
                             r"|(?<![\w'’])(?i:l['’]|(?:le|la|les)\s+)(?=(?i:" + _AUX_ALTERNATION + r")\b)")


def object_pronoun(question: str) -> bool:
    """Whether the question holds an object pronoun (le, la, les, l') pointing at something said before."""
    return bool(_OBJECT_PRONOUN.search(fold_accents(question)))


def elided_item(question: str) -> int | None:
    """The item a question names by its rank with the noun left out: "Qui finance la deuxième ?" -> 2,
    "Et la dernière ?" -> -1, "Et l'autre ?" -> 0 (an item, rank unknown); None when no noun is left out."""
    for m in _NOUNLESS.finditer(question):
        word = fold_accents(m.group(1).lower())
        if word in _LAST:
            return -1
        if word in ("autre", "autres"):
            return 0
        rank = ordinal_value(word)
        if rank:
            return rank
    return None


# French prepositional locutions (grammar: "locutions prépositives") hold words that look like content words
# ("partir" in "à partir de", "sein" in "au sein de"): "À partir de quand ?" has no topic of its own
_LOCUTIONS = re.compile(r"\b(?:à partir d(?:e|u|es|['’])|au cours d(?:e|u|es|['’])|au sein d(?:e|u|es|['’])|en raison d(?:e|u|es|['’])|"
                        r"grâce à|à cause d(?:e|u|es|['’])|en vue d(?:e|u|es|['’])|au niveau d(?:e|u|es|['’])|par rapport à|"
                        r"en fonction d(?:e|u|es|['’])|à l['’]égard d(?:e|u|es|['’]))", re.IGNORECASE)


# The noun of an interrogative phrase names the class of the answer, not a topic (French and English grammar:
# "quel(le)(s) X", "quel est le X", "combien de X", "which / what (is the) X", "how many / how much X"): "En
# combien de temps ?", "Dans quelle ville ?", "Quel est le montant ?" say what is asked, not about what
_INTERROGATIVE_NOUN = re.compile(r"\b(?:quel(?:le)?s?(?:\s+(?:est|sont|était|étaient)\s+(?:(?:les|la|le)\s|l['’]))?"
                                 r"|combien\s+(?:de\s+|d['’]\s*)|(?:which|what)(?:\s+(?:is|are|was|were)\s+the)?"
                                 r"|how\s+(?:many|much))\s*[^\W\d_]+", re.IGNORECASE)


def depends_on_conversation(question: str) -> bool:
    """Whether the question needs the previous turns: it opens with "Et", points back with a pronoun or a
    possessive (the pronouns "en" and le/la/les/l' included), leaves out the noun of an ordinal ("la deuxième ?"), or has no
    content word of its own beyond the class of its answer ("Pourquoi ?", "En combien de temps ?")."""
    ws = words(question)
    pointers = {w for i, w in enumerate(ws) if w in _POINTERS and not (w == "ce" and i and ws[i - 1] == "est")}  # "qu'est-ce"
    topic = _INTERROGATIVE_NOUN.sub(" ", _LOCUTIONS.sub(" ", question))
    return (bool(ws) and ws[0] in ("et", "and") or bool(pointers) or not analyze(topic)
            or pronoun_en(question)
            or object_pronoun(question) or elided_item(question) is not None or share_of_unnamed_whole(question))


# Nouns of a share of a whole (French and English grammar: part, moitié, tiers, quart, proportion, pourcentage;
# share, half, proportion, percentage): without their "de …" ("of …"), the whole is the conversation's.
_SHARE = re.compile(r"\b(?:la|le|une|un|quelle|quel|sa|son|leur|cette|ce|the|a|what|which|its|their)\s+"
                    r"(?:part|moitie|tiers|quart|proportion|pourcentage|share|half|percentage)\b(?!\s+(?:de|du|des|d|of)\b)")


def share_of_unnamed_whole(question: str) -> bool:
    """"Quelle part pour le datacenter ?" after a question on a 20-billion plan: a share whose whole is not said
    is a share of what the conversation was about."""
    return _SHARE.search(" ".join(words(question))) is not None


def enumerated_item(answer: str, rank: int) -> tuple[int, int] | None:
    """(start, end) in `answer` of item `rank` (1-based; -1: the last) of the enumeration it gives: its parts
    between ";" (else ",") that name something, after the announcing clause ("Il y en a trois : …"). None
    when the answer lists fewer than two named items, or fewer than `rank`."""
    start = answer.index(":") + 1 if ":" in answer else 0
    for separator in (";", ","):
        parts, at = [], start
        for piece in answer[start:].split(separator):
            if _names(answer, at, at + len(piece)):
                parts.append((at, at + len(piece)))
            at += len(piece) + len(separator)
        if len(parts) >= 2:
            break
    else:
        return None
    if rank == -1:
        return parts[-1]
    return parts[rank - 1] if 0 < rank <= len(parts) else None


def _names(text: str, start: int = 0, end: int | None = None) -> list[str]:
    """The names and acronyms of text[start:end], capitalised common words opening a sentence left out."""
    end = len(text) if end is None else end
    return [m.group(0) for m in _NAME.finditer(text, start, end) if not _sentence_initial_word(text, m)]


def _only_names(question: str) -> bool:
    """"Et Émilie Bouville ?", "And AESC?": the same question about another name, which replaces the previous
    ones."""
    ws = _WORD.findall(question)
    return len(ws) >= 2 and ws[0].lower() in ("et", "and") and all(w[:1].isupper() for w in ws[1:])


def has_question_word(text: str) -> bool:
    """The question asks with its own interrogative: "combien", "quel…", or "que"/"qu'"/"quoi" opening it ("Que
    fabrique-t-elle ?" asks for a thing: it takes no question word from the conversation)."""
    ws = words(text)
    return (any(w in ("combien", "quand", "qui", "ou", "pourquoi", "comment", "quoi") or w.startswith("quel") for w in ws)
            or re.match(r"\s*(?:que\b|qu['’])", text, re.IGNORECASE) is not None)


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
    rank = elided_item(question)
    extra: list[str] = []
    seen = set(own)
    if not has_question_word(question):
        for user, _ in reversed(turns):
            qw = next((w for w in _WORD.findall(user) if w.lower() in _QUESTION_WORDS), None)
            if qw:
                # "Qui est David Talmat ?" then "Et Émilie Bouville ?": who she is, not any name near her
                identity = re.match(r"\s*(qui\s+(?:est|sont)|who\s+(?:is|are))\b", user, re.IGNORECASE)
                extra.append(identity.group(1).lower() if identity else qw.lower())
                break
    # "Et celui de Brookfield ?": the new name replaces the names of the conversation, whose other words stay
    renamed = bool(_DEMONSTRATIVE_OF_NAME.search(question)) or _only_names(question)
    for user, assistant in reversed(turns):
        drop = _replaced(user, question) | _replaced(assistant, question)
        if renamed:  # its capitalised words past the first ("Data4", "AESC")
            drop |= {w for i, w in enumerate(_WORD.findall(user)) if i and w[:1].isupper()}
        for w in _WORD.findall(user):
            stems = analyze(w)
            if w in drop or not stems or stems[0] in seen:
                continue
            seen.add(stems[0])
            extra.append(w)
        # an ordinal with its noun left out names one item of the last answer's enumeration: its names only
        item = enumerated_item(assistant, rank) if rank and (user, assistant) == turns[-1] else None
        for name in ([] if renamed else _names(assistant, *(item or ()))):
            stems = analyze(name)
            if name not in drop and stems and not set(stems) <= seen:
                seen.update(stems)
                extra.append(name)
    carried = tuple(dict.fromkeys(extra))
    return Query(question, f"{question} {' '.join(carried)}" if carried else question, carried)
