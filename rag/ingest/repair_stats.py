"""What each cleaning repair changed: counts, characters removed, examples, and the copies it dropped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from rag.ingest.duplicates import Copy


def _ignore(n: int) -> None:
    pass


@dataclass
class RepairStat:
    """What one repair changed: how many times, how many characters it removed (net), a few (before, after)
    examples, and for dropped duplicates the kept paragraph each one copies.

    `advance` is how a long repair reports the characters it has gone through (see `clean_text`'s progress);
    `memo` is the repair's memory of the lines it has already judged in this document."""

    name: str
    count: int = 0
    chars_removed: int = 0
    examples: list[tuple[str, str]] = field(default_factory=list)
    copies: list[Copy] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # what a debris rule took out, line by line
    advance: Callable[[int], None] = field(default=_ignore, repr=False, compare=False)
    # what a line repair decided about each line, kept across the passes of one document: a later pass
    # only works on the lines an earlier one changed
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def record(self, before: str, after: str) -> None:
        self.count += 1
        if len(self.examples) < 3:
            self.examples.append((before[:80], after[:80]))


@dataclass
class CleanResult:
    text: str
    stats: list[RepairStat]

    @property
    def copies(self) -> list[Copy]:
        """Every paragraph dropped as a copy, with the kept paragraph it copies."""
        return [c for s in self.stats for c in s.copies]

    def removed_by_rule(self) -> dict[str, int]:
        """Characters removed (net) by each repair that removed any."""
        return {s.name: s.chars_removed for s in self.stats if s.chars_removed > 0}


def in_context(m: re.Match, replacement: str, width: int = 25) -> tuple[str, str]:
    """(before, after) example of a small regex repair, with some text on each side to make it readable."""
    left = m.string[max(0, m.start() - width):m.start()].split("\n")[-1]
    right = m.string[m.end():m.end() + width].split("\n")[0]
    return left + m.group(0) + right, left + replacement + right
