"""When to refuse: the answer must be in the documents, and a near-miss is refused, not quoted.

The reasons, tried in order (each a short tag recorded for the evaluation report):
- `no-unit`: nothing quotable was retrieved;
- `unknown-name`: a name of the question occurs nowhere in the corpus ("Occitanie" aside, "Windows");
- `out-of-vocabulary`: most of the question's rarity-weighted terms are words the corpus never uses
  ("la recette de la flamiche aux poireaux"), even through a close form, and no unit is close in meaning
  (an English question about the corpus is);
- `weak-evidence`: the best units' evidence (coverage and cosine) is under the calibrated threshold;
- `no-answer-of-kind`: a datum is asked (a figure, a date, a name, a place...) and no unit holds one about
  the question's focus with enough evidence: the topic is in the corpus, the asked detail is not
  ("Qui dirige l'entreprise Nacon ?" when no head of Nacon is named);
- `focus-unsupported`: a rare name of the question only appears in units that match the rest of it
  poorly (a map label "Occitanie" is no evidence about Occitanie's industrial policy).
Thresholds live in the settings' answer group and are calibrated by cross-validation on the shipped
question set (scripts/calibrate_answerer.py), never by hand against one question.
"""

from __future__ import annotations

import re

from rag.answer.kinds import acronym_expansion, folded, says_name
from rag.answer.question import QuestionAnalysis
from rag.answer.scoring import QuestionTerms, Vocabulary, class_noun_terms, fits_kind, qualifies_answer_class
from rag.answer.units import Unit
from rag.settings import AnswerSettings
from rag.text.analysis import analyze
from rag.text.lexicon import COMMON_WORD_ZIPF

TOP_UNITS = 5  # the best units an answer would be drawn from



def unknown_names(q: QuestionAnalysis, vocab: Vocabulary) -> list[str]:
    """Focus names none of whose stems any indexed chunk contains. A capitalised common word of the
    question's language ("the Agency's maps") is not taken for a name the corpus should know."""
    from wordfreq import zipf_frequency

    out = []
    for name in q.focus:
        stems = [s for s in analyze(name) if not s.isdigit()]
        if not stems or any(vocab.df.get(s, 0) for s in stems):
            continue
        words = re.findall(r"[^\W\d_]+", name.lower())
        if q.language == "en" and all(zipf_frequency(w, "en") >= COMMON_WORD_ZIPF for w in words):
            continue
        out.append(name)
    return out


def typed_support(q: QuestionAnalysis, qt: QuestionTerms, units: list[Unit], w: AnswerSettings) -> float:
    """How well the best unit holding the asked datum answers what is asked (0 when none fits).

    A unit fits when it holds the kind of answer asked for, meets the question's constraints (its years and
    phases: "le budget pour l'année 2026", "la phase I"), sits in a passage about the question's own focus
    (the passage or its heading names it), and, for "combien de X", has the figure followed by X. Its
    support is then what it says of the asked property — the question's words other than its names — in
    words (rarity-weighted share found in the unit) or in meaning (cosine with the question stripped of its
    names): naming Asterodyn and a sum of money is no answer to Asterodyn's turnover. For an English question the words cannot be compared with a
    French text, so its meaning counts in proportion."""
    share = qt.known_share
    # in a French question the asked property must show in words too (one of its words at least): meaning
    # alone takes a sum of money near "Asterodyn" for its turnover. An English question's words cannot be
    # compared with the French text: there the meaning decides.
    words_needed = q.language == "fr" and share >= 0.5
    return max(((w.coverage * share * u.extras.get("property", 0.0) + w.cosine * u.extras.get("property_cosine", u.cosine))
                / (w.coverage * share + w.cosine) for u in units
                if fits_kind(u, q) and (not words_needed or u.extras.get("property", 0.0) > 0)), default=0.0)


def _asks_only_unknown_property(q: QuestionAnalysis, qt: QuestionTerms) -> bool:
    """What the question asks about its subject is said only in words the corpus never uses ("Où se trouve le
    siège de Brookfield ?": "siège"): the documents speak of the subject, not of that property. The subject's
    names and the class noun of the answer ("quel montant") are not the property."""
    if not q.focus:
        return False
    names = set().union(*(analyze(name) for name in q.focus))
    frame = names | class_noun_terms(q)
    asked = [t for t in qt.weights if t not in frame and not t.isdigit()]
    return bool(asked) and not any(t in qt.known for t in asked)


