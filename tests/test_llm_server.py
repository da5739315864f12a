"""The LLM answerer against a REAL llama.cpp server running SmolLM2-135M-Instruct (1 thread, ctx 4096).

SmolLM2 loops, splices passages, invents and cites passages that do not exist: it is a test subject for
verification, not a judge of answers. So these tests assert what must hold whatever the model writes:
every sentence shown (while streaming and at the end) is cited and backed by its quote, otherwise the
answer is the refusal; the token cap holds; text streams in pieces; closing the stream frees the server;
a server that dies mid-answer gives the extractive answer with the French notice; time is bounded.
Prompts are kept short (2 passages, a low token cap): the machine reads prompts slowly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from rag.answer.claims import split_claims
from rag.answer.prompts import REFUSAL
from rag.assistant import Assistant
from rag.schema import Answer
from rag.text.analysis import analyze
from rag.text.normalize import numbers_in

from .conftest import ROOT, launched_app, slot_busy, tokens_generated

pytestmark = [pytest.mark.llm, pytest.mark.slow]

QUESTIONS = [
    "Combien d'emplois représentent les trois gigafactories ?",
    "Combien la task-force régionale doit-elle mobiliser d'ici 2028 ?",
]
MAX_TOKENS = 48
TIMEOUT = 90.0  # RAG_LLM_TIMEOUT for these tests: no answer may take longer (plus retrieval)


def llm_settings(index_settings, server, **update):
    return index_settings.model_copy(update={"llm_base_url": server.base_url, "llm_model": server.model,
                                             "llm_max_tokens": MAX_TOKENS, "llm_timeout": TIMEOUT, "top_k": 2,
                                             **update})


@pytest.fixture(scope="module")
def assistant(index, index_settings, llm_server):
    return Assistant(llm_settings(index_settings, llm_server), index=index)


def assert_shown_text_is_verified(text: str, answer: Answer) -> None:
    """What a reader sees: the refusal, or sentences that each carry [n] pointing to a citation whose quote
    (an exact span of a retrieved passage) holds every figure of the sentence and shares its words."""
    if text in ("", REFUSAL):
        return
    by_n = {c.n: c for c in answer.citations}
    passages = {p.chunk_id: p.text for p in answer.passages}
    for claim, nums in split_claims(text):
        assert nums, f"uncited sentence shown: {claim!r}"
        for n in nums:
            c = by_n.get(n)
            assert c is not None, f"[{n}] shown without a citation: {claim!r}"
            assert passages[c.chunk_id][c.start:c.end] == c.quote, "the quote is not the passage's text"
            assert numbers_in(claim) <= numbers_in(c.quote), f"a figure of {claim!r} is not in {c.quote!r}"
            words = set(analyze(claim))
            assert len(words & set(analyze(c.quote))) >= 0.3 * len(words), f"{claim!r} vs quote {c.quote!r}"


def assert_verified_stream(items: list) -> Answer:
    answer = items[-1]
    assert isinstance(answer, Answer)
    shown = [i for i in items[:-1] if isinstance(i, str)]
    for text in shown:
        assert answer.answer.startswith(text) or answer.notice, "a shown sentence was taken back"
        assert_shown_text_is_verified(text, answer)
    assert_shown_text_is_verified(answer.answer, answer)
    assert answer.abstained == (answer.answer == REFUSAL) and answer.abstained == (not answer.citations)
    return answer


def test_streamed_answer_shows_only_verified_sentences_and_respects_the_token_cap(assistant):
    for question in QUESTIONS[:1]:
        report: dict = {}
        t0 = time.perf_counter()
        items = list(assistant._run(question, None, answerer="llm", streaming=True, llm_report=report))
        elapsed = time.perf_counter() - t0
        answer = assert_verified_stream(items)
        assert answer.answerer == "llm" and answer.notice is None
        shown = [i for i in items if isinstance(i, str)]
        assert shown[0] == "" and shown[0].drafting and not shown[-1].drafting  # "rédaction…" first, then done
        assert 0 < report["completion_tokens"] <= MAX_TOKENS
        assert report["stop"] != "end" or report["tokens_counted_by"] == "server"  # read to the end: the server counted
        assert report["first_token_s"] is not None and elapsed < TIMEOUT + 30
        assert "first_token" in answer.timings_ms


def test_generation_streams_in_pieces(assistant):
    gen = assistant.llm().generate([{"role": "user", "content": "Écris une histoire sur un dragon."}], max_tokens=16)
    try:
        pieces = list(gen)
    finally:
        gen.close()
    assert len(pieces) >= 3 and "".join(pieces).strip()
    assert gen.completion_tokens <= 16 and gen.finish_reason == "length"


def test_closing_the_stream_stops_the_server_generating(assistant, llm_server):
    gen = assistant.llm().generate([{"role": "user", "content": "Écris une très longue histoire sur un dragon."}],
                                   max_tokens=2000)
    next(gen)
    assert slot_busy(llm_server)
    gen.close()  # what the assistant does when the reader leaves or the model repeats itself
    deadline = time.monotonic() + 5
    while slot_busy(llm_server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not slot_busy(llm_server)


def test_rag_ask_starts_the_local_model_from_its_path(index_settings):
    from rag.answer.local_server import bundled_test_model

    env = {**os.environ, "RAG_INDEX_DIR": str(index_settings.index_dir), "RAG_CORPUS_DIR": str(index_settings.corpus_dir),
           "RAG_LLM_MODEL_PATH": str(bundled_test_model()), "RAG_LLM_MAX_TOKENS": str(MAX_TOKENS),
           "RAG_LLM_TIMEOUT": str(TIMEOUT)}
    env.pop("RAG_LLM_BASE_URL", None)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "rag.cli", "ask", QUESTIONS[1], "-k", "2", "--json"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["answerer"] == "llm" and data["notice"] is None  # RAG_LLM_MODEL_PATH makes the LLM the default
    answer = Answer(**{**data, "citations": [], "passages": []})
    from rag.schema import Chunk, Citation, Passage

    answer.citations = [Citation(**c) for c in data["citations"]]
    answer.passages = [Passage(rank=p["rank"], score=p["score"], chunk=Chunk(
        chunk_id=p["chunk_id"], doc_id=p["doc_id"], title=p["title"], text=p["text"], start=0, end=len(p["text"])))
        for p in data["passages"]]
    assert_shown_text_is_verified(data["answer"], answer)
    assert time.perf_counter() - t0 < TIMEOUT + 60


def test_app_chat_streams_verified_sentences(index_settings, index, llm_server, tmp_path):
    from gradio_client import Client

    settings = llm_settings(index_settings, llm_server, feedback_dir=tmp_path)
    with launched_app(settings, index) as demo:
        client = Client(demo.local_url, analytics_enabled=False, verbose=False)
        updates = list(client.submit(QUESTIONS[0], [], [], "", 2, "llm", api_name="/chat"))
        client.close()
    text, record = updates[-1][0], updates[-1][1]
    assert record["answerer"] == "llm" and record["notice"] is None and record["answer"] == text
    for partial, result in updates[:-1]:
        assert result is None and text.startswith(partial)  # streamed texts only ever grow
    answer = Answer(question=record["question"], standalone_question=record["standalone_question"],
                    answer=record["answer"], abstained=record["abstained"])
    from rag.schema import Chunk, Citation, Passage

    answer.citations = [Citation(**c) for c in record["citations"]]
    answer.passages = [Passage(rank=p["rank"], score=p["score"], chunk=Chunk(
        chunk_id=p["chunk_id"], doc_id=p["doc_id"], title=p["title"], text=p["text"], start=0, end=len(p["text"])))
        for p in record["passages"]]
    for partial, _ in updates:
        assert_shown_text_is_verified(partial, answer)


def test_rag_eval_with_the_llm_keeps_only_supported_citations(index_settings, llm_server, tmp_path):
    questions = [json.loads(line) for line in (ROOT / "rag" / "evaluation" / "data" / "questions.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    picked = [q for q in questions if q["id"] in ("q018", "q033")]  # answerable, no follow-up
    subset = tmp_path / "questions.jsonl"
    subset.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in picked), encoding="utf-8")
    env = {**os.environ, "RAG_INDEX_DIR": str(index_settings.index_dir), "RAG_CORPUS_DIR": str(index_settings.corpus_dir),
           "RAG_LLM_BASE_URL": llm_server.base_url, "RAG_LLM_MODEL": llm_server.model, "RAG_TOP_K": "2",
           "RAG_LLM_MAX_TOKENS": str(MAX_TOKENS), "RAG_LLM_TIMEOUT": str(TIMEOUT)}
    env.pop("RAG_LLM_MODEL_PATH", None)
    out = subprocess.run([sys.executable, "-m", "rag.cli", "eval", "--questions", str(subset), "--out",
                          str(tmp_path / "out"), "--answerer", "llm", "--no-progress"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n.questions"] == 2 and metrics["n.errors"] == 0
    assert metrics["citation.precision"] in (None, 1.0)  # a citation that is shown supports its sentence
    for line in (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        assert record["answerer"] == "llm"
        assert record["answer"] == REFUSAL or all(nums for _, nums in split_claims(record["answer"]))


def test_server_dying_mid_answer_falls_back_to_the_extractive_answer(index, index_settings):
    from rag.answer.local_server import LocalLLMServer, bundled_test_model

    server = LocalLLMServer(bundled_test_model(), threads=1, ctx=4096, model_alias="smollm2").start()
    try:
        settings = llm_settings(index_settings, server, llm_max_tokens=400, top_k=1)

        def kill_once_generating():  # wait until the answer is being written, then end the server process
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if tokens_generated(server) >= 5:
                    server.stop()
                    return
                time.sleep(0.05)

        killer = threading.Thread(target=kill_once_generating, daemon=True)
        killer.start()
        t0 = time.perf_counter()
        items = list(Assistant(settings, index=index).stream(QUESTIONS[0], answerer="llm"))
        killer.join(5)
        answer = items[-1]
        assert answer.answerer == "extractive" and answer.notice.startswith("Le serveur LLM n'a pas répondu")
        assert "connexion interrompue" in answer.notice and "réponse extractive" in answer.notice
        assert "2.800" in answer.answer and not answer.abstained
        assert time.perf_counter() - t0 < TIMEOUT
    finally:
        server.stop()


def test_llm_check_reports_latency_speed_and_citations(index_settings, llm_server):
    env = {**os.environ, "RAG_INDEX_DIR": str(index_settings.index_dir), "RAG_CORPUS_DIR": str(index_settings.corpus_dir),
           "RAG_LLM_BASE_URL": llm_server.base_url, "RAG_LLM_MODEL": llm_server.model,
           "RAG_LLM_MAX_TOKENS": str(MAX_TOKENS), "RAG_LLM_TIMEOUT": str(TIMEOUT)}
    env.pop("RAG_LLM_MODEL_PATH", None)
    out = subprocess.run([sys.executable, "-m", "rag.cli", "llm-check", "-k", "2", "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["server"] == llm_server.base_url and r["asked_model"]
    assert 0 < r["first_token_s"] <= r["total_s"] < TIMEOUT
    assert 0 < r["completion_tokens"] <= MAX_TOKENS and r["tokens_per_s"] > 0
    assert r["citations_survive"] == (not r["abstained"]) == (r["citations_kept"] > 0)


@pytest.mark.browser
def test_closing_the_browser_tab_stops_the_generation(index_settings, index, llm_server, tmp_path):
    """A reader leaves while the model writes: the app closes its stream and llama.cpp stops at once
    (without the heartbeat, it went on for the whole answer: 50 s here)."""
    from pathlib import Path

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("/usr/bin/chromium is absent: bash scripts/install-chromium.sh")
    from playwright.sync_api import sync_playwright

    settings = llm_settings(index_settings, llm_server, llm_max_tokens=500, feedback_dir=tmp_path, answerer="llm",
                            top_k=1)  # a short prompt: the test waits for the model to start writing
    with launched_app(settings, index) as demo, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_context().new_page()
        page.set_default_timeout(60_000)
        page.goto(demo.local_url)
        page.wait_for_selector("#rag-question textarea")
        page.fill("#rag-question textarea", QUESTIONS[0])
        page.keyboard.press("Enter")
        deadline = time.monotonic() + 120
        while tokens_generated(llm_server) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert tokens_generated(llm_server) >= 3, "the model never started writing"
        browser.close()
        deadline = time.monotonic() + 10
        while slot_busy(llm_server) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not slot_busy(llm_server)
