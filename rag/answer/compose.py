"""Composing the answer from scored units: one fact, every item of a list, or the few parts of a synthesis.

- A datum (figure, date, name, place...) gets the one best unit that holds it; for "combien de X", one
  whose figure counts X ("24 045 établissements") when one scores close to the best.
- A list gets every item found: the items of the list the best unit belongs to (a bullet list and the
  sentence introducing it), then, until the number asked for is reached ("les trois ports"), further
  units that hold the asked kind and match the question, or enumerate the asked class ("des entreprises
  (A, B, C)").
- A question asking two things ("… et quand ?", "combien… et combien… ?", two sentences) gets, for the
  second, a unit giving a datum the first does not: the sentence right after the first when it gives one,
  else the best unit giving one and scoring close to the first.
- A cause, a definition or a description gets the best unit, then at most `max_units - 1` more, each only
  when it brings question words the chosen ones miss (`completes`) and scores close to the best
  (`keep_ratio`): no unit is added without its own support.
- A unit opening on an anaphor ("Cette PME…") is preceded by the sentence it points to when that sentence
  holds something asked that neither it nor the units already shown hold.
- A sentence longer than `max_words` is quoted at the clauses that answer, verbatim, with "…" where it
  is cut (the clause after the one naming what is asked is its complement and stays, and so do the items
  of an enumeration); the citation keeps the whole sentence, which the sources panel highlights.
"""

from __future__ import annotations

import re

from rag.answer.kinds import data_of, enumerates, holds, mentions, names_agent, says_name
from rag.answer.question import QuestionAnalysis
from rag.answer.scoring import QuestionTerms, fits_kind, gives_ranks, meets_constraints
from rag.answer.units import Unit, display_text, opens_on_anaphor, same_row_shape, terms
from rag.query.coordination import coordination
from rag.query.followup import pronoun_en
from rag.settings import AnswerSettings

_ENUMERATED_COMPLEMENT = re.compile(r"(?:de|du|des|d['’])\s*\w", re.I)
_GOES_ON = re.compile(r"(?:(?:et|mais|ou)\s+)?(?:qui|dont|où|ou)\b|[(]", re.I)  # a relative clause or bracket on the same antecedent
_CLAUSE_BREAK = re.compile(r"(?<=[,;:])\s+|\s+(?=[–—(])|(?<=[)])\s+")


def _same_text(a: Unit, b: Unit) -> bool:
    """The same words quoted twice (overlapping chunks repeat sentences, sometimes with a fragment attached)."""
    x, y = re.sub(r"\W", "", a.text.lower().rstrip(".")), re.sub(r"\W", "", b.text.lower().rstrip("."))
    return x in y or y in x


def _continues(u: Unit) -> bool:
    """The sentence goes on from the one before it: it opens on an anaphor ("Ces derniers étaient…",
    "Elle…") or holds the pronoun "en" ("On en dénombre 7")."""
    return u.prose and not u.debris and (opens_on_anaphor(u.text) or pronoun_en(u.text))


def _new_datum(u: Unit, chosen: list[Unit], kind: str, q: QuestionAnalysis) -> bool:
    """The unit gives a datum of `kind` none of the chosen units gives (a new number, date or name)."""
    given = set().union(*(data_of(kind, c.text, q) for c in chosen))
    return bool(data_of(kind, u.text, q) - given)


def _cover_aspects(chosen: list[Unit], q: QuestionAnalysis, ranked: list[Unit], best: Unit, w: AnswerSettings) -> list[Unit]:
    """"Quels montants pour la défense et pour les gigafactories ?": a datum for each coordinated complement,
    when the chosen units say nothing of one of them (added to `chosen`, which is returned)."""
    for aspect in coordinated_aspects(q.text) if q.specific else []:
        said = set().union(*(c.terms | (c.prev.terms if c.prev is not None else frozenset()) | c.context for c in chosen))
        if aspect & said:
            continue
        extra = next((u for u in ranked if fits_kind(u, q) and aspect & (u.terms | u.context)
                      and _new_datum(u, chosen, q.kind, q) and u.score >= best.score * w.keep_ratio), None)
        if extra is not None and len(chosen) < w.max_units:
            chosen.append(extra)
    return chosen


def coordinated_aspects(question: str) -> list[frozenset[str]]:
    """The terms of each of two coordinated complements of the question, or [] ("les montants pour la défense
    et pour les gigafactories" -> [{défense}, {gigafactory}]; rag.query.coordination)."""
    c = coordination(question)
    aspects = [frozenset(terms(c.first)), frozenset(terms(c.second))] if c else []
    return aspects if all(aspects) else []


