"""Question analysis: what kind of answer is asked for, about what, under which constraints.

From the wording alone (no model), a question gives:
- its `kind`: figure, amount, date, duration, person, agent (person or organisation), place, cause,
  definition, manner, yesno, or None (a description: "que propose X", "quel est le rôle de X");
  interrogative words are looked up in data/question_words.tsv and the noun after "quel" in
  data/answer_nouns.tsv (both say where their words come from);
- whether it asks for a list (a plural "quels/quelles + noun", "citez", several items), and how many
  items when it says so ("les trois ports");
- its `focus`: the names it asks about (capitalised words and acronyms, quoted phrases), the entities an
  answer must be about;
- its constraints: the numbers and years it mentions (an answer repeating them is not new), an ordinal
  or roman numeral ("phase II");
- the counted noun of "combien de X" (the answer is a figure followed by X).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rag.text.analysis import ROMAN_NUMERAL, analyze, fold_accents, ranks_in
from rag.text.lexicon import COMMON_WORD_ZIPF, zipf
from rag.text.normalize import numbers_in
from rag.text.wordlists import word_list, word_table

KINDS = ("figure", "amount", "date", "duration", "person", "agent", "place", "cause", "definition", "manner",
         "yesno", "list", "identity")
# Kinds whose answer is a specific datum a sentence either holds or not: a near-miss is refused on them.
SPECIFIC = frozenset({"figure", "amount", "date", "duration", "person", "agent", "place"})

_NUMBER_WORDS = {"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
                 "two": 2, "three": 3, "four": 4, "five": 5}
_MONEY_NOUNS = frozenset({"argent", "euros", "euro", "money", "dollars"})
# Multipliers of a number (French and English grammar): "combien de milliards" counts what follows their "de"
_MULTIPLIERS = frozenset("mille milliers millier millions million milliards milliard centaines centaine dizaines dizaine "
                         "thousands thousand billions billion".split())
# Verbs asking for a meaning wherever they stand ("Comment le document définit-il X ?"): French grammar's
# metalinguistic verbs, as in data/definition_markers_fr.txt.
_MEANING_VERB = re.compile(r"\b(?:definit|definissent|signifie|signifient|designe|designent|veut dire|veulent dire|"
                           r"entend on|appelle t on|mean|means|stand for|stands for)\b")
# Adjectives that stand before the noun in French ("le premier employeur", "les principaux ingrédients"): the
# ordinals and the short adjectives of beauty, age, goodness and size that grammars list as placed before it
# (beau, jeune, vieux, nouveau, bon, mauvais, meilleur, grand, gros, petit, haut, long...).
PRENOMINAL = frozenset("premier premiere premiers premieres dernier derniere derniers dernieres principal principale "
                       "principaux principales grand grande grands grandes petit petite petits petites gros grosse "
                       "grosses haut haute hauts hautes long longue longs longues beau bel belle beaux belles joli "
                       "jolie jolis jolies jeune jeunes vieux vieil vieille vieilles nouveau nouvel nouvelle nouveaux "
                       "nouvelles bon bonne bons bonnes mauvais mauvaise mauvaises meilleur meilleure meilleurs "
                       "meilleures seul seule seuls seules autre autres main first last".split())
_QUEL = re.compile(r"\b(?P<det>quel|quelle|quels|quelles|lequel|laquelle|lesquels|lesquelles|which|what)\b"
                   r"(?:\s+(?:est|sont|etait|etaient|sera|seront|fut|a ete|ont ete|is|are|was|were))?"
                   r"(?:\s+(?:le|la|les|l|un|une|des|du|de|son|sa|ses|leur|leurs|the|a|an|its|their|his|her))?"
                   # "what does X mean", "what can…": an auxiliary there opens a clause, no noun follows
                   r"\s+(?!(?:does|did|do|can|could|will|would|should|has|have|had)\b)(?P<noun>[a-z]+(?:\s+[a-z]+){0,4})")
_QUOTED = re.compile(r"[«“\"]\s*([^»”\"]{2,80}?)\s*[»”\"]")
# A capitalised word not opening the question, or an acronym; hyphenated names stay whole ("Hauts-de-France").
_NAME = re.compile(r"(?<![\w'’-])(?:[A-ZÀ-Ý][\w’'&-]*[A-Za-zÀ-ÿ0-9]|[A-Z]{2,}\d*)")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# "combien de X" / "how many X": X is counted; "combien coûte…" has no counted noun (a verb follows)
_COUNTED = re.compile(r"\b(?:combien\s+(?:de\s+|d['’]\s*)|how\s+many\s+)([^\W\d_]+)", re.IGNORECASE)
# "Qui est Olivier Dupont ?", "Who is Jane Doe?": a name right after the verb, no determiner ("Qui est le
# président…" asks for a person)
_WHO_IS_NAME = re.compile(r"^\s*(?i:qui\s+(?:est|sont|était|étaient)|who\s+(?:is|are|was|were))\s+[A-ZÀ-Ý]")
_COPULAS = frozenset(("est", "sont", "etait", "etaient", "sera", "seront", "fut", "a", "ont", "avait", "avaient"))  # French grammar: être, avoir
# "les trois ports", "the three ports": items asked for. A number before a multiplier, a currency or a percent
# ("the 5 billion euro project", "les 20 milliards") is a quantity, no count of items (French and English grammar)
_COUNT = re.compile(r"\b(?:les|the)\s+(deux|trois|quatre|cinq|six|sept|huit|neuf|dix|two|three|four|five|\d)\s+"
                    r"(?!(?:mille|milliers?|millions?|milliards?|thousands?|billions?|trillions?|euros?|dollars?"
                    r"|pour\s*cent|percent|%)(?![\w]))", re.I)


@dataclass(frozen=True)
class QuestionAnalysis:
    """What the answerer needs to know about a question."""

    text: str
    kind: str | None
    is_list: bool
    count: int | None  # items asked for ("les trois ports"), when said
    focus: tuple[str, ...]  # names and quoted phrases the answer must be about
    numbers: frozenset[str]  # numbers the question already gives
    years: frozenset[str]
    romans: frozenset[str]  # "phase II"
    counted: str | None  # stem of X in "combien de X"
    noun: str | None = None  # the head noun after "quel", folded
    terms: tuple[str, ...] = field(default_factory=tuple)  # analysed content terms (stems)
    also: tuple[str, ...] = field(default_factory=tuple)  # kinds of further things asked ("... et quand ?")
    language: str = "fr"  # "en" when its function words are English
    focus_carried: bool = False  # the focus comes from the conversation, not from the question's own words
    head_roles: tuple[str, ...] = ()  # "Qui dirige X ?": the nouns of the role at the head of X (data/head_verbs.tsv)
    head_of: str = ""  # ... and X, folded, up to a relative clause ("la societe d etudes prospectives")
    head_verb: str = ""  # ... and the verb, folded ("dirige"), whose passive also answers ("dirigé par")
    acting_verb: str = ""  # "Qui porte / a organisé X ?": the verb, folded ("porte", "organise"), whose passive names who
    ordinals: frozenset[tuple[str, int]] = frozenset()  # "la première phase": (noun stem, rank), see ordinal_parts
    counted_carried: bool = False  # so does the counted noun ("Et lors de la phase I ?" after "combien de territoires")

    @property
    def share(self) -> bool:
        """The figure asked is a share of a whole ("quelle part", "quel pourcentage"): a percentage or a fraction."""
        return self.kind == "figure" and self.noun is not None and self.noun in word_list("answer/data/share_nouns.txt")

    @property
    def measured(self) -> bool:
        """The figure asked is a physical quantity ("quelle vitesse", "quelle capacité"): it comes with a unit."""
        return self.kind == "figure" and self.noun is not None and self.noun in word_list("answer/data/measure_nouns.txt")

    @property
    def role(self) -> bool:
        """A person is asked by their role in something ("le directeur de l'usine", "le maire de Lorvan"): the
        answer names them with that role. A role noun without its complement names a class ("quel élu…"),
        which any person of it meets."""
        return (self.kind == "person" and self.noun is not None and self.noun in nouns_of_kind("role")
                and re.search(rf"\b{re.escape(self.noun)}\w*\s+(?:de|du|des|d['’]|of)\b", fold_accents(self.text.lower())) is not None)

    @property
    def elapsed(self) -> bool:
        """"Depuis combien de temps…", "How long ago…": the time since something began ("il y a six ans",
        "depuis 2019"), not how long something took ("en trois mois")."""
        return self.kind == "duration" and re.search(r"\b(?:depuis combien|how long ago|since when)\b",
                                                     fold_accents(self.text.lower())) is not None

    @property
    def named_amount(self) -> bool:
        """The sum asked is a particular quantity ("le salaire moyen", "le chiffre d'affaires"): a sum answers only
        where the text names that quantity."""
        return self.kind == "amount" and self.noun is not None and self.noun in nouns_of_kind("named-amount")

    @property
    def specific(self) -> bool:
        """The answer is a datum (figure, date, name, place...) a sentence holds or does not hold."""
        return self.kind in SPECIFIC


@lru_cache(maxsize=1)
def _question_words() -> tuple[tuple[re.Pattern, str], ...]:
    return tuple((re.compile(r"(?:^|\s)" + re.escape(phrase) + r"(?:\s|$)"), kind)
                 for phrase, kind in word_table("answer/data/question_words.tsv"))


# Kinds of answer_nouns.tsv that ask for a kind of answer under a further condition: a role noun
# ("directeur") asks for a person said with that role (QuestionAnalysis.role), a named amount ("salaire")
# for a sum the text calls so (QuestionAnalysis.named_amount).
_NOUN_SUBKINDS = {"role": "person", "named-amount": "amount"}


@lru_cache(maxsize=1)
def _answer_nouns() -> dict[str, str]:
    return {noun: _NOUN_SUBKINDS.get(kind, kind) for noun, kind in word_table("answer/data/answer_nouns.tsv")}


@lru_cache(maxsize=1)
def _head_verbs() -> dict[str, str]:
    return dict(word_table("answer/data/head_verbs.tsv"))


@lru_cache(maxsize=None)
def nouns_of_kind(kind: str) -> frozenset[str]:
    """The nouns answer_nouns.tsv files under `kind` (its own label: "role", "named-amount", "person"...)."""
    return frozenset(noun for noun, k in word_table("answer/data/answer_nouns.tsv") if k == kind)


def _folded(text: str) -> str:
    """Lower case, accents folded, every run of non-alphanumerics a single space ("Qu'est-ce" -> "qu est ce")."""
    return re.sub(r"[^a-z0-9]+", " ", fold_accents(text.lower())).strip()


def _singular(noun: str) -> str:
    if noun.endswith("ies") and len(noun) > 4:
        return noun[:-3] + "y"  # English "companies"
    if len(noun) > 3 and noun[-1] in "sx" and not noun.endswith("ss"):
        return noun[:-1]
    return noun


_NAME_NOUNS = frozenset({"nom", "noms", "name", "names"})
_NAME_LINKS = frozenset({"de", "du", "des", "d", "la", "le", "les", "l", "of", "the"})  # "nom de la", "name of the"


# Words that end an English noun phrase: prepositions, relatives and verbs ("the unemployment rate in…")
_EN_PHRASE_END = frozenset("in of for at on to by from with within about that which who whose does did do is are "
                           "was were will would has have had can could should".split())


def _noun_kind(after_quel: str, english: bool = False) -> tuple[str | None, str | None]:
    """(kind, head noun) for the words after "quel": the longest known noun phrase first, past the
    adjectives that stand before a French noun ("le premier employeur"). English puts its head noun last
    ("the unemployment rate", "the total budget"): it is looked up first there."""
    nouns = _answer_nouns()
    ws = after_quel.split()
    if english:
        # the last known noun of the first three words, before a preposition or a verb ends the phrase
        phrase = []
        for word in ws[:3]:
            if word in _EN_PHRASE_END:
                break
            phrase.append(word)
        known = [c for word in phrase for c in dict.fromkeys((word, _singular(word))) if c in nouns]
        if known:
            return nouns[known[-1]], known[-1]
    while ws and (ws[0] in PRENOMINAL or ws[0] in _NUMBER_WORDS or ws[0].isdigit()):  # "les quatre thèmes"
        ws = ws[1:]
    if ws and ws[0] in _NAME_NOUNS:
        # "le nom du président", "le nom de la ville": a name is asked, of the class the next noun says
        rest = ws[1:]
        while rest and rest[0] in _NAME_LINKS:
            rest = rest[1:]
        kind, noun = _noun_kind(" ".join(rest), english) if rest else (None, None)
        return (kind if kind in ("person", "agent", "place") else "agent"), noun or _singular(ws[0])
    for n in (3, 2, 1):
        if len(ws) < n:
            continue
        phrase = " ".join(ws[:n])
        for candidate in (phrase, _singular(phrase)):
            if candidate in nouns:
                return nouns[candidate], candidate
    return None, (_singular(ws[0]) if ws else None)


# Capitalised words joined by the particles of French names ("Ministère des Armées", "Toyota Motor
# Manufacturing France", "Saint-Omer Flandre Interface d'Entreprises") make one name; a year or a span of
# years written right after it, with no preposition, belongs to the name ("France 2030", "Agence
# Hauts-de-France 2020-2040"): it is no date the answer must hold.
_NAME_RUN = re.compile(r"(?<![\w-])(?:[A-ZÀ-Ý][\w’'&-]*[A-Za-zÀ-ÿ0-9]|[A-Z]{2,}\d*)"
                       r"(?:(?:\s+(?:de|des|du|de la|d['’]|la|le|et|&|en)\s*|\s+)"
                       r"(?:[A-ZÀ-Ý][\w’'&-]*[A-Za-zÀ-ÿ0-9]|[A-Z]{2,}\d*))*"
                       r"(?:\s+(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)\d\d)?\b)?")
# Auxiliaries and modals (forms of avoir, être, faire, aller, pouvoir, devoir): after "qu'est-ce que", one of
# them means a clause follows ("qu'est-ce que l'épidémie a rendu...") — not a term to define.
_AUXILIARY = re.compile(r"\b(?:a|ont|avait|avaient|aura|auront|est|sont|etait|etaient|sera|seront|fait|font|va|vont|"
                        r"peut|peuvent|doit|doivent)\b")
_DEFINITION_OPENING = re.compile(r"\bqu est ce(?: qu(?:e)?)?\s+(?P<rest>.*)$")


# "Qu'est-ce que (l')X ?", "Que signifie X ?", "Qu'entend-on par X ?": the term asked for, past its article
_DEFINED = re.compile(r"^\s*(?:qu['’]est[- ]ce\s+qu['’](?:e\s+)?|qu['’]est[- ]ce\s+que\s+|que\s+(?:signifie|veut\s+dire|désigne)\s+|"
                      r"qu['’]entend[- ]on\s+par\s+)(?:(?:le|la|les|un|une|des)\s+|l['’])?(?P<term>[^?]+?)\s*\??\s*$",
                      re.IGNORECASE)


def _defined_term(question: str) -> tuple[str, ...]:
    """The term a definition question asks about, when short enough to be a term (four words at most) and not
    a pointer to the conversation ("Que signifie ce sigle ?": the follow-up's carried names say which)."""
    m = _DEFINED.match(question)
    if not m or len(m.group("term").split()) > 4 or m.group("term").split()[0].lower() in _DEMONSTRATIVES:
        return ()
    return (m.group("term"),)


_DEMONSTRATIVES = frozenset("ce cet cette ces cela ça ca celui celle ceux celles".split())  # French grammar


def money_verbs() -> frozenset[str]:
    """Verbs of receiving or granting money, accent-folded (data/money_verbs.txt)."""
    return word_list("answer/data/money_verbs.txt")


def question_focus(question: str) -> tuple[str, ...]:
    """Names and quoted phrases of the question: «quoted» phrases, then runs of capitalised words and
    acronyms (a capital that only opens the question does not count), roman numerals excluded."""
    out: list[str] = [m.group(1).strip() for m in _QUOTED.finditer(question)]
    first = re.match(r"\s*[«“\"(]?\s*([\w’'-]+)", question)
    first_start = first.start(1) if first else -1
    for m in _NAME_RUN.finditer(question):
        name = m.group(0).strip("’'- ")
        if m.start() == first_start:
            head, _, rest = name.partition(" ")
            if not head.isupper() and zipf(head.lower()) >= COMMON_WORD_ZIPF:
                name = rest.strip()  # "Combien", "Quelle": capital by position; "Nacon fabrique quoi ?" names Nacon
        # particles, an elided article or a roman numeral ("phase II de Territoires") do not open a name
        name = re.sub(r"^(?:(?:de|des|du|la|le|et|en|d['’]|l['’]|(?:I|II|III|IV|V|VI|VII|VIII)\b)\s*)+", "", name).strip()
        if not name or ROMAN_NUMERAL.fullmatch(name) or (not analyze(name) and not name.isupper()):
            continue
        if any(name in o or o in name for o in out):
            continue
        out.append(name)
    return tuple(dict.fromkeys(out))


def _interrogatives(folded: str, english: bool = False) -> list[tuple[int, int, str | None, str | None]]:
    """(position, -length, kind, noun) of every interrogative of the question: table phrases and "quel + noun"."""
    found = []
    padded = " " + folded + " "
    for pattern, kind in _question_words():
        for m in pattern.finditer(padded):  # "combien… et combien…": each one asks
            found.append((m.start(), -len(m.group(0)), None if kind == "none" else kind, None))
    for m in _QUEL.finditer(folded):
        kind, noun = _noun_kind(m.group("noun"), english)
        found.append((m.start(), -len(m.group(0)) - (0 if kind else 100), kind, noun))
    # where phrases overlap ("how many", "how"), the longest one asks
    found.sort()
    return [f for i, f in enumerate(found) if i == 0 or f[0] != found[i - 1][0]]


def analyse_question(question: str) -> QuestionAnalysis:
    """The analysis of a (standalone) question.

    The interrogative that comes first is the main one ("Quel atelier était prêt quand..." asks for a
    workshop, not a date); a later one joined by "et"/"and" is a second thing asked."""
    folded = _folded(question)
    found = _interrogatives(folded, question_language(question) == "en")
    kind, noun = (found[0][2], found[0][3]) if found else (None, None)
    d = _DEFINITION_OPENING.search(folded)
    if kind == "definition" and d and _AUXILIARY.search(d.group("rest")):
        kind = None  # "qu'est-ce que l'épidémie a rendu plus pressant": a thing, not a meaning
    if kind in (None, "manner", "agent") and _MEANING_VERB.search(folded) and not folded.startswith(("qui ", "who ")):
        kind = "definition"
    if kind == "figure" and re.search(r"\b(?:euros?|argent|money|investi\w*|financ\w*|subvention\w*|cout\w*|cost\w*)\b",
                                      folded):
        kind = "amount"  # "combien a-t-elle investi", "combien coûte…" ask for a sum of money
    if kind == "figure" and not _COUNTED.search(question) and set(folded.split()) & money_verbs():
        kind = "amount"  # "Combien a reçu Asterodyn ?": what it received is a sum
    head = re.match(r"^qui\s+(?:a\s+|ont\s+)?([a-z]+)\s+(.*?)(?:\s+(?:qui|que|qu|dont|ou|selon|d apres)\b|$)", folded)
    head_roles = tuple(_head_verbs().get(head.group(1), "").split()) if head and kind in ("agent", "person") else ()
    head_of, head_verb = (head.group(2), head.group(1)) if head_roles else ("", "")
    # "Qui porte le projet ?": the text's passive names who ("porté par Stellantis"); a copula asks who someone is
    acting = re.match(r"^qui\s+(?:a\s+|ont\s+)?(?:[a-z]+ment\s+)?([a-z]+)\b", folded)  # "qui a finalement repris"
    acting_verb = acting.group(1) if acting and kind in ("agent", "person") and acting.group(1) not in _COPULAS else ""
    if kind == "agent" and _WHO_IS_NAME.match(question):
        kind = "identity"  # "Qui est Olivier Dupont ?" asks who he is (his role, what he does), not for another name
    if kind is None and re.match(r"^(?:est ce|est il|sont ils|y a t il|is|are|does|do|did|can|has|have)\b", folded):
        kind = "yesno"
    # the determiner says the number in French ("quels ports"); English plurals end in -s
    det = next((m.group("det") for m in _QUEL.finditer(folded)), None)
    plural_noun = any(m.group("det") in ("which", "what") and m.group("noun").split()[0].endswith("s")
                      and not m.group("noun").split()[0].endswith("ss") for m in _QUEL.finditer(folded))
    is_list = kind == "list" or det in ("quels", "quelles", "lesquels", "lesquelles") or plural_noun
    if kind == "list":
        kind = None
        # "Citez les sites aéronautiques…": the noun after the imperative's article names the class listed
        listed = re.search(r"\b(?:citez|listez|enumerez|nommez|list|name)\s+(?:les|des|tous les|toutes les|the|all the)\s+"
                           r"(?P<noun>[a-z]+(?:\s+[a-z]+){0,4})", folded)
        if listed and noun is None:
            kind, noun = _noun_kind(listed.group("noun"), question_language(question) == "en")
            noun = noun or _singular(listed.group("noun").split()[0])
    # positions are in " " + folded: a later interrogative right after "et"/"and", or opening a second
    # sentence ("C'est un gros employeur ? Combien de salariés…"), is a second question, possibly of the same
    # kind ("combien… et combien…": a second datum)
    padded = " " + folded + " "
    openings = [len(_folded(question[:m.end()])) + 1 for m in re.finditer(r"[?]\s+(?=\S)", question)]
    second = [k for pos, _, k, _ in found[1:]
              if k and (re.search(r"\b(?:et|and)\s+(?:\w+\s+){0,2}$", padded[:pos + 1])
                        or any(0 <= pos - o <= 1 for o in openings))]
    count = None
    c = _COUNT.search(question)
    if c:
        token = c.group(1).lower()
        count = int(token) if token.isdigit() else _NUMBER_WORDS.get(token)
        # "les trois ports" asks for three items, but "combien d'emplois représentent les trois usines" asks for
        # one figure about them: a number or a sum of the group is no list
        is_list = is_list or ((count or 0) > 1 and kind not in ("figure", "amount"))
    counted = None
    cm = _COUNTED.search(question)
    if cm:
        word = fold_accents(cm.group(1).lower())
        if word in _MULTIPLIERS:
            # "combien de millions d'habitants" counts inhabitants; "combien de milliards…" alone asks for a sum
            after = re.match(r"\s+(?:de\s+|d['’]\s*)([^\W\d_]+)", question[cm.end():], re.IGNORECASE)
            word = fold_accents(after.group(1).lower()) if after else "euros"
            if word in _MONEY_NOUNS and kind == "figure":
                kind = "amount"
        stems = analyze(word)
        # "combien d'argent": money is asked, not a count of a thing (the amount detector handles it)
        counted = stems[0] if stems and word not in _MONEY_NOUNS else None
    if kind == "duration":
        counted = None  # "combien de temps" asks how long ("six ans"), it counts no "temps"
    language = question_language(question)
    focus = question_focus(question)
    if kind == "definition" and not focus:
        focus = _defined_term(question)  # "Qu'est-ce que l'innovation duale ?": what is defined is the focus
    if language == "en":  # "June", "Agency": English words written with a capital are not names to look for
        focus = tuple(name for name in focus if not _common_english(name))
    if kind is None and noun and re.match(r"^(?:what|which|quel|quelle)\s+(?:is|are|est|sont)\b", folded) and any(
            _folded(name) in (noun, f"{noun}s") for name in focus):
        kind, noun = "definition", None  # "What is SOFIE?": the name is what is asked about, not a class
    return QuestionAnalysis(
        text=question, kind=kind, is_list=is_list, count=count, focus=focus,
        numbers=frozenset(n for n in numbers_in(question) if not _YEAR.fullmatch(n)),
        years=frozenset(_YEAR.findall(_without_names(question, focus))), romans=frozenset(ROMAN_NUMERAL.findall(question)), ordinals=ordinal_parts(question),
        counted=counted, noun=noun, terms=tuple(analyze(question)), also=tuple(dict.fromkeys(second)),
        language=language, head_roles=head_roles, head_of=head_of, head_verb=head_verb, acting_verb=acting_verb,
    )


def ordinal_parts(question: str) -> frozenset[tuple[str, int]]:
    """What the question ranks with an ordinal ("la première phase", "the second letter"): (noun stem, rank).
    Unlike "la phase I", an ordinal is often not the text's own numbering ("le second projet" of a text saying
    "un autre projet"): it favours the units giving that rank, it excludes none. An ordinal without its noun
    ("Qui porte la première ?") says nothing of what is ranked: any "premières usines" would do, so it counts
    for nothing."""
    return frozenset((noun, rank) for noun, rank in ranks_in(question, asked=True) if noun)


def _without_names(question: str, names: tuple[str, ...]) -> str:
    """The question with its names taken out: the years left are the ones it sets as constraints."""
    for name in sorted(names, key=len, reverse=True):
        question = question.replace(name, " ")
    return question


def _common_english(name: str) -> bool:
    """A capitalised run made only of frequent English words ("the Agency's maps"), which English capitalises
    without making it a name; capitalised parts joined by a hyphen ("Louvre-Lens") are a name all the same."""
    from wordfreq import zipf_frequency

    if re.search(r"[A-ZÀ-Ý][\w’']*-[A-ZÀ-Ý]", name):
        return False
    words = re.findall(r"[^\W\d_]{2,}", name.lower())  # the "s" of a possessive is no word

    def english_word(w: str) -> bool:
        # frequent in English, and no more frequent in French: "Xavier", "Bertrand" are French names
        en = zipf_frequency(w, "en")
        return en >= 3.0 and en >= zipf_frequency(w, "fr")

    return bool(words) and not name.isupper() and all(english_word(w) for w in words)


def question_language(text: str) -> str:
    """"en" when the text has more English than French stop words (the two stop lists of rag/text/data)."""
    ws = re.findall(r"[a-zà-ÿ]+", text.lower())
    fr = word_list("text/data/stopwords_fr.txt")
    en = word_list("text/data/stopwords_en.txt")
    n_fr = sum(fold_accents(w) in fr and w not in en for w in ws)
    n_en = sum(w in en and fold_accents(w) not in fr for w in ws)
    return "en" if n_en > n_fr else "fr"
