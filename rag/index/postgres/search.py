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
from rag.index.sampling import SENTENCE_SAMPLE, mean_std, sample_rows

POSTING_BUDGET = 20_000  # postings a search of a large index reads to find its BM25 candidates (keyword_top)


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
        got, scores = dense_of(conn, g, req.query_vector, ranges, req.dense_unit)
        dense[np.searchsorted(rows, got)] = scores
    bm25 = keyword = None
    if req.mode in ("bm25", "hybrid"):
        bm25 = np.zeros(len(rows), dtype=np.float32)
        if req.terms:
            got, scores = bm25_of(conn, g, req.terms, ranges)
            bm25[np.searchsorted(rows, got)] = scores
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


def _arrays(conn, query: sql.Composable, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """(rows, scores) of a query selecting (row, score) pairs, moved as two binary arrays: 10k rows as tuples
    cost ~10 ms of Python, as arrays well under one."""
    wrapped = sql.SQL("SELECT array_agg(r), array_agg(v) FROM ({}) AS x(r, v)").format(query)
    rows, values = conn.cursor(binary=True).execute(wrapped, params).fetchone()
    if rows is None:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    order = np.argsort(rows, kind="stable")
    return np.asarray(rows, np.int64)[order], np.asarray(values, np.float64)[order].astype(np.float32)


def dense_of(conn, g: Generation, vec: np.ndarray, where: list[tuple[int, int]] | list[int], unit: str) -> tuple[np.ndarray, np.ndarray]:
    """(rows, dense scores) of the rows in `where` (row ranges, or a list of rows), ascending: chunk cosine,
    best sentence cosine, or their mean (chunk cosine when the index has no sentence vectors)."""
    unit = unit if g.has_sentences else "chunk"
    params = {"q": np.asarray(vec, np.float32), "rows": list(where)}
    if unit != "sentence":
        cond = _within("row_id", where) if _are_ranges(where) else sql.SQL("row_id = ANY(%(rows)s)")
        rows, chunk = _arrays(conn, sql.SQL("SELECT row_id, -(embedding <#> %(q)s) FROM {}.chunks WHERE {}")
                              .format(g.schema, cond), params)
        if unit == "chunk":
            return rows, chunk
    cond = _within("chunk_row", where) if _are_ranges(where) else sql.SQL("chunk_row = ANY(%(rows)s)")
    s_rows, best = _arrays(conn, sql.SQL("SELECT chunk_row, max(-(embedding <#> %(q)s)) FROM {}.sentences WHERE {} GROUP BY 1")
                           .format(g.schema, cond), params)
    if unit == "sentence":
        return s_rows, best
    # as the files store: the mean of the two float32 cosines, in float32 (a chunk always has a sentence)
    return rows, (chunk + best[np.searchsorted(s_rows, rows)]) / 2


def _are_ranges(where) -> bool:
    return bool(where) and isinstance(where[0], tuple)


def bm25_of(conn, g: Generation, terms: list[str], where: list[tuple[int, int]] | list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, BM25 scores), ascending, of the rows in `where` (row ranges, or a list of rows) that have a query term."""
    distinct, qtf = _query_terms(terms)
    cond = _within("p.row_id", where) if _are_ranges(where) else sql.SQL("p.row_id = ANY(%(rows)s)")
    return _arrays(conn, sql.SQL(_TERMS_CTE + " SELECT p.row_id, sum(q.qtf * p.weight::float8) FROM q "
                                 "JOIN {}.postings p ON p.term = q.term AND {} GROUP BY 1").format(g.schema, cond),
                   {"terms": distinct, "qtf": qtf, "rows": list(where)})


def _as_dict(rows: np.ndarray, values: np.ndarray) -> dict[int, float]:
    return dict(zip(rows.tolist(), values.astype(np.float64).tolist()))


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
        dense.update(_as_dict(*dense_of(conn, g, req.query_vector, missing, req.dense_unit)))
    previous = [int(r) - 1 for r in rows if g.continues[r]]
    if req.mode in ("bm25", "hybrid") and req.terms and (missing := sorted({*rows.tolist(), *previous} - set(bm25))):
        bm25.update({r: 0.0 for r in missing})
        bm25.update(_as_dict(*bm25_of(conn, g, req.terms, missing)))
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
    if not exact and len(got) < min(limit, _count(ranges or [(0, g.n - 1)])):
        # a filtered HNSW scan gives up after hnsw.max_scan_tuples rows: a document far from the question is
        # then scanned exactly (costs ~1-2 us per row of its)
        return dense_top(conn, g, vec, n, ranges, unit, exact=True)
    scores = dict(got) if unit == "chunk" else _as_dict(*dense_of(conn, g, vec, [r for r, _ in got], unit))
    return dict(sorted(scores.items(), key=lambda t: (-t[1], t[0]))[:n])  # relaxed_order: sorted here


def keyword_top(conn, g: Generation, terms: list[str], n: int, ranges: list[tuple[int, int]] | None, w: float,
                exact: bool) -> tuple[list[int], dict[int, float]]:
    """(rows of the n best keyword scores in `ranges`, exact BM25 of every row they need).

    The keyword score is BM25 plus `w` times the previous row's in the same section. `exact`: the ranges are
    small, their postings are summed directly. Otherwise (MaxScore, Turtle and Flood 1995), within a budget
    of POSTING_BUDGET postings: the rarest terms' postings are read whole, the next term's best weights
    first; the rows met get their partial score, and those that can still reach the top n (partial score
    plus the most the unread postings can add) get their exact score. A row holding none of the postings
    read scores at most the sum of the unread terms' largest weights: when the n-th best beats that, the top
    n are exact (most searches; `Generation.cache["keyword"]` counts them), else they are the best rows
    holding the query's rarer terms."""
    if exact:
        bm25 = _as_dict(*bm25_of(conn, g, terms, ranges))
        rows = set(bm25) | {r + 1 for r in bm25 if r + 1 < g.n and g.continues[r + 1]}
        scored = sorted(((-_keyword(bm25, g.continues, r, w), r) for r in rows))
        return [r for s, r in scored[:n] if s < 0], bm25
    distinct, counts = _query_terms(terms)
    qtf = dict(zip(distinct, counts))
    known = _term_stats(conn, g, distinct)
    plan, left = [], POSTING_BUDGET
    for term in sorted(known, key=lambda t: (known[t][0], t)):  # rarest first
        if left <= 0:
            break
        plan.append((term, min(known[term][0], left)))
        left -= known[term][0]
    if not plan:
        return [], {}
    got = conn.cursor(binary=True).execute(sql.SQL(
        "SELECT array_agg(t.i), array_agg(p.row_id), array_agg(p.weight::float8) FROM unnest(%(terms)s::text[], %(limits)s::int[]) "
        "WITH ORDINALITY AS t(term, lim, i) CROSS JOIN LATERAL (SELECT row_id, weight FROM {}.postings "
        'WHERE term = t.term COLLATE "C" AND {} ORDER BY weight DESC, row_id LIMIT t.lim) p').format(g.schema, _within("row_id", ranges)),
        {"terms": [t for t, _ in plan], "limits": [lim for _, lim in plan]}).fetchone()
    which = np.asarray(got[0] or [], np.int64) - 1
    met = np.asarray(got[1] or [], np.int64)
    weight = np.asarray(got[2] or [], np.float64)
    read = np.bincount(which, minlength=len(plan))
    plan_qtf = np.array([qtf[t] for t, _ in plan], np.float64)
    # the most an unread posting of each planned term can weigh: 0 when its list was read whole
    last = np.zeros(len(plan))
    for i, (term, limit) in enumerate(plan):
        if read[i] == limit and limit < known[term][0]:
            last[i] = weight[which == i].min()
    unread = sum(qtf[t] * known[t][1] for t in known if t not in dict(plan))  # terms not read at all
    bound = float(unread + plan_qtf @ last)  # BM25 of a row holding no posting read
    rows, at = np.unique(met, return_inverse=True)
    partial = np.bincount(at, weights=plan_qtf[which] * weight, minlength=len(rows))
    seen = np.zeros((len(rows), len(plan)), dtype=bool)
    seen[at, which] = True
    high = partial + unread + (~seen * (plan_qtf * last)).sum(axis=1)
    cont = g.continues
    following = rows[(rows + 1 < g.n)] + 1
    everyone = np.union1d(rows, following[cont[following]])

    def lookup(values: np.ndarray, keys: np.ndarray, missing: float) -> np.ndarray:
        i = np.minimum(np.searchsorted(rows, keys), len(rows) - 1)
        return np.where(rows[i] == keys, values[i], missing)

    context = w * cont[everyone]
    low_k = lookup(partial, everyone, 0.0) + context * lookup(partial, everyone - 1, 0.0)
    high_k = lookup(high, everyone, bound) + context * lookup(high, everyone - 1, bound)
    threshold = np.sort(low_k)[-n] if len(low_k) >= n else 0.0
    contenders = everyone[(high_k >= threshold) & (high_k > 0)]
    need = np.union1d(contenders, contenders[cont[contenders]] - 1)
    exact_known = lookup(high - partial, need, bound) == 0  # every posting of theirs was read
    bm25 = dict(zip(need[exact_known].tolist(), lookup(partial, need[exact_known], 0.0).tolist()))
    unresolved = need[~exact_known].tolist()
    if unresolved:
        bm25.update({r: 0.0 for r in unresolved})
        bm25.update(_as_dict(*bm25_of(conn, g, terms, unresolved)))
    scored = sorted((-_keyword(bm25, cont, r, w), r) for r in contenders.tolist())
    top = [r for s, r in scored[:n] if s < 0]
    tally = g.cache.setdefault("keyword", {"searches": 0, "exact": 0})
    tally["searches"] += 1
    tally["exact"] += int(bound == 0 or (len(scored) >= n and -scored[n - 1][0] > bound * (1 + w)))
    return top, bm25


def _term_stats(conn, g: Generation, terms: list[str]) -> dict[str, tuple[int, float]]:
    """(document frequency, largest posting weight) of the terms the index has, cached per generation."""
    cache: dict[str, tuple[int, float] | None] = g.cache.setdefault("term_stats", {})
    missing = [t for t in terms if t not in cache]
    if missing:
        cache.update(dict.fromkeys(missing))
        cache.update({t: (df, mw) for t, df, mw in conn.execute(sql.SQL(
            'SELECT term, df, max_weight::float8 FROM {}.terms WHERE term = ANY(%s::text[] COLLATE "C")').format(g.schema),
            [missing]).fetchall()})
    return {t: cache[t] for t in terms if cache[t] is not None}


# --- statistics of every allowed row, from the sample (large indexes) -----------------------------------

def _sample(conn, g: Generation) -> tuple[np.ndarray, np.ndarray]:
    """(sample rows, their chunk vectors), loaded once per generation."""
    if "sample" not in g.cache:
        rows = sample_rows(g.n, int(g.params["sample_size"]))
        got = conn.cursor(binary=True).execute(sql.SQL("SELECT row_id, embedding FROM {}.chunks WHERE row_id = ANY(%s) "
                                                       "ORDER BY row_id").format(g.schema), [rows.tolist()]).fetchall()
        g.cache["sample"] = (rows, np.stack([v for _, v in got]).astype(np.float32))
    return g.cache["sample"]


def _sentence_sample(conn, g: Generation) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rows, their chunk vectors, first sentence of each row, sentence vectors) of SENTENCE_SAMPLE rows."""
    if "sentence_sample" not in g.cache:
        rows = sample_rows(g.n, SENTENCE_SAMPLE).tolist()
        cur = conn.cursor(binary=True)
        got = cur.execute(sql.SQL("SELECT chunk_row, embedding FROM {}.sentences WHERE chunk_row = ANY(%s) "
                                  "ORDER BY chunk_row, idx").format(g.schema), [rows]).fetchall()
        chunks = cur.execute(sql.SQL("SELECT embedding FROM {}.chunks WHERE row_id = ANY(%s) ORDER BY row_id")
                             .format(g.schema), [rows]).fetchall()
        of = np.array([r for r, _ in got], dtype=np.int64)
        g.cache["sentence_sample"] = (np.array(rows, dtype=np.int64), np.stack([v for v, in chunks]).astype(np.float32),
                                      np.searchsorted(of, rows), np.stack([v for _, v in got]).astype(np.float32))
    return g.cache["sentence_sample"]


def _in(rows: np.ndarray, ranges: list[tuple[int, int]] | None) -> np.ndarray:
    if ranges is None:
        return np.ones(len(rows), dtype=bool)
    return np.logical_or.reduce([(rows >= lo) & (rows <= hi) for lo, hi in ranges])


def dense_stats(conn, g: Generation, vec: np.ndarray, ranges, unit: str) -> tuple[float, float]:
    """(mean, std) of the dense scores of the allowed rows, estimated on the sample."""
    unit = unit if g.has_sentences else "chunk"
    if unit == "chunk":
        rows, vectors = _sample(conn, g)
        return mean_std(vectors[_in(rows, ranges)] @ vec)
    rows, chunk_vectors, starts, vectors = _sentence_sample(conn, g)
    keep = _in(rows, ranges)
    best = np.maximum.reduceat(vectors @ vec, starts)[keep]
    return mean_std(best if unit == "sentence" else (chunk_vectors[keep] @ vec + best) / 2)


def keyword_stats(conn, g: Generation, terms: list[str], ranges, w: float) -> tuple[float, float]:
    """(mean, std) of the keyword scores (BM25 plus section context) of the allowed rows, on the sample."""
    rows = _sample(conn, g)[0]
    rows = rows[_in(rows, ranges)]
    if not terms or not len(rows):
        return 0.0, 0.0
    distinct, qtf = _query_terms(terms)
    table = sql.Identifier("postings_sample" if g.n > int(g.params["sample_size"]) else "postings")
    got, scores = _arrays(conn, sql.SQL(_TERMS_CTE + " SELECT p.row_id, sum(q.qtf * p.weight::float8) FROM q JOIN "
                                        "{}.{} p ON p.term = q.term GROUP BY 1").format(g.schema, table),
                          {"terms": distinct, "qtf": qtf})

    def at(keys: np.ndarray) -> np.ndarray:  # the BM25 of these rows, 0 for a row without a query term
        i = np.minimum(np.searchsorted(got, keys), max(len(got) - 1, 0))
        found = (got[i] == keys) if len(got) else np.zeros(len(keys), dtype=bool)
        return np.where(found, scores[i] if len(got) else 0.0, 0.0)

    keyword = at(rows) + (w * g.continues[rows] * at(rows - 1) if w else 0.0)
    return mean_std(keyword)
