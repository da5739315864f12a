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
from pathlib import Path
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

    @property
    def current(self) -> Snapshot:
        return self._current  # one attribute read: atomic

    def swap(self, assistant) -> Snapshot:
        with self._lock:
            self._current = Snapshot.of(assistant, self._current.version + 1)
            return self._current

    def index_on_disk(self) -> Path | None:
        """The build the index folder's `current` link points to now (None when there is none)."""
        link = self.settings.index_dir / CURRENT
        try:
            return link.resolve(strict=True)
        except OSError:
            return None

    def behind_disk(self) -> bool:
        """True when the index on disk is another build than the one being served (built by `rag add`,
        `rag index` or another app meanwhile)."""
        on_disk = self.index_on_disk()
        return on_disk is not None and on_disk != Path(self.current.index.path)

    def reload(self) -> Snapshot:
        """Load the index on disk (unless it is the one served) and swap in an assistant over it.

        The new assistant is fully built before the swap; a failure leaves the current one in place."""
        from rag.assistant import Assistant
        from rag.index.store import open_index

        if not self.behind_disk():
            return self.current
        index = open_index(self.settings)
        assistant = Assistant(self.settings, index=index)
        snapshot = self.swap(assistant)
        log.info("now answering from %s (%d documents)", index.path, len(snapshot.documents))
        return snapshot
