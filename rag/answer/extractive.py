"""The extractive answerer: quotes the units of the retrieved passages that answer, each with its [n].

The pipeline, one module per step:
1. question analysis (rag.answer.question): the kind of answer asked for, its focus, a list or not;
2. answer units (rag.answer.units): sentences, list items and table fragments of the passages;
3. scoring (rag.answer.scoring): similarity, rarity-weighted coverage, kind held, focus mentioned;
4. abstention (rag.answer.abstention): refuse when the evidence is weak or the asked datum is absent;
5. composition (rag.answer.compose): one unit for a fact, every item for a list, a few for a synthesis.
Weights and thresholds are the settings' answer group (`RAG_ANSWER__*`), calibrated by cross-validation
on the shipped question set with scripts/calibrate_answerer.py. Quotes are verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Iterator

import numpy as np

from rag.answer.abstention import refusal_reason
from rag.answer.casing import with_names_capitalised
from rag.answer.compose import choose, quoted_text
from rag.answer.kinds import folded
from rag.answer.language_gap import NONE as NO_GAP, LanguageGap, measure_gap
from rag.answer.question import QuestionAnalysis, analyse_question
from rag.answer.scoring import QuestionTerms, Vocabulary, question_terms, score_units
from rag.answer.units import Unit, footnote_terms, terms, units_of, with_marker
from rag.query.followup import Query, has_question_word
from rag.text.footnotes import DocumentFootnotes
from rag.schema import Citation, Passage


@dataclass
class Prepared:
    """What does not depend on the answerer's weights: the question's analysis, its units and their cosines."""

    query: Query
    question: QuestionAnalysis
    carried: frozenset[str]
    units: list[Unit]
    cosines: np.ndarray
    ranks: list[int]
    passage_cosines: list[float]
    property_cosines: np.ndarray | None = None
    gap: LanguageGap = NO_GAP  # added to the cosines of a question not in the corpus's language


@dataclass
class Analysis:
    """Everything the answerer worked out for one question over one set of passages."""

    question: QuestionAnalysis
    terms: QuestionTerms
    ranked: list[Unit]
    refusal: str | None


class ExtractiveAnswerer:
    """Scores the units of retrieved passages and composes a short cited answer (thread-safe)."""

    def __init__(self, index, embedder, settings):
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.weights = settings.answer
        self.vocabulary = Vocabulary(*_document_frequencies(index))
        self._documents: dict[str, str] = {}
        self._footnotes = DocumentFootnotes(index)

    @cached_property
    def language_gap(self) -> LanguageGap:
        """The model's English-to-French similarity gap on this index, measured at the first English question."""
        return measure_gap(self.index, self.embedder)

    # --- analysis ------------------------------------------------------------------------------------
    def prepare(self, query: Query | str, passages: list[Passage]) -> Prepared:
        """The weight-free part of the analysis (scripts/calibrate_answerer.py reuses it across weights)."""
        query = query if isinstance(query, Query) else Query(question=query, text=query)
        carried = frozenset().union(*(terms(w) for w in query.carried)) if query.carried else frozenset()
        units = [replace(u, document=self.folded_document(p.doc_id), terms=u.terms | self.footnote_terms(p.doc_id, u.text))
                 for n, p in enumerate(passages, start=1) for u in units_of(p.text, n, p.chunk.heading, p.chunk.title)]
        cosines = (self._unit_vectors(units, passages) @ self.embedder.encode_query(query.text) if units
                   else np.zeros(0, np.float32))
        qvec = self.embedder.encode_query(query.text)
        passage_cosines = [float(self._chunk_vector(p) @ qvec) for p in passages]
        # "nacon ça fabrique quoi": the names typed in lower case are analysed as the passages write them
        texts = [p.text for p in passages]
        query = Query(with_names_capitalised(query.question, texts), with_names_capitalised(query.text, texts), query.carried)
        question = _analyse(query)
        property_cosines = None
        if units and question.specific and question.focus and not question.focus_carried:
            # what is asked about the focus, in meaning: the question without its names, against each unit
            # ("Quel est le chiffre d'affaires de ?"), so that naming the entity is not taken for answering
            asked = property_text(query.text, question.focus)
            property_cosines = self._unit_vectors(units, passages) @ self.embedder.encode_query(asked)
        gap = self.language_gap if question.language != "fr" and units else NO_GAP
        return Prepared(query, question, carried, units, cosines, [p.rank for p in passages], passage_cosines,
                        property_cosines, gap)

    def decide(self, prepared: Prepared, weights=None) -> Analysis:
        """Scored units (best first) and the refusal reason under `weights` (default: the settings')."""
        w = weights or self.weights
        q = prepared.question
        qt = question_terms(prepared.query.text, prepared.carried, self.vocabulary, w)
        if not prepared.units or not qt.weights:
            return Analysis(q, qt, [], "no-unit")
        units = [replace(u, extras={}) for u in prepared.units]  # scoring fills fields: keep the prepared ones clean
        common = self._common_names(prepared.query, q, w)
        ranked = score_units(q, qt, units, prepared.cosines, prepared.ranks, prepared.passage_cosines, w,
                             prepared.property_cosines, prepared.gap, common)
        return Analysis(q, qt, ranked, refusal_reason(q, qt, ranked, self.vocabulary, w))

    def _common_names(self, query: Query, q: QuestionAnalysis, w) -> frozenset[str]:
        """The question's names the corpus uses everywhere ("Région"), which a passage need not name to be about
        the question. A follow-up naming its own subject ("Et le datacenter de Valenciennes ?") asks about
        exactly that: its names are all required."""
        if query.carried and not q.focus_carried:
            return frozenset()
        return frozenset(name for name in q.focus if self.vocabulary.common_name(name, w.rare_name_df))

    def analyse(self, query: Query | str, passages: list[Passage]) -> Analysis:
        """Question analysis, scored units (best first) and the refusal reason, if any."""
        return self.decide(self.prepare(query, passages))

    # the LLM path checks the same evidence before calling the model
    def score(self, query: Query | str, passages: list[Passage]) -> tuple[Analysis, list[Unit]]:
        analysis = self.analyse(query, passages)
        return analysis, analysis.ranked

    def refusal_reason(self, analysis: Analysis, ranked: list[Unit] | None = None, passages=None) -> str | None:
        return analysis.refusal

    def folded_document(self, doc_id: str) -> str:
        """A whole document's text, folded for finding names in it (cached: a few documents serve most
        questions; the live corpus builds a new answerer when documents change)."""
        if doc_id not in self._documents:
            if len(self._documents) >= 256:
                self._documents.clear()
            self._documents[doc_id] = folded(self.index.document_text(doc_id))
        return self._documents[doc_id]

    def footnote_terms(self, doc_id: str, text: str) -> frozenset[str]:
        """The terms of the word a footnote explains ("Ynsect" for "* La start-up … a levé 650 millions"), for a
        unit that is that footnote; none for any other unit (the document's footnotes are read once)."""
        calls = self._footnotes.of(doc_id)
        return footnote_terms(calls, text) if calls else frozenset()

    def stored_vectors(self, passage: Passage):
        """The passage's (sentence spans, sentence vectors) stored in the index, or None when it has no sentence."""
        row = self.index.row_of(passage.chunk_id)
        spans, vecs = self.index.sentence_spans(row), self.index.sentence_vectors(row)
        return (spans, vecs) if len(spans) == len(vecs) and len(vecs) else None

    def _chunk_vector(self, passage: Passage) -> np.ndarray:
        """The passage's whole-chunk embedding, as stored in the index."""
        return self.index.chunk_vector(self.index.row_of(passage.chunk_id))

    def _unit_vectors(self, units: list[Unit], passages: list[Passage]) -> np.ndarray:
        """Unit embeddings from the sentence vectors stored in the index (no model call at question time);
        a unit spanning several sentences gets their normalised mean."""
        stored = {n: self.stored_vectors(p) for n, p in enumerate(passages, start=1)}
        rows = []
        dim = self.embedder.dimension
        for u in units:
            spans, vecs = stored[u.n] or ([], np.zeros((0, dim), np.float32))
            idx = [k for k, (a, b) in enumerate(spans) if a < u.end and b > u.start]
            v = vecs[idx].mean(axis=0) if idx else np.zeros(dim, dtype=np.float32)
            norm = float(np.linalg.norm(v))
            rows.append(v / norm if norm else v)
        return np.stack(rows).astype(np.float32)

    # --- answering -----------------------------------------------------------------------------------
    def answer(self, query: Query | str, passages: list[Passage]) -> Iterator[tuple[str, list[Citation]]]:
        """Yield (answer text so far, citations) after each quoted unit; nothing when it abstains."""
        analysis = self.analyse(query, passages)
        if analysis.refusal:
            return
        yield from self.compose(analysis, passages)

    def compose(self, analysis: Analysis, passages: list[Passage], weights=None) -> Iterator[tuple[str, list[Citation]]]:
        # One citation per quoted unit (two units of one passage get two numbers), so every [n] carries the
        # exact quote that backs it; the quote is the whole unit even when the answer shows a clause.
        citations: list[Citation] = []
        parts: list[str] = []
        w = weights or self.weights
        for u in choose(analysis.question, analysis.terms, analysis.ranked, w):
            p = passages[u.n - 1]
            citations.append(Citation(n=len(citations) + 1, doc_id=p.doc_id, title=p.chunk.title, chunk_id=p.chunk_id,
                                      text=p.text, quote=p.text[u.start:u.end], start=u.start, end=u.end,
                                      rank=p.rank, score=p.score, support=round(u.evidence, 4)))
            # a list is quoted whole: its items are the answer
            shown = u.text if analysis.question.is_list else quoted_text(u, analysis.question, analysis.terms, w.max_words)
            parts.append(with_marker(shown, len(citations)))
            yield " ".join(parts), list(citations)


