"""The assistant a running app answers with, replaced in one step when a new index is built.

`LiveAssistant.current` is a `Snapshot`: an Assistant with its index and document list, never changed
once made. A handler reads `current` once and works with that snapshot to the end, so a question being
answered while a new index is swapped in finishes on the old one (its files stay readable: the old build
is kept, rag.index.files_write.KEEP_BUILDS, and this index is already in memory); the next question gets the
new one. Swapping is one reference assignment under a lock: no reader ever sees half of each.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from rag.index.manifest import CURRENT

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """One assistant and what the app shows about its index; `version` counts the swaps."""

    assistant: Any
    version: int
    documents: list[dict[str, Any]] = field(default_factory=list)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def index(self):
        return self.assistant.retriever.index

    @classmethod
    def of(cls, assistant, version: int) -> "Snapshot":
        docs = assistant.retriever.index.documents()
        return cls(assistant, version, docs, {d["doc_id"]: d for d in docs})


class LiveAssistant:
    """Holds the current Snapshot; `reload()` swaps in an assistant over the index now on disk."""

    def __init__(self, assistant):
        self.settings = assistant.settings
        self._lock = threading.Lock()
        self._current = Snapshot.of(assistant, 0)
        self._served = self.index_built()  # the index this snapshot was loaded from

    @property
    def current(self) -> Snapshot:
        return self._current  # one attribute read: atomic

    def swap(self, assistant, built: str | None = None) -> Snapshot:
        with self._lock:
            self._current = Snapshot.of(assistant, self._current.version + 1)
            self._served = built if built is not None else self.index_built()
            return self._current

    def index_built(self) -> str | None:
        """What names the index built now (None when there is none): the build folder the `current` link
        points to (files store), or the current generation (PostgreSQL store)."""
        if self.settings.store == "postgres":
            from rag.index.postgres.store import shared_store

            gen = shared_store(self.settings).current_generation()
            return None if gen is None else f"generation {gen}"
        try:
            return str((self.settings.index_dir / CURRENT).resolve(strict=True))
        except OSError:
            return None

    def behind_disk(self) -> bool:
        """True when the index built now is another one than the one being served (built by `rag add`,
        `rag index` or another app meanwhile)."""
        built = self.index_built()
        return built is not None and built != self._served

    def reload(self) -> Snapshot:
        """Load the index on disk (unless it is the one served) and swap in an assistant over it.

        The new assistant is fully built before the swap; a failure leaves the current one in place."""
        from rag.assistant import Assistant
        from rag.index.store import open_store

        if not self.behind_disk():
            return self.current
        built = self.index_built()  # read before loading: a build finishing meanwhile is caught next time
        index = open_store(self.settings)
        assistant = Assistant(self.settings, index=index)
        snapshot = self.swap(assistant, built)
        log.info("now answering from %s (%d documents)", index.path, len(snapshot.documents))
        return snapshot