def _names_a_known_rarity(q: QuestionAnalysis, ranked: list[Unit], vocab: Vocabulary, w: AnswerSettings) -> bool:
    """The question names something the corpus speaks of in a few passages only (every stem of the name in no
    more than `rare_name_df` chunks), and one of the best units writes that name as such ("R4 et R5"; not
    "générations" for a capitalised "Génération")."""
    for name in q.focus:
        stems = [s for s in analyze(name) if not s.isdigit()]
        if (stems and all(0 < vocab.df.get(s, 0) <= w.rare_name_df for s in stems)
                and any(says_name(folded(u.text), name) for u in ranked[:TOP_UNITS])):
            return True
    return False


def refusal_reason(q: QuestionAnalysis, qt: QuestionTerms, ranked: list[Unit], vocab: Vocabulary,
                   w: AnswerSettings) -> str | None:
    """Why the evidence is too weak to answer (a short tag), or None to answer."""
    if not ranked or not qt.weights:
        return "no-unit"
    # an acronym the corpus writes out ("EDF": "Électricité de France") is known; so is a name that only
    # qualifies the class of the answer ("Dans quelle commune de la Somme…": the answer is the commune)
    if [name for name in unknown_names(q, vocab)
            if not (name.isupper() and any(acronym_expansion(u.text, name) for u in ranked))
            and not qualifies_answer_class(q, name)]:
        return "unknown-name"
    # most of a French question is words the corpus never uses: its topic is not in the documents. An English
    # question's words are unknown to a French corpus anyway: its embedding similarity decides (weak-evidence).
    # A rare name the corpus knows ("R4 et R5") says the topic is there, however the rest is worded.
    if q.language == "fr" and 1.0 - qt.known_share >= w.out_of_vocabulary and not _names_a_known_rarity(q, ranked, vocab, w):
        return "out-of-vocabulary"
    if max(u.evidence for u in ranked[:TOP_UNITS]) < w.evidence_threshold:
        return "weak-evidence"
    if q.specific and q.language == "fr" and _asks_only_unknown_property(q, qt):
        return "unknown-property"
    if q.specific and typed_support(q, qt, ranked, w) < w.kind_threshold:
        return "no-answer-of-kind"
    if q.kind == "definition" and not any(u.prose and not u.debris for u in ranked[:TOP_UNITS]):
        return "no-sentence"  # headings and labels naming the term ("SÉCURITÉ INDUSTRIELLE MICRO-SCÉNARIOS") define nothing
    for name in q.focus:
        if qualifies_answer_class(q, name):
            continue  # it narrows the answer; the answer need not name it
        stems = set(analyze(name))
        if not stems or max(vocab.df.get(s, 0) for s in stems) > w.rare_name_df:
            continue  # a name the corpus uses everywhere singles out no evidence
        # layout debris naming it (a map label) is no evidence, unless it holds the datum asked (a table row);
        # a description asked ("la politique industrielle de X") needs a sentence or a list item saying something
        # of it, not a label ("Bretagne Normandie" on a map; a label may spell out an acronym, though)
        def says_something(u: Unit) -> bool:
            return not u.debris and (u.prose or u.item or q.kind is not None or q.is_list)

        acronyms = [word for word in re.findall(r"[\w-]+", name) if len(word) > 1 and word.isupper()]
        spelled = {s for word in acronyms for s in analyze(word)}

        def names_it(u: Unit) -> bool:  # or spells out its acronyms: "l'IA" is "l'intelligence artificielle"
            return stems <= u.terms or (bool(acronyms) and stems - spelled <= u.terms
                                        and all(acronym_expansion(u.text, a) or set(analyze(a)) <= u.terms for a in acronyms))

        support = max((u.evidence for u in ranked
                       if names_it(u) and (says_something(u) or (q.specific and fits_kind(u, q)))), default=0.0)
        if support < w.focus_threshold:
            return "focus-unsupported"
    return None

