"""Answer units: the pieces of the retrieved passages an answer may quote.

A unit is a sentence, a list item (a bullet line, grouped with the items around it and the sentence that
introduces them), or a run of short layout fragments (table cells, key-figure labels such as
"24 045 / établissements") merged until they read as one line. Every unit keeps its offsets in the
passage, so the sources panel can highlight exactly what was quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rag.query.followup import pronoun_en
from rag.text.analysis import STOPWORDS, analyze, fold_accents, ranks_in, roman_terms, words
from rag.text.sentences import split_sentences
from rag.text.wordlists import word_list, word_table

MIN_UNIT_CHARS = 80  # shorter layout fragments are merged with the lines that follow them
MAX_FRAGMENTS = 4  # ... at most this many
MIN_LETTERS = 15  # a unit with fewer letters is a label, never quoted on its own

_BULLET = re.compile(r"^[•·▪◦*\-–—]\s*")
# a line ending on a conjunction, a preposition or an article goes on in the next paragraph, whatever the
# layout put between them ("Merci à X, membre du groupe et" / "Directrice de l'agence…"): French grammar
_UNFINISHED_WORD = re.compile(r"(?i:\b(?:et|ou|de|du|des|la|le|les|à|au|aux|pour|par|avec|sur|dans|en|un|une|d['’]|l['’]))\s*$")
_FINISHED = re.compile(r"[.!?…][»”\"')\]]*\s*$")
_CAPS_RUN = re.compile(r"(?:\b[A-ZÀ-Ý][A-ZÀ-Ý'’-]+\b[\s,]+){2,}[A-ZÀ-Ý][A-ZÀ-Ý'’-]+\b")  # "FRANCAISE DE MECANIQUE"
_LABELLED_FIGURE = re.compile(r"[^\W\d_]+\s*:\s*\d[\d  ,.]*\s*%?")
# A conjugated verb or an auxiliary (French morphology: auxiliary and modal forms, common verb endings).
_VERB = re.compile(r"\b(?:est|sont|a|ont|était|étaient|sera|seront|fut|peut|peuvent|doit|doivent|fait|font|va|vont|"
                   r"permet|vise|reste|compte|prévoit|représente|emploie|concerne|devient|comprend|dispose|"
                   r"[a-zà-ÿ]{3,}(?:ent|ait|aient|era|eront|ra|ront|é|ée|és|ées|er|ir|ant))\b")


def _anaphora() -> re.Pattern:
    phrases = sorted(word_list("answer/data/anaphora_fr.txt"), key=len, reverse=True)
    return re.compile(r"^(?:" + "|".join(re.escape(p) for p in phrases) + r")\b", re.IGNORECASE)


_ANAPHORA = _anaphora()


def opens_on_anaphor(text: str) -> bool:
    """The sentence opens on a word pointing back at the one before ("Ces derniers…", "Elle…")."""
    return bool(_ANAPHORA.match(text))
# A demonstrative determiner before a noun, anywhere in a sentence ("… de ce projet à 400 000 euros"), also
# points back at what the sentence before named; "ce qui", "ce que", "ce dont" do not.
_DEMONSTRATIVE = re.compile(r"\b(?:ce|cet|cette|ces)\s+(?!qui\b|que\b|qu['’]|dont\b|dernier)[^\W\d_]{3,}", re.IGNORECASE)


@lru_cache(maxsize=1)
def _actor_nouns() -> frozenset[str]:
    """Nouns of organisations and people (the agent, person and role rows of data/answer_nouns.tsv)."""
    return frozenset(noun for noun, kind in word_table("answer/data/answer_nouns.tsv") if kind in ("agent", "person", "role"))


_DEFINITE_OPENING = re.compile(r"(?:Le|La|L['’])\s*([^\W\d_][\w-]*)(?:\s+([^\W\d_][\w'’-]*))?")


def definite_description(text: str) -> str | None:
    """"Le fonds canadien a ainsi annoncé…", "La start-up a levé…": a sentence opening on a definite article and
    a noun of an organisation or a person, with no name right after it, speaks of one the sentence before
    named (French grammar: the anaphoric definite description). The noun, accent-folded, or None."""
    m = _DEFINITE_OPENING.match(text)
    if not m:
        return None
    noun = fold_accents(m.group(1).lower()).replace("-", " ")
    return noun if noun in _actor_nouns() and not (m.group(2) or "")[:1].isupper() else None


def credit_labels() -> frozenset[str]:
    """The labels opening a credit line (rag/answer/data/credit_labels_fr.txt)."""
    return word_list("answer/data/credit_labels_fr.txt")


def _credit_label() -> re.Pattern:
    # a word label is followed by its colon ("Sources :", not "Sources d'énergie"), a number sign by its number,
    # a copyright mark by anything
    labels = sorted(credit_labels(), key=len, reverse=True)
    words = "|".join(re.escape(x) for x in labels if x[-1].isalpha())
    numbered = "|".join(re.escape(x) for x in labels if x.endswith("n°"))
    marks = "|".join(re.escape(x) for x in labels if not x[-1].isalpha() and not x.endswith("n°"))
    # a map's scale bar may come first, glued to the credit ("0 100 Km´Réalisation : Agence…")
    scale = r"(?:\d[\d\s]*\s*km\W*)?"
    return re.compile(rf"^{scale}(?:(?:{words})\s*:|(?:{numbered})\s*\d|(?:{marks}))", re.IGNORECASE)


_CREDIT = _credit_label()


def is_credit(text: str) -> bool:
    """A credit line under a map, chart or photo ("Réalisation : Agence…", "Sources : IGN…"): who made the
    figure, not what the text says."""
    return bool(_CREDIT.match(text))


def terms(text: str) -> frozenset[str]:
    """Content stems of `text`, plus roman numerals (kept apart: "phase I" is not "phase II")."""
    return frozenset(analyze(text)) | roman_terms(text)


def is_debris(text: str) -> bool:
    """Table or layout debris rather than a sentence: a heading in capitals glued to the text, a run of
    nouns and figures with almost no function words and no verb, or mostly codes and numbers."""
    ws = text.split()
    if len(ws) < 6:
        return False
    if _CAPS_RUN.search(text):
        return True
    lw = words(text)
    function = sum(w in STOPWORDS for w in lw) / max(1, len(lw))
    digits = sum(any(ch.isdigit() for ch in w) for w in ws) / len(ws)
    if digits >= 0.35 and len(ws) >= 10:  # a short dated header ("Lettre d'information n°8 28 avril 2021") is no table
        return True
    if len(_LABELLED_FIGURE.findall(text)) >= 2:  # "moyenne régionale : 18,9 % moyenne France : 16,2 %"
        return True
    return not _VERB.search(text.lower()) and (len(lw) >= 20 or (len(lw) >= 12 and function < 0.12))


def display_text(raw: str) -> str:
    """A quote as shown in the answer: layout line breaks and bullets removed, words verbatim, and a
    final period added to a fragment that has none (so the answer reads as sentences, each with its [n])."""
    text = _BULLET.sub("", " ".join(raw.split()))
    if not _FINISHED.search(text):
        text = text.rstrip(",;:–— ") + "."
    return text


_FINAL = re.compile(r"([.…]+)(\s?[»”\"')\]]*)$")


def with_marker(sentence: str, n: int) -> str:
    """The sentence with its citation before the final period ("... dispositif [1]."), after any closing
    quote: a marker after `."` would not be read as closing the sentence by sentence splitters."""
    m = _FINAL.search(sentence)
    if m:
        return f"{sentence[:m.start()]}{m.group(2)} [{n}]{m.group(1)}"
    return f"{sentence} [{n}]"


@dataclass(eq=False)
class Unit:
    """An answer candidate: one sentence, list item or run of short fragments of one passage."""

    n: int  # passage number, 1-based
    start: int  # offsets in the passage text
    end: int
    text: str  # display text: whitespace collapsed, bullet removed
    terms: frozenset[str] = frozenset()
    prose: bool = True  # a sentence with function words, not a table cell or a map label
    debris: bool = False  # table rows, glued headings: quoted only when they answer very well
    item: bool = False  # a list item (bullet line)
    group: int | None = None  # list group: the items of one list and the sentence introducing them
    lead: bool = False  # the sentence introducing a list ("Parmi les axes clés :")
    prev: "Unit | None" = None  # the sentence before, when this one opens on an anaphor ("Cette PME..."); a table row's headers
    heads_table: bool = False  # column headers of the table rows that follow: labels, not values
    credit: bool = False  # a credit line under a map or photo ("Réalisation : …", "© …"): who made the figure
    context: frozenset[str] = frozenset()  # terms of the sentence before and of the section heading
    passage_terms: frozenset[str] = frozenset()  # terms of the whole passage and its heading
    # the ranks the passage gives (rag.text.analysis.ranks_in): a passage speaking of "la deuxième phase" only
    # puts all its sentences under phase II
    passage_ranks: frozenset[int] = frozenset()
    # the whole document, folded (rag.answer.kinds.folded): an article names a person once, then speaks of
    # "le président de région"
    document: str = ""
    # filled by scoring
    cosine: float = 0.0
    coverage: float = 0.0
    score: float = 0.0
    evidence: float = 0.0
    holds: bool = False  # holds the kind of answer asked for
    about: float = 0.0  # share of the question's focus it mentions (itself or its context)
    extras: dict = field(default_factory=dict)

    @property
    def words(self) -> int:
        return len(self.text.split())


def units_of(text: str, n: int, heading: str | None = None, title: str | None = None) -> list[Unit]:
    """Candidate units of one passage text (passage number `n`, its section `heading`, its document `title`)."""
    spans = [s for s in split_sentences(text) if sum(ch.isalpha() for ch in s.text) >= 3]
    heading_terms = terms(heading) if heading else frozenset()
    # what the passage is about: its words, its section's heading and its document's title
    passage_terms = terms(text) | heading_terms | (terms(title) if title else frozenset())
    passage_ranks = frozenset(rank for _, rank in ranks_in(f"{heading or ''}\n{text}"))
    out: list[Unit] = []
    group_id = 0
    in_group = False
    i = 0
    while i < len(spans):
        start, end = spans[i].start, spans[i].end
        bullet = _BULLET.match(text[start:end])
        if bullet and bullet.group(0).strip() == "*" and not _asterisk_next_to(spans, i, text):
            bullet = None  # a lone "* …" line is a footnote (the call mark "Ynsect*" is in the text), not a list
        j = i + 1
        # only unfinished fragments (no final punctuation: timeline lines, table cells) take the next lines;
        # a bullet item stays one item
        while (not bullet and end - start < MIN_UNIT_CHARS and j < len(spans) and j - i < MAX_FRAGMENTS
               and not _FINISHED.search(text[start:end]) and not _BULLET.match(text[spans[j].start:spans[j].end])
               and (not text[spans[j - 1].end:spans[j].start].count("\n\n") or _UNFINISHED_WORD.search(text[start:end]))
               and not same_row_shape(text[start:end], text[spans[j].start:spans[j].end])
               and not _full_sentence(text[spans[j].start:spans[j].end])):
            end = spans[j].end
            j += 1
        raw = text[start:end]
        shown = display_text(raw)
        if _quotable(shown, bool(bullet)):
            if bullet:
                start += bullet.end()
                if not in_group:
                    group_id += 1
                    in_group = True
                    if out and out[-1].end <= start and raw_ends_with_colon(text, out[-1]):
                        out[-1].lead, out[-1].group = True, group_id
            else:
                in_group = False
            unit_terms = terms(shown)
            # "Cette PME…", "… de ce projet", "On en dénombre 7": the sentence points back at the one before
            # "Le fonds canadien a annoncé…" too (a footnote's opening speaks of its call mark's word, not of the line before)
            anaphoric = (bool(_ANAPHORA.match(shown) or _DEMONSTRATIVE.search(shown) or pronoun_en(shown)
                              or (definite_description(shown) and not raw.lstrip().startswith("*")))
                         and bool(out) and out[-1].end <= start)
            context = (out[-1].terms if out else frozenset()) | heading_terms
            lead = next((u for u in reversed(out) if u.lead and u.group == group_id), None) if bullet else None
            if lead is not None:  # an item's context is its list's introduction and what that one follows
                context = lead.terms | lead.context | heading_terms
            stop_words = sum(w in STOPWORDS for w in words(shown))
            out.append(Unit(n=n, start=start, end=end, text=shown, terms=unit_terms, prose=stop_words >= 3,
                            debris=is_debris(shown), credit=is_credit(shown), item=bool(bullet), group=group_id if bullet else None,
                            prev=out[-1] if anaphoric else None, context=frozenset(context),
                            passage_terms=passage_terms, passage_ranks=passage_ranks))
        i = j
    _attach_table_headers(out, text, heading_terms)
    return out


def _attach_table_headers(units: list[Unit], text: str, heading_terms: frozenset[str]) -> None:
    """Give every row of a table (a run of units with the same shape of figures) its column headers: the
    unfinished fragments right before the first row ("2ème trimestre 2020 … Impact estimé par secteur"), as
    one verbatim span. A row ("Industrie 14,2% 17,0% -21,6 …") says what its figures measure only through
    them: they are its context, and are shown before it when they hold what the question asks."""
    k = 0
    while k < len(units):
        last = k
        while last + 1 < len(units) and same_row_shape(units[last].text, units[last + 1].text):
            last += 1
        if last > k:
            header = []
            h = k - 1
            while (h >= 0 and len(header) < MAX_FRAGMENTS and not units[h].item
                   and not _FINISHED.search(text[units[h].start:units[h].end])):
                header.insert(0, units[h])
                h -= 1
            if header:
                start, end = header[0].start, header[-1].end
                head = Unit(n=header[0].n, start=start, end=end, text=display_text(text[start:end]),
                            terms=frozenset().union(*(u.terms for u in header)), prose=False, debris=True,
                            heads_table=True, context=heading_terms, passage_terms=header[0].passage_terms)
                for u in header:
                    u.heads_table = True
                for row in units[k:last + 1]:
                    row.prev, row.context = head, head.terms | heading_terms
        k = last + 1


# A figure (thousands grouped by spaces, decimals) or a code ("29.10Z"), with the letter glued to it.
_NUMBER_TOKEN = re.compile(r"\d+(?:[ \u202f\u00a0]\d{3})*(?:[.,]\d+)*[A-Za-z]?")


def same_row_shape(a: str, b: str) -> bool:
    """Two lines with the same run of figures and codes ("10.62Z … 2 000 à 4 999" and "23.13Z … 500 à 999"):
    two rows of one table, each a unit of its own, not fragments of one line."""
    def shape(line: str) -> tuple[str, ...]:
        return tuple(re.sub(r"\d+", "9", re.sub(r"(?<=\d)[ \u202f\u00a0](?=\d{3})", "", t))
                     for t in _NUMBER_TOKEN.findall(line))

    sa = shape(a)
    return len(sa) >= 2 and sa == shape(b)


def footnote_terms(calls: dict[str, str], text: str) -> frozenset[str]:
    """The terms of the word a footnote explains, for a unit that is that footnote (its text opens like one of
    `calls`, footnote_calls of its document; the asterisk is not shown); none for any other unit."""
    body = " ".join(text.lstrip("*").split())
    return frozenset().union(*(terms(word) for opening, word in calls.items() if body.startswith(opening)))


def _asterisk_next_to(spans: list, i: int, text: str) -> bool:
    """The sentence before or after span i also opens on an asterisk: a list marked with asterisks."""
    return any(0 <= k < len(spans) and text[spans[k].start:spans[k].end].startswith("*") for k in (i - 1, i + 1))


def _full_sentence(raw: str) -> bool:
    """A span that reads on its own: long, finished and with a verb. A short unfinished line before it is a
    heading ("250 millions d'euros" above the article's next paragraph), not the start of its sentence: glued
    to it, the heading's figure would seem to be what the sentence says."""
    return len(raw) >= MIN_UNIT_CHARS and bool(_FINISHED.search(raw)) and bool(_VERB.search(raw.lower()))


def _quotable(shown: str, bullet: bool) -> bool:
    """Enough to read on its own: a sentence, a bullet item, or a figure with its label ("24 045 établissements")."""
    letters = sum(ch.isalpha() for ch in shown)
    labelled_figure = any(ch.isdigit() for ch in shown) and re.search(r"[^\W\d_]{3,}", shown) is not None
    return letters >= MIN_LETTERS or (bullet and letters >= 3) or labelled_figure


def raw_ends_with_colon(text: str, unit: Unit) -> bool:
    """The unit's raw text ends on a colon: it introduces what follows ("Parmi les axes clés :")."""
    return text[unit.start:unit.end].rstrip().endswith(":")
