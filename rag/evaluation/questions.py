"""Question sets: the JSONL format of ARCHITECTURE.md, read with one clear message per malformed line.

The shipped set (`rag/evaluation/data/questions.jsonl`) is the default of `rag eval`; it ships with the
package so an installed wheel can evaluate too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag.errors import InputError

DEFAULT_QUESTIONS = Path(__file__).resolve().parent / "data" / "questions.jsonl"
_LIST_FIELDS = ("facts", "evidence")


def _check_question(obj: Any, lineno: int, seen: set[str]) -> dict[str, Any]:
    """The question as a dict with defaults filled in; ValueError saying what is wrong otherwise."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    q = dict(obj)
    if not isinstance(q.get("question"), str) or not q["question"].strip():
        raise ValueError("'question' is missing or empty")
    qid = q.get("id", f"line{lineno}")
    if not isinstance(qid, (str, int)) or isinstance(qid, bool):
        raise ValueError("'id' must be a string")
    q["id"] = str(qid)
    if q["id"] in seen:
        raise ValueError(f"id {q['id']!r} is used by an earlier line")
    for name in _LIST_FIELDS:
        value = q.get(name, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"'{name}' must be a list of strings")
        q[name] = value
    answerable = q.get("answerable", True)
    if not isinstance(answerable, bool):
        raise ValueError("'answerable' must be true or false")
    q["answerable"] = answerable
    history = q.get("history") or []
    if not isinstance(history, list) or not all(
        isinstance(turn, (list, tuple)) and len(turn) == 2 and all(isinstance(t, str) for t in turn) for turn in history
    ):
        raise ValueError("'history' must be a list of [user, assistant] pairs of strings")
    q["history"] = [list(turn) for turn in history]
    standalone = q.get("standalone")
    if standalone is not None and (not isinstance(standalone, str) or not standalone.strip()):
        raise ValueError("'standalone' must be a non-empty string (the follow-up written self-contained)")
    q["category"] = str(q.get("category") or "uncategorised")
    return q


def load_questions(path: str | Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Questions of a JSONL file and one error message per malformed line ("line N: ...").

    Malformed lines are skipped so the others still run; blank lines are ignored.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Question file {path} does not exist: give a JSONL file (one question object per line).")
    questions: list[dict[str, Any]] = []
    errors: list[str] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8-sig", errors="replace") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                q = _check_question(json.loads(line), lineno, seen)
            except json.JSONDecodeError as exc:
                errors.append(f"line {lineno}: not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            except ValueError as exc:
                errors.append(f"line {lineno}: {exc}")
                continue
            seen.add(q["id"])
            q["line"] = lineno
            questions.append(q)
    return questions, errors
