"""The README stays true: its settings table and CLI help are what the code has."""

import os
import re
import subprocess
import sys

import pytest

from rag.settings import AnswerSettings, Settings

from .conftest import CORPUS, ROOT


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


def _readme_python_example() -> str:
    """The first ```python block under "## Python API" in the README."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README.md's Python API section has no ```python block"
    return match.group(1)


def test_readme_python_example_is_extracted():
    code = _readme_python_example()
    compile(code, "README.md (Python API)", "exec")
    assert "from rag import" in code


@pytest.mark.slow
def test_readme_python_example_runs(index_settings, tmp_path):
    """The Python API example runs as printed, against the session's index of the shipped corpus."""
    script = tmp_path / "readme_example.py"
    script.write_text(_readme_python_example(), encoding="utf-8")
    env = {**os.environ, "RAG_INDEX_DIR": str(index_settings.index_dir), "RAG_CORPUS_DIR": str(CORPUS),
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    # run from tmp_path: no .env of the checkout is read, and nothing is written into it
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "[1] aletheia-2024-territoires-industrie « " in out.stdout, out.stdout  # the cited sentence
    assert "refused: True" in out.stdout, out.stdout
    assert "accuracy: " in out.stdout and "report.md" in out.stdout, out.stdout
