"""LLM path against a loopback OpenAI-compatible HTTP server that streams a scripted reply (SSE).

A stand-in, used only for what a real model cannot be made to produce on demand: an exact
hallucinated [7], a sentence cited to the wrong passage, a `<think>` block split across chunks, a
server that stalls or sends its first token late. The real llama.cpp server is in test_llm_server.py.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag.assistant import Assistant
from rag.answer.claims import split_claims
from rag.answer.prompts import REFUSAL
from rag.schema import Answer

from .conftest import free_port


def _chunk(delta, finish_reason):
    return {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}


class _Server:
    """Streams a scripted reply piece by piece; records the requests and whether the client hung up."""

    def __init__(self):
        self.reset()
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # chunked streaming, as real servers do: a cut stream is detectable

            def log_message(self, *a):
                pass

            def send_chunk(self, data: bytes):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                if outer.status != 200:
                    body = b'{"error": {"message": "model not found"}}'
                    self.send_response(outer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.flush()
                self.close_connection = True
                time.sleep(outer.first_delay)  # headers at once, first token late: as llama.cpp reading a prompt
                reply = outer.reply(body["messages"][-1]["content"]) if callable(outer.reply) else outer.reply
                pieces = reply if isinstance(reply, list) else [w if i == 0 else " " + w for i, w in enumerate(reply.split(" "))]
                outer.sent = 0
                try:
                    for i, piece in enumerate(pieces):
                        if outer.die_after is not None and i == outer.die_after:
                            self.connection.close()  # the server process dies mid-answer
                            return
                        self.send_chunk(f"data: {json.dumps(_chunk({'content': piece}, None))}\n\n".encode())
                        outer.sent += 1
                        time.sleep(outer.piece_delay)
                    self.send_chunk(f"data: {json.dumps(_chunk({}, 'stop'))}\n\n".encode())
                    self.send_chunk(b"data: [DONE]\n\n")
                    self.send_chunk(b"")
                except (BrokenPipeError, ConnectionResetError):
                    outer.hung_up = True  # the client closed the stream: a real server stops generating here

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def reset(self):
        self.reply = ""  # a string (streamed word by word), a list of pieces, or a function of the prompt
        self.status = 200
        self.first_delay = 0.0
        self.piece_delay = 0.0
        self.die_after = None
        self.hung_up = False
        self.sent = 0


@pytest.fixture(scope="module")
def server():
    s = _Server()
    yield s
    s.httpd.shutdown()


@pytest.fixture()
def fake(server):
    server.reset()
    yield server
    server.reset()


@pytest.fixture(scope="module")
def assistant(index, index_settings, server):
    settings = index_settings.model_copy(update={"llm_base_url": server.url, "llm_timeout": 10.0,
                                                 "llm_first_token_timeout": 5.0, "llm_max_tokens": 200})
    return Assistant(settings, index=index)


QUESTION = "Combien d'emplois représentent les trois gigafactories ?"
SUPPORTED = "Les trois gigafactories représentent 2.800 emplois"


def _n(assistant, needle="2.800", present=True):
    """The number [n] the prompt gives to the first passage that holds (or lacks) `needle`."""
    passages = assistant.retriever.search(QUESTION)
    return next(i for i, p in enumerate(passages, start=1) if (needle in p.text) == present)


def _shown(items):
    return [i for i in items if isinstance(i, str)]


def assert_only_verified_text_was_shown(items):
    """Every text the user saw is a prefix of the final answer, made of whole cited sentences."""
    final = items[-1]
    assert isinstance(final, Answer)
    for text in _shown(items):
        assert final.answer.startswith(text), (text, final.answer)
        if text and text != REFUSAL:
            assert all(nums for _, nums in split_claims(text)), text


def test_sentences_reach_the_user_one_by_one_and_only_once_verified(assistant, fake):
    n = _n(assistant)
    fake.reply = (f"{SUPPORTED} [{n}][7]. Elles ont toutes été financées par la ville de Lyon [{n}]. "
                  f"Ces trois gigafactories représentent 2.800 emplois, détaille Xavier Bertrand [{n}].")
    items = list(assistant.stream(QUESTION, answerer="llm"))
    a = items[-1]
    assert_only_verified_text_was_shown(items)
    shown = _shown(items)
    assert shown[0] == "" and shown[0].drafting  # "rédaction…" before any sentence
    with_text = [t for t in shown if t]
    assert len(with_text) >= 2 and with_text[0].drafting and not with_text[-1].drafting
    assert with_text[0].count("[") == 1 and "Bertrand" not in with_text[0]  # the first sentence alone, first
    assert not any("Lyon" in t or "[7]" in t for t in shown)
    assert not a.abstained and "Lyon" not in a.answer and "[7]" not in a.answer and a.answer.count("[1]") >= 1
    c = a.citations[0]
    assert c.text[c.start:c.end] == c.quote and "2.800" in c.quote
    assert "[1]" in fake.requests[-1]["messages"][-1]["content"]  # passages are numbered in the prompt


def test_token_cap_is_sent_as_max_tokens_and_max_completion_tokens(assistant, fake):
    fake.reply = f"{SUPPORTED} [{_n(assistant)}]."
    assistant.ask(QUESTION, answerer="llm")
    body = fake.requests[-1]
    assert body["max_tokens"] == body["max_completion_tokens"] == assistant.settings.llm_max_tokens
    assert body["stream"] is True and body["messages"][0]["role"] == "system"


def test_claim_cited_to_the_wrong_passage_is_caught(assistant, fake):
    fake.reply = f"{SUPPORTED} [{_n(assistant, present=False)}]."
    a = assistant.ask(QUESTION, answerer="llm")
    assert a.abstained and a.answer == REFUSAL and not a.citations


def test_think_blocks_are_removed_even_split_across_chunks_or_unclosed(assistant, fake):
    n = _n(assistant)
    fake.reply = ["<thi", f"nk>Il faut dire {SUPPORTED} [{n}]. ", "</th", f"ink>{SUPPORTED} [{n}]. ",
                  f"<think>Et aussi {SUPPORTED} selon [{n}]. ", "jamais fermé"]
    items = list(assistant.stream(QUESTION, answerer="llm"))
    a = items[-1]
    assert_only_verified_text_was_shown(items)
    assert a.answer == f"{SUPPORTED}. [1]"
    assert not any("think" in t or "Il faut" in t or "Et aussi" in t for t in _shown(items))


def test_repeated_sentence_stops_the_stream_and_closes_it(assistant, fake):
    n = _n(assistant)
    fake.reply = [f"{SUPPORTED} [{n}]. "] * 200
    fake.piece_delay = 0.02
    t0 = time.perf_counter()
    a = assistant.ask(QUESTION, answerer="llm")
    assert time.perf_counter() - t0 < 3  # 200 pieces would take 4 s
    assert a.answer == f"{SUPPORTED}. [1]"
    time.sleep(0.3)
    assert fake.hung_up and fake.sent < 20  # the connection was closed: a real server stops generating


def test_rules_go_into_the_user_message_when_the_template_drops_the_system_role(index, index_settings, fake):
    settings = index_settings.model_copy(update={"llm_base_url": fake.url, "llm_system_in_user": True})
    fake.reply = REFUSAL
    Assistant(settings, index=index).ask(QUESTION, answerer="llm")
    messages = fake.requests[-1]["messages"]
    assert [m["role"] for m in messages] == ["user"]
    assert messages[0]["content"].startswith("Tu es l'assistant") and "Passages" in messages[0]["content"]


def test_model_refusal_is_an_abstention(assistant, fake):
    fake.reply = REFUSAL  # the evidence is there, but the model declines: that is an abstention too
    a = assistant.ask(QUESTION, answerer="llm")
    assert a.abstained and a.answer == REFUSAL and not a.citations


def test_question_without_evidence_is_refused_before_asking_the_model(assistant, fake):
    fake.reply = "La flamiche se prépare avec des poireaux [1]."
    before = len(fake.requests)
    a = assistant.ask("Quelle est la recette de la flamiche aux poireaux ?", answerer="llm")
    assert a.abstained and a.answer == REFUSAL and len(fake.requests) == before


def test_server_down_falls_back_to_extractive_with_a_notice(index, index_settings):
    settings = index_settings.model_copy(update={"llm_base_url": f"http://127.0.0.1:{free_port()}/v1", "llm_timeout": 2.0})
    a = Assistant(settings, index=index).ask(QUESTION, answerer="llm")
    assert a.notice and "extractive" in a.notice and "injoignable" in a.notice
    assert not a.abstained and "2.800" in a.answer


def test_server_dying_mid_answer_falls_back_with_a_notice(assistant, fake):
    fake.reply = f"{SUPPORTED} [{_n(assistant)}]. Et encore une phrase qui ne finira jamais"
    fake.die_after = 8
    items = list(assistant.stream(QUESTION, answerer="llm"))
    a = items[-1]
    assert a.answerer == "extractive" and "connexion interrompue" in a.notice and "2.800" in a.answer


def test_follow_up_is_condensed_by_the_llm_before_retrieval(assistant, fake):
    standalone = "Combien d'emplois représentent les trois gigafactories de batteries ?"
    fake.reply = lambda prompt: standalone if "Question autonome" in prompt else REFUSAL
    history = [("Quelles gigafactories se sont installées dans la région ?", "ACC, AESC et Verkor [1].")]
    a = assistant.ask("Et combien d'emplois représentent-elles ?", history, answerer="llm")
    assert a.standalone_question == standalone
    assert "Et combien d'emplois représentent-elles ?" in fake.requests[-2]["messages"][-1]["content"]
    assert any("2.800" in p.text for p in a.passages)  # retrieval used the rewritten question


def test_unknown_model_falls_back_with_a_notice_naming_it(assistant, fake):
    fake.status = 404
    a = assistant.ask(QUESTION, answerer="llm")
    assert a.notice and "extractive" in a.notice and "modèle introuvable" in a.notice
    assert not a.abstained and "2.800" in a.answer and a.answerer == "extractive"


def test_error_message_names_the_server_and_the_fix(assistant, fake):
    from rag.errors import LLMError

    fake.status = 404
    with pytest.raises(LLMError) as info:
        list(assistant.llm().generate([{"role": "user", "content": "Bonjour"}]))
    message = str(info.value)
    assert fake.url in message and "RAG_LLM_MODEL" in message and "\n" not in message


@pytest.mark.slow
def test_late_first_token_times_out_and_falls_back(index, index_settings, fake):
    fake.first_delay = 4.0
    fake.reply = f"{SUPPORTED} [1]."
    settings = index_settings.model_copy(update={"llm_base_url": fake.url, "llm_first_token_timeout": 1.0})
    t0 = time.perf_counter()
    a = Assistant(settings, index=index).ask(QUESTION, answerer="llm")
    assert time.perf_counter() - t0 < 3.5  # gave up after the 1 s first-token wait, not after 4 s
    assert a.notice and "délai dépassé" in a.notice and "2.800" in a.answer


@pytest.mark.slow
def test_total_timeout_cuts_a_slow_stream_and_falls_back(index, index_settings, fake):
    fake.reply = [f"{SUPPORTED} [{_n(Assistant(index_settings, index=index))}]. "] + ["mot "] * 100
    fake.piece_delay = 0.1  # 10 s in all
    settings = index_settings.model_copy(update={"llm_base_url": fake.url, "llm_timeout": 2.0})
    t0 = time.perf_counter()
    a = Assistant(settings, index=index).ask(QUESTION, answerer="llm")
    assert time.perf_counter() - t0 < 4.5
    assert a.notice and "délai dépassé" in a.notice and a.answerer == "extractive"
    time.sleep(0.3)
    assert fake.hung_up


def test_leaving_mid_answer_closes_the_http_stream(assistant, fake):
    """The reader goes away (the app's generator is closed): the server's connection is closed at once."""
    n = _n(assistant)
    fake.reply = [f"{SUPPORTED} [{n}]. "] + [f"Phrase numéro {i} sur les emplois [{n}]. " for i in range(300)]
    fake.piece_delay = 0.02
    stream = assistant.stream(QUESTION, answerer="llm")
    first_sentence = next(t for t in stream if isinstance(t, str) and t)
    stream.close()
    assert SUPPORTED in first_sentence
    time.sleep(0.5)
    assert fake.hung_up and fake.sent < 100


def test_chat_shows_redaction_until_a_sentence_is_verified(assistant, fake):
    """In the app's chat box: "rédaction…" while the model writes, then only verified sentences."""
    from rag.ui import app as webapp

    n = _n(assistant)
    fake.reply = f"{SUPPORTED} [{n}]. Elles sont toutes financées par la ville de Lyon [{n}]."
    fake.piece_delay = 0.01
    chat_app = webapp.ChatApp(assistant, assistant.settings)
    contents = [messages[-1]["content"] for messages, *_ in
                chat_app.respond(QUESTION, [], [], list(chat_app.documents), "hybrid", 5, "llm")]
    drafting = [c for c in contents if isinstance(c, str) and c.endswith("_rédaction…_")]
    assert drafting and drafting[0] == "_rédaction…_"  # before any sentence
    assert any("représentent 2\\.800 emplois" in c for c in drafting)  # the first sentence, while the model goes on
    assert not any("Lyon" in str(c) for c in contents)
