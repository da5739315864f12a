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

from rag.settings import ROOT, Settings  # noqa: E402

CORPUS = ROOT / "corpus"
QUESTIONS = ROOT / "tests" / "questions.jsonl"


def make_settings(index_dir: Path, corpus_dir: Path = CORPUS, **overrides) -> Settings:
    """Settings pointing at a test index folder; env vars and .env are ignored so tests are reproducible."""
    return Settings(_env_file=None, corpus_dir=corpus_dir, index_dir=index_dir,
                    feedback_dir=index_dir / "feedback", **overrides)


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory) -> Settings:
    """Settings whose index (built from the shipped corpus, cleaning on) exists for the whole session."""
    from rag.index import ensure_index

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
    from rag.index import open_index

    return open_index(index_settings)


@pytest.fixture(scope="session")
def retriever(index, index_settings):
    from rag.retrieval import Retriever

    return Retriever(index, index_settings)


@pytest.fixture(scope="session")
def embedder(index_settings):
    from rag.embeddings import get_embedder

    return get_embedder(index_settings)


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
    import app as webapp
    from rag.chain import Assistant

    demo = webapp.build_app(Assistant(settings, index=index), settings)
    demo.launch(prevent_thread_lock=True, quiet=True, **webapp.launch_kwargs(settings, port=free_port()))
    try:
        yield demo
    finally:
        demo.close()
