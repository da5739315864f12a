"""The `rag` command as a user runs it: JSON contract, one-line errors with exit code 2."""

import json
import os
import re
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


# --- input that used to end in a traceback -----------------------------------------------------------

def one_line_error(out, code: int) -> str:
    """The single stderr line of a failed command (asserting the exit code and that no traceback leaked)."""
    assert out.returncode == code, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


def test_a_question_with_bytes_that_are_not_utf8_is_refused_in_one_line(index_settings):
    import os

    out = run_rag(["ask", os.fsdecode(b"\xff\xfe")], index_settings)
    line = one_line_error(out, 2)
    assert "not UTF-8" in line and "\\xff\\xfe" in line


def test_a_metadata_entry_that_is_not_an_object_is_named_and_the_index_is_kept(index_settings, corpus_copy, tmp_path):
    import shutil

    from rag.index.store import open_index

    index_dir = tmp_path / "idx"
    shutil.copytree(index_settings.index_dir, index_dir, symlinks=True)
    meta = json.loads((corpus_copy / "metadata.json").read_text(encoding="utf-8"))
    meta["region-hdf-2025-assises-defense.txt"] = "Les Hauts-de-France s'engagent pour la défense"
    (corpus_copy / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    out = run_rag(["index", "--quiet"], index_settings, RAG_CORPUS_DIR=str(corpus_copy), RAG_INDEX_DIR=str(index_dir))
    line = one_line_error(out, 1)
    assert "metadata.json" in line and "region-hdf-2025-assises-defense.txt" in line and "a string" in line
    settings = index_settings.model_copy(update={"corpus_dir": corpus_copy, "index_dir": index_dir})
    assert len(open_index(settings).chunks) == len(open_index(index_settings).chunks)  # the old index still loads


def run_in(folder, args, **env_extra):
    """`rag` run from `folder` (where it looks for .env), importing this checkout's package."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(PYTHONPATH=str(ROOT), **env_extra)
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=300)


def test_an_env_file_that_is_not_utf8_is_named_with_the_fix(tmp_path):
    (tmp_path / ".env").write_bytes("RAG_TOP_K=3\nNOM=café\n".encode("cp1252"))
    line = one_line_error(run_in(tmp_path, ["retrieve", "emploi"]), 2)
    assert str(tmp_path / ".env") in line and "not valid UTF-8" in line and "re-save it as UTF-8" in line


def test_env_file_keys_of_other_programs_are_ignored_and_typos_get_a_suggestion(tmp_path):
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-test\nRAG_TOPK=3\nRAG_MAX_QUESTION_CHARS=12\n", encoding="utf-8")
    out = run_in(tmp_path, ["retrieve", "Une question bien trop longue"], RAG_RETREIVAL_MODE="bm25")
    # the .env's real setting is applied (the question is over 12 characters), OPENAI_API_KEY is not an error
    assert out.returncode == 2 and "too long" in out.stderr and "OPENAI" not in out.stderr
    assert "Extra inputs" not in out.stderr and "Traceback" not in out.stderr
    warnings = [line for line in out.stderr.splitlines() if "unknown setting" in line]
    assert len(warnings) == 2
    assert any("RAG_TOPK" in w and "did you mean RAG_TOP_K?" in w and ".env" in w for w in warnings)
    assert any("RAG_RETREIVAL_MODE" in w and "did you mean RAG_RETRIEVAL_MODE?" in w for w in warnings)


# --- files that must not be indexed ----------------------------------------------------------------------

def test_binary_and_oversized_files_are_skipped_with_a_warning_and_the_rest_is_indexed(index_settings, corpus_copy, tmp_path):
    """A program, an image, an archive and random bytes saved as .txt, and a text file over
    RAG_MAX_DOCUMENT_MB, are skipped with a warning each; the five documents are indexed as before, and
    the build says what cleaning removed from each."""
    import io
    import random
    import shutil
    import zipfile

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shutil.copy(shutil.which("ls"), corpus_copy / "programme.txt")
    (corpus_copy / "bruit.txt").write_bytes(random.Random(0).randbytes(50_000))
    png = io.BytesIO()
    plt.figure(figsize=(2, 2)).savefig(png, format="png")
    (corpus_copy / "image.txt").write_bytes(png.getvalue())
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(corpus_copy.glob("*-*.txt")):
            z.write(p, p.name)
    (corpus_copy / "archive.txt").write_bytes(archive.getvalue())
    big_text = (corpus_copy / "aletheia-2024-territoires-industrie.txt").read_text(encoding="utf-8")
    (corpus_copy / "gros.txt").write_text(big_text * 160, encoding="utf-8")  # about 0.66 MB
    index_dir = tmp_path / "idx"
    shutil.copytree(index_settings.index_dir / "cache", index_dir / "cache")

    out = run_rag(["index"], index_settings, RAG_CORPUS_DIR=str(corpus_copy), RAG_INDEX_DIR=str(index_dir),
                  RAG_MAX_DOCUMENT_MB="0.5")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    warnings = {line.split(":")[1].strip(): line for line in out.stderr.splitlines() if line.startswith("warning:")}
    assert set(warnings) == {"programme.txt", "bruit.txt", "image.txt", "archive.txt", "gros.txt"}
    for name in ("programme.txt", "bruit.txt", "image.txt", "archive.txt"):
        assert "skipped, not text" in warnings[name]
    assert re.search(r"gros\.txt: skipped, 0\.\d MB is over the 0\.5 MB limit \(set RAG_MAX_DOCUMENT_MB", warnings["gros.txt"])
    assert "Indexed 5 documents" in out.stdout
    manifest = json.loads((index_dir / CURRENT / "manifest.json").read_text(encoding="utf-8"))
    assert {s["file"]: s["reason"] for s in manifest["skipped_files"]} == {
        "programme.txt": "not_text", "bruit.txt": "not_text", "image.txt": "not_text", "archive.txt": "not_text",
        "gros.txt": "too_large"}
    removed = re.search(r"cleaned agence-hdf-2020-2040-prospective-industrie: ([\d,]+) characters removed \((.*)\)", out.stderr)
    assert removed and "drop_repeated_paragraphs" in removed.group(2) and "drop_glyph_debris" in removed.group(2)


@pytest.mark.slow
def test_a_refused_question_prints_the_closest_passages_to_read(index_settings):
    out = run_rag(["ask", "Quel est le prix d'un billet de train entre Paris et Lille ?", "-k", "4"], index_settings)
    assert out.returncode == 0, out.stderr
    from rag.answer.prompts import REFUSAL
    from rag.ui.render import CLOSEST_PASSAGES

    lines = out.stdout.splitlines()
    assert lines[0] == REFUSAL and f"{CLOSEST_PASSAGES} :" in lines
    listed = [line for line in lines if re.match(r"\[\d\] ", line)]
    assert len(listed) == 3 and all("(" in line and line.endswith(")") for line in listed), out.stdout
