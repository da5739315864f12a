"""An index build in a child process, its progress read line by line: how the web app indexes uploads.

Why a child process: cleaning and chunking are pure Python and would hold the interpreter lock of the
app's process for seconds at a time (minutes for a large PDF), stalling every answer being streamed; the
embedding model's threads would compete with the ones answering questions. The child runs at a lower
priority (`NICENESS`), so questions keep their share of the CPU, and a crash in it cannot take the app
down. It takes the same build lock as `rag index` (rag.index.build): one build at a time, across processes.

Protocol: the parent writes the settings as one JSON object on the child's stdin; the child writes JSON
lines on stdout: {"progress": {...}} (rag.index.progress.Progress events), then {"done": stats or null}
(null: the index was already fresh) or {"error": message, "type": exception class name}.

    python -m rag.corpus.indexing < settings.json
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable

from rag.errors import RagError
from rag.settings import Settings

log = logging.getLogger(__name__)

NICENESS = 10  # added to the app's: a build yields the CPU to questions being answered
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent  # the folder holding the `rag` package


class BuildFailed(RagError):
    """The child build failed; the message is the child's error."""


def settings_payload(settings: Settings) -> dict[str, Any]:
    """Settings as JSON for the child: the LLM key is left out (a build uses none); the database URL, which
    model_dump would mask, is given in clear (the postgres store's build writes there), through a pipe."""
    payload = settings.model_dump(mode="json", exclude={"llm_api_key", "database_url"})
    if settings.database_url is not None:
        payload["database_url"] = settings.database_url.get_secret_value()
    return payload


def build_in_child(settings: Settings, on_progress: Callable[[dict[str, Any]], None] | None = None,
                   timeout: float | None = None) -> dict[str, Any] | None:
    """Bring the index up to date in a child process; returns the build statistics (None when it was fresh).

    Raises BuildFailed with the child's message when the build fails."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.Popen([sys.executable, "-m", "rag.corpus.indexing"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env)
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True)  # never let stderr fill up
    drain.start()
    outcome: dict[str, Any] = {}
    try:
        proc.stdin.write(json.dumps(settings_payload(settings)))
        proc.stdin.close()
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # a library printing to stdout: not ours
            if "progress" in event:
                if on_progress:
                    on_progress(event["progress"])
            else:
                outcome = event
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        drain.join(timeout=5)
    if "done" in outcome and proc.returncode == 0:
        return outcome["done"]
    if "error" in outcome:
        raise BuildFailed(outcome["error"])
    tail = "".join(errors[-5:]).strip()[-500:]
    raise BuildFailed(f"the indexing process stopped with code {proc.returncode}" + (f": {tail}" if tail else ""))


def main() -> int:
    """The child: read the settings, build, report."""
    out = sys.stdout
    sys.stdout = sys.stderr  # anything a library prints goes to stderr; stdout carries the protocol only
    lock = threading.Lock()

    def emit(event: dict[str, Any]) -> None:
        with lock:
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
            out.flush()

    try:
        os.nice(NICENESS)
    except (AttributeError, OSError):  # not a Unix system, or not allowed: build at the same priority
        pass
    try:
        settings = Settings(_env_file=None, **json.loads(sys.stdin.read()))
        from rag.index.build import ensure_index

        stats = ensure_index(settings, quiet=True, listener=lambda e: emit({"progress": e}))
        emit({"done": stats})
        return 0
    except Exception as exc:  # reported to the parent, which keeps the previous index
        logging.getLogger(__name__).exception("index build failed")
        emit({"error": f"{type(exc).__name__}: {exc}" if not isinstance(exc, RagError) else str(exc),
              "type": type(exc).__name__})
        return 1


if __name__ == "__main__":
    sys.exit(main())
