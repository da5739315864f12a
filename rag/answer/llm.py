"""LLM answerer: any OpenAI-compatible chat server (Ollama, vLLM, llama.cpp, LM Studio, Mistral...), streamed.

It talks to the server with the `openai` client directly rather than through LangChain's ChatOpenAI,
because a robust call needs what ChatOpenAI hides:
- the token cap sent as both `max_tokens` and `max_completion_tokens` (ChatOpenAI renames the first to
  the second, and some servers honour only one of them);
- the HTTP stream itself, to close it the moment we stop reading: llama.cpp stops generating only
  when the connection closes, and a single-slot server would otherwise keep writing an abandoned
  answer while the next question waits;
- deadlines: connection, first token and total time. A watchdog shuts the socket when one passes, so
  even a server that stalls mid-answer cannot hold a question longer than `RAG_LLM_TIMEOUT`.
`<think>` blocks are removed from the text (rag.answer.think_tags). The caller verifies the text
(rag.answer.streaming). Failures become LLMError with a message naming the server and the fix, and a
short French `reason` for the notice shown with the extractive fallback.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Iterator

from rag.answer.prompts import Prompts, default_prompts
from rag.answer.think_tags import ThinkStripper
from rag.errors import LLMError
from rag.settings import Settings

FALLBACK_NOTICE = "Le serveur LLM n'a pas répondu ({reason}) : réponse extractive affichée à la place."
CONDENSE_MAX_TOKENS = 96  # a rewritten question is one line


class _Deadline:
    """Shuts the stream's socket when a deadline passes: the blocked read then fails at once."""

    def __init__(self) -> None:
        self.expired: str | None = None  # "first_token" or "total" once fired
        self._timer: threading.Timer | None = None
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def watch(self, response) -> None:
        try:  # httpx(2) exposes the connection's socket; another transport simply goes unwatched
            self._sock = response.extensions["network_stream"].get_extra_info("socket")
        except Exception:
            self._sock = None

    def arm(self, seconds: float, what: str) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(max(seconds, 0.0), self._fire, (what,))
            self._timer.daemon = True
            self._timer.start()

    def _fire(self, what: str) -> None:
        self.expired = what
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None


