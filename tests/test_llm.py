"""LLM path against a real OpenAI-compatible HTTP server on 127.0.0.1 (streaming SSE), with verification."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag.assistant import Assistant
from rag.answer.prompts import REFUSAL

from .conftest import free_port


class _Server:
    """Streams a scripted reply; records the prompts it received."""

    def __init__(self):
        self.reply = ""  # a string, or a function of the prompt's last message giving the reply
        self.status = 200
        self.delay = 0.0
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                time.sleep(outer.delay)
                if outer.status != 200:
                    self.send_response(outer.status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "model not found"}}')
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                reply = outer.reply(body["messages"][-1]["content"]) if callable(outer.reply) else outer.reply
                words = reply.split(" ")
                for i, w in enumerate(words):
                    piece = w if i == 0 else " " + w
                    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def server():
    s = _Server()
    yield s
    s.httpd.shutdown()


@pytest.fixture()
def server_reset(server):
    yield server
    server.reply, server.status, server.delay = "", 200, 0.0


@pytest.fixture(scope="module")
def assistant(index, index_settings, server):
    settings = index_settings.model_copy(update={"llm_base_url": server.url, "llm_timeout": 5.0})
    return Assistant(settings, index=index)


QUESTION = "Combien d'emplois représentent les trois gigafactories ?"


def _passage_with(a, needle):
    return next(i for i, p in enumerate(a.passages, start=1) if needle in p.text)


def test_streamed_llm_answer_keeps_supported_citation_and_drops_hallucinated_one(assistant, server):
    passages = assistant.retriever.search(QUESTION)
    n = next(i for i, p in enumerate(passages, start=1) if "2.800" in p.text)
    server.reply = f"Les trois gigafactories représentent 2.800 emplois [{n}][7]."
    items = list(assistant.stream(QUESTION, answerer="llm"))
    texts = [i for i in items if isinstance(i, str)]
    a = items[-1]
    assert len(texts) >= 3 and all(y.startswith(x) for x, y in zip(texts, texts[1:]))
    assert "[1]" in server.requests[-1]["messages"][-1]["content"]  # passages are numbered in the prompt
    assert not a.abstained and "2.800" in a.answer and "[7]" not in a.answer and "[1]" in a.answer
    c = a.citations[0]
    assert c.text[c.start:c.end] == c.quote and "2.800" in c.quote


def test_claim_cited_to_the_wrong_passage_is_caught(assistant, server):
    passages = assistant.retriever.search(QUESTION)
    wrong = next(i for i, p in enumerate(passages, start=1) if "2.800" not in p.text)
    server.reply = f"Les trois gigafactories représentent 2.800 emplois [{wrong}]."
    a = assistant.ask(QUESTION, answerer="llm")
    assert a.abstained and a.answer == REFUSAL and not a.citations


def test_model_refusal_is_an_abstention(assistant, server):
    server.reply = REFUSAL  # the evidence is there, but the model declines: that is an abstention too
    a = assistant.ask(QUESTION, answerer="llm")
    assert a.abstained and a.answer == REFUSAL and not a.citations


def test_question_without_evidence_is_refused_before_asking_the_model(assistant, server):
    server.reply = "La flamiche se prépare avec des poireaux [1]."
    before = len(server.requests)
    a = assistant.ask("Quelle est la recette de la flamiche aux poireaux ?", answerer="llm")
    assert a.abstained and a.answer == REFUSAL and len(server.requests) == before


def test_server_down_falls_back_to_extractive_with_a_notice(index, index_settings):
    settings = index_settings.model_copy(update={"llm_base_url": f"http://127.0.0.1:{free_port()}/v1", "llm_timeout": 2.0})
    a = Assistant(settings, index=index).ask(QUESTION, answerer="llm")
    assert a.notice and "extractive" in a.notice and "injoignable" in a.notice
    assert not a.abstained and "2.800" in a.answer


def test_unsupported_sentence_is_dropped_and_the_supported_one_kept(assistant, server):
    passages = assistant.retriever.search(QUESTION)
    n = next(i for i, p in enumerate(passages, start=1) if "2.800" in p.text)
    server.reply = (f"Les trois gigafactories représentent 2.800 emplois [{n}]. "
                    f"Elles ont toutes été financées par la ville de Lyon [{n}].")
    a = assistant.ask(QUESTION, answerer="llm")
    assert not a.abstained and "2.800" in a.answer and "Lyon" not in a.answer
    assert a.answerer == "llm"


def test_follow_up_is_condensed_by_the_llm_before_retrieval(assistant, server_reset):
    server = server_reset
    standalone = "Combien d'emplois représentent les trois gigafactories de batteries ?"

    def reply(prompt):
        if "Question autonome" in prompt:
            return standalone
        return REFUSAL

    server.reply = reply
    history = [("Quelles gigafactories se sont installées dans la région ?", "ACC, AESC et Verkor [1].")]
    a = assistant.ask("Et combien d'emplois représentent-elles ?", history, answerer="llm")
    assert a.standalone_question == standalone
    assert "Et combien d'emplois représentent-elles ?" in server.requests[-2]["messages"][-1]["content"]
    assert any("2.800" in p.text for p in a.passages)  # retrieval used the rewritten question


def test_server_error_falls_back_with_a_notice(assistant, server_reset):
    server_reset.status = 404
    a = assistant.ask(QUESTION, answerer="llm")
    assert a.notice and "extractive" in a.notice and "erreur du serveur" in a.notice
    assert not a.abstained and "2.800" in a.answer and a.answerer == "extractive"


@pytest.mark.slow
def test_slow_server_times_out_and_falls_back(index, index_settings, server_reset):
    server_reset.delay = 6.0
    settings = index_settings.model_copy(update={"llm_base_url": server_reset.url, "llm_timeout": 1.0})
    t0 = time.perf_counter()
    a = Assistant(settings, index=index).ask(QUESTION, answerer="llm")
    assert time.perf_counter() - t0 < 4.5  # gave up after the 1 s timeout, not after the 6 s reply
    assert a.notice and "délai dépassé" in a.notice and "2.800" in a.answer
