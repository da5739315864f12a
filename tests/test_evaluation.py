"""`rag eval`: question-file loading, and an end-to-end run whose metrics an outside script can recompute."""

from __future__ import annotations

import importlib.util
import json
import math
import unicodedata
from pathlib import Path

import pytest

from rag.errors import InputError
from rag.evaluation import load_questions

# checked before the session index is built, so the skip costs nothing
needs_chain = pytest.mark.skipif(importlib.util.find_spec("rag.chain") is None, reason="rag/chain.py (the assistant) is not written yet")

GOOD = [
    {"id": "e1", "question": "Où se sont tenues les Assises régionales de la défense du 24 juin 2025 ?", "answer": "À Chantilly.",
     "facts": ["Chantilly"], "evidence": ["Chantilly, dans l’Oise, aux Assises"], "answerable": True, "category": "fact"},
    {"id": "e2", "question": "Et quel montant a reçu Asterodyn dans le cadre du Pass Drones ?", "answer": "30 000 euros.",
     "facts": ["30 000 euros"], "evidence": ["pour 30 000 euros"], "answerable": True, "category": "follow-up",
     "history": [["Quelles start-up de drones sont citées ?", "Asterodyn, une start-up de drones [1]."]]},
    {"id": "e3", "question": "Quel est le prix d'une baguette de pain à Lille en 2025 ?", "answer": "",
     "facts": [], "evidence": [], "answerable": False, "category": "out-of-scope"},
]


def write_questions(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_malformed_line_is_reported_with_its_number_and_the_others_load(tmp_path):
    f = write_questions(tmp_path / "q.jsonl", [
        json.dumps(GOOD[0], ensure_ascii=False),
        '{"id": "broken", "question": ',           # line 2: not JSON
        "",                                        # blank lines are ignored
        json.dumps({"id": "nq", "facts": ["x"]}),  # line 4: no question
        json.dumps({**GOOD[2], "history": "oops"}, ensure_ascii=False),  # line 5: bad history
        json.dumps(GOOD[1], ensure_ascii=False),
    ])
    questions, errors = load_questions(f)
    assert [q["id"] for q in questions] == ["e1", "e2"]
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 4", "line 5"]
    assert "question" in errors[1] and "history" in errors[2]


def test_a_missing_question_file_says_what_to_give(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_questions(tmp_path / "nope.jsonl")


# --- an outside script's recomputation: json + the contract's normalisation, nothing from rag ------------

def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    return "".join(ch for ch in text if ch.isalnum())


def _has(hay: str, needle: str) -> bool:
    return bool(_norm(needle)) and _norm(needle) in _norm(hay)


def recompute(results_path: Path) -> dict[str, float]:
    """Headline metrics from results.jsonl alone, following the README's definitions."""
    recs = [json.loads(line) for line in results_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out: dict[str, float] = {}
    scored = [r for r in recs if r["answerable"] and r["evidence"]]
    ranks = []
    for r in scored:
        ranked = sorted(r.get("retrieved") if r.get("retrieved") is not None else r["passages"], key=lambda p: p["rank"])
        ranks.append([any(_has(p["text"], e) for e in r["evidence"]) for p in ranked])
    for k in (1, 3, 5, 10):
        out[f"retrieval.hit@{k}"] = sum(any(x[:k]) for x in ranks) / len(ranks)
    out["retrieval.mrr"] = sum(next((1 / (i + 1) for i, v in enumerate(x) if v), 0.0) for x in ranks) / len(ranks)
    ndcg = []
    for x in ranks:
        dcg = sum(1 / math.log2(i + 2) for i, v in enumerate(x[:10]) if v)
        idcg = sum(1 / math.log2(i + 2) for i in range(min(sum(x), 10)))
        ndcg.append(dcg / idcg if idcg else 0.0)
    out["retrieval.ndcg@10"] = sum(ndcg) / len(ndcg)

    def fact_share(r):
        if r["abstained"] or r.get("error"):
            return 0.0
        return sum(_has(r["answer"], f) for f in r["facts"]) / len(r["facts"])

    with_facts = [r for r in recs if r["answerable"] and r["facts"]]
    out["answer.fact_recall"] = sum(fact_share(r) for r in with_facts) / len(with_facts)
    correct = [(not r.get("error")) and (r["abstained"] if not r["answerable"] else (not r["abstained"] and (not r["facts"] or fact_share(r) == 1.0)))
               for r in recs]
    out["answer.accuracy"] = sum(correct) / len(recs)
    unans = [r for r in recs if not r["answerable"]]
    out["abstention.recall"] = sum(r["abstained"] for r in unans) / len(unans)
    ans = [r for r in recs if r["answerable"]]
    out["abstention.false_rate"] = sum(r["abstained"] for r in ans) / len(ans)
    return out


def _run_cli(tmp_path, index_settings, monkeypatch, capsys, *extra):
    from rag.cli import main

    # the CLI reads its settings from the environment, like a user's shell
    monkeypatch.setenv("RAG_INDEX_DIR", str(index_settings.index_dir))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(index_settings.corpus_dir))
    f = write_questions(tmp_path / "unseen.jsonl", [json.dumps(GOOD[0], ensure_ascii=False), "{not json",
                                                    *(json.dumps(q, ensure_ascii=False) for q in GOOD[1:])])
    out = tmp_path / "out"
    code = main(["eval", "--questions", str(f), "--out", str(out), "--no-progress", *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return out, captured


@needs_chain
def test_eval_on_an_unseen_file_writes_recomputable_outputs(tmp_path, index_settings, monkeypatch, capsys):
    from rag.metrics import compute_metrics

    out, captured = _run_cli(tmp_path, index_settings, monkeypatch, capsys)
    assert "line 2" in captured.err  # the malformed line is named; the other three ran
    records = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["e1", "e2", "e3"]
    assert all("answer" in r and "passages" in r and "timings_ms" in r for r in records)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["primary_metric"] in metrics and metrics["primary_metric_value"] == metrics[metrics["primary_metric"]]
    # every metric recomputes exactly from the JSON records ...
    assert compute_metrics(records) == metrics
    # ... and the headline ones also by an independent script that knows only the README's definitions
    for key, value in recompute(out / "results.jsonl").items():
        assert metrics[key] == pytest.approx(value, abs=1e-6), key
    report = (out / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Evaluation report") and "## Headline numbers" in report
    assert (out / "categories.png").stat().st_size > 1000
    assert "answer.accuracy" in captured.out and "report.md" in captured.out


@needs_chain
@pytest.mark.slow
def test_eval_compare_shows_what_each_retriever_buys(tmp_path, index_settings, monkeypatch, capsys):
    out, _ = _run_cli(tmp_path, index_settings, monkeypatch, capsys, "--compare")
    compare = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert set(compare["systems"]) >= {"dense", "bm25", "hybrid"} and len(compare["systems"]) == 4
    assert all(0.0 <= s["hit@5"] <= 1.0 for s in compare["systems"].values())
    assert (out / "compare.png").stat().st_size > 1000
    assert "## Comparison of retrieval methods" in (out / "report.md").read_text(encoding="utf-8")
