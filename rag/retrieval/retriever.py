"""Dense, BM25 and hybrid retrieval over an index store (the LangChain adapter is rag.retrieval.langchain).

The store scores (rag.index.interface: the files store every row in memory, the PostgreSQL store the
candidate rows in the database); this module fuses and ranks, the same way for both.

Dense scoring reads the mean of the whole chunk's cosine and its best sentence's by default
(`RAG_DENSE_UNIT`: or either alone; measured with scripts/tune_retrieval.py).

Hybrid mode fuses the two rankings, either by a convex combination of z-scored dense and BM25 scores
(default: measured better than RRF and than raw cosine + max-scaled BM25 on the question set, as
Bruch et al. 2022 found in general) or by reciprocal rank fusion. The z-scores use the score
distribution of every allowed chunk; only the top `candidates` of each ranking enter the fusion.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

import numpy as np
from rag.errors import InputError
from rag.index.embeddings import Embedder, get_embedder
from rag.index.interface import ScoreRequest, Store
from rag.query.coordination import coordination
from rag.retrieval.fusion import NORMALISATIONS, convex_fusion, top_rows
from rag.retrieval.sources import SourceReference, document_terms, find_source_reference
from rag.schema import Passage
from rag.settings import Settings
from rag.text.analysis import analyze
from rag.text.footnotes import CALL_MARK, DocumentFootnotes

DENSE_UNITS = ("sentence", "chunk", "both")
MODES = ("dense", "bm25", "hybrid")


def undecodable_bytes(text: str) -> bytes | None:
    """The bytes of `text` that were not UTF-8 (a command-line argument keeps them as lone surrogates), or None."""
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError as exc:
        bad = text[exc.start:exc.end]
    try:
        return bad.encode("utf-8", "surrogateescape")  # the bytes as typed
    except UnicodeEncodeError:  # a lone surrogate that came as such (JSON "\udc00"), not from bytes
        return bad.encode("unicode_escape")


def validate_request(settings: Settings, query: str, k: int | None, mode: str | None) -> tuple[str, int, str]:
    """Validated (query, k, mode) with defaults filled in; InputError with a clear message otherwise."""
    query = (query or "").strip()
    if not query:
        raise InputError("The question is empty: type a question.")
    bad = undecodable_bytes(query)
    if bad:
        raise InputError(f"The question holds bytes that are not UTF-8 text ({bad}): type it again, or set the "
                         "terminal to UTF-8.")
    if len(query) > settings.max_question_chars:
        raise InputError(f"The question is too long ({len(query)} characters, at most {settings.max_question_chars}).")
    k = settings.top_k if k is None else k
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError(f"k must be a whole number of at least 1 (got {k!r}).")
    mode = mode or settings.retrieval_mode
    if mode not in MODES:
        raise InputError(f"Unknown retrieval mode {mode!r}: use one of {', '.join(MODES)}.")
    return query, k, mode


class Retriever:
    """Searches one index store; cheap to call from many threads.

    `normalisation` (zscore | max | minmax) is the measured default; the benchmark passes others to compare.
    """

    def __init__(self, index: Store, settings: Settings, embedder: Embedder | None = None, *,
                 normalisation: str = "zscore"):
        if normalisation not in NORMALISATIONS:
            raise ValueError(f"normalisation must be one of {NORMALISATIONS}")
        self.index = index  # the store (named `index` for the callers that read it)
        self.settings = settings
        self.embedder = embedder or get_embedder(settings)
        self.normalisation = normalisation
        self._docs_seen: tuple[object, dict[str, frozenset[str]]] | None = None
        self._notes = DocumentFootnotes(index)  # each document's footnotes, read once

    def _doc_terms(self) -> dict[str, frozenset[str]]:
        """Metadata words of each document that has chunks, recomputed when the store's documents change
        (the PostgreSQL store follows an index rebuilt by another process)."""
        docs = self.index.docs
        seen = self._docs_seen
        if seen is None or seen[0] is not docs:
            seen = self._docs_seen = (docs, {d["doc_id"]: document_terms(d) for d in docs if d.get("n_chunks", 0) > 0})
        return seen[1]

    def source_reference(self, query: str) -> SourceReference | None:
        """The one document the question names as its source ("selon la lettre de 2021"), if any."""
        if not self.settings.source_references:
            return None
        return find_source_reference(query, self._doc_terms())

    def check(self, query: str, k: int | None, mode: str | None, doc_ids: Iterable[str] | None) -> tuple[str, int, str, list[str] | None]:
        """Validated (query, k, mode, doc_ids); InputError with a clear message otherwise."""
        query, k, mode = validate_request(self.settings, query, k, mode)
        ids = None
        if doc_ids:
            ids = list(dict.fromkeys(doc_ids))
            known = self._doc_terms()
            unknown = [d for d in ids if d not in known]
            if unknown:
                raise InputError(f"Unknown document id {', '.join(unknown)}. Known ids: {', '.join(sorted(known))}.")
        return query, k, mode, ids

    def search(self, query: str, k: int | None = None, mode: str | None = None, doc_ids: Iterable[str] | None = None) -> list[Passage]:
        """The k best passages for `query` (mode: dense | bm25 | hybrid; doc_ids restricts the documents).

        Without doc_ids, a question naming its source document puts that document's passages first and is
        searched without the naming phrase (rag.sources).
        """
        return self.search_named(query, k, mode, doc_ids)[0]

    def search_named(self, query: str, k: int | None = None, mode: str | None = None,
                     doc_ids: Iterable[str] | None = None) -> tuple[list[Passage], SourceReference | None]:
        """`search`, with the source document the question named (None without one or with doc_ids).

        A question coordinating two complements ("pour la défense et pour les gigafactories") may need two
        documents: the best passage for each complement alone is kept among the k, after the whole
        question's best ones."""
        self.index.refresh()
        query, k, mode, ids = self.check(query, k, mode, doc_ids)
        ref = None if ids else self.source_reference(query)
        if ref:
            query = ref.query
        passages = self._with_footnote(query, self._search(query, k, mode, ids, ref), k)
        both = coordination(query)
        if both is None or k < 3:
            return passages, ref
        kept = {p.chunk_id for p in passages}
        extra = []
        for alone in both.questions:
            best = next(iter(self._search(alone, k, mode, ids, ref)), None)
            if best is not None and best.chunk_id not in kept:
                extra.append(best)
                kept.add(best.chunk_id)
        return _with_extra(passages, extra, k), ref

    def _with_footnote(self, query: str, passages: list[Passage], k: int) -> list[Passage]:
        """A question about a word a passage marks with a footnote call ("comme avec Ynsect*") gets the footnote's
        passage too, as a reader turns to the note ("* La start-up … a levé 650 millions"): it takes the last of
        the k places when it is not among them. The note never names the word, so the search alone misses it."""
        asked = set(analyze(query))
        if k < 2 or not asked:
            return passages
        shown: list[str] = []  # the passages' texts as a note's opening is written (one space), when needed
        for p in passages:
            called = {m.group(1) for m in CALL_MARK.finditer(p.text) if set(analyze(m.group(1))) & asked}
            for opening, word in self._notes.of(p.doc_id).items() if called else ():
                shown = shown or [" ".join(x.text.split()) for x in passages]
                if word not in called or any(opening in text for text in shown):
                    continue
                # the note's own words, searched in its document, find its passage
                note = next(iter(self._search(opening, 1, "bm25", [p.doc_id], None)), None)
                if note is not None and opening in " ".join(note.text.split()):
                    return _with_extra(passages, [note], k)
        return passages

    def _search(self, query: str, k: int, mode: str, ids, ref: SourceReference | None) -> list[Passage]:
        n = max(k, self.settings.candidates)
        scored = self.index.score(ScoreRequest(
            mode=mode, query_vector=self.embedder.encode_query(query) if mode in ("dense", "hybrid") else None,
            terms=analyze(query) if mode in ("bm25", "hybrid") else [], doc_ids=ids, preferred=ref.doc_id if ref else None,
            n=n, dense_unit=self.settings.dense_unit, context_weight=self.settings.context_weight))
        rows, dense, bm25, keyword = scored.rows, scored.dense, scored.bm25, scored.keyword  # keyword: what the fusion sees
        if mode == "dense":
            fused = dense
        elif mode == "bm25":
            fused = bm25
        elif self.settings.fusion == "rrf":
            fused = np.zeros(len(rows))
            for scores in (dense, keyword):  # each ranking's top n only, as RRF is defined over result lists
                ranking = np.lexsort((rows, -scores))[:n]
                ranking = ranking[scores[ranking] > 0] if scores is keyword else ranking
                fused[ranking] += 1.0 / (self.settings.rrf_k + np.arange(1, len(ranking) + 1))
        else:
            stats = None if scored.complete else (scored.dense_stats, scored.keyword_stats)
            fused = convex_fusion(dense, keyword, self.settings.fusion_alpha, self.normalisation, stats)
        preferred = scored.preferred
        pool = self._pool(mode, rows, dense, keyword, preferred, k, n)
        pos = dict(zip(pool, np.searchsorted(rows, pool).tolist()))  # rows are ascending
        order = sorted(pool, key=lambda r: (not preferred[pos[r]], -fused[pos[r]], r))[:k]
        return [
            Passage(rank=i + 1, chunk=chunk, score=float(fused[pos[row]]),
                    dense_score=None if dense is None else float(dense[pos[row]]),
                    bm25_score=None if bm25 is None else float(bm25[pos[row]]))
            for i, (row, chunk) in enumerate(zip(order, self.index.chunks_at(order)))
        ]

    @staticmethod
    def _pool(mode: str, rows: np.ndarray, dense, bm25, preferred: np.ndarray, k: int, n: int) -> list[int]:
        """Rows that may be returned: each ranking's top candidates (hybrid: the union, which the fusion
        reorders), taken among the preferred document's rows first when the question names one."""
        pool: list[int] = []
        for mask in ((preferred, None) if preferred.any() else (None,)):  # None: every row, without a copy
            sub = rows if mask is None else rows[mask]
            part = (lambda scores: scores) if mask is None else (lambda scores: scores[mask])
            if mode == "dense":
                pool += top_rows(part(dense), sub, k)
            elif mode == "bm25":
                pool += top_rows(part(bm25), sub, k, positive=True)
            else:
                pool += top_rows(part(dense), sub, n) + top_rows(part(bm25), sub, n, positive=True)
        return list(dict.fromkeys(pool))


def _with_extra(passages: list[Passage], extra: list[Passage], k: int) -> list[Passage]:
    """`passages` with `extra` in their last places, so there are no more than k, ranked anew."""
    if not extra:
        return passages
    merged = passages[:max(0, k - len(extra))] + extra
    return [replace(p, rank=i + 1) for i, p in enumerate(merged)]
