"""The `rag` command as a user runs it: JSON contract, one-line errors with exit code 2."""

import json
import os
import subprocess
import sys

import pytest

from rag.index.store import CURRENT
from .conftest import ROOT


def run_rag(args, settings, **env_extra):
    env = {**os.environ, "RAG_INDEX_DIR": str(settings.index_dir), "RAG_CORPUS_DIR": str(settings.corpus_dir), **env_extra}
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_retrieve_json_contract(index_settings):
    out = run_rag(["retrieve", "Quelle enveloppe du Fonds Vert pour Territoires d'industrie ?", "-k", "3", "--json"], index_settings)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["question"].startswith("Quelle enveloppe")
    assert len(data["passages"]) == 3
    p = data["passages"][0]
    assert {"rank", "doc_id", "chunk_id", "text", "score"} <= set(p)
    assert any("cinq millions" in p["text"] for p in data["passages"])


@pytest.mark.slow
def test_retrieve_doc_filter_and_mode(index_settings):
    out = run_rag(["retrieve", "drones", "--doc", "mediacites-2025-defense-eldorado", "--mode", "bm25", "--json"], index_settings)
    assert out.returncode == 0, out.stderr
    assert {p["doc_id"] for p in json.loads(out.stdout)["passages"]} == {"mediacites-2025-defense-eldorado"}


@pytest.mark.parametrize("args, message", [
    (["retrieve", ""], "empty"),
    (["retrieve", "emploi", "-k", "0"], "at least 1"),
    (["retrieve", "emploi", "--mode", "magic"], "invalid choice"),
    (["retrieve", "emploi", "-k", "deux"], "invalid int value"),
])
def test_bad_input_is_one_line_and_exit_2(index_settings, args, message):
    out = run_rag(args, index_settings)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_unknown_document_id_is_exit_2(index_settings):
    out = run_rag(["retrieve", "emploi", "--doc", "inconnu"], index_settings)
    assert out.returncode == 2 and "Unknown document id inconnu" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_setting_is_reported_with_its_env_var(index_settings):
    out = run_rag(["retrieve", "emploi"], index_settings, RAG_TOP_K="zero")
    assert out.returncode == 2
    assert "RAG_TOP_K" in out.stderr and "Traceback" not in out.stderr


def test_corrupted_index_names_the_file_and_the_fix(tmp_path, index_settings):
    import shutil

    broken = tmp_path / "idx"
    shutil.copytree(index_settings.index_dir, broken)
    (broken / CURRENT / "chunks.jsonl").write_text("garbage", encoding="utf-8")
    out = run_rag(["retrieve", "emploi"], index_settings, RAG_INDEX_DIR=str(broken))
    assert out.returncode == 1
    assert "chunks.jsonl" in out.stderr and "rag index --rebuild" in out.stderr
    assert "Traceback" not in out.stderr


def test_index_command_reports_up_to_date(index_settings):
    out = run_rag(["index"], index_settings)
    assert out.returncode == 0, out.stderr
    assert "up to date" in out.stdout
