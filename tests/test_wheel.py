"""The package is self-contained: a wheel built from the repository, installed outside it, serves the app.

The wheel is installed without its dependencies into a temporary folder (the dependencies come from the
test environment) and imported from there, from another working directory: prompts, word lists, the
shipped question set and the tiktoken file must all come from the wheel, not from the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from .conftest import CORPUS, ROOT, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"),
                    str(ROOT)], check=True, capture_output=True, text=True, timeout=300)
    wheel = next((tmp / "dist").glob("rag_hdf-*.whl"))
    site = tmp / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, text=True, timeout=300)
    return site


def _env(site, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update({"PYTHONPATH": str(site), "HF_HUB_OFFLINE": "1", "NO_PROXY": "127.0.0.1,localhost", **extra})
    return env


def test_the_installed_package_has_its_data_files(installed, tmp_path):
    code = ("import rag, pathlib; from rag.answer.prompts import default_prompts; from rag.evaluation.questions import "
            "DEFAULT_QUESTIONS; from rag.text.tokens import count_tokens; from rag.answer.question import analyse_question;"
            "p = default_prompts(); print(rag.__file__); print(DEFAULT_QUESTIONS.is_file()); print(count_tokens('La région'));"
            "print(analyse_question('Combien de ports ?').kind); print('{refusal}' in p.system)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(installed), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    path, has_questions, tokens, kind, prompt_ok = out.stdout.split()
    assert path.startswith(str(installed)) and has_questions == "True" and int(tokens) > 0 and kind == "figure"
    assert prompt_ok == "True"
    # counting tokens wrote nothing into the installed package (tiktoken's cache would, if it were used)
    assert [p.name for p in (installed / "rag" / "resources" / "tiktoken").iterdir()] == [
        "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"]


def test_the_installed_package_serves_the_app_from_any_folder(installed, tmp_path):
    from gradio_client import Client

    corpus = tmp_path / "docs"
    shutil.copytree(CORPUS, corpus)
    index = tmp_path / "index"
    if (ROOT / "index" / "cache").is_dir():  # seed the embeddings: the test is about packaging, not speed
        shutil.copytree(ROOT / "index" / "cache", index / "cache")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(port)], cwd=tmp_path,
                            env=_env(installed, RAG_CORPUS_DIR=str(corpus), RAG_INDEX_DIR=str(index),
                                     RAG_FEEDBACK_DIR=str(tmp_path / "fb")),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 240
        client = None
        while time.time() < deadline and client is None:
            if proc.poll() is not None:
                pytest.fail(f"rag serve exited: {proc.stderr.read()[-2000:]}")
            try:
                client = Client(f"http://127.0.0.1:{port}/", analytics_enabled=False, verbose=False)
            except Exception:
                time.sleep(1)
        assert client is not None, "the app did not come up"
        text, result = client.predict("Combien de territoires participent à la phase II de Territoires d'industrie ?",
                                      [], [], "", 5, "", api_name="/chat")
        assert "18" in text and result["citations"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
