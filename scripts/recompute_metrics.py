#!/usr/bin/env python3
"""Recompute every number of an evaluation's metrics.json from its results.jsonl alone.

An outside check of `rag eval`: this script imports nothing from the `rag` package (standard library
only) and re-implements the definitions of docs/evaluation.md and the matching normalisation of the
contract (Unicode NFKC, lower case, typographic apostrophes to "'", every character that is not a
letter or a digit removed).

    python scripts/recompute_metrics.py DIR                 # compare with DIR/metrics.json; exit 1 on a mismatch
    python scripts/recompute_metrics.py DIR --print         # also print every recomputed value
    python scripts/recompute_metrics.py DIR --write-floors tests/eval_floors.json [--margin 0.03]
        # after a check that passes, write the regression gate's floors = measured value minus the margin
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import re
import sys
import unicodedata
from pathlib import Path

PRIMARY_METRIC = "answer.accuracy"
HIT_KS = (1, 3, 5, 10)
RECALL_KS = (5, 10)
SUPPORT_SHARE = 0.6          # share of a sentence's content words its quote must contain
MIN_SENTENCE_CHARS = 20      # shorter answer fragments are not counted as sentences
TOLERANCE = 1e-6

# Metrics the regression gate watches: higher is better (floors) ...
GATED_FLOORS = ("answer.accuracy", "answer.fact_recall", "answer.all_facts", "retrieval.hit@5", "retrieval.mrr",
                "retrieval.ndcg@10", "citation.precision", "citation.recall", "citation.evidence_precision",
                "abstention.recall")
# ... and lower is better (ceilings).
GATED_CEILINGS = ("abstention.false_rate",)
DEFAULT_MARGIN = 0.03        # about 3 questions out of 114: room for small legitimate trade-offs, not for a regression
DEFAULT_FOLLOWUP_GAP = 0.1   # follow-ups may find at most this share fewer facts than their standalone versions (1 of 10)

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'"})
_MARKER = re.compile(r"\[(\d+)\]")
_MARKER_WITH_SPACE = re.compile(r"\s*\[\d+\]")
_LEADING_MARKERS = re.compile(r"^\s*(?:\[\d+\]\s*)+")
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=\S)")
_RUN_FIELDS = {"question", "answer", "abstained", "citations", "passages", "retrieved", "timings_ms", "error",
               "standalone_question", "standalone_run"}


# --- normalisation and small helpers ----------------------------------------------------------------

def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower().translate(_APOSTROPHES)
    return "".join(ch for ch in text if ch.isalnum())


def has(normalised_haystack: str, needle: str) -> bool:
    n = norm(needle)
    return bool(n) and n in normalised_haystack


def mean(values):
    values = list(values)
    return sum(values) / len(values) if values else None


def percentile(values, q):
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def answerable(r) -> bool:
    return bool(r.get("answerable", True))


def category(r) -> str:
    return str(r.get("category") or "uncategorised")


# --- retrieval ----------------------------------------------------------------------------------------

def ranked(r):
    passages = r.get("retrieved")
    if passages is None:
        passages = r.get("passages") or []
    return sorted(passages, key=lambda p: p.get("rank", 0))


def rels(r):
    ev = r.get("evidence") or []
    return [any(has(norm(p.get("text", "")), e) for e in ev) for p in ranked(r)]


def scored(r) -> bool:
    return answerable(r) and bool(r.get("evidence"))


def hit(x, k):
    return 1.0 if any(x[:k]) else 0.0


def rr(x):
    return next((1.0 / i for i, v in enumerate(x, start=1) if v), 0.0)


def ndcg10(x):
    dcg = sum(1.0 / math.log2(i + 2) for i, v in enumerate(x[:10]) if v)
    idcg = sum(1.0 / math.log2(i + 2) for i in range(min(sum(x), 10)))
    return dcg / idcg if idcg else 0.0


def recall_at(r, k):
    ev = [e for e in r.get("evidence") or [] if norm(e)]
    if not ev:
        return 0.0
    texts = [norm(p.get("text", "")) for p in ranked(r)[:k]]
    return sum(1 for e in ev if any(has(t, e) for t in texts)) / len(ev)


def retrieval(recs, prefix="retrieval."):
    s = [r for r in recs if scored(r)]
    xs = [rels(r) for r in s]
    out = {f"{prefix}hit@{k}": mean(hit(x, k) for x in xs) for k in HIT_KS}
    out.update({f"{prefix}recall@{k}": mean(recall_at(r, k) for r in s) for k in RECALL_KS})
    out[f"{prefix}mrr"] = mean(rr(x) for x in xs)
    out[f"{prefix}ndcg@10"] = mean(ndcg10(x) for x in xs)
    out[f"{prefix}n"] = len(s)
    return out


# --- answers ------------------------------------------------------------------------------------------

def fact_share(r):
    facts = [f for f in r.get("facts") or [] if norm(f)]
    if not facts or r.get("abstained") or r.get("error"):
        return 0.0
    answer = norm(_MARKER.sub(" ", r.get("answer") or ""))
    return sum(1 for f in facts if has(answer, f)) / len(facts)


def correct(r):
    if r.get("error"):
        return False
    if not answerable(r):
        return bool(r.get("abstained"))
    return not r.get("abstained") and (not r.get("facts") or fact_share(r) == 1.0)


def words_shown(r):
    if r.get("abstained") or r.get("error"):
        return None
    return len(_MARKER.sub(" ", r.get("answer") or "").split())


def answers(recs):
    wf = [r for r in recs if answerable(r) and r.get("facts")]
    lengths = [float(n) for n in (words_shown(r) for r in recs) if n is not None]
    return {"answer.fact_recall": mean(fact_share(r) for r in wf),
            "answer.all_facts": mean(1.0 if fact_share(r) == 1.0 else 0.0 for r in wf),
            "answer.accuracy": mean(1.0 if correct(r) else 0.0 for r in recs),
            "answer.median_words": percentile(lengths, 50)}


# --- citations ----------------------------------------------------------------------------------------

def sentences(answer):
    out = []
    for part in _SENTENCE_END.split(answer or ""):
        lead = _LEADING_MARKERS.match(part)
        if lead and out:  # "... 2030. [1] Next": the [1] closes the sentence before
            out[-1][1].extend(int(m) for m in _MARKER.findall(lead.group(0)))
            part = part[lead.end():]
            if not part.strip():
                continue
        out.append((_MARKER_WITH_SPACE.sub("", part).strip(), [int(m) for m in _MARKER.findall(part)]))
    return out


def content_words(text):
    return [w for w in (m.group(0).lower() for m in _WORD.finditer(text)) if len(w) >= 4 or w.isdigit()]


def quote_backs(quote, sentence):
    q = norm(quote)
    words = content_words(sentence)
    if not words:
        return bool(q)
    if not all(has(q, w) for w in words if w.isdigit()):
        return False
    return sum(1 for w in words if has(q, w)) / len(words) >= SUPPORT_SHARE


def supports(c, sentence, evidence):
    if any(has(norm(c.get("text") or ""), e) for e in evidence):
        return True
    return bool(sentence) and quote_backs(c.get("quote") or "", sentence)


def judge_citations(r):
    if r.get("abstained") or r.get("error"):
        return [], []
    ev = r.get("evidence") or []
    by_n = {c.get("n"): c for c in r.get("citations") or []}
    cit_ok, sent_ok = {}, []
    for text, markers in sentences(r.get("answer") or ""):
        supported = False
        for n in markers:
            c = by_n.get(n)
            ok = c is not None and supports(c, text, ev)
            if c is not None:
                cit_ok[n] = cit_ok.get(n, False) or ok
            supported = supported or ok
        if len(text) >= MIN_SENTENCE_CHARS:
            sent_ok.append(supported)
    return [cit_ok.get(n, False) for n in by_n], sent_ok


def against_evidence(r):
    if r.get("abstained") or r.get("error") or not answerable(r) or not r.get("evidence"):
        return []
    return [any(has(norm(c.get("text") or ""), e) for e in r["evidence"]) for c in r.get("citations") or []]


def citations(recs):
    cits, sents, ev = [], [], []
    for r in recs:
        c, s = judge_citations(r)
        cits += c
        sents += s
        ev += against_evidence(r)
    return {"citation.precision": mean(1.0 if x else 0.0 for x in cits),
            "citation.recall": mean(1.0 if x else 0.0 for x in sents),
            "citation.evidence_precision": mean(1.0 if x else 0.0 for x in ev)}


# --- abstention, latency, follow-ups --------------------------------------------------------------------

def abstention(recs):
    abst = [r for r in recs if r.get("abstained")]
    unans = [r for r in recs if not answerable(r)]
    ans = [r for r in recs if answerable(r)]
    tp = sum(1 for r in abst if not answerable(r))
    return {"abstention.precision": tp / len(abst) if abst else None,
            "abstention.recall": tp / len(unans) if unans else None,
            "abstention.false_rate": sum(1 for r in ans if r.get("abstained")) / len(ans) if ans else None}


def latency(recs):
    stages = {}
    for r in recs:
        for stage, ms in (r.get("timings_ms") or {}).items():
            if isinstance(ms, (int, float)) and not isinstance(ms, bool):
                stages.setdefault(stage, []).append(float(ms))
    out = {}
    for stage in sorted(stages):
        out[f"latency.{stage}.median_ms"] = percentile(stages[stage], 50)
        out[f"latency.{stage}.p95_ms"] = percentile(stages[stage], 95)
    return out


def standalone_version(r):
    run = r.get("standalone_run")
    if not isinstance(run, dict):
        return None
    pseudo = {k: v for k, v in r.items() if k not in _RUN_FIELDS}
    pseudo.update(run)
    pseudo["history"] = []
    return pseudo


def followups(recs):
    pairs = [(r, standalone_version(r)) for r in recs if answerable(r) and standalone_version(r) is not None]
    out = {"followup.n": len(pairs)}
    for prefix, side in (("followup.", 0), ("followup.standalone.", 1)):
        rs = [p[side] for p in pairs]
        wf = [r for r in rs if r.get("facts")]
        out[f"{prefix}fact_recall"] = mean(fact_share(r) for r in wf)
        out[f"{prefix}all_facts"] = mean(1.0 if fact_share(r) == 1.0 else 0.0 for r in wf)
        out[f"{prefix}hit@5"] = mean(hit(rels(r), 5) for r in rs if scored(r))
    return out


# --- everything -----------------------------------------------------------------------------------------

def quality(recs):
    out = {}
    for part in (retrieval(recs), answers(recs), citations(recs), abstention(recs)):
        out.update(part)
    out["n.questions"] = len(recs)
    return out


def recompute(recs):
    out = quality(recs)
    out["n.answerable"] = sum(1 for r in recs if answerable(r))
    out["n.unanswerable"] = sum(1 for r in recs if not answerable(r))
    out["n.errors"] = sum(1 for r in recs if r.get("error"))
    out.update(latency(recs))
    out.update(followups(recs))
    for cat in sorted({category(r) for r in recs}):
        for key, value in quality([r for r in recs if category(r) == cat]).items():
            out[f"category.{cat}.{key}"] = value
    out = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in out.items()}
    out["primary_metric"] = PRIMARY_METRIC
    out["primary_metric_value"] = out[PRIMARY_METRIC]
    return out


def read_results(path: Path):
    recs = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if line.strip():
                try:
                    recs.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"{path} line {lineno} is not valid JSON ({exc.msg}): is the evaluation finished?")
    return recs


def differences(mine, theirs):
    """(key, recomputed, reported) for every metric that differs or exists on one side only."""
    diffs = []
    for key in sorted(set(mine) | set(theirs)):
        a, b = mine.get(key, "<missing>"), theirs.get(key, "<missing>")
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
            if abs(a - b) > TOLERANCE:
                diffs.append((key, a, b))
        elif a != b:
            diffs.append((key, a, b))
    return diffs


def floors_file(metrics, margin, source, followup_gap=DEFAULT_FOLLOWUP_GAP):
    return {
        "comment": "Regression gate of tests/test_regression_gate.py: each metric must stay >= its floor "
                   "(<= its ceiling). Regenerate with: rag eval --questions rag/evaluation/data/questions.jsonl --out DIR "
                   "&& python scripts/recompute_metrics.py DIR --write-floors tests/eval_floors.json",
        "measured_on": _dt.date.today().isoformat(),
        "source": source,
        "margin": margin,
        "max_followup_gap": followup_gap,
        "measured": {k: metrics.get(k) for k in GATED_FLOORS + GATED_CEILINGS},
        "floors": {k: round(max(0.0, metrics[k] - margin), 3) for k in GATED_FLOORS if metrics.get(k) is not None},
        "ceilings": {k: round(min(1.0, metrics[k] + margin), 3) for k in GATED_CEILINGS if metrics.get(k) is not None},
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Recompute metrics.json from results.jsonl, without the rag package.")
    ap.add_argument("dir", type=Path, help="an output folder of `rag eval` (holds results.jsonl and metrics.json)")
    ap.add_argument("--print", action="store_true", help="print every recomputed metric")
    ap.add_argument("--json", action="store_true", help="print the recomputed metrics as one JSON object")
    ap.add_argument("--write-floors", type=Path, metavar="FILE", help="write regression-gate floors to FILE")
    ap.add_argument("--margin", type=float, default=DEFAULT_MARGIN, help=f"floor = value - margin (default {DEFAULT_MARGIN})")
    ap.add_argument("--followup-gap", type=float, default=DEFAULT_FOLLOWUP_GAP,
                    help=f"largest allowed followup.fact_recall deficit vs standalone (default {DEFAULT_FOLLOWUP_GAP})")
    args = ap.parse_args(argv)

    results, reported_path = args.dir / "results.jsonl", args.dir / "metrics.json"
    if not results.is_file():
        print(f"error: {results} does not exist: give the --out folder of a finished `rag eval` run.", file=sys.stderr)
        return 2
    mine = recompute(read_results(results))
    if args.json:
        print(json.dumps(mine, indent=1, ensure_ascii=False))
    elif args.print:
        for key, value in mine.items():
            print(f"{key}\t{value}")
    if not reported_path.is_file():
        print(f"note: {reported_path} does not exist; nothing to compare with.", file=sys.stderr)
        return 0 if not args.write_floors else 2
    diffs = differences(mine, json.loads(reported_path.read_text(encoding="utf-8")))
    for key, a, b in diffs:
        print(f"MISMATCH {key}: recomputed {a}, metrics.json says {b}", file=sys.stderr)
    if diffs:
        print(f"{len(diffs)} of {len(mine)} metrics differ.", file=sys.stderr)
        return 1
    print(f"OK: all {len(mine)} metrics of {reported_path} recomputed from {results.name}.", file=sys.stderr)
    if args.write_floors:
        run_path = args.dir / "run.json"
        source = str(args.dir)
        if run_path.is_file():  # say what was measured, not where it was written
            run = json.loads(run_path.read_text(encoding="utf-8"))
            source = (f"{run.get('questions_file')}: {run.get('n_questions')} questions, mode {run.get('mode')}, "
                      f"answerer {run.get('answerer')}, top_k {run.get('top_k')}, model {run.get('embedding_model')}")
        data = floors_file(mine, args.margin, source, args.followup_gap)
        args.write_floors.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote floors to {args.write_floors}: {data['floors']} ceilings {data['ceilings']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
