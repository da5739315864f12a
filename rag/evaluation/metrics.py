"""Evaluation metrics: pure functions over per-question records, no LLM, no model.

A record is one line of `results.jsonl`: the question's fields (`id`, `question`, `facts`,
`evidence`, `answerable`, `category`, ...) plus the `rag ask --json` output (`answer`, `abstained`,
`citations`, `passages`, `timings_ms`), optionally `retrieved` (the top-10 ranking used for the
retrieval metrics) and `error` (the question raised). Every number in `metrics.json` is computed
here from those JSON fields only, so an outside script can recompute it.

Definitions (documented for users in docs/evaluation.md; all matching uses `normalize_for_match`,
the contract's normalisation):
- a passage is *relevant* when it contains any `evidence` string;
- retrieval metrics cover answerable questions that have evidence; the ranking is `retrieved`
  when present (10 passages, so @10 means something) else `passages`;
- hit@k: a relevant passage is in the top k; recall@k: share of the evidence strings found in the
  top k; MRR: 1/rank of the first relevant passage (0 when none in the ranking); nDCG@10: binary
  gains, ideal ranking = the relevant passages of the ranking put first (the corpus has no exhaustive
  relevance labels, so this measures ordering, hit@10 measures finding);
- answer.fact_recall: share of a question's facts found in its answer, averaged over answerable
  questions with facts (an abstention finds none); answer.all_facts: share with every fact found;
- answer.accuracy (the primary metric): an answerable question is right when the assistant answered
  and every fact is in the answer; an unanswerable one is right when the assistant abstained;
- citation support: a citation supports its sentence when its passage contains an evidence string,
  or its quote contains every number of the sentence and at least SUPPORT_SHARE of the sentence's
  content words (words of 4+ letters, or numbers); citation.precision: share of citations (over all
  answered questions) that support the sentence carrying their marker; citation.recall: share of
  answer sentences (marker-free text of 20+ characters) carrying at least one supporting citation;
- citation.evidence_precision: share of citations, over answered answerable questions with evidence, whose
  passage holds one of the question's evidence strings — a sentence added from an unrelated passage
  counts against it, however true the sentence is (the self-consistency `citation.precision` above
  would accept it);
- answer.median_words: median length in words of the answers given (markers removed; refusals excluded);
- abstention: precision = abstentions that were on unanswerable questions / all abstentions;
  recall = unanswerable questions abstained on / unanswerable questions; false_rate = answerable
  questions abstained on / answerable questions;
- latency.<stage>.median / .p95 over the records' `timings_ms` (linear-interpolation percentile);
- category.<name>.<metric>: the same metrics on the questions of one category;
- followup.*: on answerable follow-ups that carry a `standalone` version (asked again without
  history, stored in the record's `standalone_run`): followup.fact_recall / all_facts / hit@5 of the
  follow-ups as asked, followup.standalone.* of their standalone versions, followup.n the pairs.
A metric with nothing to average over is `null`.

This module is longer than the project's usual ~300 lines on purpose: every definition above is implemented
here, next to the others, so that a reader auditing the scoring (or scripts/recompute_metrics.py, which
recomputes it all independently) finds the whole of it in one file.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable

from rag.text.normalize import normalize_for_match

PRIMARY_METRIC = "answer.accuracy"
HIT_KS = (1, 3, 5, 10)
SUPPORT_SHARE = 0.6
MIN_SENTENCE_CHARS = 20

_MARKER = re.compile(r"\[(\d+)\]")
_MARKER_WITH_SPACE = re.compile(r"\s*\[\d+\]")
_LEADING_MARKERS = re.compile(r"^\s*(?:\[\d+\]\s*)+")
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=\S)")


# --- small helpers ---------------------------------------------------------------------------------

def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation, as numpy's default."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _contains(haystack_norm: str, needle: str) -> bool:
    n = normalize_for_match(needle)
    return bool(n) and n in haystack_norm


def ranking(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The ranked passages the retrieval metrics are computed on."""
    ranked = record.get("retrieved")
    if ranked is None:
        ranked = record.get("passages") or []
    return sorted(ranked, key=lambda p: p.get("rank", 0))


def relevance(record: dict[str, Any]) -> list[bool]:
    """For each ranked passage, whether it contains one of the record's evidence strings."""
    evidence = record.get("evidence") or []
    out = []
    for p in ranking(record):
        text = normalize_for_match(p.get("text", ""))
        out.append(any(_contains(text, e) for e in evidence))
    return out


def is_retrieval_scored(record: dict[str, Any]) -> bool:
    """Retrieval metrics apply to answerable questions with evidence."""
    return bool(record.get("answerable", True)) and bool(record.get("evidence"))


# --- retrieval --------------------------------------------------------------------------------------

