"""The README stays true: its settings table and CLI help are what the code has."""

import subprocess
import sys

from rag.settings import AnswerSettings, Settings

from .conftest import ROOT


def test_readme_generated_blocks_are_current():
    out = subprocess.run([sys.executable, "scripts/update_readme.py", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def test_every_setting_is_documented_with_its_env_var():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        if name == "answer":  # a group: each of its fields is documented as RAG_ANSWER__<NAME>
            for sub in AnswerSettings.model_fields:
                assert f"`RAG_ANSWER__{sub.upper()}`" in readme, sub
            continue
        assert f"`RAG_{name.upper()}`" in readme, name


def test_readme_commands_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test.sh" in (ROOT / "Makefile").read_text(encoding="utf-8")