def property_text(question: str, focus: tuple[str, ...]) -> str:
    """The question with its focus names taken out: what it asks about them."""
    import re

    for name in sorted(focus, key=len, reverse=True):
        question = re.sub(r"(?:\b[dl]['’])?" + re.escape(name), " ", question)
    return " ".join(question.split())


def _analyse(query: Query) -> QuestionAnalysis:
    """The question's own analysis (its focus is what the user names); a follow-up without a question word
    ("Et pour la phase I ?") takes the kind of answer from the words it carried ("combien")."""
    own = analyse_question(query.question if query.carried else query.text)
    if not query.carried:
        return own
    # "Et Émilie Bouville ?" after "Qui est David Talmat ?": the carried words then the question's own names read
    # as one question ("qui est Émilie Bouville"), so the kind is the identity asked, not any name
    carried = analyse_question(" ".join((*query.carried, *own.focus[:1])))
    if own.kind is None and not own.is_list and not has_question_word(query.question):
        own = replace(own, kind=carried.kind, is_list=carried.is_list, counted=own.counted or carried.counted,
                      noun=own.noun or carried.noun, counted_carried=own.counted is None and carried.counted is not None)
    if not own.focus:  # "Que signifie ce sigle ?": what the question points back to is its focus
        own = replace(own, focus=tuple(w for w in query.carried if w[:1].isupper()), focus_carried=True)
    return own


def _document_frequencies(index) -> tuple[dict[str, int], int]:
    """(document frequency of every term over the indexed chunks' text and headings, number of chunks)."""
    romans = index.manifest.get("roman_frequencies")
    if hasattr(index, "term_frequencies") and romans is not None:
        # the store counted them as it indexed: no pass over every chunk (minutes at 100k chunks)
        df, n = index.term_frequencies()
        return {**df, **romans}, n
    df: dict[str, int] = {}
    for c in index.chunks:
        for t in terms(c.text) | terms(c.heading or ""):
            df[t] = df.get(t, 0) + 1
    return df, len(index.chunks)
