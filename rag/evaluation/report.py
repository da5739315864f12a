"""`report.md` and PNG charts for an evaluation run, written for a reader who does not program."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rag.evaluation.metrics import badness, diagnose, fact_recall, standalone_record

# (metric key, plain-language meaning) of the headline table, in reading order.
HEADLINE = (
    ("answer.accuracy", "Share of questions handled correctly: answered with every expected fact, or refused when the corpus has no answer. The main score."),
    ("answer.all_facts", "Share of answerable questions whose answer contains every expected fact."),
    ("answer.fact_recall", "Share of the expected facts (figures, names) that appear in the answers."),
    ("retrieval.hit@1", "Share of questions where the first passage found contains the evidence."),
    ("retrieval.hit@5", "Share of questions where one of the first 5 passages contains the evidence."),
    ("retrieval.hit@10", "Same within the first 10 passages."),
    ("retrieval.mrr", "Mean reciprocal rank: 1 when the right passage is always first, 0.5 when it is second on average."),
    ("retrieval.ndcg@10", "How well the right passages are ordered at the top of the first 10 (1 = perfectly)."),
    ("answer.median_words", "Typical length of an answer, in words (refusals excluded)."),
    ("citation.precision", "Share of citations [n] whose source really supports the sentence that cites it."),
    ("citation.evidence_precision", "Share of citations [n] whose passage holds the question's evidence: a sentence added from an unrelated passage counts against it."),
    ("citation.recall", "Share of answer sentences backed by at least one supporting citation."),
    ("abstention.precision", "When the assistant refused to answer, how often that was right."),
    ("abstention.recall", "Share of unanswerable questions the assistant refused to answer."),
    ("abstention.false_rate", "Share of answerable questions the assistant wrongly refused (lower is better)."),
    ("latency.total.median_ms", "Typical time to answer one question, in milliseconds."),
    ("latency.total.p95_ms", "Time within which 95 % of questions are answered, in milliseconds."),
)
# Targets of the project: (">=" or "<=", value). Metrics without a target show "-".
TARGETS = {
    "answer.accuracy": (">=", 0.80),
    "citation.precision": (">=", 0.90),
    "abstention.recall": (">=", 0.85),
    "abstention.false_rate": ("<=", 0.05),
}
FOLLOWUP_COLUMNS = (("fact_recall", "facts found"), ("all_facts", "every fact found"), ("hit@5", "right passage in top 5"))
CATEGORY_COLUMNS = ("n.questions", "answer.accuracy", "answer.fact_recall", "answer.all_facts", "citation.evidence_precision",
                    "abstention.recall", "abstention.false_rate", "answer.median_words", "retrieval.hit@5", "retrieval.mrr")
COMPARE_COLUMNS = ("hit@1", "hit@3", "hit@5", "hit@10", "mrr", "ndcg@10")
WORST = 10


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.1f}" if value > 1.5 else f"{value:.2f}"
    return str(value)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _categories(metrics: dict[str, Any]) -> list[str]:
    cats = {k.split(".")[1] for k in metrics if k.startswith("category.") and k.endswith(".n.questions")}
    return sorted(cats)


def _plt():
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; must precede pyplot
    import matplotlib.pyplot as plt

    return plt


def _grouped_bars(path: Path, groups: list[str], series: dict[str, list[float]], title: str, width_in: float) -> Path:
    """One bar per (group, series), series side by side around each group's tick; scores in 0..1."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(width_in, 4))
    width = 0.8 / len(series)
    for j, (label, vals) in enumerate(series.items()):
        ax.bar([i + j * width for i in range(len(groups))], vals, width, label=label)
    ax.set_xticks([i + (len(series) - 1) / 2 * width for i in range(len(groups))], groups, rotation=30, ha="right")
    ax.set_ylim(0, 1.2)  # headroom for the legend above the bars
    ax.set_title(title)
    ax.legend(loc="upper center", ncol=4, fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def chart_categories(metrics: dict[str, Any], path: Path) -> Path:
    """Grouped bars: accuracy, fact recall and hit@5 per question category."""
    cats = _categories(metrics)
    keys = (("answer.accuracy", "accuracy"), ("answer.fact_recall", "fact recall"), ("retrieval.hit@5", "hit@5"))
    series = {label: [metrics.get(f"category.{c}.{key}") or 0.0 for c in cats] for key, label in keys}
    return _grouped_bars(path, cats, series, "Scores per question category", max(6, 1.1 * len(cats) + 2))


def chart_compare(compare: dict[str, Any], path: Path) -> Path:
    """Grouped bars: hit@1, hit@5, MRR and nDCG@10 per retrieval system."""
    names = list(compare["systems"])
    series = {key: [compare["systems"][n].get(key) or 0.0 for n in names] for key in ("hit@1", "hit@5", "mrr", "ndcg@10")}
    return _grouped_bars(path, [n.split(" (")[0] for n in names], series, "Retrieval: what each part buys", 8)


def chart_latency(metrics: dict[str, Any], path: Path) -> Path:
    """Median and p95 time of each stage."""
    plt = _plt()
    stages = sorted({k.split(".")[1] for k in metrics if k.startswith("latency.") and k.endswith(".median_ms")})
    fig, ax = plt.subplots(figsize=(6, 3.5))
    xs = range(len(stages))
    ax.bar([x - 0.2 for x in xs], [metrics[f"latency.{s}.median_ms"] or 0 for s in stages], 0.4, label="median")
    ax.bar([x + 0.2 for x in xs], [metrics[f"latency.{s}.p95_ms"] or 0 for s in stages], 0.4, label="95th percentile")
    ax.set_xticks(list(xs), stages)
    ax.set_ylabel("milliseconds")
    ax.set_title("Time per question, by stage")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def target_status(key: str, value: Any) -> tuple[str, str]:
    """("≥ 0.75", "met") for a metric with a target, ("-", "") otherwise."""
    if key not in TARGETS:
        return "-", ""
    op, goal = TARGETS[key]
    if value is None:
        return f"{'≥' if op == '>=' else '≤'} {goal:.2f}", "not measured"
    ok = value >= goal if op == ">=" else value <= goal
    return f"{'≥' if op == '>=' else '≤'} {goal:.2f}", "met" if ok else "**not met**"


def chart_followups(metrics: dict[str, Any], path: Path) -> Path:
    """Pairs of bars: follow-ups as asked vs the same questions written self-contained."""
    series = {label: [metrics.get(f"{prefix}{k}") or 0.0 for k, _ in FOLLOWUP_COLUMNS]
              for prefix, label in (("followup.", "follow-up (with history)"), ("followup.standalone.", "standalone version"))}
    title = f"Follow-ups vs their standalone versions ({metrics.get('followup.n')} pairs)"
    return _grouped_bars(path, [label for _, label in FOLLOWUP_COLUMNS], series, title, 6)


def _followup_lines(metrics: dict[str, Any], records: list[dict[str, Any]], chart: Path) -> list[str]:
    lines = ["## Follow-up questions vs their standalone versions", "",
             "Each follow-up (a question that only makes sense after the previous exchange) is also asked "
             "written out in full, with no conversation. Equal scores mean the assistant understands follow-ups.",
             "", "| asked as | " + " | ".join(label for _, label in FOLLOWUP_COLUMNS) + " |",
             "|---" * (len(FOLLOWUP_COLUMNS) + 1) + "|"]
    for prefix, label in (("followup.", "follow-up, with history"), ("followup.standalone.", "standalone, no history")):
        lines.append(f"| {label} | " + " | ".join(_fmt(metrics.get(f"{prefix}{k}")) for k, _ in FOLLOWUP_COLUMNS) + " |")
    differ = []
    for r in records:
        alone = standalone_record(r)
        if alone is not None and r.get("facts") and fact_recall(r) != fact_recall(alone):
            differ.append(f"| {_cell(r.get('id'))} | {_cell(r.get('question'))} | {_cell(alone.get('question'))} | "
                          f"{_fmt(fact_recall(r))} | {_fmt(fact_recall(alone))} |")
    lines += ["", f"![follow-ups vs standalone]({chart.name})", ""]
    if differ:
        lines += ["Follow-ups whose answer differs from their standalone version (share of facts found):", "",
                  "| id | follow-up | standalone | with history | standalone |", "|---|---|---|---|---|", *differ, ""]
    return lines


def render_report(metrics: dict[str, Any], records: list[dict[str, Any]], out_dir: str | Path,
                  compare: dict[str, Any] | None = None, run_info: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write report.md and its charts into `out_dir`; return the paths written."""
    out = Path(out_dir)
    paths: dict[str, Path] = {"report": out / "report.md"}
    paths["chart_categories"] = chart_categories(metrics, out / "categories.png")
    if any(k.startswith("latency.") for k in metrics):
        paths["chart_latency"] = chart_latency(metrics, out / "latency.png")
    if compare:
        paths["chart_compare"] = chart_compare(compare, out / "compare.png")
    if metrics.get("followup.n"):
        paths["chart_followups"] = chart_followups(metrics, out / "followups.png")

    info = run_info or {}
    lines = ["# Evaluation report", ""]
    if info:
        lines += [f"{metrics.get('n.questions')} questions from `{info.get('questions_file')}`, retrieval mode "
                  f"**{info.get('mode')}**, answerer **{info.get('answerer')}**, {info.get('top_k')} passages per answer, "
                  f"run in {info.get('seconds')} s.", ""]
        for err in info.get("load_errors") or []:
            lines.append(f"- Skipped malformed question, {err}")
        if info.get("load_errors"):
            lines.append("")
    if metrics.get("n.errors"):
        lines += [f"**{metrics['n.errors']} question(s) failed with an error** (listed below).", ""]

    lines += ["## Headline numbers", "", "Scores go from 0 (never) to 1 (always).", "",
              "| measure | value | target | status | what it means |", "|---|---|---|---|---|"]
    for key, meaning in HEADLINE:
        if key in metrics:
            goal, status = target_status(key, metrics[key])
            lines.append(f"| {key} | **{_fmt(metrics[key])}** | {goal} | {status} | {meaning} |")
    if metrics.get("followup.n"):
        fu, alone = metrics.get("followup.fact_recall"), metrics.get("followup.standalone.fact_recall")
        ok = fu is not None and alone is not None and fu >= alone - 1e-9
        lines.append(f"| followup.fact_recall | **{_fmt(fu)}** | ≥ standalone ({_fmt(alone)}) | "
                     f"{'met' if ok else '**not met**'} | Facts found when follow-ups are asked with their conversation, "
                     "compared with the same questions written out in full. |")

    cats = _categories(metrics)
    lines += ["", "## By question category", "", "| category | " + " | ".join(CATEGORY_COLUMNS) + " |",
              "|---" * (len(CATEGORY_COLUMNS) + 1) + "|"]
    for c in cats:
        lines.append(f"| {c} | " + " | ".join(_fmt(metrics.get(f"category.{c}.{k}")) for k in CATEGORY_COLUMNS) + " |")
    lines += ["", f"![scores per category]({paths['chart_categories'].name})", ""]

    if compare:
        lines += ["## Comparison of retrieval methods", "",
                  "Same questions, same embedding model; only the way passages are found changes. "
                  "*dense* = meaning-based search, *bm25* = French keyword search, *hybrid* = both combined "
                  "(the assistant's method), *baseline* = a textbook LangChain setup (raw text cut every 1000 characters, dense search).",
                  "", "| method | " + " | ".join(COMPARE_COLUMNS) + " |", "|---" * (len(COMPARE_COLUMNS) + 1) + "|"]
        for name, sm in compare["systems"].items():
            lines.append(f"| {name} | " + " | ".join(_fmt(sm.get(k)) for k in COMPARE_COLUMNS) + " |")
        lines += ["", f"![retrieval comparison]({paths['chart_compare'].name})", ""]

    if "chart_followups" in paths:
        lines += _followup_lines(metrics, records, paths["chart_followups"])

    if "chart_latency" in paths:
        lines += ["## Speed", "", f"![time per stage]({paths['chart_latency'].name})", ""]

    worst = sorted((r for r in records if diagnose(r)), key=badness, reverse=True)[:WORST]
    lines += ["## Questions that went worst", ""]
    if not worst:
        lines.append("Every question was handled correctly.")
    else:
        lines += ["| id | category | question | what went wrong | start of the answer |", "|---|---|---|---|---|"]
        for r in worst:
            answer = "(refused) " + (r.get("answer") or "") if r.get("abstained") else (r.get("answer") or "")
            lines.append(f"| {_cell(r.get('id'))} | {_cell(r.get('category'))} | {_cell(_short(r.get('question', ''), 120))} | "
                         f"{_cell('; '.join(diagnose(r)))} | {_cell(_short(answer, 100))} |")
    lines += ["", "Definitions of every measure: docs/evaluation.md. All numbers can be recomputed from "
              "`results.jsonl` alone with `python scripts/recompute_metrics.py <this folder>`.", ""]
    paths["report"].write_text("\n".join(lines), encoding="utf-8")
    return paths
