"""Does a unit hold the kind of answer a question asks for? One detector per kind, from the unit's words.

A figure is a number the question does not already give (for "combien de X", not a sum of money or a
measurement in another unit; it counts X when X heads the noun phrase after it); an amount, a number with
a currency; a date, a year, a month, a season or a quarter; a duration, a number of months, years...; a
person, a first and last name; an agent, a name of a person or an organisation (a capitalised word or an
acronym the question does not use); a place, a capitalised name after a preposition of place; a cause, a causal connective
(data/causal_markers_fr.txt); a definition, the asked term with an expansion (brackets, a colon, a verb
of meaning from data/definition_markers_fr.txt, or words whose initials spell the acronym). Kinds with no
detector (a description, "comment") are held by every unit.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.answer.question import PRENOMINAL, QuestionAnalysis, nouns_of_kind
from rag.query.followup import pronoun_en
from rag.text.analysis import STOPWORDS, analyze, fold_accents
from rag.text.wordlists import word_list

_YEAR = re.compile(r"^(?:19|20)\d\d$")
_MONTHS = ("janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|"
           "january|february|march|april|may|june|july|august|september|october|november|december")
_DATE = re.compile(r"\b(?:(?:19|20)\d\d|" + _MONTHS + r"|printemps|été|automne|hiver|trimestre|semestre)\b", re.I)
_NUMBER_WORD = (r"\d[\d\s.,\u202f\u00a0]*|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|"
                r"vingt|trente|quarante|cinquante|cent|mille|quelques|plusieurs")
_TIME_UNITS = (r"mois|ans?|années?|annees?|semaines?|jours?|heures?|minutes?|décennies?|decennies?|"
               r"months?|years?|weeks?|days?|hours?|minutes?")  # singular too: "un an", "une semaine"
_DURATION = re.compile(r"\b(?:" + _NUMBER_WORD + r")\s*(?:" + _TIME_UNITS + r")\b", re.I)
_ELAPSED = re.compile(r"\b(?:il y a|voici|depuis|since)\s+(?:(?:19|20)\d\d\b|(?:" + _NUMBER_WORD + r")\s*(?:" + _TIME_UNITS + r")\b)"
                      r"|\b(?:" + _NUMBER_WORD + r")\s*(?:" + _TIME_UNITS + r")\s+ago\b", re.I)
_MONEY = re.compile(r"(?:\d[\d\s.,\u202f\u00a0]*|\b(?:un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|cent)\s+)"
                    r"(?:millions?\s+|milliards?\s+|Md\s*|M\s*|k\s*)?(?:d['’]\s*)?(?:€|euros?\b|M€|Md€|k€)"
                    r"|\b(?:un|une|deux|trois|cinq|dix|cent)\s+(?:millions?|milliards?)\b", re.I)
# French cardinals written in words, simple or compound ("quarante", "vingt-cinq", "quatre-vingt-dix", "deux
# cents"), but not "un"/"une", which are mostly articles.
_CARDINAL = (r"(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|vingts?|"
             r"trente|quarante|cinquante|soixante|cents?|mille)")
# a sentence whose subject is a counted group ("Ces trois gigafactories représentent…", "Les deux usines
# emploient…"): its figures are the group's total
_GROUP_TOTAL = re.compile(r"^\W*(?:ces|les|nos|leurs|these|the)\s+(?:" + _CARDINAL + r"|\d+)\s+[^\W\d_]+", re.I)
_WORD_NUMBER = re.compile(r"\b" + _CARDINAL + r"(?:[- ](?:et[- ])?(?:un|une|" + _CARDINAL[3:-1] + r"))*\b", re.I)
# Quantities written in words ("une vingtaine", "la moitié", "un tiers", "quarante"): figures too.
# An approximate number is a noun counting the noun after its "de" ("une cinquantaine d'industriels").
_APPROXIMATE_WORDS = r"dizaine|douzaine|quinzaine|vingtaine|trentaine|quarantaine|cinquantaine|soixantaine|centaine|milliers?"
_APPROXIMATE = re.compile(r"\b(?:" + _APPROXIMATE_WORDS + r")\b", re.I)
_FIGURE_WORDS = re.compile(r"\b(?:" + _APPROXIMATE_WORDS + r"|millions?|milliards?|moitié|tiers|quart)\b|"
                           + _WORD_NUMBER.pattern, re.I)
# a share of a whole: a percentage, a fraction word, "1 emploi sur 6" (French and English)
_SHARE = re.compile(r"%|\bpour\s?cent\b|\bpercent\b|\b(?:moitié|tiers|quarts?|half|third|quarter)\b|\b\d+\s+(?:[^\W\d_]+\s+)?sur\s+\d+\b",
                    re.IGNORECASE)
_PROPER = re.compile(r"(?<![\w'’-])(?:[A-ZÀ-Ý][\w’'&-]*[A-Za-zÀ-ÿ0-9]|[A-Z]{2,}\d*)")
_PERSON = re.compile(r"(?<![\w'’-])[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?\s+(?:[A-ZÀ-Ý]{2,}\b|[A-ZÀ-Ý][a-zà-ÿ]+)")
_PLACE = re.compile(r"\b(?:à|au|aux|en|dans|près de|près d['’]|de|du|d['’]|sur|vers|in|at|near)\s*"
                    r"(?P<name>[A-ZÀ-Ý][\w’'-]+(?:[- ](?:[a-z]{1,3}[- ])?[A-ZÀ-Ý][\w’'-]+)*)")
_EXPANSION = r"(?:\s*[(\[:]\s*[A-Za-zÀ-ÿ]|\s*[(\[][^)\]]{6,}[)\]]|\s*,\s+(?:c['’]est[- ]à[- ]dire|soit)\b)"


@lru_cache(maxsize=None)
def _markers(name: str) -> re.Pattern:
    phrases = sorted(word_list(f"answer/data/{name}"), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b")


def _folded(text: str) -> str:
    return re.sub(r"[^a-z0-9']+", " ", fold_accents(text.lower()).replace("’", "'")).replace("'", " ")


# A number standing as a word: not glued to letters ("R4", "A16", "CO2" are names, not quantities).
_STANDALONE_NUMBER = re.compile(r"(?<![^\W\d_])\d+(?:[ .\u202f\u00a0]\d{3})*(?:,\d+)?(?![^\W\d_])")


_DATED_YEAR = re.compile(r"\b(?:en|depuis|dès|d['’]ici|jusqu['’]en|avant|après|fin|début|mi-|courant|in|since|by|until)"
                         r"\s+(?:19|20)\d\d\b(?!\s*(?:[-–/]\s*)?\d)", re.I)


def new_numbers(text: str, q: QuestionAnalysis) -> set[str]:
    """Numbers of `text` the question does not give (years only when a date is asked)."""
    found = {re.sub(r"[ .\u202f\u00a0]", "", m.group(0)) for m in _STANDALONE_NUMBER.finditer(text)}
    return {n for n in found - q.numbers if not _YEAR.match(n) or n not in q.years}


def _names(text: str) -> list[str]:
    """Capitalised words and acronyms not opening the text (a capital there may only mark the sentence)."""
    return [m.group(0) for m in _PROPER.finditer(text) if m.start() > 0]


def _new_name(found: str, q: QuestionAnalysis) -> bool:
    f = fold_accents(found.lower())
    return not any(f in fold_accents(x.lower()) or fold_accents(x.lower()) in f for x in q.focus) and bool(analyze(found))


# What may stand between a number and the noun it counts: a multiplier ("2 millions de tonnes"), "de"/"d'",
# the rest of a range ("2 000 à 4 999 salariés") and the adjectives French places before the noun ("trois
# nouvelles usines"). The first other word is the counted noun: in "10 salariés des établissements" it is
# "salariés", and the figure is no count of establishments.
_BETWEEN_NUMBER_AND_NOUN = frozenset("a et ou de des d du environ pres plus moins millions million milliards milliard "
                                     "milliers millier centaines centaine dizaines dizaine".split())


# Currencies and units of measure: "10 milliards d'euros d'investissements" counts investments in euros, so
# the noun after "de" that follows one is the counted noun too.
_CURRENCIES = frozenset("euros euro € dollars dollar".split())
_MEASURES = _CURRENCIES | frozenset("tonnes tonne hectares hectare km kilometres kilometre metres metre "
                                    "m2 m² gwh mwh kwh mw gw litres litre heures heure".split())  # SI units and currencies, French


def _unit_after(text: str, m: re.Match) -> str | None:
    """The unit of measure or currency right after the number `m` of `text` ("400 kilomètres heure"), if any."""
    nouns = _counted_nouns(text[m.end():m.end() + 80])
    return nouns[0] if nouns and nouns[0] in _MEASURES else None


def _without_measures(text: str, counted: str) -> str:
    """The text without its measurements ("400 kilomètres heure", "3 GWh"), unless they measure in the
    counted unit itself: a speed is no count of jobs."""
    def blank(m: re.Match) -> str:
        unit = _unit_after(text, m)
        return " " if unit and counted not in analyze(unit) else m.group(0)

    return _STANDALONE_NUMBER.sub(blank, text)


def counted_near_number(text: str, q: QuestionAnalysis, antecedent: frozenset[str] = frozenset()) -> bool:
    """The counted noun of "combien de X" heads the noun phrase after a new number ("2.800 emplois"), or the
    number counts the pronoun "en" standing for X, which the sentence before (`antecedent`, its terms) names
    ("Les têtes de réseau désignent… On en dénombre 7")."""
    if not q.counted:
        return False
    if q.counted in antecedent and pronoun_en(text) and holds("figure", text, q):
        return True
    asked = set(re.findall(r"[^\W\d_]+", q.text.lower()))
    numbers = [m for m in _STANDALONE_NUMBER.finditer(text) if new_numbers(m.group(0), q)]
    numbers += [m for m in _WORD_NUMBER.finditer(text) if m.group(0).lower() not in asked]  # "quarante trains"
    numbers += list(_APPROXIMATE.finditer(text))  # "une cinquantaine d'industriels"
    for m in numbers:
        if any(q.counted in analyze(noun) for noun in _counted_nouns(text[m.end():m.end() + 80])):
            return True
    return False


def _counted_nouns(after: str) -> list[str]:
    """The noun phrase a number counts: the first word after it that is not a figure, a multiplier, a range,
    "de" or a prenominal adjective, with the words that follow it up to a function word or a punctuation
    mark (French adjectives follow the noun: "276 456 emplois salariés privés" counts salaried jobs); when
    that noun is a currency or a unit of measure, the phrase after its "de" too ("d'euros d'investissements")."""
    words = [fold_accents(t.lower()) for t in re.findall(r"[dl]['’]|[^\W_][\w-]*|%|€|[^\w\s]", after)[:12]]
    k = 0
    # an opening quotation mark before the noun is no punctuation ending the phrase: 'une douzaine de "zones…"'
    while k < len(words) and (words[k][:1].isdigit() or words[k] in _BETWEEN_NUMBER_AND_NOUN or words[k] in PRENOMINAL
                              or words[k] in ("d'", "d’", '"', "«", "“")):
        k += 1
    nouns: list[str] = []
    while k < len(words) and (words[k][:1].isalpha() or words[k] == "€") and words[k] not in STOPWORDS:
        nouns.append(words[k])
        k += 1
        if nouns[-1] in _MEASURES and k < len(words) and words[k] in ("de", "d'", "d’"):
            k += 1  # "d'euros d'investissements": go on with the noun after the unit's "de"
    return nouns


def acronym_expansion(text: str, acronym: str) -> bool:
    """Consecutive words of `text` whose initials spell `acronym`: its content words ("SOFIE" in "Saint-Omer
    Flandre Interface d'Entreprises", "SNCF" in "Société nationale des chemins de fer"), or every word of a
    capitalised name ("EDF" in "Électricité de France", "ELECTRICITE DE FRANCE")."""
    target = fold_accents(acronym.upper())
    if len(target) < 2:
        return False
    content = "".join(w[0].upper() for w in re.findall(r"[^\W\d_]+", text)
                      if len(w) > 1 and fold_accents(w.lower()) not in STOPWORDS)
    if target in fold_accents(content):
        return True
    # runs of capitalised words and the function words between them, each word giving its initial
    for run in re.finditer(r"[A-ZÀ-Ý][\w'’-]*(?:\s+(?:(?:de|du|des|la|le|et|d['’])\s+)*[A-ZÀ-Ý][\w'’-]*)+", text):
        initials = "".join(w[0] for w in re.findall(r"[^\W\d_]+", run.group(0)) if len(w) > 1 or w.isupper())
        if target in fold_accents(initials.upper()):
            return True
    return False


def holds(kind: str | None, text: str, q: QuestionAnalysis) -> bool:
    """Whether `text` holds an answer of `kind` for question `q` (kinds without a detector: always)."""
    if kind == "figure" and q.focus and not q.focus_carried and q.count is None and _GROUP_TOTAL.match(text):
        return False  # "Ces trois gigafactories représentent 2.800 emplois" counts the group, not the one named
    if kind == "figure":
        # a year that a preposition of time introduces ("menacée en 2021") dates the sentence: it is no quantity;
        # nor is a sum of money a count of the things "combien de drones" asks for
        text = _DATED_YEAR.sub(" ", text)
        if q.share:  # "quelle part": a percentage or a fraction, not any number near the words
            return bool(_SHARE.search(text))
        if q.measured:  # "quelle vitesse": a figure with its unit of measure ("400 kilomètres heure"), not a sum
            return any(_unit_after(text, m) not in (None, *_CURRENCIES)
                       for m in _STANDALONE_NUMBER.finditer(text) if new_numbers(m.group(0), q))
        if q.counted:
            text = _without_measures(_MONEY.sub(" ", text), q.counted)
        # a figure in words the question does not say ("dont la moitié" for "quelle part des 20 milliards")
        return bool(new_numbers(text, q)) or any(
            not q.numbers or not _letter_words(m.group(0)) <= _letter_words(q.text) for m in _FIGURE_WORDS.finditer(text))
    if kind == "amount":
        if q.named_amount and not set(analyze(q.noun)) <= set(analyze(text)):
            return False  # "le salaire moyen": a sum the sentence does not call a salary is another sum
        return any(new_numbers(m.group(0), q) or not re.search(r"\d", m.group(0)) for m in _MONEY.finditer(text))
    if kind == "date":
        return any(m.group(0) not in q.years for m in _DATE.finditer(text))
    if kind == "duration" and q.elapsed:  # "il y a six ans", "depuis 2019", "six years ago"
        return bool(_ELAPSED.search(text))
    if kind == "duration":
        return bool(_DURATION.search(text)) or bool(re.search(r"\b(?:19|20)\d\d\s*[-–/]\s*(?:19|20)\d\d\b", text))
    if kind in ("person", "agent") and q.head_roles:
        # "Qui dirige X ?": a name, and the role right before X
        return heads(text, q) and any(_new_name(m.group(0), q) for m in _PERSON.finditer(text))
    if kind == "person":
        if q.role:  # "le nom du directeur de l'usine": a name said with that role, not any name near the plant
            return _says_role(text, q.noun) and any(_new_name(m.group(0), q) for m in _PERSON.finditer(text))
        return any(_new_name(m.group(0), q) for m in _PERSON.finditer(text)) or _role_noun(text, q)
    if kind == "agent":  # a name, a role, or whoever the passive of the question's verb names ("lancé par l'État")
        return any(_new_name(name, q) for name in _names(text)) or _role_noun(text, q) or names_agent(text, q.acting_verb)
    if kind == "identity":  # "Qui est X ?": the sentence giving X's role ("X, directeur du marketing de…")
        return _role_noun(text, q)
    if kind == "place":
        # a place is a name: after a preposition of place in prose, in any position in a list or a table row
        # ("Ports stratégiques : Dunkerque (59), Calais (62)")
        return (any(_new_name(m.group("name"), q) for m in _PLACE.finditer(text))
                or any(_new_name(name, q) for name in _names(text)))
    if kind == "cause":
        return bool(_markers("causal_markers_fr.txt").search(_folded(text)))
    if kind == "definition":
        return is_definition(text, q)
    return True


@lru_cache(maxsize=4096)
def _letter_words(text: str) -> frozenset[str]:
    """The accent-folded, lower-cased words of `text`, digits left out (cached: the question's are asked per unit)."""
    return frozenset(re.findall(r"[^\W\d_]+", fold_accents(text.lower())))


def data_of(kind: str | None, text: str, q: QuestionAnalysis) -> set[str]:
    """The data of `kind` that `text` gives (numbers, sums, dates, names, places), folded so that the same
    datum twice compares equal; for a kind without a detector, the text itself."""
    def fold(found) -> set[str]:
        return {re.sub(r"\W", "", fold_accents(x.lower())) for x in found}

    if kind == "figure":
        return set(new_numbers(_DATED_YEAR.sub(" ", text), q)) | fold(m.group(0) for m in _FIGURE_WORDS.finditer(text))
    if kind == "amount":
        return fold(m.group(0) for m in _MONEY.finditer(text))
    if kind == "date":
        return fold(m.group(0) for m in _DATE.finditer(text)) - set(q.years)
    if kind == "person":
        return fold(m.group(0) for m in _PERSON.finditer(text) if _new_name(m.group(0), q))
    if kind in ("agent", "place"):
        return fold(name for name in _names(text) if _new_name(name, q))
    return {re.sub(r"\W", "", text.lower())}


@lru_cache(maxsize=1)
def _person_nouns() -> frozenset[str]:
    """Nouns of people and roles, as accent-folded singular words (stems would take "économie" for
    "économiste" and "responsabilité" for "responsable")."""
    return frozenset(w for noun in nouns_of_kind("person") | nouns_of_kind("role") for w in noun.split())


def _singular_words(text: str) -> set[str]:
    return {w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in _folded(text).split()}


# French prefixes of a deputy, a subordinate or a former holder ("vice-président", "sous-directeur",
# "ex-président"), folded: such a holder is not the head asked for
_NOT_THE_HEAD = "".join(rf"(?<!{p} )" for p in ("vice", "sous", "ex"))


def heads(text: str, q: QuestionAnalysis) -> bool:
    """`text` names someone in the role at the head of what "Qui dirige X ?" asks about: a role noun followed by
    X's words ("directrice de Nacon", "président de la région Hauts-de-France", "dirigeante de la société
    d'études prospectives"), ending on X's name when X has one, or the verb's passive ("dirigé par"); not a
    role of a part of X ("directeur du marketing de Nacon") nor a deputy ("vice-président")."""
    said = folded(text)
    own = [w for w in q.head_of.split() if w not in STOPWORDS]
    if not own:
        return False
    if names_agent(said, q.head_verb):
        return True  # the passive: "L'Observatoire … est dirigé par Anne Morel"
    link = r"(?:\s+(?:de|du|des|d|la|le|l|les|" + "|".join(map(re.escape, own)) + "))*"
    names = [folded(n).strip() for n in q.focus if folded(n) in f" {q.head_of} "]
    end = "|".join(map(re.escape, names or own))
    for role in q.head_roles:
        forms = "|".join(map(re.escape, _role_forms(role)))
        if re.search(rf"{_NOT_THE_HEAD}\b(?:{forms})s?{link}\s+(?:{end})\b", said):
            return True
    return False


def names_agent(text: str, verb: str) -> bool:
    """`text` says who does what `verb` (folded, as a question writes it: "porte", "organise") says, in the
    passive: "portée par", "organisés conjointement par". A French -er verb's present ("porte") and past
    participle ("porté") fold to the same word."""
    return bool(verb) and re.search(rf"\b{re.escape(verb)}(?:e|s|es)?\s+(?:[a-z]+ment\s+)?par\b", folded(text)) is not None


def _role_forms(noun: str) -> set[str]:
    """A role noun (accent-folded) in the masculine and the feminine: "president(e)", "directeur" / "directrice"."""
    return {noun, noun + "e", noun[:-4] + "trice"} if noun.endswith("teur") else {noun, noun + "e"}


def _says_role(text: str, noun: str) -> bool:
    """`text` uses the role noun, masculine or feminine ("directeur" / "directrice", "président(e)")."""
    said = _singular_words(text)
    return all(_role_forms(w) & said for w in noun.split())


def _role_noun(text: str, q: QuestionAnalysis) -> bool:
    """A person named by their role ("le chef de l'État", "la directrice") the question does not already use."""
    return bool((_singular_words(text) & _person_nouns()) - _singular_words(q.text))


def is_definition(text: str, q: QuestionAnalysis) -> bool:
    """The asked term with an expansion: brackets, a colon, a verb of meaning, or initials spelling it."""
    for term in q.focus or ():
        if term.isupper() and acronym_expansion(text, term):
            return True
        if re.search(re.escape(term) + _EXPANSION, text, re.I):
            return True
    return bool(_markers("definition_markers_fr.txt").search(_folded(text)))


def folded(text: str) -> str:
    """Text lowercased, without accents, its words separated by single spaces and the whole between spaces:
    for finding a name as a phrase (" nord france invest ")."""
    return f" {' '.join(_folded(text).split())} "


def says_name(text: str, name: str) -> bool:
    """`text` (folded) names `name`: its words in that order ("Nord France Invest", not "nord", "France" and
    "investir" scattered through a page)."""
    return folded(name) in text if folded(name).strip() else False


def mentions(text_terms: frozenset[str], name: str) -> bool:
    """All content stems of a focus name occur among a unit's terms."""
    stems = set(analyze(name))
    return bool(stems) and stems <= text_terms


# after the class noun and up to three words: items in brackets, or after a colon up to the next ";" or ":"
# (their own brackets, "Dunkerque (59), Calais (62)", are set aside)
_ENUMERATION = re.compile(r"^\s*(?:[\w'’-]+\s+){0,3}?(?:\((?P<bracketed>[^)]+)\)|:\s*(?P<items>(?:[^;:()]|\([^)]*\))+))")


def enumerates(text: str, noun: str | None) -> bool:
    """The text names the asked class and enumerates members of it right after, in brackets or after a colon
    ("des entreprises (A, B, C)", "trois ports : A, B et C"): items of the list asked for."""
    if not noun:
        return False
    stems = set(analyze(noun))
    if not stems:
        return False
    for m in re.finditer(r"[^\W\d_][\w'’-]*", text):
        if stems & set(analyze(m.group(0))):
            e = _ENUMERATION.match(text[m.end():])
            items = re.sub(r"\([^)]*\)", " ", (e.group("bracketed") or e.group("items") or "")) if e else ""
            if len([x for x in re.split(r"[,;]|\bet\b|\band\b", items) if x.strip()]) >= 2:
                return True
    return False


def focus_head(q: QuestionAnalysis, name: str) -> str | None:
    """The noun an article introduces right before a focus name, or before an adjective and the name's "de":
    "usine" in "l'usine AESC", "atelier" in "l'atelier prospectif de Saint-Michel". It says what the named one
    is, not what is asked about it."""
    head = re.search(rf"\b(?:l['’]|la |le |les |une? |cette |ce |cet )([^\W\d_]{{4,}})(?:\s+[^\W\d_]+)?\s+"
                     rf"(?:de la |de l['’]|du |de |d['’])?{re.escape(name)}\b", q.text, re.IGNORECASE)
    return head.group(1) if head else None


def names_another(text: str, q: QuestionAnalysis, text_terms: frozenset[str] | None = None) -> bool:
    """`text` gives the noun the question's name qualifies to another name, and never names the question's:
    "l'atelier prospectif de Saint-Michel" asked, "Atelier prospectif organisé avec l'Agence d'urbanisme de
    Dunkerque - 30 participants" read; "l'usine Verkor" asked, "l'usine AESC emploie…" read. What it says is
    another one's (the noun: focus_head). `text_terms`: the text's terms when already known (a unit's)."""
    text_terms = frozenset(analyze(text)) if text_terms is None else text_terms
    for name in q.focus:
        if mentions(text_terms, name):
            continue
        head = focus_head(q, name)
        if head is None:
            continue
        own = {fold_accents(w.lower()) for w in re.findall(r"[^\W\d_]+", name)}
        noun = head[:max(4, len(head) - 2)]  # "atelier" and "ateliers"
        for m in re.finditer(rf"\b{re.escape(noun)}\w*", text, re.IGNORECASE):
            for word in text[m.end():].split()[:8]:
                word = re.sub(r"^[ldLD]['’]", "", word.strip(",.;:()«»\"'"))
                folded_word = fold_accents(word.lower())
                if word[:1].isupper() and folded_word not in STOPWORDS and folded_word not in own:
                    return True
    return False
