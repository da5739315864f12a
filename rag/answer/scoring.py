"""Scoring answer units against a question.

Each unit gets, in [0, 1]:
- `cosine`: the multilingual embedding similarity of the question and the unit, rescaled from the
  similarity of unrelated texts (`cosine_floor`) to 1 (the unit's sentence vectors are stored in the
  index: no model call at question time);
- `coverage`: the share of the question's content terms the unit holds, each weighted by its rarity
  (IDF over the indexed chunks), terms a follow-up carried from the conversation counting less; a
  question term only found in the sentence before or in the section heading counts `context` of a term;
- `holds`: whether it holds the kind of answer asked for (rag.answer.kinds);
- `about`: the share of the question's focus names it mentions (itself, or the sentence its anaphor
  points to);
- the passage's retrieval rank.
- `passage`: the similarity of the unit's whole passage to the question (its retrieval dense score).
The *evidence* of a unit, which decides refusals, mixes coverage (its context counting `context` of a
term), cosine and passage similarity; the score adds to it the bonuses (kind held, counted noun, focus,
retrieval rank, list membership) and the debris penalty, with the weights of the settings' answer group
(calibrated by cross-validation with scripts/calibrate_answerer.py), so a bonus for the right kind or
name never makes weak evidence look strong.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass

import numpy as np

from rag.answer.kinds import (counted_near_number, enumerates, focus_head, folded, holds, mentions, names_agent,
                              names_another)
from rag.answer.language_gap import NONE as NO_GAP, LanguageGap
from rag.answer.question import QuestionAnalysis, money_verbs
from rag.answer.units import Unit, credit_labels, definite_description, terms
from rag.text.analysis import analyze, ranks_in, words
from rag.text.lexicon import garbled_words
from rag.text.normalize import numbers_in
from rag.text.wordlists import word_list
from rag.settings import AnswerSettings

# Verbs and nouns that only frame a question ("que signifie", "le sigle", "où se trouve"): matching them in
# a sentence is no evidence about the topic. French grammar: metalinguistic verbs and nouns ("le nom de"),
# and verbs of location whose complement is what is asked.
_FRAME = frozenset(terms("signifie signifient signifier sigle sigles acronyme désigne désignent désigner définit "
                         "définir définition appelle appelle-t-on entend entendre recouvre recouvrir veut dire "
                         "trouve trouvent situe situent située situé nom noms name names"))


# "Où est installée / implantée / située / basée X ?": the participle of a verb of location frames the question
# like "se trouve" does; the nouns of the same stems ("l'implantation", "l'installation") are topics, so the
# participles are taken out as words, before stemming
_LOCATED = re.compile(r"\b(?:install|implant|situ|bas)(?:é|ée|és|ées)\b", re.IGNORECASE)


# courtesy words ("Merci beaucoup !", "Bonjour, …"): no evidence about anything, and a message made only of
# them asks nothing (rag/answer/data/courtesy_formulas.txt)
_COURTESY = frozenset(terms(" ".join(word_list("answer/data/courtesy_formulas.txt"))))


def only_courtesy(text: str) -> bool:
    """The message is made of courtesy words only ("Merci beaucoup !", "Bonjour"): it asks nothing."""
    said = terms(text)
    return bool(said) and said <= _COURTESY


# the stems of the credit labels and of the verbs asking who made something ("qui a réalisé la carte")
_CREDIT_TERMS = frozenset(terms(" ".join(credit_labels()) + " réalisé réalisée réalisées auteur auteurs"))


@dataclass(frozen=True)
class QuestionTerms:
    """The question's content terms with their weights (IDF x own/carried x exact/close form), and which
    of them the corpus uses at all: only those can be evidence, one way or the other. A question in
    English, or one about a topic the corpus never mentions, has few known terms."""

    weights: dict[str, float]
    known: frozenset[str] = frozenset()

    @property
    def total(self) -> float:
        return sum(self.weights.values()) or 1.0

    @property
    def known_total(self) -> float:
        return sum(w for t, w in self.weights.items() if t in self.known)

    @property
    def known_share(self) -> float:
        """Share of the question's weight the corpus vocabulary can measure."""
        return self.known_total / self.total


