"""Progress of long work (index builds, uploads): a line per stage on stderr, a bar for long stages, and
every step passed to a listener (the web app's progress bar)."""

from __future__ import annotations

import contextlib
import sys
from typing import Any, Callable, Iterator

Listener = Callable[[dict[str, Any]], None]


class Progress:
    """Build progress on stderr: one line per stage, and a bar for long stages when stderr is a terminal.

    A `listener` (the web app's progress bar) also gets every step, quiet or not, as a dict:
    {"stage": bar description or None, "done": n, "total": n} for bars, {"message": text} for lines."""

    def __init__(self, quiet: bool, listener: Listener | None = None):
        self.quiet = quiet
        self.listener = listener

    def say(self, message: str) -> None:
        if self.listener:
            self.listener({"stage": None, "message": message})
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def bar(self, total: int, desc: str, unit: str = "texts") -> Iterator:
        if self.listener and total:
            with self._bar(total, desc, unit) as advance:
                done = [0]
                self.listener({"stage": desc, "done": 0, "total": total})

                def step(n: int) -> None:
                    done[0] += n
                    self.listener({"stage": desc, "done": done[0], "total": total})
                    advance(n)

                yield step
            return
        with self._bar(total, desc, unit) as advance:
            yield advance

    @contextlib.contextmanager
    def _bar(self, total: int, desc: str, unit: str) -> Iterator:
        if self.quiet or total == 0:
            yield lambda n: None
            return
        from tqdm import tqdm

        # Not a terminal (a log file, the app's console): a line every ~10 %, not a bar redrawn 1,000 times.
        with tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
                  mininterval=0.5 if sys.stderr.isatty() else 10.0) as bar:
            yield bar.update
