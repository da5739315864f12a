"""Adding and removing a document from the command line (`rag add`, `rag remove`), in this process.

The same steps as the web app's queue (rag.corpus.jobs), without a queue: check the file, change the
corpus under its lock, bring the index up to date (progress in the terminal; only new text is embedded),
and undo the change if the build fails. A running app notices the new index on disk and swaps it in.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rag.corpus.changes import add_file, remove_file
from rag.corpus.checks import check_file, clean_metadata
from rag.corpus.jobs import skip_reason
from rag.settings import Settings


def _update_index(settings: Settings, change, quiet: bool) -> tuple[dict[str, Any], Any]:
    from rag.index.store import ensure_index, open_store

    try:
        stats = ensure_index(settings, quiet=quiet) or {}
        index = open_store(settings)
    except BaseException:  # a failed or interrupted build: the corpus goes back to what the index holds
        change.undo()
        raise
    change.commit()
    return stats, index


def add_document(settings: Settings, path: Path, *, name: str | None = None, title: str | None = None,
                 publisher: str | None = None, date: str | None = None, kind: str | None = None,
                 quiet: bool = False) -> dict[str, Any]:
    """Check `path`, copy it into the corpus with its metadata, update the index; the new document's record.

    Raises CorpusChangeRefused (an InputError) for a file or metadata that cannot be added."""
    t0 = time.perf_counter()
    metadata = clean_metadata(title=title, publisher=publisher, date=date, kind=kind)
    checked = check_file(Path(path), name, max_mb=settings.max_upload_mb, pdf_engine=settings.pdf_engine)
    change = add_file(settings.corpus_dir, checked, {**metadata, "added_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    stats, index = _update_index(settings, change, quiet)
    doc = next((d for d in index.documents() if d["doc_id"] == checked.doc_id and d.get("file") == checked.name), None)
    record = {"doc_id": checked.doc_id, "file": checked.name, "seconds": round(time.perf_counter() - t0, 2),
              "embedded_chunks": stats.get("embedded", 0), "n_documents": len(index.documents())}
    if doc is None:
        return {**record, "n_chunks": 0, "skipped": skip_reason(index.manifest, checked.name) or "not indexed"}
    return {**record, "title": doc.get("title"), "n_chunks": doc.get("n_chunks", 0)}


def remove_document(settings: Settings, doc_id: str, *, quiet: bool = False) -> dict[str, Any]:
    """Take a document out of the corpus and update the index; what was removed."""
    change = remove_file(settings.corpus_dir, doc_id)
    _, index = _update_index(settings, change, quiet)
    return {"doc_id": doc_id, "file": change.file, "removed": True, "n_documents": len(index.documents())}
