"""`rag clean --report`: what each repair changed in each document, the characters it removed, the
paragraphs dropped as copies (with the kept paragraph each one copies), and the known-word share before/after."""

from __future__ import annotations

import re

from rag.ingest.clean import clean_text
from rag.text.lexicon import known_word_share


def max_spaced_letter_run(text: str) -> int:
    """Length of the longest run of single letters separated by single spaces ('L e t t r e' -> 6)."""
    runs = re.finditer(r"(?<!\S)(?:[^\W\d_] )+[^\W\d_](?!\S)", text)
    return max((len(m.group(0).split()) for m in runs), default=0)


def render_clean_report(documents, doc_id: str | None = None) -> str:
    """Markdown report: per document, characters and known-word share before/after cleaning, then per repair
    its count and the characters it removed, up to 3 (before -> after) examples, and every paragraph dropped
    as a copy with the paragraph it copies. `doc_id` limits it to one document."""
    out = ["# Text cleaning report", ""]
    for doc in documents:
        if doc_id and doc.doc_id != doc_id:
            continue
        result = clean_text(doc.text, boilerplate_start=(doc.metadata or {}).get("boilerplate_start"))
        out.append(f"## {doc.doc_id}")
        out.append(f"- characters: {len(doc.text)} -> {len(result.text)}")
        out.append(f"- known French words: {known_word_share(doc.text):.3f} -> {known_word_share(result.text):.3f}")
        out.append(f"- longest run of spaced single letters: {max_spaced_letter_run(doc.text)} -> "
                   f"{max_spaced_letter_run(result.text)}")
        out.append("")
        out.append("| repair | changes | characters removed |")
        out.append("|---|---|---|")
        for stat in result.stats:
            out.append(f"| {stat.name} | {stat.count} | {stat.chars_removed} |")
        out.append("")
        for stat in result.stats:
            for before, after in stat.examples:
                out.append(f"- {stat.name}: `{_short(before)}` -> `{_short(after) or '(removed)'}`")
        if result.copies:
            out.append("")
            out.append(f"Paragraphs dropped as copies of an earlier, kept paragraph ({len(result.copies)}):")
            for copy in result.copies:
                out.append(f"- `{_short(copy.text)}` copies `{_short(copy.original)}` (similarity {copy.similarity:.2f})")
        out.append("")
    return "\n".join(out)


def removal_summary(doc_id: str, result) -> str:
    """One line for the index build: the characters cleaning removed from a document, by repair."""
    removed = result.removed_by_rule()
    if not removed:
        return f"cleaned {doc_id}: nothing removed"
    parts = ", ".join(f"{name} {n:,}" for name, n in sorted(removed.items(), key=lambda kv: -kv[1]))
    copies = f"; {len(result.copies)} paragraphs dropped as copies" if result.copies else ""
    return f"cleaned {doc_id}: {sum(removed.values()):,} characters removed ({parts}){copies}"


def _short(s: str, n: int = 70) -> str:
    s = " ".join(s.replace("\n", " ⏎ ").split()).replace("`", "'")
    return s if len(s) <= n else s[: n - 1] + "…"
