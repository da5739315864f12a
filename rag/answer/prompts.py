"""French prompt templates (files in `rag/answer/templates/`), loaded and checked once.

The refusal phrase is defined here only; prompts receive it as the `{refusal}` variable, and code and
tests import `REFUSAL`, so the phrase cannot drift between what the LLM is told and what is checked.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.errors import SettingsError

REFUSAL = "Je ne trouve pas la réponse dans les documents disponibles."

PROMPTS_DIR = Path(__file__).resolve().parent / "templates"

# Exactly the variables each template must use: a missing one would silently drop context, an unknown
# one would crash at the first question instead of at start-up.
EXPECTED_VARIABLES: dict[str, frozenset[str]] = {
    "system": frozenset({"refusal"}),
    "answer": frozenset({"passages", "question", "refusal", "guidance"}),
    "condense": frozenset({"history", "question"}),
}


@dataclass(frozen=True)
class Prompts:
    """The three templates (str.format syntax)."""

    system: str
    answer: str
    condense: str

    def render_system(self) -> str:
        return self.system.format(refusal=REFUSAL)

    def render_answer(self, question: str, passages: list[str], guidance: str = "") -> str:
        """`passages` are numbered [1], [2]... in the given order; `guidance` (from the extractive analysis:
        what is asked, the sentences that look like the answer) goes after the question."""
        numbered = "\n\n".join(f"[{n}] {' '.join(p.split())}" for n, p in enumerate(passages, start=1))
        return self.answer.format(passages=numbered, question=question, refusal=REFUSAL,
                                  guidance=f"\n{guidance}\n" if guidance else "")

    def render_condense(self, question: str, history: list[tuple[str, str]]) -> str:
        turns = "\n".join(f"Utilisateur : {u}\nAssistant : {a}" for u, a in history)
        return self.condense.format(history=turns, question=question)


def template_variables(template: str) -> set[str]:
    """Names of the `{variables}` used by a str.format template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def check_template(name: str, template: str) -> None:
    """Raise SettingsError when `template` uses unknown variables or misses expected ones."""
    try:
        used = template_variables(template)
    except ValueError as exc:  # unbalanced braces
        raise SettingsError(f"{name}.md is not a valid template ({exc}); escape literal braces as {{{{ }}}}.") from None
    expected = EXPECTED_VARIABLES[name]
    if used - expected:
        raise SettingsError(f"{name}.md uses unknown variable(s) {sorted(used - expected)}; allowed: {sorted(expected)}.")
    if expected - used:
        raise SettingsError(f"{name}.md misses variable(s) {sorted(expected - used)}; add them to the template.")


def load_prompts(directory: Path | str = PROMPTS_DIR) -> Prompts:
    """Read and check `system.md`, `answer.md`, `condense.md` from `directory`."""
    directory = Path(directory)
    texts = {}
    for name in EXPECTED_VARIABLES:
        path = directory / f"{name}.md"
        try:
            texts[name] = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingsError(f"Cannot read prompt template {path} ({exc.strerror}); restore it from git.") from None
        check_template(name, texts[name])
    return Prompts(**texts)


@lru_cache(maxsize=1)
def default_prompts() -> Prompts:
    """The checked templates of the repository, loaded once."""
    return load_prompts()