def _new_share(u: Unit, covered: set[str], qt: QuestionTerms) -> float:
    """The share of the question's weighted words `u` holds and the chosen units (`covered`) do not, in any
    form: "industriel" is no new word after "industrie", nor "régional" after "région"."""
    def said(t: str) -> bool:  # stems of five letters or more: shorter ones prefix unrelated words
        return t in covered or any(len(c) >= 5 and len(t) >= 5 and (t.startswith(c) or c.startswith(t)) for c in covered)

    return sum(wt for t, wt in qt.weights.items() if t in u.terms and not said(t)) / qt.total


def choose(q: QuestionAnalysis, qt: QuestionTerms, ranked: list[Unit], w: AnswerSettings) -> list[Unit]:
    """The units of the answer, in the order they are quoted."""
    if not ranked:
        return []
    best = _best_unit(q, ranked, w)
    if q.is_list:
        # a list is best answered by a list: a unit of one (a bullet item, or the sentence introducing the
        # bullets) scoring close to the best takes its place, when its passage is about what the question
        # names (a list of business parks is no answer about the companies behind one plant) and, for a
        # datum asked ("quelles aides" asks for sums), when its list gives that kind of datum
        grouped = next((u for u in ranked if u.group is not None and u.score >= best.score * w.keep_ratio
                        and u.extras.get("focus_in_passage", True)
                        and (not q.specific or any(v.holds for v in ranked if v.n == u.n and v.group == u.group))), None)
        if _enumerates_asked(best, q):
            enumerating = None  # the best unit enumerates the asked items itself, better than a weaker list does
            if grouped is not None and _group_evidence(grouped, ranked) < best.evidence:
                grouped = None
        else:  # so does a sentence naming the asked class and enumerating it ("Les principaux ingrédients : A, B et C")
            enumerating = next((u for u in ranked if u.prose and enumerates(u.text, q.noun)
                                and u.score >= best.score * w.keep_ratio and u.extras.get("focus_in_passage", True)), None)
        # "les quatre thèmes": a sentence enumerating exactly that many ("A, B, C et D") is the list asked, when
        # it or the sentence before it shares a word with the question ("la deuxième phase… de nouvelles
        # priorités" before the four themes: any sentence of three names is no list of three plants), and
        # unless the best one announces that count of the noun ("Ces trois gigafactories…": its items are near)
        if (q.count and not _enumerates_asked(best, q) and enumerated_items(best.text) != q.count
                and announced_count(best.text, q.noun) != q.count):
            counted = next((u for u in ranked if u.prose and enumerated_items(u.text) == q.count
                            and u.score >= best.score * w.keep_ratio and u.extras.get("focus_in_passage", True)
                            and (u.terms | u.context) & set(qt.weights)), None)
            enumerating = enumerating or counted
        lists = [u for u in (grouped, enumerating) if u is not None]
        return _cover_aspects(_list_items(q, qt, min(lists, key=ranked.index) if lists else best, ranked, w),
                              q, ranked, best, w)
    chosen = [best]
    for kind in q.also:  # "… et quand ?": the unit giving the second thing asked, unless already there
        extra = _second_ask(kind, q, chosen, ranked, w)
        if extra is not None:
            chosen.append(extra)
    _cover_aspects(chosen, q, ranked, best, w)
    if not q.specific:
        covered = set().union(*(u.terms for u in chosen))
        for u in ranked:
            if len(chosen) >= w.max_units:
                break
            if u in chosen or any(_same_text(u, c) for c in chosen) or u.score < best.score * w.keep_ratio:
                continue
            if (u.prose or u.item) and _new_share(u, covered, qt) >= w.completes and _about_focus(u, q):
                chosen.append(u)
                covered |= u.terms
    return _with_antecedents(chosen, qt)


def _enumerates_asked(u: Unit, q: QuestionAnalysis) -> bool:
    """The unit itself names several items of what a list question asks: several data of the asked kind
    ("une charte entre la Ville, la CCI et le Syndicat des Eaux"), or the asked class followed by its members."""
    return (q.specific and len(data_of(q.kind, u.text, q)) >= 2) or enumerates(u.text, q.noun)


def _group_evidence(u: Unit, ranked: list[Unit]) -> float:
    """The best evidence among the units of `u`'s list (its items and the sentence introducing them)."""
    return max(v.evidence for v in ranked if v.n == u.n and v.group == u.group)


