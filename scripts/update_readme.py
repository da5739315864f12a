"""Regenerate the generated parts of README.md (settings table, `rag --help`); `--check` fails if stale.

    .venv/bin/python scripts/update_readme.py [--check]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def help_text(argv: list[str]) -> str:
    from rag.cli import build_parser

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        build_parser(argv).parse_args(argv)
    return out.getvalue().rstrip()


def generated() -> dict[str, str]:
    from rag.settings import settings_table

    parts = {"settings-table": settings_table()}
    helps = ["$ rag --help", help_text(["--help"])]
    from rag.cli import COMMANDS

    for cmd in COMMANDS:
        helps += ["", f"$ rag {cmd} --help", help_text([cmd, "--help"])]
    parts["cli-help"] = "```text\n" + "\n".join(helps) + "\n```"
    return parts


def render(readme: str) -> str:
    for name, body in generated().items():
        pattern = re.compile(rf"(<!-- {name} -->\n).*?(<!-- /{name} -->)", re.S)
        if not pattern.search(readme):
            raise SystemExit(f"README.md has no <!-- {name} --> block")
        readme = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), readme)
    return readme


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    path = ROOT / "README.md"
    current = path.read_text(encoding="utf-8")
    new = render(current)
    if args.check:
        if new != current:
            print("README.md is out of date: run `.venv/bin/python scripts/update_readme.py`", file=sys.stderr)
            return 1
        return 0
    path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