class Generation:
    """One streamed completion: iterate for text pieces; `close()` stops it (and the server) at once.

    After the iteration: `first_token_s`, `total_s`, `completion_tokens` (from the server when it says,
    else the number of streamed pieces), `tokens_counted_by` ("server" or "pieces"), `finish_reason`."""

    def __init__(self, llm: "LLMAnswerer", messages: list[dict], max_tokens: int):
        self.llm = llm
        self.messages = messages
        self.max_tokens = max_tokens
        self.started = time.monotonic()
        self.first_token_s: float | None = None
        self.total_s: float | None = None
        self.completion_tokens: int | None = None
        self.tokens_counted_by = "pieces"
        self.prompt_tokens: int | None = None
        self.finish_reason: str | None = None
        self.server_timings: dict | None = None  # llama.cpp's: prompt_n, prompt_per_second, predicted_per_second...
        self.pieces = 0
        self.deadline = _Deadline()
        self._stream = None
        self._gen = self._run()

    def __iter__(self) -> "Generation":
        return self

    def __next__(self) -> str:
        return next(self._gen)

    def close(self) -> None:
        """Stop reading and close the HTTP stream (the server then stops generating)."""
        self._gen.close()
        self._close_stream()

    def _close_stream(self) -> None:
        self.deadline.cancel()
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.close()
            except Exception:
                pass
        if self.total_s is None:
            self.total_s = time.monotonic() - self.started
        if self.completion_tokens is None:
            self.completion_tokens = self.pieces  # stopped early, or no count from the server: one token per piece

    def _run(self) -> Iterator[str]:
        s = self.llm.settings
        total_at = self.started + s.llm_timeout
        try:
            self._stream = self.llm.client.chat.completions.create(
                model=s.llm_model, messages=self.messages, stream=True, temperature=s.llm_temperature,
                max_tokens=self.max_tokens, max_completion_tokens=self.max_tokens)
            self.deadline.watch(self._stream.response)
            self.deadline.arm(min(s.llm_first_token_timeout, total_at - time.monotonic()), "first_token")
            think = ThinkStripper()
            for chunk in self._stream:
                if time.monotonic() > total_at:  # also checked here: a transport without a visible socket
                    self.deadline.expired = "total"
                    raise TimeoutError("total time exceeded")
                self._read_stats(chunk)
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                self.finish_reason = choice.finish_reason or self.finish_reason
                piece = getattr(choice.delta, "content", None) if choice.delta is not None else None
                if not piece:
                    continue
                self.pieces += 1
                if self.first_token_s is None:
                    self.first_token_s = time.monotonic() - self.started
                    self.deadline.arm(total_at - time.monotonic(), "total")
                visible = think.feed(piece)
                if visible:
                    yield visible
            if self.deadline.expired:  # the socket was shut: some transports read that as a normal end
                raise TimeoutError(f"{self.deadline.expired} deadline passed")
            if self.finish_reason is None:  # every OpenAI-compatible server ends a complete answer with one
                raise ConnectionError("the stream ended without a finish_reason: the answer was cut")
            rest = think.finish()
            if rest:
                yield rest
        except LLMError:
            raise
        except Exception as exc:  # openai/httpx raise connection, timeout and status errors of many classes
            raise self.llm.error(exc, self) from exc
        finally:
            self._close_stream()

    def _read_stats(self, chunk) -> None:
        usage = getattr(chunk, "usage", None)
        if usage is not None and getattr(usage, "completion_tokens", None) is not None:
            self.completion_tokens, self.tokens_counted_by = usage.completion_tokens, "server"
            self.prompt_tokens = getattr(usage, "prompt_tokens", None)
        timings = getattr(chunk, "timings", None) or (chunk.model_extra or {}).get("timings")
        if isinstance(timings, dict) and "predicted_n" in timings:  # llama.cpp's own statistics
            self.completion_tokens, self.tokens_counted_by = int(timings["predicted_n"]), "server"
            self.prompt_tokens = int(timings.get("prompt_n", 0)) + int(timings.get("cache_n", 0))
            self.server_timings = timings