def _about_focus(u: Unit, q: QuestionAnalysis) -> bool:
    """The unit speaks of what the question names: it, the sentence its anaphor points to, its passage or its
    document names the question's focus (an article names a person once, then says "le président de
    région"). A further unit from elsewhere answers another question, however many of the question's other
    words it shares ("le rôle de X": a sentence on another actor's role)."""
    if q.focus_carried:  # names taken from the conversation, some of them incidental: one of them will do
        return u.about > 0 or any(says_name(u.document, name) for name in q.focus)
    return not q.focus or u.about > 0 or all(says_name(u.document, name) for name in q.focus)


def _names_agent(u: Unit, q: QuestionAnalysis) -> bool:
    return names_agent(u.text, q.acting_verb)


def _best_unit(q: QuestionAnalysis, ranked: list[Unit], w: AnswerSettings) -> Unit:
    """The unit the answer starts from. A datum asked: the best unit that gives it under the question's
    constraints, else the best holding one; anything else (a cause, a definition, a description): the best
    unit, whose score already counts the kind it holds."""
    if q.kind == "definition":  # a heading naming the term ("L'ACTUALITÉ DU COLLÈGE…") defines nothing
        return next((u for u in ranked if u.holds or (u.prose and not u.debris)), ranked[0])
    if not q.specific:
        return ranked[0]
    # a unit at the rank the question's ordinal asks ("la première phase") comes first, even worded otherwise
    # ("14 acteurs" for "combien de territoires"): at another rank it answers another question
    best = next((u for u in ranked if fits_kind(u, q) and gives_ranks(u, q)), None)
    if best is None and q.ordinals:
        best = next((u for u in ranked if u.holds and gives_ranks(u, q)), None)
    best = best or next((u for u in ranked if fits_kind(u, q)), None) or next((u for u in ranked if u.holds), ranked[0])
    if q.acting_verb and not _names_agent(best, q):
        # "Qui porte X ?": a sentence saying in the passive who does it ("portée par …") answers it better than one
        # naming someone near X
        best = next((u for u in ranked if fits_kind(u, q) and _names_agent(u, q) and gives_ranks(u, q)
                     and u.score >= best.score * w.keep_ratio), best)
    if q.counted and not best.extras.get("counted", False):
        # "combien d'établissements": a figure followed by the counted noun answers it better than a close
        # one from a passage that never names the noun (where fits_kind lets any figure stand), unless it misses
        # the rank the best one gives ("la première phase"): then it answers another question
        best = next((u for u in ranked if fits_kind(u, q) and u.extras.get("counted", False)
                     and u.score >= best.score * w.keep_ratio and (gives_ranks(u, q) or not gives_ranks(best, q))), best)
    return best


def _second_ask(kind: str, q: QuestionAnalysis, chosen: list[Unit], ranked: list[Unit], w: AnswerSettings) -> Unit | None:
    """The unit giving a datum of `kind` that the chosen units do not give ("combien… et combien… ?": a second
    figure), or None. A text answers the second thing asked right after the first ("… désignent des
    territoires… On en dénombre 7."): the next sentence of the first unit's passage is taken when it points
    back to it and gives it, whatever its score; otherwise the best unit giving it and scoring close to the
    first."""
    first = chosen[0]

    def gives(u: Unit) -> bool:
        return (holds(kind, u.text, q) and not any(_same_text(u, c) for c in chosen)
                and _new_datum(u, chosen, kind, q))

    following = min((u for u in ranked if u.n == first.n and u.start >= first.end), key=lambda u: u.start, default=None)
    if following is not None and _continues(following) and gives(following):
        return following
    if kind != q.kind and any(holds(kind, c.text, q) for c in chosen):
        return None  # already there
    candidates = [u for u in ranked if gives(u) and u.score >= first.score * w.keep_ratio]
    if kind == q.kind and q.counted:  # "combien d'emplois… et combien…": a figure counting jobs again first
        candidates.sort(key=lambda u: not u.extras.get("counted", False))
    return candidates[0] if candidates else None


