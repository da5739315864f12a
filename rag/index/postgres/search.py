"""Scoring in PostgreSQL: the dense and BM25 scores the retriever fuses (rag.index.interface.Scores).

Two paths, chosen by how many rows a search may return (the whole index, or the rows of the documents it
is filtered on), against the generation's `exact_below` (rag.index.postgres.write.EXACT_BELOW):
- up to it, every allowed row is scored, exactly as the files store does: a dense scan of the rows'
  vectors and a BM25 sum over the query terms' postings (`Scores.complete`);
- above it, only candidates: the dense top rows from the HNSW index, the BM25 top rows from the postings
  read best-weight first (`keyword_top`: exact, by the threshold algorithm of Fagin et al. 2003), each
  candidate completed with its other score, and the z-score statistics estimated on a fixed, evenly
  spread sample of rows (exact when the index has no more rows than the sample).
A document's chunks are consecutive rows, so a document filter is a row range.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from psycopg import sql

from rag.index.interface import ScoreRequest, Scores
from rag.index.postgres.write import sample_rows

SENTENCE_SAMPLE = 2_000  # rows whose sentences estimate best-sentence statistics on a large index (~17k vectors)
_FIRST_DEPTH = 256  # postings read per term in the first round of keyword_top (times 4 per further round)


@dataclass
class Generation:
    """What a search needs to know of one build, loaded once when the store meets it."""

    gen: int
    manifest: dict[str, Any]
    params: dict[str, Any]
    continues: np.ndarray  # bool per row: same section as the row before
    docs: list[dict[str, Any]]  # id, metadata, chunk count and row range of every document, in corpus order
    cache: dict[str, Any] = field(default_factory=dict)  # samples loaded on first use

    @property
    def schema(self) -> sql.Identifier:
        return sql.Identifier(self.params["schema"])

    @property
    def n(self) -> int:
        return int(self.params["n"])

    @property
    def has_sentences(self) -> bool:
        return bool(self.params.get("n_sentences"))

    def ranges(self, doc_ids: list[str] | None) -> list[tuple[int, int]]:
        """Row ranges (first, last) of these documents, merged and in order; the whole index for None."""
        if not doc_ids:
            return [(0, self.n - 1)]
        by_id = {d["doc_id"]: (d["row_lo"], d["row_hi"]) for d in self.docs}
        merged: list[list[int]] = []
        for lo, hi in sorted(by_id[d] for d in doc_ids if by_id[d][1] >= by_id[d][0]):
            if merged and lo == merged[-1][1] + 1:
                merged[-1][1] = hi
            else:
                merged.append([lo, hi])
        return [(lo, hi) for lo, hi in merged]


def _count(ranges: list[tuple[int, int]]) -> int:
    return sum(hi - lo + 1 for lo, hi in ranges)


def _within(column: str, ranges: list[tuple[int, int]] | None) -> sql.Composable:
    """SQL condition `column` in the row ranges (TRUE for None)."""
    if ranges is None:
        return sql.SQL("TRUE")
    return sql.SQL("({})").format(sql.SQL(" OR ").join(
        sql.SQL("{} BETWEEN {} AND {}").format(sql.SQL(column), sql.Literal(lo), sql.Literal(hi)) for lo, hi in ranges))


def _query_terms(terms: list[str]) -> tuple[list[str], list[int]]:
    """Distinct terms and how often the query has each (bm25s counts a repeated term once per occurrence)."""
    counts = Counter(terms)
    return list(counts), list(counts.values())


_TERMS_CTE = 'WITH q AS (SELECT term COLLATE "C" AS term, qtf FROM unnest(%(terms)s::text[], %(qtf)s::int[]) AS t(term, qtf))'


def score(conn, g: Generation, request: ScoreRequest) -> Scores:
    ranges = g.ranges(request.doc_ids)
    if _count(ranges) <= g.params["exact_below"]:
        return _score_every_row(conn, g, request, ranges)
    return _score_candidates(conn, g, request, None if not request.doc_ids else ranges)


# --- every allowed row (small indexes, small filters) ----------------------------------------------

def _score_every_row(conn, g: Generation, req: ScoreRequest, ranges: list[tuple[int, int]]) -> Scores:
    rows = np.concatenate([np.arange(lo, hi + 1, dtype=np.int64) for lo, hi in ranges])
    dense = None
    if req.query_vector is not None:
        dense = np.zeros(len(rows), dtype=np.float32)
        got = dense_of(conn, g, req.query_vector, ranges, req.dense_unit)
        dense[np.searchsorted(rows, np.fromiter(got, np.int64, len(got)))] = np.fromiter(got.values(), np.float64, len(got))
    bm25 = keyword = None
    if req.mode in ("bm25", "hybrid"):
        bm25 = np.zeros(len(rows), dtype=np.float32)
        if req.terms:
            got = bm25_in_ranges(conn, g, req.terms, ranges)
            bm25[np.searchsorted(rows, np.fromiter(got, np.int64, len(got)))] = np.fromiter(got.values(), np.float64, len(got))
        keyword = bm25
        if req.mode == "hybrid" and req.context_weight:
            # the previous row of a continuing chunk is in the same document, so one position before it here
            has_previous = g.continues[rows].astype(np.float32)
            previous = np.arange(len(rows)) - g.continues[rows]
            keyword = bm25 + req.context_weight * has_previous * bm25[previous]
    return Scores(rows=rows, dense=dense, bm25=bm25, keyword=keyword, preferred=_preferred(g, rows, req.preferred))


def _preferred(g: Generation, rows: np.ndarray, doc_id: str | None) -> np.ndarray:
    if not doc_id:
        return np.zeros(len(rows), dtype=bool)
    (lo, hi), = g.ranges([doc_id])
    return (rows >= lo) & (rows <= hi)


def dense_of(conn, g: Generation, vec: np.ndarray, where: list[tuple[int, int]] | list[int], unit: str) -> dict[int, float]:
    """Dense score of the rows in `where` (row ranges, or a list of rows): chunk cosine, best sentence cosine,
    or their mean (chunk cosine when the index has no sentence vectors)."""
    unit = unit if g.has_sentences else "chunk"
    params = {"q": np.asarray(vec, np.float32), "rows": where}
    out: dict[int, float] = {}
    if unit != "sentence":
        cond = _within("row_id", where) if _are_ranges(where) else sql.SQL("row_id = ANY(%(rows)s)")
        out = dict(conn.execute(sql.SQL("SELECT row_id, -(embedding <#> %(q)s) FROM {}.chunks WHERE {}")
                                .format(g.schema, cond), params).fetchall())
    if unit != "chunk":
        cond = _within("chunk_row", where) if _are_ranges(where) else sql.SQL("chunk_row = ANY(%(rows)s)")
        best = dict(conn.execute(sql.SQL("SELECT chunk_row, max(-(embedding <#> %(q)s)) FROM {}.sentences WHERE {} GROUP BY 1")
                                 .format(g.schema, cond), params).fetchall())
        # as the files store: float32 cosines, mean of the two computed in float32
        out = best if unit == "sentence" else {r: float((np.float32(c) + np.float32(best.get(r, c))) / np.float32(2))
                                               for r, c in out.items()}
    return out


def _are_ranges(where) -> bool:
    return bool(where) and isinstance(where[0], tuple)


def bm25_in_ranges(conn, g: Generation, terms: list[str], where: list[tuple[int, int]] | list[int]) -> dict[int, float]:
    """BM25 score of every row in `where` (row ranges, or a list of rows) that has a query term."""
    distinct, qtf = _query_terms(terms)
    cond = _within("p.row_id", where) if _are_ranges(where) else sql.SQL("p.row_id = ANY(%(rows)s)")
    return dict(conn.execute(sql.SQL(_TERMS_CTE + " SELECT p.row_id, sum(q.qtf * p.weight::float8) FROM q "
                                     "JOIN {}.postings p ON p.term = q.term AND {} GROUP BY 1").format(g.schema, cond),
                             {"terms": distinct, "qtf": qtf, "rows": where}).fetchall())


# --- candidates (large indexes) ----------------------------------------------------------------------

def _score_candidates(conn, g: Generation, req: ScoreRequest, ranges: list[tuple[int, int]] | None) -> Scores:
    exact_below = g.params["exact_below"]
    preferred = g.ranges([req.preferred]) if req.preferred else None
    small_preferred = preferred is not None and _count(preferred) <= exact_below
    candidates: set[int] = set()
    dense: dict[int, float] = {}
    if req.query_vector is not None:
        for where, exact in ((ranges, False), *(((preferred, small_preferred),) if preferred else ())):
            top = dense_top(conn, g, req.query_vector, req.n, where, req.dense_unit, exact)
            dense.update(top)
            candidates.update(top)
    bm25: dict[int, float] = {}
    w = req.context_weight if req.mode == "hybrid" else 0.0
    if req.mode in ("bm25", "hybrid") and req.terms:
        for where, exact in ((ranges, False), *(((preferred, small_preferred),) if preferred else ())):
            top, known = keyword_top(conn, g, req.terms, req.n, where, w, exact)
            bm25.update(known)
            candidates.update(top)
    rows = np.array(sorted(candidates), dtype=np.int64)
    if req.query_vector is not None and (missing := [int(r) for r in rows if r not in dense]):
        dense.update(dense_of(conn, g, req.query_vector, missing, req.dense_unit))
    previous = [int(r) - 1 for r in rows if g.continues[r]]
    if req.mode in ("bm25", "hybrid") and req.terms and (missing := sorted({*rows.tolist(), *previous} - set(bm25))):
        bm25.update({r: 0.0 for r in missing})
        bm25.update(bm25_in_ranges(conn, g, req.terms, missing))
    d = None if req.query_vector is None else np.array([dense[r] for r in rows], dtype=np.float32)
    b = k = None
    if req.mode in ("bm25", "hybrid"):
        b = np.array([bm25.get(r, 0.0) for r in rows], dtype=np.float32)
        k = np.array([_keyword(bm25, g.continues, r, w) for r in rows], dtype=np.float32) if w else b
    stats = {}
    if req.mode == "hybrid":
        stats = {"dense_stats": dense_stats(conn, g, req.query_vector, ranges, req.dense_unit),
                 "keyword_stats": keyword_stats(conn, g, req.terms, ranges, w)}
    return Scores(rows=rows, dense=d, bm25=b, keyword=k, preferred=_preferred(g, rows, req.preferred), complete=False, **stats)


def _keyword(bm25: dict[int, float], continues: np.ndarray, row: int, w: float) -> float:
    own = bm25.get(row, 0.0)
    return own + w * bm25.get(row - 1, 0.0) if continues[row] else own


def dense_top(conn, g: Generation, vec: np.ndarray, n: int, ranges: list[tuple[int, int]] | None, unit: str,
              exact: bool) -> dict[int, float]:
    """The n best rows by dense score in `ranges` (None: all): through the chunk HNSW index (iterative scan
    when filtered), or scanned exactly. Best-sentence scores rescore the chunk index's top 4n rows."""
    unit = unit if g.has_sentences else "chunk"
    # "+ 0": an ORDER BY the HNSW index cannot serve, so the (few) rows of the ranges are scanned exactly
    order = sql.SQL("(embedding <#> %(q)s) + 0" if exact else "embedding <#> %(q)s")
    limit = n if unit == "chunk" else 4 * n
    got = conn.execute(sql.SQL("SELECT row_id, -(embedding <#> %(q)s) FROM {}.chunks WHERE {} ORDER BY {} LIMIT {}")
                       .format(g.schema, _within("row_id", ranges), order, sql.Literal(limit)),
                       {"q": np.asarray(vec, np.float32)}).fetchall()
    scores = dict(got) if unit == "chunk" else dense_of(conn, g, vec, [r for r, _ in got], unit)
    return dict(sorted(scores.items(), key=lambda t: (-t[1], t[0]))[:n])  # relaxed_order: sorted here