class Vocabulary:
    """Document frequencies of the indexed chunks' terms: IDF weights and "does the corpus use this word"."""

    def __init__(self, df: dict[str, int], n_chunks: int):
        self.df = df
        self.n = max(1, n_chunks)
        self.sorted = sorted(df)

    def idf(self, term: str) -> float:
        return math.log(1 + self.n / (1 + self.df.get(term, 0)))

    def common_name(self, name: str, max_df: int) -> bool:
        """Every word of the name is in more than `max_df` chunks ("Région", "Hauts-de-France"): it singles out
        no passage."""
        stems = [s for s in analyze(name) if not s.isdigit()]
        return bool(stems) and min(self.df.get(s, 0) for s in stems) > max_df

    def close_form(self, term: str) -> str | None:
        """The term as the corpus has it: itself, else the most frequent corpus stem sharing a long prefix
        with it (the stemmer keeps verb forms and some derivations apart: "préside"/"président",
        "participent"/"participer", "capitaux"/"capital"), else None."""
        if self.df.get(term, 0):
            return term
        if not term.isalpha() or len(term) < 4:
            return None
        base = re.sub(r"(?:ent|ons|ez|ait|aient)$", "", term) if len(term) >= 8 else term
        prefix = base[:max(5, len(base) - 2)]  # "hydrogen" must not match "hydraulique" (shared "hydr")
        i = bisect.bisect_left(self.sorted, prefix)
        forms = []
        while i < len(self.sorted) and self.sorted[i].startswith(prefix):
            forms.append(self.sorted[i])
            i += 1
        return max(forms, key=lambda f: self.df[f]) if forms else None


def question_terms(text: str, carried: frozenset[str], vocab: Vocabulary, w: AnswerSettings) -> QuestionTerms:
    """Weighted content terms of the question: its own words count fully, the words a follow-up carried
    from the conversation `carried` times, a word matched through a close corpus form `close_form` times."""
    weights: dict[str, float] = {}
    for t in terms(_LOCATED.sub(" ", text)):
        if t in _FRAME or t in _COURTESY:
            continue
        form = vocab.close_form(t) or t
        weight = vocab.idf(form) * (w.carried if t in carried else 1.0) * (1.0 if form == t else w.close_form)
        weights[form] = max(weights.get(form, 0.0), weight)
    return QuestionTerms(weights, frozenset(t for t in weights if vocab.df.get(t, 0)))


_MARKED_KINDS = frozenset({"cause", "definition"})  # kinds told by a marker word in the sentence (rag.answer.kinds)
_ROMAN_VALUES = {"I": "1", "II": "2", "III": "3", "IV": "4", "V": "5", "VI": "6", "VII": "7", "VIII": "8"}


# Kinds whose "quel + noun" names the class of the answer (a place, a moment, an organisation, a person),
# not a measured property: "quel taux" asks for the rate, which the evidence names.
CLASS_KINDS = frozenset({"place", "date", "agent", "person"})
# "combien coûte…", "combien d'argent": the verb or the noun asks for a sum, which any sum about the subject gives
_COST_TERMS = frozenset(analyze("coût coûte coûtent coûter argent money"))


def class_noun_terms(q: QuestionAnalysis) -> frozenset[str]:
    """The terms of the question's answer-class noun ("ville" in "Dans quelle ville..."), if it has one. A sum
    of money is itself the budget, the cost or the amount asked ("Quel est le budget du Pass Drones ?" is met
    by "ce projet à 400 000 euros"), unless a particular quantity is named ("le salaire", q.named_amount); so
    is a measurement the physical quantity asked."""
    if q.kind == "amount" and not q.named_amount:
        # "combien a reçu X": the verb of receiving is met by the sum, whatever the text's verb ("accordée à X")
        received = frozenset(t for w in words(q.text) if w in money_verbs() for t in analyze(w))
        return frozenset(analyze(q.noun or "")) | _COST_TERMS | received
    if q.measured:
        # a figure with its unit of measure is the quantity asked ("quelle vitesse": "400 kilomètres heure"),
        # as a sum is the budget; a unit holds the kind only with such a figure (rag.answer.kinds.holds)
        return frozenset(analyze(q.noun))
    if not q.noun or q.kind not in CLASS_KINDS:
        return frozenset()
    return frozenset(analyze(q.noun))


def qualifies_answer_class(q: QuestionAnalysis, name: str) -> bool:
    """`name` complements the noun naming the class of the answer ("quelle commune de la Somme", "quelle
    entreprise du Nord"): it narrows where to look, it is not what the question is about."""
    if not q.noun or q.kind not in CLASS_KINDS:
        return False
    return re.search(rf" {re.escape(q.noun)}s? (?:de la|de l|du|des|de|d){re.escape(folded(name))}", folded(q.text)) is not None


