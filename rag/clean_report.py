"""`rag clean --report`: what each repair changed in each document."""

from __future__ import annotations

from .clean import clean_text


def render_report(documents, doc_id: str | None = None) -> str:
    """Per document: characters before/after, and per repair its count and up to 3 before/after examples."""
    out = []
    for doc in documents:
        if doc_id and doc.doc_id != doc_id:
            continue
        result = clean_text(doc.text, boilerplate_start=doc.metadata.get("boilerplate_start"))
        out.append(f"## {doc.doc_id}\n{len(doc.text)} characters before, {len(result.text)} after")
        for stat in result.stats:
            out.append(f"- {stat.name}: {stat.count}")
            for before, after in stat.examples:
                out.append(f"    {before!r} -> {after!r}")
        out.append("")
    return "\n".join(out)
