"""The web app's queue of corpus changes: one worker thread applies them and rebuilds the index, a batch at a time.

Users submit jobs (add a checked file, remove a document) from any number of request threads; the worker
takes every job waiting, applies each change to the corpus folder (rag.corpus.changes, under the corpus
lock; a change refused there, such as a name taken meanwhile, fails alone), then brings the index up to
date once for the whole batch in a child process (rag.corpus.indexing: one build at a time, under the
build lock) and swaps the app's assistant for one over the new index (rag.corpus.live). Questions are
answered from the previous index until that swap. If the build fails, every change of the batch is
undone and the previous index stays in service.

A job records its state (queued, indexing, done, skipped, failed), the build's progress and its result,
for the Corpus tab's list and progress bar; `wait()` blocks until it ends.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from rag.corpus.changes import Change, add_file, remove_file
from rag.corpus.checks import CheckedFile
from rag.corpus.indexing import build_in_child
from rag.corpus.live import LiveAssistant, Snapshot
from rag.corpus.messages import CorpusChangeRefused

log = logging.getLogger(__name__)

MAX_WAITING = 50  # jobs queued at once; more are refused (each may carry a file of RAG_MAX_UPLOAD_MB)
KEEP_ENDED_S = 600  # ended jobs stay listed this long (the Corpus tab shows recent outcomes)
ACTIVE = ("queued", "indexing")


@dataclass
class Job:
    """One change asked for: add `checked` (with `metadata`) or remove `doc_id`."""

    action: str
    doc_id: str
    file: str
    user: str | None = None
    checked: CheckedFile | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: str = "queued"
    progress: dict[str, Any] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)  # build stages seen so far, in order
    result: dict[str, Any] | None = None
    error: CorpusChangeRefused | None = None
    created: float = field(default_factory=time.time)
    ended: float | None = None
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)

    def _end(self, state: str, result: dict[str, Any] | None = None, error: CorpusChangeRefused | None = None) -> None:
        self.state, self.result, self.error, self.ended = state, result, error, time.time()
        self.checked = None  # the staged upload may go
        self.finished.set()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "action": self.action, "doc_id": self.doc_id, "file": self.file, "state": self.state,
                "progress": dict(self.progress), "result": self.result,
                "error": self.error.french if self.error else None,
                "error_code": self.error.code if self.error else None}


class IndexingQueue:
    """Jobs of one app over one corpus and index (see the module docstring)."""

    def __init__(self, live: LiveAssistant, builder: Callable[..., dict[str, Any] | None] = build_in_child):
        self.live = live
        self.settings = live.settings
        self.builder = builder
        self._cond = threading.Condition()
        self._waiting: list[Job] = []
        self._jobs: list[Job] = []
        self._worker: threading.Thread | None = None
        self._reloading = False

    # --- submitting ---------------------------------------------------------------------------------
    def add(self, checked: CheckedFile, metadata: dict[str, Any], user: str | None = None) -> Job:
        return self._submit(Job("add", checked.doc_id, checked.name, user, checked, metadata))

    def remove(self, doc_id: str, user: str | None = None) -> Job:
        return self._submit(Job("remove", doc_id, doc_id, user))

    def _submit(self, job: Job) -> Job:
        with self._cond:
            if len(self._waiting) >= MAX_WAITING:
                raise CorpusChangeRefused("queue_full", n=len(self._waiting))
            now = time.time()
            self._jobs = [j for j in self._jobs if j.active or (j.ended or now) > now - KEEP_ENDED_S] + [job]
            self._waiting.append(job)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="rag-indexing", daemon=True)
                self._worker.start()
            self._cond.notify()
        return job

    # --- reading --------------------------------------------------------------------------------------
    def jobs(self) -> list[Job]:
        """Active jobs and those ended in the last KEEP_ENDED_S seconds, oldest first."""
        with self._cond:
            return list(self._jobs)

    @property
    def busy(self) -> bool:
        return any(j.active for j in self.jobs())

    def position(self, job: Job) -> int:
        """How many jobs wait before this one (0 when it is being indexed or has ended)."""
        with self._cond:
            return self._waiting.index(job) if job in self._waiting else 0

    def sync_with_disk(self) -> None:
        """Swap in the index on disk when another process (`rag add`, `rag index`) built a newer one; in the
        background, and never during this queue's own builds (the worker swaps after them)."""
        if self.busy or self._reloading or not self.live.behind_disk():
            return
        self._reloading = True

        def reload() -> None:
            try:
                self.live.reload()
            except Exception:
                log.exception("could not load the index built by another process; still answering from %s",
                              self.live.current.index.path)
            finally:
                self._reloading = False

        threading.Thread(target=reload, name="rag-reload", daemon=True).start()

    # --- the worker -----------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._waiting:
                    self._cond.wait()
                batch, self._waiting = self._waiting, []
            try:
                self._run(batch)
            except Exception:  # never let the worker die with jobs waiting on it
                log.exception("indexing batch failed unexpectedly")
                for job in batch:
                    if not job.finished.is_set():
                        job._end("failed", error=CorpusChangeRefused("index_failed", error="erreur interne"))

    def _run(self, batch: list[Job]) -> None:
        applied: list[tuple[Job, Change]] = []
        for job in batch:
            try:
                if job.action == "add":
                    change = add_file(self.settings.corpus_dir, job.checked, job.metadata)
                else:
                    change = remove_file(self.settings.corpus_dir, job.doc_id)
                    job.file = change.file
            except CorpusChangeRefused as exc:
                job._end("failed", error=exc)
                continue
            except Exception as exc:  # the upload vanished, the disk is full...: this job fails, the batch goes on
                log.exception("could not %s %s", job.action, job.file)
                job._end("failed", error=CorpusChangeRefused("index_failed", error=f"{type(exc).__name__}: {exc}"[:300]))
                continue
            job.state = "indexing"
            applied.append((job, change))
        if not applied:
            return
        t0 = time.perf_counter()

        def on_progress(event: dict[str, Any]) -> None:
            for job, _ in applied:
                job.progress = event
                if event.get("stage") and event["stage"] not in job.steps:
                    job.steps.append(event["stage"])

        try:
            stats = self.builder(self.settings, on_progress=on_progress)
            snapshot = self.live.reload()
        except Exception as exc:
            log.exception("indexing failed; undoing %d corpus change(s)", len(applied))
            for job, change in reversed(applied):
                try:
                    change.undo()
                except Exception:
                    log.exception("could not undo %s of %s", change.action, change.file)
            reason = str(exc)[:300]
            for job, _ in applied:
                job._end("failed", error=CorpusChangeRefused("index_failed", error=reason))
            return
        seconds = time.perf_counter() - t0
        for job, change in applied:
            change.commit()
            self._finish(job, snapshot, stats or {}, seconds)

    def _finish(self, job: Job, snapshot: Snapshot, stats: dict[str, Any], seconds: float) -> None:
        common = {"doc_id": job.doc_id, "file": job.file, "n_documents": len(snapshot.documents),
                  "seconds": round(seconds, 2)}
        if job.action == "remove":
            job._end("done", {**common, "removed": True})
            return
        doc = snapshot.by_id.get(job.doc_id)
        if doc is not None and doc.get("file") == job.file:
            job._end("done", {**common, "title": doc.get("title"), "n_chunks": doc.get("n_chunks", 0),
                              "embedded_chunks": stats.get("embedded", 0),
                              "embedded_sentences": stats.get("embedded_sentences", 0)})
            return
        reason = skip_reason(snapshot.index.manifest, job.file) or "not indexed"
        job._end("skipped", {**common, "n_chunks": 0, "skipped": reason})


def skip_code(manifest: dict[str, Any], file: str) -> str | None:
    """The reason code ("not_text", "too_large"...) the build recorded for skipping `file`, or None."""
    for s in manifest.get("skipped_files") or []:
        if isinstance(s, dict) and s.get("file") == file and s.get("reason"):
            return str(s["reason"])
    return None


def skip_reason(manifest: dict[str, Any], file: str) -> str | None:
    """Why the build skipped `file`, from the manifest's warnings ("name: skipped, why"), or None."""
    structured = manifest.get("skipped_files")
    if isinstance(structured, list):
        for s in structured:
            if isinstance(s, dict) and s.get("file") == file:
                return str(s.get("detail") or s.get("reason") or "skipped")
    for warning in manifest.get("skipped") or []:
        if isinstance(warning, str) and warning.startswith(f"{file}: skipped"):
            return warning.split("skipped", 1)[1].lstrip(", ").strip() or "skipped"
    return None
