"""Thumbs up/down on answers, appended to a JSONL file: the raw material for new test questions.

One record per vote in `settings.feedback_dir / feedback.jsonl`, with the question, the history it
was asked in, the answer, its citations and retrieved passages, and the settings that produced it.
A record carries the same field names as the question-set format where they exist (`question`,
`history`, `answerable` is left for a human to fill), so turning a vote into a test case is editing,
not re-typing.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Mapping

from rag.errors import InputError
from rag.schema import Answer
from rag.settings import Settings

FEEDBACK_FILE = "feedback.jsonl"
MAX_COMMENT_CHARS = 2000

# One lock per process: the app answers several sessions at once and two votes must never interleave.
_LOCK = threading.Lock()


def feedback_path(settings: Settings) -> Path:
    """The JSONL file votes are appended to."""
    return settings.feedback_dir / FEEDBACK_FILE


def build_record(
    *, liked: bool, answer: Answer | Mapping[str, Any], history: list[tuple[str, str]] | None = None,
    options: Mapping[str, Any] | None = None, comment: str | None = None,
) -> dict[str, Any]:
    """The record stored for one vote (not yet written)."""
    data = answer.to_json() if isinstance(answer, Answer) else dict(answer)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise InputError(f"Commentaire trop long ({len(comment)} caractères, au plus {MAX_COMMENT_CHARS}) : raccourcissez-le.")
    return {
        "id": uuid.uuid4().hex,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rating": "up" if liked else "down",
        "question": data.get("question", ""),
        "standalone_question": data.get("standalone_question", ""),
        "history": [list(pair) for pair in (history or [])],
        "answer": data.get("answer", ""),
        "abstained": data.get("abstained", False),
        "answerer": data.get("answerer"),
        "citations": data.get("citations", []),
        # passages without their text: the chunk ids and scores are enough to find them again
        "passages": [{k: p.get(k) for k in ("rank", "doc_id", "chunk_id", "score")} for p in data.get("passages", [])],
        "settings": dict(options or {}),
        "comment": comment or None,
    }


def append_feedback(settings: Settings, record: Mapping[str, Any]) -> Path:
    """Append one record as a JSON line (folder created if needed); returns the file path.

    The line is written with a single `write` on a file opened in append mode, so concurrent
    writers (even other processes) cannot interleave inside a record."""
    path = feedback_path(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with _LOCK:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
    except OSError as exc:
        raise OSError(f"Cannot write feedback to {path} ({exc}). Check RAG_FEEDBACK_DIR points at a writable folder.") from exc
    return path


def record_feedback(
    settings: Settings, *, liked: bool, answer: Answer | Mapping[str, Any],
    history: list[tuple[str, str]] | None = None, options: Mapping[str, Any] | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    """Build and append the record for one vote; returns the record written."""
    record = build_record(liked=liked, answer=answer, history=history, options=options, comment=comment)
    append_feedback(settings, record)
    return record


def read_feedback(settings: Settings) -> list[dict[str, Any]]:
    """Every stored record, oldest first (empty when nobody voted yet)."""
    path = feedback_path(settings)
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
