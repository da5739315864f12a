"""Calibrate the extractive answerer's weights and thresholds by cross-validation on the shipped question set.

    .venv/bin/python scripts/calibrate_answerer.py [--samples 300] [--folds 5] [--repeats 2] [--out FILE]

Each question is retrieved once, as the assistant does it; the weight-free part of the answerer (units,
their cosines, the question analysis) is prepared once. Then configurations of the settings' answer group
are drawn at random around the current defaults, and every question is answered under each of them.
A question is right when it is answerable and the answer holds every expected fact, or unanswerable and
refused (the `answer.accuracy` of rag eval); ties go to shorter answers.

Selection is by k-fold cross-validation repeated with several shuffles: on each fold, the configuration
best on the other folds is scored on the fold; the mean of those scores estimates the accuracy of the
procedure on questions it did not see. The configuration finally proposed is the best on the whole set;
put its values in rag/settings.py (AnswerSettings). Held-out sets are scored with it for information only
(--heldout), never used to choose.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHIPPED = ROOT / "rag" / "evaluation" / "data" / "questions.jsonl"

# name: (low, high) of the uniform draw; ints are drawn as ints
SPACE = {
    "coverage": (0.3, 1.0), "cosine": (0.1, 0.9), "passage": (0.0, 0.8), "cosine_floor": (0.7, 0.82), "kind": (0.0, 0.6),
    "counted": (0.0, 0.8), "focus": (0.0, 0.4),
    "prior": (0.0, 0.3), "constraint": (0.0, 0.8), "debris": (0.0, 0.6), "list": (0.0, 0.5), "about_context": (0.0, 1.0), "context": (0.0, 0.6),
    "evidence_threshold": (0.15, 0.45), "kind_threshold": (0.15, 0.5), "focus_threshold": (0.1, 0.45),
    "out_of_vocabulary": (0.3, 0.9), "keep_ratio": (0.4, 0.9), "completes": (0.05, 0.3),
}


def load(path: Path) -> list[dict]:
    from rag.evaluation.questions import load_questions

    return load_questions(path)[0]


def prepare_all(assistant, questions: list[dict]) -> list:
    """(question, prepared, passages) per question, retrieved as rag ask does it."""
    from rag.query.followup import Query, standalone_question

    out = []
    for q in questions:
        history = [tuple(h) for h in q.get("history") or []] or None
        query = standalone_question(q["question"], history)
        passages, ref = assistant.retriever.search_named(query.text)
        if ref:
            query = Query(query.question, ref.query, query.carried)
        out.append((q, assistant.extractive.prepare(query, passages), passages))
    return out


def answer_with(assistant, prepared, passages, weights) -> tuple[bool, str]:
    """(abstained, answer text) under `weights`."""
    ex = assistant.extractive
    analysis = ex.decide(prepared, weights)
    if analysis.refusal:
        return True, ""
    text = ""
    for text, _ in ex.compose(analysis, passages, weights):
        pass
    return not text, text


def outcomes(assistant, items, weights) -> list[tuple[bool, int]]:
    """(right, words of the answer) per question."""
    from rag.evaluation.metrics import is_correct

    out = []
    for q, prepared, passages in items:
        abstained, text = answer_with(assistant, prepared, passages, weights)
        rec = {"answerable": q["answerable"], "facts": q["facts"], "abstained": abstained, "answer": text}
        out.append((is_correct(rec), len(text.split())))
    return out


def key(rows: list[tuple[bool, int]]) -> tuple[float, float]:
    acc = sum(r for r, _ in rows) / max(1, len(rows))
    words = statistics.median([n for _, n in rows if n] or [0])
    return (round(acc, 4), -words)


def draw(rng: random.Random, base) -> dict:
    out = {}
    for name, (lo, hi) in SPACE.items():
        out[name] = round(rng.uniform(lo, hi), 3)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--heldout", type=Path, action="append", default=[])
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    from rag.assistant import Assistant
    from rag.settings import load_settings

    settings = load_settings()
    assistant = Assistant(settings)
    base = settings.answer
    t0 = time.perf_counter()
    shipped = prepare_all(assistant, load(SHIPPED))
    print(f"prepared {len(shipped)} questions in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    rng = random.Random(args.seed)
    configs = [{}] + [draw(rng, base) for _ in range(args.samples)]  # {} = the current defaults
    table = []
    t0 = time.perf_counter()
    for i, cfg in enumerate(configs):
        table.append(outcomes(assistant, shipped, base.model_copy(update=cfg)))
        if i % 25 == 0:
            print(f"  {i}/{len(configs)} configurations ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    n = len(shipped)
    cv_scores, picks = [], []
    for rep in range(args.repeats):
        order = list(range(n))
        random.Random(1000 + rep).shuffle(order)
        for f in range(args.folds):
            test = set(order[f::args.folds])
            train = [i for i in range(n) if i not in test]
            best = max(range(len(configs)), key=lambda c: key([table[c][i] for i in train]))
            picks.append(best)
            cv_scores.append(sum(table[best][i][0] for i in test) / len(test))
    full = max(range(len(configs)), key=lambda c: key(table[c]))
    chosen = base.model_copy(update=configs[full])
    result = {
        "n": n, "samples": len(configs),
        "defaults_accuracy": key(table[0])[0],
        "cv_accuracy": round(statistics.mean(cv_scores), 4), "cv_folds": [round(s, 3) for s in cv_scores],
        "chosen_accuracy_on_shipped": key(table[full])[0], "chosen_median_words": -key(table[full])[1],
        "chosen": configs[full], "picked_defaults_in_folds": picks.count(0),
    }
    for path in args.heldout:
        items = prepare_all(assistant, load(path))
        result[f"heldout:{path.name}"] = {"defaults": key(outcomes(assistant, items, base))[0],
                                          "chosen": key(outcomes(assistant, items, chosen))[0]}
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