def hit_at_k(rels: list[bool], k: int) -> float:
    """1.0 when a relevant passage is in the top k."""
    return 1.0 if any(rels[:k]) else 0.0


def reciprocal_rank(rels: list[bool]) -> float:
    """1/rank of the first relevant passage, 0 when there is none."""
    for i, r in enumerate(rels, start=1):
        if r:
            return 1.0 / i
    return 0.0


def ndcg_at_k(rels: list[bool], k: int = 10) -> float:
    """Binary-gain nDCG@k; the ideal ranking puts the ranking's relevant passages first."""
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(rels[:k]) if r)
    n_rel = min(sum(rels), k)
    idcg = sum(1.0 / math.log2(i + 2) for i in range(n_rel))
    return dcg / idcg if idcg else 0.0


def evidence_recall_at_k(record: dict[str, Any], k: int) -> float:
    """Share of the record's evidence strings found in its top-k passages."""
    evidence = [e for e in record.get("evidence") or [] if normalize_for_match(e)]
    if not evidence:
        return 0.0
    # Passage by passage: joining texts could create a match across a passage boundary.
    texts = [normalize_for_match(p.get("text", "")) for p in ranking(record)[:k]]
    return sum(1 for e in evidence if any(_contains(t, e) for t in texts)) / len(evidence)


def retrieval_metrics(records: list[dict[str, Any]], prefix: str = "retrieval.") -> dict[str, float | None]:
    """hit@1/3/5/10, recall@5/10, MRR and nDCG@10 over the records that have evidence."""
    scored = [r for r in records if is_retrieval_scored(r)]
    rels = [relevance(r) for r in scored]
    out: dict[str, float | None] = {}
    for k in HIT_KS:
        out[f"{prefix}hit@{k}"] = _mean([hit_at_k(x, k) for x in rels])
    for k in (5, 10):
        out[f"{prefix}recall@{k}"] = _mean([evidence_recall_at_k(r, k) for r in scored])
    out[f"{prefix}mrr"] = _mean([reciprocal_rank(x) for x in rels])
    out[f"{prefix}ndcg@10"] = _mean([ndcg_at_k(x, 10) for x in rels])
    out[f"{prefix}n"] = len(scored)
    return out


# --- answers ----------------------------------------------------------------------------------------

def fact_recall(record: dict[str, Any]) -> float:
    """Share of the record's facts found in its answer (0 when it abstained or failed)."""
    facts = [f for f in record.get("facts") or [] if normalize_for_match(f)]
    if not facts:
        return 0.0
    if record.get("abstained") or record.get("error"):
        return 0.0
    answer = normalize_for_match(_MARKER.sub(" ", record.get("answer") or ""))
    return sum(1 for f in facts if _contains(answer, f)) / len(facts)


def is_correct(record: dict[str, Any]) -> bool:
    """Answerable: answered with every fact. Unanswerable: abstained."""
    if record.get("error"):
        return False
    if not record.get("answerable", True):
        return bool(record.get("abstained"))
    if record.get("abstained"):
        return False
    return not record.get("facts") or fact_recall(record) == 1.0


def answer_metrics(records: list[dict[str, Any]]) -> dict[str, float | None]:
    """Fact recall, all-facts rate and accuracy."""
    with_facts = [r for r in records if r.get("answerable", True) and r.get("facts")]
    lengths = [n for n in (answer_words(r) for r in records) if n is not None]
    return {
        "answer.fact_recall": _mean([fact_recall(r) for r in with_facts]),
        "answer.all_facts": _mean([1.0 if fact_recall(r) == 1.0 else 0.0 for r in with_facts]),
        "answer.accuracy": _mean([1.0 if is_correct(r) else 0.0 for r in records]),
        "answer.median_words": percentile([float(n) for n in lengths], 50),
    }


# --- citations --------------------------------------------------------------------------------------

def answer_sentences(answer: str) -> list[tuple[str, list[int]]]:
    """The answer cut into sentences: (text without markers, citation numbers it carries).

    A marker placed after the final period ("... 2030. [1]") belongs to the sentence before it.
    """
    parts = _SENTENCE_END.split(answer or "")
    out: list[tuple[str, list[int]]] = []
    for part in parts:
        lead = _LEADING_MARKERS.match(part)
        if lead and out:  # "... 2030. [1] Next sentence": the [1] closes the previous sentence
            out[-1][1].extend(int(m) for m in _MARKER.findall(lead.group(0)))
            part = part[lead.end():]
            if not part.strip():
                continue
        markers = [int(m) for m in _MARKER.findall(part)]
        out.append((_MARKER_WITH_SPACE.sub("", part).strip(), markers))
    return out


def _content_words(text: str) -> list[str]:
    return [w for w in (m.group(0).lower() for m in _WORD.finditer(text)) if len(w) >= 4 or w.isdigit()]