_COUNT_WORDS = {"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10}


def announced_count(text: str, noun: str | None) -> int | None:
    """The number of items a sentence announces for the asked noun ("trois outils vont être mis…")."""
    if not noun:
        return None
    m = re.search(r"\b(\d{1,2}|" + "|".join(_COUNT_WORDS) + r")\s+(?:\w+\s+)?" + re.escape(noun[:max(4, len(noun) - 1)]),
                  text, re.IGNORECASE)
    if not m:
        return None
    token = m.group(1).lower()
    return int(token) if token.isdigit() else _COUNT_WORDS[token]


def _enumerated(text: str) -> int:
    """Items enumerated after a colon ("… : A, B et C" -> 3), 1 when there is no colon."""
    head, colon, tail = text.partition(":")
    if not colon:
        return 1
    return len([x for x in re.split(r"[,;]|\bet\b|\bmais aussi\b", tail) if len(x.split()) >= 2])


def _numbers(text: str) -> set[str]:
    from rag.text.normalize import numbers_in

    return numbers_in(text)


def _list_items(q: QuestionAnalysis, qt: QuestionTerms, best: Unit, ranked: list[Unit], w: AnswerSettings) -> list[Unit]:
    """Every item of the best unit's list, then other units holding items, up to the number asked.

    A sentence announcing "trois outils : A, B" with fewer items than announced goes on in the next
    sentences of its passage ("Mais aussi C."), which are taken until the count is reached."""
    items: list[Unit] = []
    if q.numbers and any(q.numbers <= _numbers(u.text) for u in ranked):
        # "les sites de 2 000 à 4 999 salariés": every unit with the question's figures (the rows of a table),
        # and of those, the rows naming what the question names when some do ("… à Valenciennes")
        rows = [u for u in ranked if q.numbers <= _numbers(u.text)]
        named = [u for u in rows if q.focus and not q.focus_carried and all(mentions(u.terms, f) for f in q.focus)]
        rows = named or rows
        return sorted(rows[: w.max_items], key=lambda u: (u.n, u.start))
    if best.debris and not best.item and q.focus and not q.focus_carried:
        # a table row answers ("les grands employeurs à Valenciennes"): the other rows of that shape naming what the
        # question names are the other items, though rows are no sentences
        rows = [u for u in ranked if same_row_shape(u.text, best.text) and all(mentions(u.terms, f) for f in q.focus)
                and u.score >= best.score * w.keep_ratio]
        if len(rows) > 1:
            return sorted(rows[: w.max_items], key=lambda u: (u.n, u.start))
    if best.group is not None:
        group = sorted((u for u in ranked if u.n == best.n and u.group == best.group), key=lambda u: u.start)
        items = group[: w.max_items + 1]
    else:
        items = _announced_continued([best], q, ranked)
    wanted = q.count or 0
    found = sum(1 for u in items if u.item) or sum(max(1, enumerated_items(u.text)) for u in items)
    # a best sentence naming the asked class with its members ("sites aéronautiques : Méaulte, Seclin") is
    # the list: another sentence adds to it only by enumerating that class too, not by matching other words
    # of the question
    best_enumerates = best.group is None and enumerates(best.text, q.noun)
    if best_enumerates:  # however many members it gives: "les deux ports du Pas-de-Calais" are among them
        found = max(found, wanted)
    for u in ranked:
        if wanted and found >= wanted or len(items) > w.max_items:
            break
        if u in items or any(_same_text(u, c) for c in items) or u.score < best.score * w.keep_ratio:
            continue
        if not meets_constraints(u, q):
            continue  # an item of phase II is no item of what "la phase I" asks for
        # the asked class noun ("quelles entreprises") names what every item is: saying it again adds nothing
        covered = set().union(*(c.terms for c in items)) | set(terms(q.noun or ""))
        if (not q.kind or u.holds) and (u.item or u.prose) and (wanted or enumerates(u.text, q.noun)
                                                                or (not best_enumerates and _new_share(u, covered, qt) >= w.completes)):
            items.append(u)
            found += 1
    return _announced_continued(items, q, ranked)


_ITEM = r"(?:[^\W\d_][\w'’-]*\s+){0,4}[^\W\d_][\w'’-]*"
_RUN = re.compile(rf"{_ITEM}(?:\s*,\s*{_ITEM})+\s+(?:et|and|ou|or)\s+{_ITEM}")


def enumerated_items(text: str) -> int:
    """Items of the longest enumeration of short phrases in `text` ("le recrutement, le foncier, l'innovation et
    la transition environnementale" -> 4), 0 without one."""
    return max((m.group(0).count(",") + 2 for m in _RUN.finditer(text)), default=0)


def _announced_continued(items: list[Unit], q: QuestionAnalysis, ranked: list[Unit]) -> list[Unit]:
    """Each chosen sentence announcing more items than it enumerates ("trois outils : A, B") followed by the
    next sentences of its passage ("Mais aussi C."), as many as it lacks, unless already chosen."""
    out: list[Unit] = []
    for item in items:
        if item in out:
            continue
        out.append(item)
        announced = announced_count(item.text, q.noun) if item.group is None else None
        if not announced:
            continue
        lacking = max(0, announced - _enumerated(item.text))
        if opens_on_anaphor(item.text.lstrip("\"«“ ")):
            # "Ces trois gigafactories représentent…" sums up items already given: the sentences before it
            preceding = sorted((u for u in ranked if u.n == item.n and u.end <= item.start), key=lambda u: u.start)
            back = [u for u in preceding[len(preceding) - lacking:] if not any(_same_text(u, c) for c in out)]
            out[-1:-1] = back
            continue
        following = sorted((u for u in ranked if u.n == item.n and u.start >= item.end), key=lambda u: u.start)
        for u in following[:lacking]:
            if u not in out and not any(_same_text(u, c) for c in out):
                out.append(u)
    return out


def _with_antecedents(chosen: list[Unit], qt: QuestionTerms) -> list[Unit]:
    """Put before an anaphoric unit the sentence it points to, when that one holds an asked term it lacks or the
    name the unit holds the asked datum through."""
    def at(u: Unit) -> tuple[int, int, int]:  # a unit's place: the antecedent is a copy made before scoring
        return u.n, u.start, u.end

    shown: list[Unit] = []
    chosen_at = {at(u): u for u in chosen}
    for u in chosen:
        p = u.prev
        shown_at = {at(s) for s in shown}
        if p is not None and at(p) in chosen_at and at(p) not in shown_at:
            shown.append(chosen_at[at(p)])  # chosen too: it goes before the sentence pointing back to it
        elif p is not None and at(p) not in shown_at:
            # what the units already shown say is not missing: an antecedent repeating it adds nothing
            missing = set(qt.weights) - u.terms - set().union(*(s.terms for s in shown))
            if any(t in p.terms for t in missing) or u.extras.get("held_by_antecedent"):
                shown.append(p)  # ... or it names the one the unit speaks of ("Le fonds canadien…": Brookfield)
        if at(u) not in {at(s) for s in shown}:
            shown.append(u)
    return shown


def quoted_text(u: Unit, q: QuestionAnalysis, qt: QuestionTerms, max_words: int) -> str:
    """What the answer shows of a unit: the whole unit, or for a sentence longer than `max_words` the same
    sentence with the clauses at its ends that hold nothing asked (no question word, no datum of the asked
    kind) cut off while it is too long, verbatim, with "…" where it is cut. Clauses in the middle are
    never cut: what answers stays whole."""
    if u.words <= max_words:
        return u.text
    pieces: list[str] = []
    for p in (p for p in _CLAUSE_BREAK.split(u.text.rstrip(".")) if p.strip()):
        # ", du soutien à…, d'exemptions fiscales et d'allègement…": complements in "de" go on the enumeration
        # the previous clause opened; its items stay with it
        if pieces and _ENUMERATED_COMPLEMENT.match(p):
            pieces[-1] += " " + p
        else:
            pieces.append(p)

    def useful(piece: str) -> bool:
        return any(t in terms(piece) for t in qt.weights) or (q.specific and holds(q.kind, piece, q))

    # the clause right after the last one holding something asked is its complement ("X a proposé, dans un
    # rapport, de créer…"): what a "que propose X" asks for, though it shares no word with the question
    asked_at = [k for k, p in enumerate(pieces) if useful(p)]
    complement: set[int] = set()
    if asked_at and not q.specific:
        # ... and so are the relative clauses and brackets that go on describing the same antecedent ("…
        # Asterodyn, qui produit des drones (jusqu'à 400 km/h), et qui entend élargir sa gamme")
        k = asked_at[-1] + 1
        while k < len(pieces) and (not complement or _GOES_ON.match(pieces[k])):
            complement.add(k)
            k += 1
    i, j = 0, len(pieces)
    while j - i > 1 and len(" ".join(pieces[i:j]).split()) > max_words:
        if not useful(pieces[j - 1]) and j - 1 not in complement:
            j -= 1
        elif not useful(pieces[i]):
            i += 1
        else:
            break
    if (i, j) == (0, len(pieces)):
        return u.text
    window = " ".join(pieces[i:j]).strip(" ,;:–—")
    return ("… " if i > 0 else "") + (window + "…" if j < len(pieces) else display_text(window))
