"""Sweep the extractive answerer's abstention threshold on a question set and print both error rates.

Every question is answered once with the threshold at 0 (never refuse on weak evidence), and the best
evidence among the first three ranked sentences is recorded; a threshold t then refuses exactly the
questions whose evidence is under t, plus those refused for the other reasons of
`ExtractiveAnswerer.refusal_reason` (unknown name, out-of-vocabulary, unsupported rare name, no
figure). For each t the script prints abstention recall on unanswerable questions, false abstention on
answerable ones and fact recall, so the threshold can be chosen where abstention recall >= 0.80 with
false abstention <= 0.10 and the least fact recall lost; then every refusal at the configured
threshold is listed with its reason.

    .venv/bin/python scripts/calibrate_abstention.py [--questions rag/evaluation/data/questions.jsonl] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.assistant import Assistant  # noqa: E402
from rag.evaluation.run import load_questions  # noqa: E402
from rag.evaluation.metrics import fact_recall  # noqa: E402
from rag.settings import load_settings  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", default=str(ROOT / "rag" / "evaluation" / "data" / "questions.jsonl"))
    ap.add_argument("--json", default=None, help="write the per-question evidence here")
    args = ap.parse_args()
    settings = load_settings().model_copy(update={"abstain_threshold": 0.0})
    assistant = Assistant(settings)
    questions, _ = load_questions(args.questions)
    rows = []
    for q in questions:
        history = [tuple(t) for t in q.get("history") or []] or None
        a = assistant.ask(q["question"], history)
        q_, ranked = assistant.extractive.score(a.standalone_question, a.passages)
        reason = assistant.extractive.refusal_reason(q_, ranked, a.passages)
        rec = {**q, "answer": a.answer, "abstained": a.abstained}
        topic_share, topic_absent = assistant.extractive.topic_absence(q_)
        rows.append({"id": q["id"], "answerable": q["answerable"], "category": q["category"],
                     "topic_absent_share": topic_share, "topic_absent": topic_absent,
                     "evidence": max((u.evidence for u in ranked[:3]), default=0.0), "forced": a.abstained, "reason": reason,
                     "question": q["question"],
                     "fact_recall": fact_recall(rec) if q["answerable"] and q.get("facts") else None})
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    print(f"{len(answerable)} answerable, {len(unanswerable)} unanswerable; "
          f"{sum(r['forced'] for r in rows)} refused whatever the threshold")
    print("threshold  abstention_recall  false_abstention  fact_recall")
    for i in range(0, 61):
        t = i / 100
        refused = lambda r: r["forced"] or r["evidence"] < t  # noqa: E731
        recall = sum(map(refused, unanswerable)) / max(1, len(unanswerable))
        false = sum(map(refused, answerable)) / max(1, len(answerable))
        scored = [r for r in answerable if r["fact_recall"] is not None]
        fr = sum(0.0 if refused(r) else r["fact_recall"] for r in scored) / max(1, len(scored))
        print(f"{t:9.2f}  {recall:17.3f}  {false:16.3f}  {fr:11.3f}")
    # The topic-absence rule (Weights.topic_absent): share of the question's topic IDF mass (framing nouns
    # left out) that the corpus never uses, even through a close form; paraphrases must stay under it.
    print("\ntopic_absent  answerable_at_or_above  unanswerable_at_or_above")
    for i in range(3, 11):
        t = i / 10
        print(f"{t:12.1f}  {sum(r['topic_absent_share'] >= t for r in answerable):22d}  "
              f"{sum(r['topic_absent_share'] >= t for r in unanswerable):24d}")
    t = load_settings().abstain_threshold
    print(f"\nAt the configured threshold {t}: refusals, and why (A = answerable, U = unanswerable)")
    for r in rows:
        why = r["reason"] if r["forced"] else ("weak-evidence" if r["evidence"] < t else None)
        if why or not r["answerable"]:
            print(f"  {'A' if r['answerable'] else 'U'} {r['id']:5} {why or 'ANSWERED':20} {r['evidence']:.2f}  {r['question'][:80]}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