def quote_supports(quote: str, sentence: str) -> bool:
    """The quote contains every number of the sentence and most of its content words."""
    qn = normalize_for_match(quote)
    words = _content_words(sentence)
    if not words:
        return bool(qn)
    numbers = [w for w in words if w.isdigit()]
    if not all(_contains(qn, n) for n in numbers):
        return False
    found = sum(1 for w in words if _contains(qn, w))
    return found / len(words) >= SUPPORT_SHARE


def citation_supports(citation: dict[str, Any], sentence: str, evidence: Iterable[str]) -> bool:
    """A citation supports its sentence: its passage holds evidence, or its quote backs the sentence."""
    text = normalize_for_match(citation.get("text") or "")
    if any(_contains(text, e) for e in evidence):
        return True
    return bool(sentence) and quote_supports(citation.get("quote") or "", sentence)


def citation_judgements(record: dict[str, Any]) -> tuple[list[bool], list[bool]]:
    """(one bool per citation: supports its sentence, one bool per answer sentence: has a supporting citation)."""
    if record.get("abstained") or record.get("error"):
        return [], []
    evidence = record.get("evidence") or []
    by_n = {c.get("n"): c for c in record.get("citations") or []}
    cit_ok: dict[int, bool] = {}
    sent_ok: list[bool] = []
    for text, markers in answer_sentences(record.get("answer") or ""):
        supported = False
        for n in markers:
            c = by_n.get(n)
            ok = c is not None and citation_supports(c, text, evidence)
            if c is not None:
                cit_ok[n] = cit_ok.get(n, False) or ok
            supported = supported or ok
        if len(text) >= MIN_SENTENCE_CHARS:
            sent_ok.append(supported)
    # A listed citation that no sentence carries supports nothing.
    cits = [cit_ok.get(n, False) for n in by_n]
    return cits, sent_ok


def evidence_judgements(record: dict[str, Any]) -> list[bool]:
    """One bool per citation of an answered, answerable question with evidence: its passage holds evidence."""
    if record.get("abstained") or record.get("error") or not record.get("answerable", True):
        return []
    evidence = record.get("evidence") or []
    if not evidence:
        return []
    return [any(_contains(normalize_for_match(c.get("text") or ""), e) for e in evidence)
            for c in record.get("citations") or []]


def answer_words(record: dict[str, Any]) -> int | None:
    """Words of the answer shown (markers removed); None for a refusal or a failure."""
    if record.get("abstained") or record.get("error"):
        return None
    return len(_MARKER.sub(" ", record.get("answer") or "").split())


def citation_metrics(records: list[dict[str, Any]]) -> dict[str, float | None]:
    """Micro-averaged citation precision and recall over answered questions, and precision against evidence."""
    cits: list[bool] = []
    sents: list[bool] = []
    against: list[bool] = []
    for r in records:
        c, s = citation_judgements(r)
        cits += c
        sents += s
        against += evidence_judgements(r)
    return {
        "citation.precision": _mean([1.0 if x else 0.0 for x in cits]),
        "citation.recall": _mean([1.0 if x else 0.0 for x in sents]),
        "citation.evidence_precision": _mean([1.0 if x else 0.0 for x in against]),
    }


# --- abstention -------------------------------------------------------------------------------------

def abstention_metrics(records: list[dict[str, Any]]) -> dict[str, float | None]:
    """Precision/recall of abstaining on unanswerable questions, false abstention on answerable ones."""
    abstained = [r for r in records if r.get("abstained")]
    unanswerable = [r for r in records if not r.get("answerable", True)]
    answerable = [r for r in records if r.get("answerable", True)]
    tp = sum(1 for r in abstained if not r.get("answerable", True))
    return {
        "abstention.precision": tp / len(abstained) if abstained else None,
        "abstention.recall": tp / len(unanswerable) if unanswerable else None,
        "abstention.false_rate": (sum(1 for r in answerable if r.get("abstained")) / len(answerable)) if answerable else None,
    }


# --- latency ----------------------------------------------------------------------------------------

def latency_metrics(records: list[dict[str, Any]]) -> dict[str, float | None]:
    """Median and p95 (ms) of every stage found in `timings_ms`."""
    stages: dict[str, list[float]] = {}
    for r in records:
        for stage, ms in (r.get("timings_ms") or {}).items():
            if isinstance(ms, (int, float)):
                stages.setdefault(stage, []).append(float(ms))
    out: dict[str, float | None] = {}
    for stage in sorted(stages):
        out[f"latency.{stage}.median_ms"] = percentile(stages[stage], 50)
        out[f"latency.{stage}.p95_ms"] = percentile(stages[stage], 95)
    return out


# --- follow-ups vs their standalone versions --------------------------------------------------------