class LLMAnswerer:
    """Streams answers (and condensed follow-up questions) from the configured chat server."""

    def __init__(self, settings: Settings, prompts: Prompts | None = None):
        if not settings.llm_base_url:
            raise LLMError("No LLM server configured: set RAG_LLM_BASE_URL (e.g. http://127.0.0.1:11434/v1) or "
                           "RAG_LLM_MODEL_PATH (a local .gguf file), or use the extractive answerer.")
        import openai

        self.settings = settings
        self.prompts = prompts or default_prompts()
        wait = min(settings.llm_first_token_timeout, settings.llm_timeout)
        self.client = openai.OpenAI(base_url=settings.llm_base_url, api_key=settings.llm_api_key.get_secret_value(),
                                    max_retries=0, timeout=openai.Timeout(wait, connect=settings.llm_connect_timeout))

    # --- prompts ----------------------------------------------------------------------------------
    def answer_messages(self, question: str, passages: list[str], guidance: str = "") -> list[dict]:
        """The chat messages of an answer: the rules as the system message, or atop the user message."""
        system, user = self.prompts.render_system(), self.prompts.render_answer(question, passages, guidance)
        if self.settings.llm_system_in_user:  # for chat templates that drop the system role (Gemma...)
            return [{"role": "user", "content": f"{system}\n\n{user}"}]
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    # --- calls ------------------------------------------------------------------------------------
    def generate(self, messages: list[dict], max_tokens: int | None = None) -> Generation:
        """A streamed completion of `messages` (nothing is sent until it is iterated)."""
        return Generation(self, messages, max_tokens or self.settings.llm_max_tokens)

    def stream_answer(self, question: str, passages: list[str], guidance: str = "") -> Generation:
        """The answer's text pieces as the model writes them (close the Generation when done with it)."""
        return self.generate(self.answer_messages(question, passages, guidance))

    def condense(self, question: str, history: list[tuple[str, str]]) -> str:
        """Rewrite a follow-up into a standalone question (its first line; the question itself if empty)."""
        gen = self.generate([{"role": "user", "content": self.prompts.render_condense(question, history)}],
                            min(CONDENSE_MAX_TOKENS, self.settings.llm_max_tokens))
        try:
            text = "".join(gen)
        finally:
            gen.close()
        line = next((ln for ln in text.splitlines() if ln.strip()), "")
        return line.strip().strip("«»\"“” ") or question

    # --- errors -----------------------------------------------------------------------------------
    def error(self, exc: BaseException, gen: Generation | None = None) -> LLMError:
        """An LLMError saying what failed, on which server, and what to do; `.reason` is for the notice."""
        import openai

        s = self.settings
        where = f"LLM server {s.llm_base_url} (model {s.llm_model!r})"
        expired = gen.deadline.expired if gen is not None else None
        cause = exc.__cause__ or exc
        started = gen is not None and gen.first_token_s is not None
        if expired == "total" or (isinstance(exc, openai.APITimeoutError) and started):
            return _with_reason(LLMError(
                f"{where} did not finish its answer within RAG_LLM_TIMEOUT={s.llm_timeout:g} s: raise it, lower "
                "RAG_LLM_MAX_TOKENS, or use a faster model."), "délai dépassé")
        if isinstance(exc, openai.APITimeoutError) and "Connect" in type(cause).__name__:
            return _with_reason(LLMError(
                f"{where} did not accept the connection within RAG_LLM_CONNECT_TIMEOUT={s.llm_connect_timeout:g} s: "
                "check that it is running and that RAG_LLM_BASE_URL is right."), "délai dépassé")
        if expired == "first_token" or isinstance(exc, openai.APITimeoutError):
            wait = min(s.llm_first_token_timeout, s.llm_timeout)
            return _with_reason(LLMError(
                f"{where} sent no token within {wait:g} s (RAG_LLM_FIRST_TOKEN_TIMEOUT): raise it, ask for fewer "
                "passages (-k), or use a smaller model."), "délai dépassé")
        if isinstance(exc, openai.APIStatusError):
            detail = _status_detail(exc)
            if exc.status_code == 404:
                return _with_reason(LLMError(
                    f"{where} answered 404 ({detail}): set RAG_LLM_MODEL to a model it serves (GET "
                    f"{s.llm_base_url}/models lists them) and check that RAG_LLM_BASE_URL ends with /v1."),
                    "modèle introuvable sur le serveur")
            if exc.status_code in (401, 403):
                return _with_reason(LLMError(f"{where} refused the request ({exc.status_code}, {detail}): set "
                                             "RAG_LLM_API_KEY to a valid key."), "accès refusé")
            return _with_reason(LLMError(f"{where} answered HTTP {exc.status_code} ({detail}): check its log; "
                                         "a 400 often means the prompt is longer than its context window."),
                                "erreur du serveur")
        if started:
            return _with_reason(LLMError(
                f"{where} closed the connection in the middle of the answer ({type(cause).__name__}): check the "
                "server's log (did it crash or restart?)."), "connexion interrompue")
        if isinstance(exc, (openai.APIConnectionError, OSError)) or "Connect" in type(cause).__name__:
            return _with_reason(LLMError(
                f"{where} is unreachable ({type(cause).__name__}: {cause}): start it, or fix RAG_LLM_BASE_URL "
                "(e.g. http://127.0.0.1:11434/v1 for Ollama)."), "serveur injoignable")
        return _with_reason(LLMError(f"{where} failed ({type(exc).__name__}: {exc}): check its log and RAG_LLM_MODEL."),
                            "erreur du serveur")


def _status_detail(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        msg = body.get("message") or (body.get("error") or {}).get("message") if isinstance(body.get("error", {}), dict) else None
        if msg:
            return str(msg)[:200]
    return str(getattr(exc, "message", exc))[:200]


def _with_reason(exc: LLMError, reason: str) -> LLMError:
    exc.reason = reason  # short French words for the user-facing fallback notice
    return exc
