"""Dense, BM25 and hybrid retrieval over a loaded index (the LangChain adapter is rag.retrieval.langchain).

Dense scoring is sentence-level by default: a chunk scores the best cosine among its sentences
(vectors stored in the index), because the bundled English-trained model dilutes a French chunk's
one relevant sentence among the others (MRR of hybrid 0.884 vs 0.875 with whole-chunk cosines,
scripts/bench_retrieval.py --sweep).

Hybrid mode fuses the two rankings, either by a convex combination of z-scored dense and BM25 scores
(default: measured better than RRF and than raw cosine + max-scaled BM25 on the question set, as
Bruch et al. 2022 found in general) or by reciprocal rank fusion. Both scores are computed for every
chunk (a few hundred: under a millisecond), so the z-scores use the whole score distribution; only
the top `candidates` of each ranking enter the fusion.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
from rag.errors import InputError
from rag.index.embeddings import Embedder, get_embedder
from rag.index.store import Index
from rag.retrieval.fusion import NORMALISATIONS, convex_fusion, top_rows
from rag.retrieval.sources import SourceReference, document_terms, find_source_reference
from rag.schema import Passage
from rag.settings import Settings
from rag.text.analysis import analyze

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
    """Searches one loaded index; cheap to call from many threads.

    `normalisation` (zscore | max | minmax) is the measured default; the benchmark passes others to compare.
    """

    def __init__(self, index: Index, settings: Settings, embedder: Embedder | None = None, *,
                 normalisation: str = "zscore"):
        if normalisation not in NORMALISATIONS:
            raise ValueError(f"normalisation must be one of {NORMALISATIONS}")
        self.index = index
        self.settings = settings
        self.embedder = embedder or get_embedder(settings)
        self.normalisation = normalisation
        # An index without sentence vectors (none stored) falls back to whole-chunk cosines.
        self.dense_unit = settings.dense_unit if len(index.sentence_matrix) else "chunk"
        n = len(index.chunks)
        self._all_rows = np.arange(n, dtype=np.int64)
        # Whole-chunk vectors in memory: an exact scan of a few hundred rows costs microseconds.
        self._chunk_matrix = index.faiss_index.reconstruct_n(0, n) if n else np.zeros((0, 1), np.float32)
        self._sentence_starts = np.asarray(index.sentence_bounds[:-1], dtype=np.int64)
        doc_rows: dict[str, list[int]] = {}
        for i, c in enumerate(index.chunks):
            doc_rows.setdefault(c.doc_id, []).append(i)
        self._doc_rows = {k: np.array(v, dtype=np.int64) for k, v in doc_rows.items()}
        # Row of the previous chunk of the same section, for the keyword context of hybrid mode; a chunk
        # opening its section gets a zero weight instead (and points at itself, a harmless index).
        n_rows = range(len(index.chunks))
        same = [bool(i) and index.chunks[i - 1].doc_id == index.chunks[i].doc_id
                and index.chunks[i - 1].heading == index.chunks[i].heading for i in n_rows]
        self._previous = np.array([i - 1 if same[i] else i for i in n_rows], dtype=np.int64)
        self._has_previous = np.array(same, dtype=np.float32)
        self._doc_terms = {d["doc_id"]: document_terms(d) for d in index.docs if d["doc_id"] in self._doc_rows}

    def source_reference(self, query: str) -> SourceReference | None:
        """The one document the question names as its source ("selon la lettre de 2021"), if any."""
        if not self.settings.source_references:
            return None
        return find_source_reference(query, self._doc_terms)

    def check(self, query: str, k: int | None, mode: str | None, doc_ids: Iterable[str] | None) -> tuple[str, int, str, list[str] | None]:
        """Validated (query, k, mode, doc_ids); InputError with a clear message otherwise."""
        query, k, mode = validate_request(self.settings, query, k, mode)
        ids = None
        if doc_ids:
            ids = list(dict.fromkeys(doc_ids))
            unknown = [d for d in ids if d not in self._doc_rows]
            if unknown:
                raise InputError(f"Unknown document id {', '.join(unknown)}. Known ids: {', '.join(sorted(self._doc_rows))}.")
        return query, k, mode, ids

    # --- scoring ----------------------------------------------------------------------------------
    def _rows(self, doc_ids: list[str] | None) -> np.ndarray:
        if not doc_ids:
            return self._all_rows
        return np.sort(np.concatenate([self._doc_rows[d] for d in doc_ids]))

    def dense_all(self, query: str) -> np.ndarray:
        """Dense score of every chunk: whole-chunk cosine, best sentence cosine, or the mean of both."""
        vec = self.embedder.encode_query(query)
        chunk = self._chunk_matrix @ vec if self.dense_unit != "sentence" else None
        if self.dense_unit == "chunk":
            return chunk
        # every chunk has at least one sentence, so reduceat's segments are never empty
        sentence = np.maximum.reduceat(self.index.sentence_matrix @ vec, self._sentence_starts)
        return sentence if chunk is None else (chunk + sentence) / 2

    def bm25_all(self, query: str) -> np.ndarray:
        """BM25 score of every chunk (all 0 when the query has no content word)."""
        terms = analyze(query)
        if not terms:
            return np.zeros(len(self.index.chunks), dtype=np.float32)
        return np.asarray(self.index.bm25.get_scores(terms), dtype=np.float32)

    def with_context(self, bm25: np.ndarray) -> np.ndarray:
        """BM25 scores of every chunk plus `context_weight` times the previous chunk's in the same section.

        A passage often goes on about what the one before it named ("Une idée qui ne fait pas
        l'unanimité. [...] Olivier Lluansi [...]" follows the chunk naming the Institut Montaigne's
        proposal), and chunk boundaries cut such links. Measured with scripts/bench_retrieval.py --sweep.
        """
        w = self.settings.context_weight
        if not w:
            return bm25
        return bm25 + w * self._has_previous * bm25[self._previous]

    def dense_scores(self, query: str, allowed: np.ndarray | None, n: int) -> dict[int, float]:
        """Top-n rows by dense score."""
        rows = self._all_rows if allowed is None else allowed
        scores = self.dense_all(query)[rows]
        return {r: float(scores[np.searchsorted(rows, r)]) for r in top_rows(scores, rows, n)}

    def bm25_scores(self, query: str, allowed: np.ndarray | None, n: int) -> dict[int, float]:
        """Top-n rows by BM25 score (rows scoring 0 are left out)."""
        rows = self._all_rows if allowed is None else allowed
        scores = self.bm25_all(query)[rows]
        return {r: float(scores[np.searchsorted(rows, r)]) for r in top_rows(scores, rows, n, positive=True)}

    def search(self, query: str, k: int | None = None, mode: str | None = None, doc_ids: Iterable[str] | None = None) -> list[Passage]:
        """The k best passages for `query` (mode: dense | bm25 | hybrid; doc_ids restricts the documents).

        Without doc_ids, a question naming its source document puts that document's passages first and is
        searched without the naming phrase (rag.sources).
        """
        return self.search_named(query, k, mode, doc_ids)[0]

    def search_named(self, query: str, k: int | None = None, mode: str | None = None,
                     doc_ids: Iterable[str] | None = None) -> tuple[list[Passage], SourceReference | None]:
        """`search`, with the source document the question named (None without one or with doc_ids)."""
        query, k, mode, ids = self.check(query, k, mode, doc_ids)
        ref = None if ids else self.source_reference(query)
        if ref:
            query = ref.query
        rows = self._rows(ids)
        n = max(k, self.settings.candidates)
        dense = self.dense_all(query)[rows] if mode in ("dense", "hybrid") else None
        bm25_full = self.bm25_all(query) if mode in ("bm25", "hybrid") else None
        bm25 = None if bm25_full is None else bm25_full[rows]
        keyword = self.with_context(bm25_full)[rows] if mode == "hybrid" else bm25  # what the fusion sees
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
            fused = convex_fusion(dense, keyword, self.settings.fusion_alpha, self.normalisation)
        preferred = np.isin(rows, self._doc_rows[ref.doc_id]) if ref else np.zeros(len(rows), dtype=bool)
        pool = self._pool(mode, rows, dense, keyword, preferred, k, n)
        pos = {int(r): i for i, r in enumerate(rows)}
        order = sorted(pool, key=lambda r: (not preferred[pos[r]], -fused[pos[r]], r))[:k]
        return [
            Passage(rank=i + 1, chunk=self.index.chunks[row], score=float(fused[pos[row]]),
                    dense_score=None if dense is None else float(dense[pos[row]]),
                    bm25_score=None if bm25 is None else float(bm25[pos[row]]))
            for i, row in enumerate(order)
        ], ref

    @staticmethod
    def _pool(mode: str, rows: np.ndarray, dense, bm25, preferred: np.ndarray, k: int, n: int) -> list[int]:
        """Rows that may be returned: each ranking's top candidates (hybrid: the union, which the fusion
        reorders), taken among the preferred document's rows first when the question names one."""
        pool: list[int] = []
        for mask in ((preferred, np.ones(len(rows), dtype=bool)) if preferred.any() else (np.ones(len(rows), dtype=bool),)):
            sub = rows[mask]
            if mode == "dense":
                pool += top_rows(dense[mask], sub, k)
            elif mode == "bm25":
                pool += top_rows(bm25[mask], sub, k, positive=True)
            else:
                pool += top_rows(dense[mask], sub, n) + top_rows(bm25[mask], sub, n, positive=True)
        return list(dict.fromkeys(pool))
