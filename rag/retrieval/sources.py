"""Questions that name their source: "selon la lettre de 2021", "le document de l'Agence", "selon Mediacités".

Such a phrase says which document to read, not what to look for in it. Left in the query, its words
("lettre", "collège", "prospective") pull up the passages that repeat the document's own name (its
masthead, its contents page) above the passage that answers. So the phrase is matched against each
document's metadata (title, publisher, author, kind, years of its date); when exactly one document
matches, its passages are ranked first and the phrase's words leave the search query, unless too
little would remain ("Quand est parue la lettre d'information n°5 ?" is about the document itself).

A phrase introduced by "selon" or "d'après" may name a publisher or author alone. One introduced by
"dans" or built as "le document de X" must name a kind of document ("lettre", "article", "rapport"...)
or match at least two metadata words, so that "sa part dans le PIB national" names no document.
A kind alone ("dans son rapport") names no particular document: some other metadata word must match.
Speakers ("selon Xavier Bertrand", "selon la Cour des comptes") match no metadata and stay in the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from rag.text.analysis import analyze

# Kinds of document as a French question names them; they say "a document", not which one.
_KIND_WORDS = ("lettre", "lettres", "newsletter", "document", "documents", "article", "articles", "communiqué",
               "rapport", "note", "texte", "dossier", "publication", "enquête", "bulletin", "étude")
_KIND = "|".join(_KIND_WORDS)
_DET = r"(?:(?:le|la|les|ce|cet|cette|ces|son|sa|ses)\s+|l['’])"
# "selon / d'après / dans [det] PHRASE" up to the end of the clause.
_INTRODUCED = re.compile(r"\b(?P<cue>selon|d['’]après|dans)\s+" + _DET + r"?(?P<phrase>[^?!.,;:]+)", re.IGNORECASE)
# "le document de l'Agence définit-il...": a kind of document followed by de/du/des, up to an inverted
# verb ("définit-il"), the end of the clause, or a new clause.
_NAMED = re.compile(
    _DET + r"(?P<phrase>(?:" + _KIND + r")\s+(?:de|du|des|d['’])\s*[^?!.,;:]*?)"
    r"(?=\s+[\w’']+-(?:t-)?(?:il|elle|ils|elles|on)\b|\s*[?!.,;:]|\s*$)",
    re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# Words of the English `kind` metadata field, as a French question says them.
_KIND_FR = {"press release": "communiqué presse", "press article": "article presse", "article": "article",
            "report": "rapport", "newsletter": "lettre", "study": "étude"}
_MIN_LEFT = 2  # content words the query must keep once the phrase is taken out


@dataclass(frozen=True)
class SourceReference:
    """A phrase of the question naming one document, where it sits, and the query without it."""

    phrase: str
    doc_id: str
    query: str  # the query to search with: without the phrase, or whole when too little would be left


def document_terms(doc: dict) -> frozenset[str]:
    """Analysed metadata words of a document, with every year its date covers ("2020-2021")."""
    text = " ".join(str(doc.get(k) or "") for k in ("title", "publisher", "author"))
    kind = str(doc.get("kind") or "").lower()
    text += " " + " ".join(fr for en, fr in _KIND_FR.items() if en in kind)
    years = sorted({int(y) for y in _YEAR.findall(str(doc.get("date") or ""))})
    if years:
        years = list(range(years[0], years[-1] + 1))
    return frozenset(analyze(text)) | {str(y) for y in years}


_GENERIC = frozenset(analyze(" ".join(("document", "documents", "texte", "publication"))))
_KIND_TERMS = frozenset(analyze(" ".join(_KIND_WORDS)))


def _candidates(question: str) -> Iterable[tuple[re.Match, str, bool]]:
    """(match, phrase, needs a kind word or two metadata words) for each source-like phrase."""
    for m in _INTRODUCED.finditer(question):
        cue = m.group("cue").lower()
        yield m, m.group("phrase"), cue == "dans"
    for m in _NAMED.finditer(question):
        yield m, m.group("phrase"), True


def find_source_reference(question: str, docs: dict[str, frozenset[str]]) -> SourceReference | None:
    """The document the question names, if exactly one matches its source phrase (see the module doc).

    `docs` maps document ids to `document_terms`.
    """
    best: tuple[float, re.Match, str, str] | None = None
    for m, phrase, strict in _candidates(question):
        words = set(analyze(phrase))
        terms = words - _GENERIC
        if not terms:
            continue
        overlap = {d: terms & dt for d, dt in docs.items()}
        top = max((len(o) for o in overlap.values()), default=0)
        winners = [d for d, o in overlap.items() if len(o) == top]
        if top == 0 or len(winners) != 1 or top / len(terms) < 0.5:
            continue
        if not (overlap[winners[0]] - _KIND_TERMS):
            continue  # a kind alone ("dans son rapport") names no particular document
        if strict and not (words & _KIND_TERMS) and top < 2:
            continue
        score = top / len(terms)
        if best is None or score > best[0]:
            best = (score, m, phrase, winners[0])
    if best is None:
        return None
    _, m, phrase, doc_id = best
    rest = (question[:m.start()] + " " + question[m.end():]).strip(" ,;:")
    rest = re.sub(r"\s+([?!.])", r"\1", re.sub(r"\s{2,}", " ", rest))
    query = rest if len(analyze(rest)) >= _MIN_LEFT else question
    return SourceReference(phrase=phrase.strip(), doc_id=doc_id, query=query)