def meets_constraints(u: Unit, q: QuestionAnalysis) -> bool:
    """The unit (or the sentence its anaphor points to) has the question's years and its numbered phases or
    parts: "phase II" is met by "phase II", "deuxième phase" or "seconde phase" (the analysis reads ordinals
    as numbers); so is every unit of a passage whose only rank is that one ("De nouveaux outils. Lancée sur
    2024-2027, la deuxième phase… trois outils…")."""
    text = u.text + " " + (u.prev.text if u.prev is not None else "")
    unit_terms = u.terms | (u.prev.terms if u.prev is not None else frozenset())
    return (all(y in text for y in q.years)
            and all("roman:" + r in unit_terms or _ROMAN_VALUES.get(r) in unit_terms
                    or u.passage_ranks == {int(_ROMAN_VALUES[r])} for r in q.romans))


def gives_ranks(u: Unit, q: QuestionAnalysis) -> bool:
    """The unit (or the sentence its anaphor points to) ranks what the question's ordinals rank ("la première
    phase": "la phase I", "la première phase"; "la deuxième lettre": "Lettre d'information n°2")."""
    if not q.ordinals:
        return True
    given = ranks_in(u.text) | (ranks_in(u.prev.text) if u.prev is not None else frozenset())
    return q.ordinals <= given


def fits_kind(u: Unit, q: QuestionAnalysis) -> bool:
    """The unit holds the kind of answer asked for, meets the question's constraints, sits in a passage about
    the question's own focus and, for "combien de X", has the figure followed by X — unless the passage never
    uses that word (the text says "une vingtaine d'entrepreneurs" for "combien de patrons"), the question is
    English, or X came from the conversation ("Et lors de la phase I ?": the count may be of something else)."""
    counted_needed = (q.counted and not q.counted_carried and q.language == "fr"
                      and (q.counted in u.passage_terms or u.extras.get("counted_in_corpus", False)))
    return (u.holds and meets_constraints(u, q)
            and (not q.focus or q.focus_carried or u.extras.get("focus_in_passage", False))
            and not u.extras.get("another", False)
            and (not counted_needed or u.extras.get("counted", False) or u.extras.get("counted_waived", False)))