def keyword_top(conn, g: Generation, terms: list[str], n: int, ranges: list[tuple[int, int]] | None, w: float,
                exact: bool) -> tuple[list[int], dict[int, float]]:
    """(rows of the n best keyword scores in `ranges`, exact BM25 of every row met on the way).

    The keyword score is BM25 plus `w` times the previous row's in the same section. Each term's postings
    are read best weight first, `depth` of them; a row missing from a term's list has at most that list's
    last weight there, which bounds the score of every row not yet met. When the n-th best score found
    beats that bound, the n best are known; otherwise the lists are read 4 times deeper. `exact`: the
    ranges are small, their postings are summed directly."""
    if exact:
        bm25 = bm25_in_ranges(conn, g, terms, ranges)
        rows = set(bm25) | {r + 1 for r in bm25 if r + 1 < g.n and g.continues[r + 1]}
        scored = sorted(((-_keyword(bm25, g.continues, r, w), r) for r in rows))
        return [r for s, r in scored[:n] if s < 0], bm25
    distinct, qtf = _query_terms(terms)
    weight_of = dict(zip(distinct, qtf))
    depth = max(_FIRST_DEPTH, 4 * n)
    while True:
        got = conn.execute(sql.SQL(
            "SELECT t.term, p.row_id, p.weight::float8 FROM unnest(%(terms)s::text[]) AS t(term) CROSS JOIN LATERAL "
            '(SELECT row_id, weight FROM {}.postings WHERE term = t.term COLLATE "C" AND {} '
            "ORDER BY weight DESC, row_id LIMIT %(depth)s) p").format(g.schema, _within("row_id", ranges)),
            {"terms": distinct, "depth": depth}).fetchall()
        lists: dict[str, list[tuple[int, float]]] = {t: [] for t in distinct}
        for term, row, weight in got:
            lists[term].append((row, weight))
        last = {t: (lists[t][-1][1] if len(lists[t]) == depth else 0.0) for t in distinct}  # 0: list read whole
        known: dict[int, dict[str, float]] = {}
        for term, postings in lists.items():
            for row, weight in postings:
                known.setdefault(row, {})[term] = weight
        unseen = sum(weight_of[t] * last[t] for t in distinct)  # bound of the BM25 of a row met in no list

        def low(row: int) -> float:
            return sum(weight_of[t] * x for t, x in known.get(row, {}).items())

        def high(row: int) -> float:
            k = known.get(row)
            return unseen if k is None else low(row) + sum(weight_of[t] * last[t] for t in distinct if t not in k)

        cont = g.continues
        rows = set(known) | {r + 1 for r in known if r + 1 < g.n and cont[r + 1]}
        lows = {r: low(r) + (w * low(r - 1) if w and cont[r] else 0.0) for r in rows}
        highs = {r: high(r) + (w * high(r - 1) if w and cont[r] else 0.0) for r in rows}
        ranked = sorted(lows.values(), reverse=True)
        threshold = ranked[n - 1] if len(ranked) >= n else 0.0
        if unseen == 0.0 or threshold > unseen * (1 + w):
            break
        depth *= 4
    # Rows that may still reach the top n get their exact BM25 (and their previous row's, for the context).
    contenders = [r for r in rows if highs[r] >= threshold and highs[r] > 0]
    need = {r for r in contenders} | {r - 1 for r in contenders if w and cont[r]}
    bm25 = {r: low(r) for r in need if high(r) == low(r)}
    unresolved = sorted(need - set(bm25))
    if unresolved:
        bm25.update({r: 0.0 for r in unresolved})
        bm25.update(bm25_in_ranges(conn, g, terms, unresolved))
    scored = sorted((-_keyword(bm25, cont, r, w), r) for r in contenders)
    return [r for s, r in scored[:n] if s < 0], bm25