_RUN_FIELDS = ("question", "answer", "abstained", "citations", "passages", "retrieved", "timings_ms", "error",
               "standalone_question")


def standalone_record(record: dict[str, Any]) -> dict[str, Any] | None:
    """The record as if the follow-up had been asked in its standalone form (None when it was not)."""
    run = record.get("standalone_run")
    if not isinstance(run, dict):
        return None
    pseudo = {k: v for k, v in record.items() if k not in _RUN_FIELDS and k != "standalone_run"}
    pseudo.update(run)
    pseudo["history"] = []
    return pseudo


def followup_metrics(records: list[dict[str, Any]]) -> dict[str, float | None]:
    """Fact recall, all-facts rate and hit@5 of follow-ups next to those of their standalone versions."""
    pairs = [(r, standalone_record(r)) for r in records
             if r.get("answerable", True) and standalone_record(r) is not None]
    out: dict[str, float | None] = {"followup.n": len(pairs)}
    for prefix, side in (("followup.", 0), ("followup.standalone.", 1)):
        recs = [pair[side] for pair in pairs]
        with_facts = [r for r in recs if r.get("facts")]
        out[f"{prefix}fact_recall"] = _mean([fact_recall(r) for r in with_facts])
        out[f"{prefix}all_facts"] = _mean([1.0 if fact_recall(r) == 1.0 else 0.0 for r in with_facts])
        out[f"{prefix}hit@5"] = _mean([hit_at_k(relevance(r), 5) for r in recs if is_retrieval_scored(r)])
    return out


# --- everything -------------------------------------------------------------------------------------

def quality_metrics(records: list[dict[str, Any]]) -> dict[str, float | None]:
    """Retrieval, answer, citation and abstention metrics of a set of records."""
    out: dict[str, float | None] = {}
    out.update(retrieval_metrics(records))
    out.update(answer_metrics(records))
    out.update(citation_metrics(records))
    out.update(abstention_metrics(records))
    out["n.questions"] = len(records)
    return out


def compute_metrics(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The flat metrics dict of `metrics.json`, with `primary_metric` and its value."""
    out: dict[str, Any] = {}
    out.update(quality_metrics(records))
    out["n.answerable"] = sum(1 for r in records if r.get("answerable", True))
    out["n.unanswerable"] = sum(1 for r in records if not r.get("answerable", True))
    out["n.errors"] = sum(1 for r in records if r.get("error"))
    out.update(latency_metrics(records))
    out.update(followup_metrics(records))
    for cat in sorted({str(r.get("category") or "uncategorised") for r in records}):
        subset = [r for r in records if str(r.get("category") or "uncategorised") == cat]
        for key, value in quality_metrics(subset).items():
            out[f"category.{cat}.{key}"] = value
    out = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in out.items()}
    out["primary_metric"] = PRIMARY_METRIC
    out["primary_metric_value"] = out[PRIMARY_METRIC]
    return out


def diagnose(record: dict[str, Any]) -> list[str]:
    """What went wrong for one question, in words a non-programmer understands (empty when all is well).

    The labels start with one of: error, answered although unanswerable, refused, wrong passage,
    fact missing, unsupported citation, follow-up worse than standalone.
    """
    if record.get("error"):
        return [f"error: {record['error']}"]
    problems = []
    if not record.get("answerable", True):
        if not record.get("abstained"):
            problems.append("answered although the documents do not say (should have refused)")
        return problems
    if is_retrieval_scored(record) and not any(relevance(record)[:5]):
        problems.append("wrong passage: none of the first 5 passages holds the evidence")
    if record.get("abstained"):
        problems.append("refused although the documents answer it")
    else:
        answer = normalize_for_match(_MARKER.sub(" ", record.get("answer") or ""))
        for f in record.get("facts") or []:
            if normalize_for_match(f) and not _contains(answer, f):
                problems.append(f"fact missing: \"{f}\"")
        cits, _ = citation_judgements(record)
        if cits and not all(cits):
            problems.append(f"unsupported citation ({cits.count(False)} of {len(cits)} citations)")
    alone = standalone_record(record)
    if alone is not None and record.get("facts") and fact_recall(alone) > fact_recall(record):
        problems.append("follow-up worse than standalone: the self-contained version found more facts")
    return problems


def badness(record: dict[str, Any]) -> float:
    """How bad a question went (higher is worse), to list the worst questions first."""
    score = 0.0 if is_correct(record) else 2.0
    if record.get("error"):
        score += 3.0
    if record.get("answerable", True):
        score += 1.0 - fact_recall(record) if record.get("facts") else 0.0
        if is_retrieval_scored(record):
            score += 1.0 - reciprocal_rank(relevance(record))
        cits, _ = citation_judgements(record)
        if cits:
            score += 0.5 * cits.count(False) / len(cits)
    return score
