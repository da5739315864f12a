"""Scoring in PostgreSQL: the dense and BM25 scores the retriever fuses (rag.index.interface.Scores).

Two paths, chosen by how many rows a search may return (the whole index, or the rows of the documents it
is filtered on), against the generation's `exact_below` (rag.index.postgres.write.EXACT_BELOW):
- up to it, every allowed row is scored, exactly as the files store does: a dense scan of the rows'
  vectors and a BM25 sum over the query terms' postings (`Scores.complete`);
- above it, only candidates: the dense top rows from the HNSW index, the BM25 top rows found by MaxScore
  within a budget of postings (`keyword_contenders`), each candidate completed with its other score, and
  the z-score statistics estimated on a fixed, evenly spread sample of rows (rag.index.statistics).
A document's chunks are consecutive rows, so a document filter is a row range. Queries that do not depend
on one another go in one round trip (psycopg's pipeline mode): a large-index search makes three (four when
its first round finds a document far from the question, or meets a generation for the first time).

One module, longer than most: the two paths share their SQL fragments, the batching and the statistics, and
each must score exactly as the files store does; split, a reader would have to hold both halves at once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from psycopg import sql

from rag.index.interface import ScoreRequest, Scores
from rag.index.statistics import KEYWORD_SAMPLE, SENTENCE_SAMPLE, mean_std, moment_stats, sample_rows
from rag.index.threads import one_blas_thread

POSTING_BUDGET = 5_000  # postings a search of a large index reads to find its BM25 candidates


@dataclass
class Generation:
    """What a search needs to know of one build, loaded once when the store meets it."""

    gen: int
    manifest: dict[str, Any]
    params: dict[str, Any]
    continues: np.ndarray  # bool per row: same section as the row before
    docs: list[dict[str, Any]]  # id, metadata, chunk count and row range of every document, in corpus order
    cache: dict[str, Any] = field(default_factory=dict)  # samples loaded on first use, term statistics, counters

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


class Batch:
    """Queries sent in one round trip (psycopg's pipeline mode); `run()` returns each one's rows."""

    def __init__(self, conn):
        self.conn, self.items = conn, []

    def add(self, query: sql.Composable, params: dict | None = None) -> int:
        self.items.append((query, params))
        return len(self.items) - 1

    def run(self) -> list[list[tuple]]:
        if not self.items:
            return []
        cursors = []
        with self.conn.pipeline():
            for query, params in self.items:
                cursors.append(self.conn.cursor(binary=True))  # arrays of numbers travel as binary
                cursors[-1].execute(query, params)
        self.items = []
        return [c.fetchall() for c in cursors]


def _count(ranges: list[tuple[int, int]]) -> int:
    return sum(hi - lo + 1 for lo, hi in ranges)


def _within(column: str, where: list[tuple[int, int]] | list[int] | None) -> sql.Composable:
    """SQL condition: `column` in the row ranges, or in the list of rows (%(rows)s), or TRUE for None."""
    if where is None:
        return sql.SQL("TRUE")
    if where and not isinstance(where[0], tuple):
        return sql.SQL("{} = ANY(%(rows)s::int[])").format(sql.SQL(column))
    return sql.SQL("({})").format(sql.SQL(" OR ").join(
        sql.SQL("{} BETWEEN {} AND {}").format(sql.SQL(column), sql.Literal(lo), sql.Literal(hi)) for lo, hi in where))


def _rows_param(where) -> list[int]:
    return [] if where is None or (where and isinstance(where[0], tuple)) else [int(r) for r in where]


def _query_terms(terms: list[str]) -> tuple[list[str], list[int]]:
    """Distinct terms and how often the query has each (bm25s counts a repeated term once per occurrence)."""
    counts = Counter(terms)
    return list(counts), list(counts.values())


def _arrays(cell: tuple) -> list[np.ndarray]:
    """The columns of an `array_agg` row, as arrays ordered by the first (rows); empty when nothing matched."""
    if cell[0] is None:
        return [np.zeros(0, np.int64)] + [np.zeros(0, np.float64) for _ in cell[1:]]
    order = np.argsort(np.asarray(cell[0], np.int64), kind="stable")
    return [np.asarray(cell[0], np.int64)[order]] + [np.asarray([np.nan if v is None else v for v in c], np.float64)[order]
                                                      for c in cell[1:]]


def _as_dict(rows: np.ndarray, values: np.ndarray) -> dict[int, float]:
    return dict(zip(rows.tolist(), np.asarray(values, np.float64).tolist()))


def score(conn, g: Generation, request: ScoreRequest) -> Scores:
    ranges = g.ranges(request.doc_ids)
    if _count(ranges) <= g.params["exact_below"]:
        return _score_every_row(conn, g, request, ranges)
    with one_blas_thread():  # the sample's statistics
        return _score_candidates(conn, g, request, None if not request.doc_ids else ranges)


# --- queries -------------------------------------------------------------------------------------------

def _dense_query(g: Generation, vec: np.ndarray, where, unit: str) -> tuple[sql.Composable, dict]:
    """(rows, chunk cosines, best sentence cosines) of the rows in `where`, as arrays (the unit's parts only)."""
    params = {"q": vec, "rows": _rows_param(where)}
    if unit == "chunk":
        inner = sql.SQL("SELECT row_id, -(embedding <#> %(q)s), NULL::float8 FROM {}.chunks WHERE {}").format(
            g.schema, _within("row_id", where))
    else:
        best = sql.SQL("SELECT chunk_row, max(-(embedding::vector <#> %(q)s)) AS best FROM {}.sentences WHERE {} GROUP BY 1").format(
            g.schema, _within("chunk_row", where))
        if unit == "sentence":
            inner = sql.SQL("SELECT chunk_row, NULL::float8, best FROM ({}) s").format(best)
        else:
            inner = sql.SQL("SELECT c.row_id, -(c.embedding <#> %(q)s), s.best FROM {}.chunks c JOIN ({}) s "
                            "ON s.chunk_row = c.row_id WHERE {}").format(g.schema, best, _within("c.row_id", where))
    return sql.SQL("SELECT array_agg(r), array_agg(c), array_agg(s) FROM ({}) AS x(r, c, s)").format(inner), params


def _dense_top_query(g: Generation, vec: np.ndarray, n: int, where, unit: str, exact: bool) -> tuple[sql.Composable, dict]:
    """The n best rows of `where` (None: all) by chunk cosine through the HNSW index (an iterative scan when
    filtered), or scanned exactly; for best-sentence units the chunk index's top 4n, with their best sentence."""
    # "+ 0": an ORDER BY the HNSW index cannot serve, so the (few) rows of the ranges are scanned exactly
    order = sql.SQL("(embedding <#> %(q)s) + 0" if exact else "embedding <#> %(q)s")
    chunks = sql.SQL("SELECT row_id, -(embedding <#> %(q)s) AS score FROM {}.chunks WHERE {} ORDER BY {} LIMIT {}").format(
        g.schema, _within("row_id", where), order, sql.Literal(n if unit == "chunk" else 4 * n))
    if unit == "chunk":
        inner = sql.SQL("SELECT row_id, score, NULL::float8 FROM ({}) c").format(chunks)
    else:
        inner = sql.SQL("SELECT c.row_id, c.score, max(-(s.embedding::vector <#> %(q)s)) FROM ({}) c JOIN {}.sentences s "
                        "ON s.chunk_row = c.row_id GROUP BY 1, 2").format(chunks, g.schema)
    return sql.SQL("SELECT array_agg(r), array_agg(c), array_agg(s) FROM ({}) AS x(r, c, s)").format(inner), {"q": vec}


def _dense_values(cell: tuple, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """(rows, dense scores) from a dense query: as the files store computes them, in float32."""
    rows, chunk, best = _arrays(cell)
    if unit == "chunk":
        return rows, chunk.astype(np.float32)
    if unit == "sentence":
        return rows, best.astype(np.float32)
    return rows, (chunk.astype(np.float32) + best.astype(np.float32)) / 2


_TERMS_CTE = 'WITH q AS (SELECT term COLLATE "C" AS term, qtf FROM unnest(%(terms)s::text[], %(qtf)s::int[]) AS t(term, qtf))'


def _bm25_query(g: Generation, terms: list[str], where) -> tuple[sql.Composable, dict]:
    """(rows, BM25 scores) of the rows in `where` that hold a query term."""
    distinct, qtf = _query_terms(terms)
    return sql.SQL(_TERMS_CTE + " SELECT array_agg(r), array_agg(v) FROM (SELECT p.row_id, sum(q.qtf * p.weight::float8) "
                   "FROM q JOIN {}.{} p ON p.term = q.term AND {} GROUP BY 1) AS x(r, v)").format(
        g.schema, sql.Identifier("postings"), _within("p.row_id", where)), {"terms": distinct, "qtf": qtf, "rows": _rows_param(where)}


def _postings_query(g: Generation, terms: list[str], where) -> tuple[sql.Composable, dict]:
    """The postings MaxScore reads, within POSTING_BUDGET: the rarest terms' whole lists, then the next term's
    best weights first (the same plan as keyword_contenders makes from the terms' statistics)."""
    distinct, _ = _query_terms(terms)
    return sql.SQL(
        'WITH t AS (SELECT term, row_number() OVER (ORDER BY df, term) AS i, '
        'greatest(0, least(df, %(budget)s - (sum(df) OVER (ORDER BY df, term) - df)))::int AS lim '
        'FROM {g}.terms WHERE term = ANY(%(terms)s::text[] COLLATE "C")) '
        "SELECT array_agg(t.i), array_agg(p.row_id), array_agg(p.weight::float8) FROM t CROSS JOIN LATERAL "
        "(SELECT row_id, weight FROM {g}.postings WHERE term = t.term AND {within} ORDER BY weight DESC, row_id LIMIT t.lim) p "
        "WHERE t.lim > 0").format(g=g.schema, within=_within("row_id", where)), {"terms": distinct, "budget": POSTING_BUDGET}


def _term_stats_query(g: Generation, terms: list[str]) -> tuple[sql.Composable, dict]:
    return sql.SQL('SELECT term, df, max_weight::float8 FROM {}.terms WHERE term = ANY(%(terms)s::text[] COLLATE "C")').format(
        g.schema), {"terms": _query_terms(terms)[0]}


# --- every allowed row (small indexes, small filters) ----------------------------------------------

def _score_every_row(conn, g: Generation, req: ScoreRequest, ranges: list[tuple[int, int]]) -> Scores:
    rows = np.concatenate([np.arange(lo, hi + 1, dtype=np.int64) for lo, hi in ranges])
    unit = req.dense_unit if g.has_sentences else "chunk"
    vec = None if req.query_vector is None else np.asarray(req.query_vector, np.float32)
    keyword_mode = req.mode in ("bm25", "hybrid")
    batch = Batch(conn)
    d_q = batch.add(*_dense_query(g, vec, ranges, unit)) if vec is not None else None
    b_q = batch.add(*_bm25_query(g, req.terms, ranges)) if keyword_mode and req.terms else None
    got = batch.run()
    dense = bm25 = keyword = None
    if d_q is not None:
        dense = np.zeros(len(rows), dtype=np.float32)
        found, scores = _dense_values(got[d_q][0], unit)
        dense[np.searchsorted(rows, found)] = scores
    if keyword_mode:
        bm25 = np.zeros(len(rows), dtype=np.float32)
        if b_q is not None:
            found, scores = _arrays(got[b_q][0])
            bm25[np.searchsorted(rows, found)] = scores
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


def _keyword(bm25: dict[int, float], continues: np.ndarray, row: int, w: float) -> float:
    own = bm25.get(row, 0.0)
    return own + w * bm25.get(row - 1, 0.0) if continues[row] else own


# --- candidates (large indexes) ----------------------------------------------------------------------

def _score_candidates(conn, g: Generation, req: ScoreRequest, ranges: list[tuple[int, int]] | None) -> Scores:
    """(1) each ranking's candidates, the statistics' sample scores; (2) the exact BM25 of the keyword
    contenders and dense candidates; (3) the dense scores of the keyword top rows: three round trips (four
    the first time a generation is met: its sample)."""
    preferred = g.ranges([req.preferred]) if req.preferred else None
    scopes = [(ranges, False)] + ([(preferred, _count(preferred) <= g.params["exact_below"])] if preferred else [])
    vec = None if req.query_vector is None else np.asarray(req.query_vector, np.float32)
    unit = req.dense_unit if g.has_sentences else "chunk"
    keyword_mode = req.mode in ("bm25", "hybrid") and bool(req.terms)
    w = req.context_weight if req.mode == "hybrid" else 0.0
    hybrid = req.mode == "hybrid"
    batch = Batch(conn)
    dense_q = [batch.add(*_dense_top_query(g, vec, req.n, where, unit, exact)) for where, exact in scopes] if vec is not None else []
    keyword_q = ([batch.add(*(_bm25_query(g, req.terms, where) if exact else _postings_query(g, req.terms, where)))
                  for where, exact in scopes] if keyword_mode else [])
    stats_q = batch.add(*_term_stats_query(g, req.terms)) if keyword_mode else None
    sample_q = batch.add(*_sample_bm25_query(g, req.terms)) if keyword_mode and hybrid else None
    first = batch.run()

    dense: dict[int, float] = {}
    candidates: set[int] = set()
    for (where, exact), q in zip(scopes, dense_q):
        rows, scores = _dense_values(first[q][0], unit)
        if not exact and len(rows) < min(req.n, _count(where or [(0, g.n - 1)])):
            # a filtered HNSW scan gives up after hnsw.max_scan_tuples rows: a document far from the question
            # is then scanned exactly (~1-2 us per row of its)
            again = Batch(conn)
            again.add(*_dense_top_query(g, vec, req.n, where, unit, True))
            rows, scores = _dense_values(again.run()[0][0], unit)
        top = sorted(zip(scores.tolist(), rows.tolist()), key=lambda t: (-t[0], t[1]))[:req.n]  # relaxed order: sorted here
        dense.update((r, s) for s, r in top)
        candidates.update(r for _, r in top)
    bm25: dict[int, float] = {}
    contenders: list[tuple[np.ndarray, float]] = []
    if keyword_mode:
        term_stats = {t: (df, mw) for t, df, mw in first[stats_q]}
        for (where, exact), q in zip(scopes, keyword_q):
            contenders.append(keyword_contenders(g, req.terms, term_stats, first[q][0], req.n, w, exact, bm25))

    # (2) exact BM25 of the keyword contenders and of the dense candidates (with the row before each, for the
    # section context)
    wanted = candidates | {r for rows, _ in contenders for r in rows.tolist()}
    need_bm25 = sorted((wanted | {r - 1 for r in wanted if g.continues[r]}) - set(bm25)) if keyword_mode else []
    if need_bm25:
        bm25.update(dict.fromkeys(need_bm25, 0.0))
        batch = Batch(conn)
        batch.add(*_bm25_query(g, req.terms, need_bm25))
        bm25.update(_as_dict(*_arrays(batch.run()[0][0])))
    tally = g.cache.setdefault("keyword", {"searches": 0, "exact": 0})
    for rows, bound in contenders:  # each scope's keyword top n, now exactly known
        scored = sorted((-_keyword(bm25, g.continues, r, w), r) for r in rows.tolist())
        candidates.update(r for s, r in scored[:req.n] if s < 0)
        tally["searches"] += 1
        tally["exact"] += int(bound == 0 or (len(scored) >= req.n and -scored[req.n - 1][0] > bound * (1 + w)))
    # (3) dense scores of the keyword top rows: only those, not of every contender (thousands when a question's
    # words are frequent, each with its sentences: seconds at a million chunks, for rows the fusion never sees)
    need_dense = sorted(candidates - set(dense)) if vec is not None else []
    if need_dense:
        batch = Batch(conn)
        batch.add(*_dense_query(g, vec, need_dense, unit))
        dense.update(_as_dict(*_dense_values(batch.run()[0][0], unit)))

    rows = np.array(sorted(candidates), dtype=np.int64)
    d = None if vec is None else np.array([dense[r] for r in rows], dtype=np.float32)
    b = k = None
    if req.mode in ("bm25", "hybrid"):
        b = np.array([bm25.get(r, 0.0) for r in rows], dtype=np.float32)
        k = np.array([_keyword(bm25, g.continues, r, w) for r in rows], dtype=np.float32) if w else b
    stats = {}
    if hybrid:
        stats = {"dense_stats": dense_stats(conn, g, vec, ranges, unit),
                 "keyword_stats": (0.0, 0.0) if sample_q is None else keyword_stats(g, first[sample_q][0], ranges, w)}
    return Scores(rows=rows, dense=d, bm25=b, keyword=k, preferred=_preferred(g, rows, req.preferred), complete=False, **stats)


def keyword_contenders(g: Generation, terms: list[str], term_stats: dict[str, tuple[int, float]], cell: tuple, n: int,
                       w: float, exact: bool, bm25: dict[int, float]) -> tuple[np.ndarray, float]:
    """(rows that may be among the n best keyword scores, bound) from the postings read; fills `bm25` with
    the scores already exact.

    The keyword score is BM25 plus `w` times the previous row's in the same section. `exact` (a small
    document): `cell` holds every row's BM25. Otherwise (MaxScore, Turtle and Flood 1995) it holds the
    postings _postings_query read: each row met has a partial score and, from the unread postings, a most
    it can reach; the rows whose most beats the n-th best partial score are the contenders, scored exactly
    next. A row holding none of the postings read scores at most `bound` (0 when every list was read):
    when the n-th best exact score beats bound * (1 + w) the top n are exact (most searches; counted in
    Generation.cache["keyword"]), else they are the best rows holding the query's rarer terms."""
    cont = g.continues
    if exact:
        rows, scores = _arrays(cell)
        bm25.update(_as_dict(rows, scores))
        following = rows[rows + 1 < g.n] + 1
        return np.union1d(rows, following[cont[following]]), 0.0
    distinct, counts = _query_terms(terms)
    qtf = dict(zip(distinct, counts))
    plan, left = [], POSTING_BUDGET  # as _postings_query plans it: rarest first, within the budget
    for term in sorted(term_stats, key=lambda t: (term_stats[t][0], t.encode())):
        if left > 0:
            plan.append((term, min(term_stats[term][0], left)))
        left -= term_stats[term][0]
    if not plan or cell[0] is None:
        return np.zeros(0, np.int64), 0.0
    index = {t: i for i, (t, _) in enumerate(plan)}
    which = np.asarray(cell[0], np.int64) - 1  # the term's rank in the plan (the query orders them alike)
    met = np.asarray(cell[1], np.int64)
    weight = np.asarray(cell[2], np.float64)
    read = np.bincount(which, minlength=len(plan))
    plan_qtf = np.array([qtf[t] for t, _ in plan], np.float64)
    last = np.zeros(len(plan))  # the most an unread posting of each planned term weighs: 0 for a list read whole
    for i, (term, limit) in enumerate(plan):
        if read[i] == limit and limit < term_stats[term][0]:
            last[i] = weight[which == i].min()
    unread = sum(qtf[t] * term_stats[t][1] for t in term_stats if t not in index)
    bound = float(unread + plan_qtf @ last)
    rows, at = np.unique(met, return_inverse=True)
    partial = np.bincount(at, weights=plan_qtf[which] * weight, minlength=len(rows))
    seen = np.zeros((len(rows), len(plan)), dtype=bool)
    seen[at, which] = True
    high = partial + unread + (~seen * (plan_qtf * last)).sum(axis=1)
    following = rows[rows + 1 < g.n] + 1
    everyone = np.union1d(rows, following[cont[following]])

    def lookup(values: np.ndarray, keys: np.ndarray, missing: float) -> np.ndarray:
        i = np.minimum(np.searchsorted(rows, keys), len(rows) - 1)
        return np.where(rows[i] == keys, values[i], missing)

    context = w * cont[everyone]
    low_k = lookup(partial, everyone, 0.0) + context * lookup(partial, everyone - 1, 0.0)
    high_k = lookup(high, everyone, bound) + context * lookup(high, everyone - 1, bound)
    threshold = np.sort(low_k)[-n] if len(low_k) >= n else 0.0
    contenders = everyone[(high_k >= threshold) & (high_k > 0)]
    complete = rows[high == partial]  # every posting of theirs was read: their BM25 is exact already
    bm25.update(_as_dict(complete, partial[high == partial]))
    return contenders, bound


# --- statistics of every allowed row, from the sample (large indexes) -----------------------------------

def _sample(conn, g: Generation) -> tuple[np.ndarray, np.ndarray]:
    """(sample rows, their chunk vectors), loaded once per generation."""
    if "sample" not in g.cache:
        rows = sample_rows(g.n, int(g.params["sample_size"]))
        got = conn.cursor(binary=True).execute(sql.SQL("SELECT row_id, embedding FROM {}.chunks WHERE row_id = ANY(%s) "
                                                       "ORDER BY row_id").format(g.schema), [rows.tolist()]).fetchall()
        g.cache["sample"] = (rows, np.stack([v for _, v in got]).astype(np.float32))
    return g.cache["sample"]


def _moments(conn, g: Generation) -> np.ndarray:
    if "moments" not in g.cache:
        dim, raw = conn.execute(sql.SQL("SELECT dim, mean_and_second FROM {}.moments").format(g.schema)).fetchone()
        g.cache["moments"] = np.frombuffer(raw, dtype=np.float64).reshape(dim + 1, dim)
    return g.cache["moments"]


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


def _in(rows: np.ndarray, ranges: list[tuple[int, int]] | None) -> np.ndarray | slice:
    if ranges is None:
        return slice(None)
    return np.logical_or.reduce([(rows >= lo) & (rows <= hi) for lo, hi in ranges])


def dense_stats(conn, g: Generation, vec: np.ndarray, ranges, unit: str) -> tuple[float, float]:
    """(mean, std) of the dense scores of the allowed rows: exact for whole-chunk scores of the whole index
    (from the vectors' moments), else estimated on the sample."""
    if unit == "chunk" and ranges is None:
        return moment_stats(_moments(conn, g), vec)
    if unit == "chunk":
        rows, vectors = _sample(conn, g)
        return mean_std(vectors[_in(rows, ranges)] @ vec)
    rows, chunk_vectors, starts, vectors = _sentence_sample(conn, g)
    keep = _in(rows, ranges)
    best = np.maximum.reduceat(vectors @ vec, starts)[keep]
    return mean_std(best if unit == "sentence" else (chunk_vectors[keep] @ vec + best) / 2)


def _sample_bm25_query(g: Generation, terms: list[str]) -> tuple[sql.Composable, dict]:
    """BM25 of the sample rows (and of the rows before them) that hold a query term."""
    distinct, qtf = _query_terms(terms)
    table = sql.Identifier("postings_sample" if g.n > int(g.params.get("keyword_sample", KEYWORD_SAMPLE)) else "postings")
    return sql.SQL(_TERMS_CTE + " SELECT array_agg(r), array_agg(v) FROM (SELECT p.row_id, sum(q.qtf * p.weight::float8) "
                   "FROM q JOIN {}.{} p ON p.term = q.term GROUP BY 1) AS x(r, v)").format(g.schema, table), {"terms": distinct, "qtf": qtf}


def keyword_stats(g: Generation, cell: tuple, ranges, w: float) -> tuple[float, float]:
    """(mean, std) of the keyword scores (BM25 plus section context) of the allowed sample rows."""
    rows = sample_rows(g.n, int(g.params.get("keyword_sample", KEYWORD_SAMPLE)))
    rows = rows[_in(rows, ranges)]
    got, scores = _arrays(cell)

    def at(keys: np.ndarray) -> np.ndarray:  # the BM25 of these rows, 0 for a row without a query term
        if not len(got):
            return np.zeros(len(keys))
        i = np.minimum(np.searchsorted(got, keys), len(got) - 1)
        return np.where(got[i] == keys, scores[i], 0.0)

    return mean_std(at(rows) + (w * g.continues[rows] * at(rows - 1) if w else 0.0))