# --- statistics of every allowed row, from the sample (large indexes) -----------------------------------

def _sample(conn, g: Generation) -> tuple[np.ndarray, np.ndarray]:
    """(sample rows, their chunk vectors), loaded once per generation."""
    if "sample" not in g.cache:
        rows = sample_rows(g.n, int(g.params["sample_size"]))
        got = conn.cursor(binary=True).execute(sql.SQL("SELECT row_id, embedding FROM {}.chunks WHERE row_id = ANY(%s) "
                                                       "ORDER BY row_id").format(g.schema), [rows.tolist()]).fetchall()
        g.cache["sample"] = (rows, np.stack([v for _, v in got]).astype(np.float32))
    return g.cache["sample"]


def _sentence_sample(conn, g: Generation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, first sentence of each row, sentence vectors) of a sub-sample of SENTENCE_SAMPLE rows."""
    if "sentence_sample" not in g.cache:
        rows = _sample(conn, g)[0]
        rows = rows[np.unique(np.linspace(0, len(rows) - 1, min(len(rows), SENTENCE_SAMPLE)).round().astype(np.int64))]
        got = conn.cursor(binary=True).execute(sql.SQL("SELECT chunk_row, embedding FROM {}.sentences WHERE chunk_row = ANY(%s) "
                                                       "ORDER BY chunk_row, idx").format(g.schema), [rows.tolist()]).fetchall()
        of = np.array([r for r, _ in got], dtype=np.int64)
        rows = np.unique(of)
        g.cache["sentence_sample"] = (rows, np.searchsorted(of, rows), np.stack([v for _, v in got]).astype(np.float32))
    return g.cache["sentence_sample"]


def _in(rows: np.ndarray, ranges: list[tuple[int, int]] | None) -> np.ndarray:
    if ranges is None:
        return np.ones(len(rows), dtype=bool)
    return np.logical_or.reduce([(rows >= lo) & (rows <= hi) for lo, hi in ranges])


def _mean_std(values: np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, np.float64)
    return (float(values.mean()), float(values.std())) if values.size else (0.0, 0.0)


def dense_stats(conn, g: Generation, vec: np.ndarray, ranges, unit: str) -> tuple[float, float]:
    """(mean, std) of the dense scores of the allowed rows, estimated on the sample."""
    unit = unit if g.has_sentences else "chunk"
    rows, vectors = _sample(conn, g)
    chunk = vectors[_in(rows, ranges)] @ vec
    if unit == "chunk":
        return _mean_std(chunk)
    s_rows, starts, s_vectors = _sentence_sample(conn, g)
    keep = _in(s_rows, ranges)
    best = np.maximum.reduceat(s_vectors @ vec, starts)[keep] if len(starts) else np.zeros(0, np.float32)
    if unit == "sentence":
        return _mean_std(best)
    return _mean_std((vectors[np.searchsorted(rows, s_rows[keep])] @ vec + best) / 2)


def keyword_stats(conn, g: Generation, terms: list[str], ranges, w: float) -> tuple[float, float]:
    """(mean, std) of the keyword scores (BM25 plus section context) of the allowed rows, on the sample."""
    rows = _sample(conn, g)[0]
    rows = rows[_in(rows, ranges)]
    if not terms or not len(rows):
        return 0.0, 0.0
    distinct, qtf = _query_terms(terms)
    bm25 = dict(conn.execute(sql.SQL(_TERMS_CTE + " SELECT p.row_id, sum(q.qtf * p.weight::float8) FROM q JOIN "
                                     "{}.postings_sample p ON p.term = q.term GROUP BY 1").format(g.schema),
                             {"terms": distinct, "qtf": qtf}).fetchall())
    return _mean_std(np.array([_keyword(bm25, g.continues, int(r), w) for r in rows]))