def score_units(q: QuestionAnalysis, qt: QuestionTerms, units: list[Unit], cosines: np.ndarray,
                ranks: list[int], passage_cosines: list[float], w: AnswerSettings,
                property_cosines: np.ndarray | None = None, gap: LanguageGap = NO_GAP,
                common_names: frozenset[str] = frozenset()) -> list[Unit]:
    """Fill every unit's components, evidence and score; return them best first (a unit quoted by two
    overlapping passages is kept once, under its better-ranked passage). `common_names` are focus names the
    corpus uses everywhere ("Région"): a passage need not name them to be about the question."""
    # a name qualifying the answer's class ("quelle commune de la Somme") narrows the answer: no passage needs it
    distinctive = [name for name in q.focus if name not in common_names and not qualifies_answer_class(q, name)]
    # Coverage is measured over the terms the corpus knows, and weighs by their share of the question: an
    # English question is judged by its embedding similarity, a French one by both.
    known = qt.known_total or 1.0
    w_cov = w.coverage * qt.known_share
    focus_stems = set().union(*(analyze(name) for name in q.focus)) if q.focus else set()
    # the noun saying what the named one is ("l'usine AESC": "usine") is part of the subject, not what is
    # asked about it ("Où se trouve l'usine AESC ?" is met by "la gigafactory AESC, basée à…")
    focus_stems |= {s for name in q.focus for s in analyze(focus_head(q, name) or "")}
    # the counted noun of "combien d'ETI" is part of what is asked, even when it is also a name
    asked = {t: wt for t, wt in qt.weights.items() if t in qt.known and (t not in focus_stems or t == q.counted)}
    # "Dans quelle ville...", "En quelle année...", "Quel budget...": the noun after "quel" names the class of
    # the answer, and the answer itself ("Valenciennes", "en 2019", "400 000 euros") is what meets it; a text
    # rarely repeats the class noun, which may be a word the corpus never uses ("budget")
    answer_class = class_noun_terms(q) & set(qt.weights)
    measured_class = q.kind == "amount" or q.measured
    asked.update({t: qt.weights[t] for t in answer_class})
    asked_total = sum(asked.values())
    # the corpus writes the counted noun somewhere: a count of it is written with it ("combien de drones" is
    # not answered by "18 territoires" from a passage that never says "drones")
    counted_in_corpus = bool(q.counted) and q.counted in qt.known
    acting_terms = frozenset(analyze(q.acting_verb)) if q.acting_verb else frozenset()
    # an English question's similarities to the French text run lower than the same French question's
    # (rag.answer.language_gap): `gap` lifts them to the scale the floor and thresholds were calibrated on
    cosines = np.asarray(cosines, dtype=np.float32) + gap.sentence
    if property_cosines is not None:
        property_cosines = np.asarray(property_cosines, dtype=np.float32) + gap.sentence
    passage_cosines = [c + gap.chunk for c in passage_cosines]

    def above_floor(c: float) -> float:
        # multilingual-e5 puts unrelated texts around 0.75-0.8: the similarity counts from a floor upwards
        return max(0.0, (float(c) - w.cosine_floor) / (1.0 - w.cosine_floor))

    for i, (u, c) in enumerate(zip(units, cosines)):
        # a table row is read with its column headers: their words are the row's own
        read = u.terms | u.prev.terms if u.prev is not None and u.prev.heads_table else u.terms
        u.holds = holds(q.kind, u.text, q) and not u.heads_table  # a column header's years and ordinals are labels
        if (not u.holds and u.prev is not None and q.noun and q.kind in CLASS_KINDS
                and definite_description(u.text) == q.noun and holds(q.kind, u.prev.text, q)):
            # "Quel fonds… ?": "Le fonds canadien a annoncé…" is the one the sentence before names, quoted with it
            u.holds = u.extras["held_by_antecedent"] = True
        if u.holds and measured_class:
            # a sum or a measurement is the quantity asked ("combien d'argent", "quelle vitesse"): the class noun
            # is met by the answer itself. A name is no such proof of a place's or an actor's class ("ports").
            read = read | answer_class
        own = sum(wt for t, wt in qt.weights.items() if t in read and t in qt.known) / known
        nearby = sum(wt for t, wt in qt.weights.items() if t not in read and t in u.context and t in qt.known) / known
        u.cosine = above_floor(c)
        u.coverage = own
        # the passage's own similarity to the question (from retrieval) backs the units it holds: a list item
        # or a table row says little alone, its passage may be exactly about the question
        passage = above_floor(passage_cosines[u.n - 1])
        u.evidence = ((w_cov * (own + w.context * nearby) + w.cosine * u.cosine + w.passage * passage)
                      / (w_cov + w.cosine + w.passage))
        prev_terms = u.prev.terms if u.prev is not None else frozenset()
        own_and_prev = u.terms | prev_terms
        u.about = (sum(1.0 if mentions(own_and_prev, name) else w.about_context if mentions(u.context, name) else 0.0
                       for name in q.focus) / len(q.focus)) if q.focus else 0.0
        # about another instance of the asked noun ("l'usine AESC…" for "l'usine Verkor"): found once per unit,
        # fits_kind reads it many times
        u.extras["another"] = bool(q.focus) and not q.focus_carried and names_another(u.text, q, u.terms)
        if not u.holds and q.is_list and enumerates(u.text, q.noun):
            # "auprès d'acteurs issus d'horizons divers (collectivités, centres de recherche…)": the asked class
            # with its members, though they are common nouns rather than names
            u.holds = True
        counted = 1.0 if counted_near_number(u.text, q, prev_terms) else 0.0
        # the focus is the passage's subject when the passage (or its heading) names it
        u.extras["focus_in_passage"] = all(mentions(u.passage_terms | own_and_prev, name) for name in distinctive)
        # a cause, a purpose or a definition (markers like "car", "pour", "désigne") counts when it is about
        # the question's focus: the cause of something else is not the cause asked for ("pourquoi X
        # relocalise" is not answered by why relocation is topical). A datum asked is already sought about
        # the focus (fits_kind).
        kind_about_focus = q.specific or not q.focus or q.focus_carried or u.extras["focus_in_passage"]
        kind_bonus = w.kind * (float(u.holds and kind_about_focus) if q.kind else 0.0)
        u.extras["marker_bonus"] = kind_bonus if q.kind in _MARKED_KINDS else 0.0
        u.score = (u.evidence
                   + (0.0 if q.kind in _MARKED_KINDS else kind_bonus) + w.counted * counted + w.focus * u.about
                   + w.prior / ranks[u.n - 1] - w.debris * float(u.debris and not u.item)
                   + w.list * float(q.is_list and u.group is not None))
        u.extras["counted"] = bool(counted)
        u.extras["counted_in_corpus"] = counted_in_corpus
        # what is asked about the focus ("le chiffre d'affaires" of Asterodyn): the question's words other than
        # its names, found in the unit or the sentence its anaphor points to
        met = own_and_prev | answer_class if u.holds else own_and_prev
        if acting_terms and names_agent(u.text, q.acting_verb):
            # "portée par Stellantis" says the asked verb ("Qui porte…"), though its feminine participle, folded
            # to "portee", is not stemmed as the question's "porte"
            met = met | acting_terms
        # nothing asked beyond the subject and the kind ("Où se trouve l'usine AESC ?"): the kind held is all
        u.extras["property"] = (sum(wt for t, wt in asked.items() if t in met) / asked_total) if asked_total else float(u.holds)
        u.extras["property_cosine"] = above_floor(property_cosines[i]) if property_cosines is not None else u.cosine
        if q.years or q.romans:  # "en 2019", "la phase I": a unit under other constraints answers another question
            u.score += w.constraint * float(meets_constraints(u, q))
    # "Combien de territoires… la phase I ?": when no unit of phase I counts territories, the one counting phase I's
    # "acteurs" answers; the numbered part says which count is asked, the counted noun may be worded otherwise
    if q.counted and q.romans:
        # the unit numbers the same thing ("la phase I"), not merely anything first ("une première subvention")
        asked_ranks = {r for r in ranks_in(q.text) if r[0]}
        numbered = [u for u in units if u.holds and meets_constraints(u, q) and asked_ranks & ranks_in(u.text)]
        if not any(u.extras["counted"] for u in numbered):
            for u in numbered:
                u.extras["counted_waived"] = True
    # a cause or definition marker ("car", "entraîne", "désigne") is a weak sign, which many sentences hold: it
    # counts in proportion to the unit's evidence, so that it ranks close candidates without lifting a sentence
    # far from the question above the one that answers it
    top_evidence = max((u.evidence for u in units), default=0.0)
    for u in units:
        bonus = u.extras.pop("marker_bonus", 0.0)
        if bonus and top_evidence > 0:
            u.score += bonus * u.evidence / top_evidence
    # a unit whose every word the question already says ("Agence Hauts-de-France 2020-2040", a title line)
    # restates it and answers nothing
    said = set(q.terms) | set(qt.weights) | focus_stems
    # a credit line ("Réalisation : …", "Source : …") says who made a map or photo: it answers only a question
    # about that
    credits_asked = bool(set(q.terms) & _CREDIT_TERMS)
    seen: set[str] = set()
    out: list[Unit] = []
    garbled: dict[int, int] = {}
    for u in sorted(units, key=lambda u: (-u.score, u.n, u.start)):
        key = re.sub(r"\W", "", u.text.lower())
        if key in seen or not (u.terms - said or u.heads_table) or (u.credit and not credits_asked):
            continue
        seen.add(key)
        # a damaged PDF holds some pages twice, once with garbled words ("nddduuuussssttrrie"): of a sentence and
        # its copy, the cleaner one is quoted, with the better score and evidence of the two (they say the same)
        garbled[id(u)] = garbled_words(u.text)
        twin = next((k for k, v in enumerate(out) if _damaged_copy(u, v, garbled)), None)
        if twin is None:
            out.append(u)
        elif garbled[id(u)] < garbled[id(out[twin])]:
            u.score, u.evidence = max(u.score, out[twin].score), max(u.evidence, out[twin].evidence)
            out[twin] = u
    return out


def _damaged_copy(a: Unit, b: Unit, garbled: dict[int, int]) -> bool:
    """One of `a` and `b` has more garbled words than the other (`garbled`: their counts by id), and that
    cleaner one holds the other's figures and most of its words: it says all the damaged one says."""
    if garbled[id(a)] == garbled[id(b)]:
        return False
    clean, damaged = (a, b) if garbled[id(a)] < garbled[id(b)] else (b, a)
    if len(damaged.terms) < 4 or not numbers_in(damaged.text) <= numbers_in(clean.text):
        return False
    return len(damaged.terms & clean.terms) / len(damaged.terms) >= 0.6
