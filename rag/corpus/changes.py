"""The corpus folder and its metadata.json, changed under one lock, each change undoable until committed.

Whoever changes the corpus (the web app's indexing queue, `rag add`, `rag remove`, in one process or
several) takes `corpus_lock`: an fcntl lock on `corpus_dir/.corpus.lock` (it is released when a process
dies) plus a thread lock, because the web app changes the corpus from several threads. Under it:

- a file enters the corpus by an atomic rename of a complete copy made beside it (`.incoming/`), so a
  build that lists the folder meanwhile never reads half a file;
- metadata.json is rewritten whole, to a temporary file then renamed over the old one, keeping every
  entry and field it had (including fields this code does not know);
- a removed file is moved aside to `.incoming/` until the new index is built (`commit` deletes it), so
  `undo` can put it back if the build fails.

The index is not touched here: after a change, build it (rag.corpus.indexing or rag.index.build).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from rag.corpus.checks import CheckedFile
from rag.corpus.messages import CorpusChangeRefused
from rag.ingest.loaders import METADATA_FILE, corpus_files, file_sha256

LOCK_FILE = ".corpus.lock"
INCOMING = ".incoming"
_thread_locks: dict[Path, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


@contextlib.contextmanager
def corpus_lock(corpus_dir: Path) -> Iterator[None]:
    """Exclusive right to change `corpus_dir` (its files and metadata.json), across threads and processes."""
    corpus_dir = Path(corpus_dir).resolve()
    with _thread_locks_guard:
        lock = _thread_locks.setdefault(corpus_dir, threading.Lock())
    with lock:
        try:
            import fcntl
        except ImportError:  # not a Unix system: the thread lock is all there is
            yield
            return
        with (corpus_dir / LOCK_FILE).open("a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)


def read_entries(corpus_dir: Path) -> dict[str, Any]:
    """metadata.json as it is (every entry and field); {} when absent; refused when unreadable (it would be
    overwritten otherwise, losing what it holds)."""
    path = corpus_dir / METADATA_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusChangeRefused("metadata_unreadable", path=path, error=str(exc)[:200]) from None
    if not isinstance(data, dict):
        raise CorpusChangeRefused("metadata_unreadable", path=path, error="not a JSON object")
    return data


def write_entries(corpus_dir: Path, entries: dict[str, Any]) -> None:
    """Replace metadata.json in one rename (a reader sees the old file or the new one, never a part)."""
    path = corpus_dir / METADATA_FILE
    tmp = corpus_dir / f".{METADATA_FILE}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(entries, f, ensure_ascii=False, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _incoming(corpus_dir: Path) -> Path:
    folder = corpus_dir / INCOMING
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():  # left by a process killed mid-change, an hour or more ago
        with contextlib.suppress(OSError):
            if time.time() - old.stat().st_mtime > 3600:
                old.unlink()
    return folder


@dataclass
class Change:
    """A change made to the corpus folder: `undo()` puts the folder back, `commit()` makes it final."""

    action: str  # "add" or "remove"
    doc_id: str
    file: str
    metadata: dict[str, Any] = field(default_factory=dict)
    _undo: Callable[[], None] | None = None
    _commit: Callable[[], None] | None = None

    def undo(self) -> None:
        if self._undo:
            self._undo()
        self._undo = self._commit = None

    def commit(self) -> None:
        if self._commit:
            self._commit()
        self._undo = self._commit = None


def add_file(corpus_dir: Path, checked: CheckedFile, metadata: dict[str, Any]) -> Change:
    """Copy a checked file into the corpus with its metadata entry (under the corpus lock).

    Refused when a document with the same id (file name without extension) or the same bytes is there."""
    corpus_dir = Path(corpus_dir)
    with corpus_lock(corpus_dir):
        entries = read_entries(corpus_dir)
        for existing in corpus_files(corpus_dir):
            if existing.stem == checked.doc_id:
                raise CorpusChangeRefused("duplicate_name", doc_id=checked.doc_id, existing=existing.name)
            if existing.stat().st_size == checked.size and file_sha256(existing) == checked.sha256:
                raise CorpusChangeRefused("duplicate_content", existing=existing.name)
        target = corpus_dir / checked.name
        if target.resolve().parent != corpus_dir.resolve():  # safe_name makes this impossible; never rely on it
            raise CorpusChangeRefused("path_in_name", name=checked.name)
        part = _incoming(corpus_dir) / f"{uuid.uuid4().hex}.part"
        shutil.copyfile(checked.source, part)
        if file_sha256(part) != checked.sha256:  # the source changed after it was checked
            part.unlink()
            raise CorpusChangeRefused("missing", name=checked.name)
        previous = entries.get(checked.name)
        entries[checked.name] = metadata
        os.replace(part, target)
        write_entries(corpus_dir, entries)

    def undo() -> None:
        with corpus_lock(corpus_dir):
            target.unlink(missing_ok=True)
            current = read_entries(corpus_dir)
            if previous is None:
                current.pop(checked.name, None)
            else:
                current[checked.name] = previous
            write_entries(corpus_dir, current)

    return Change("add", checked.doc_id, checked.name, metadata, _undo=undo)


def find_document(corpus_dir: Path, doc_id: str) -> Path:
    """The corpus file of a document id; refused (with the known ids) when there is none."""
    files = corpus_files(Path(corpus_dir))
    for p in files:
        if p.stem == doc_id:
            return p
    raise CorpusChangeRefused("unknown_document", doc_id=str(doc_id)[:120], known=", ".join(p.stem for p in files))


def remove_file(corpus_dir: Path, doc_id: str) -> Change:
    """Take a document out of the corpus (its file moved aside, its metadata entry dropped) under the lock."""
    corpus_dir = Path(corpus_dir)
    with corpus_lock(corpus_dir):
        path = find_document(corpus_dir, doc_id)
        if len(corpus_files(corpus_dir)) == 1:
            raise CorpusChangeRefused("last_document", doc_id=doc_id)
        entries = read_entries(corpus_dir)
        aside = _incoming(corpus_dir) / f"{uuid.uuid4().hex}.removed"
        os.replace(path, aside)
        previous = entries.pop(path.name, None)
        if previous is not None:
            write_entries(corpus_dir, entries)

    def undo() -> None:
        with corpus_lock(corpus_dir):
            if aside.exists() and not path.exists():
                os.replace(aside, path)
            if previous is not None:
                current = read_entries(corpus_dir)
                current.setdefault(path.name, previous)
                write_entries(corpus_dir, current)

    def commit() -> None:
        aside.unlink(missing_ok=True)

    return Change("remove", doc_id, path.name, previous or {}, _undo=undo, _commit=commit)
