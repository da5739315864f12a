"""LLM answerer: any OpenAI-compatible chat server through langchain-openai's ChatOpenAI, streamed.

The prompt numbers the passages and asks for [n] citations; the caller verifies the output
(rag.citations.verify). Server failures become LLMError with a message saying what to check, so the
chain can fall back to the extractive answer.
"""

from __future__ import annotations

from typing import Iterator

from langchain_core.messages import HumanMessage, SystemMessage

from rag.errors import LLMError
from rag.answer.prompts import REFUSAL, Prompts, default_prompts
from rag.settings import Settings
from rag.text.normalize import normalize_for_match

FALLBACK_NOTICE = "Le serveur LLM n'a pas répondu ({reason}) : réponse extractive affichée à la place."


class LLMAnswerer:
    """Streams answers (and condensed follow-up questions) from the configured chat server."""

    def __init__(self, settings: Settings, prompts: Prompts | None = None):
        if not settings.llm_base_url:
            raise LLMError("No LLM server configured: set RAG_LLM_BASE_URL (e.g. http://127.0.0.1:11434/v1) or use the extractive answerer.")
        from langchain_openai import ChatOpenAI

        self.settings = settings
        self.prompts = prompts or default_prompts()
        self.model = ChatOpenAI(base_url=settings.llm_base_url, model=settings.llm_model,
                                api_key=settings.llm_api_key.get_secret_value(), temperature=settings.llm_temperature,
                                timeout=settings.llm_timeout, max_retries=0, streaming=True)

    def _stream(self, messages) -> Iterator[str]:
        try:
            for chunk in self.model.stream(messages):
                if chunk.content:
                    yield chunk.content
        except Exception as exc:  # openai raises connection/timeout/status errors of several classes
            name = type(exc).__name__
            reason = ("délai dépassé" if "Timeout" in name else "serveur injoignable" if "Connection" in name
                      else "erreur du serveur")
            raise _with_reason(LLMError(f"LLM server {self.settings.llm_base_url} failed: {type(exc).__name__}: {exc}. "
                           "Check that it is running and that RAG_LLM_MODEL exists on it."), reason) from exc

    def stream_answer(self, question: str, passages: list[str]) -> Iterator[str]:
        """Yield the answer text so far (whole text each time)."""
        messages = [SystemMessage(self.prompts.render_system()),
                    HumanMessage(self.prompts.render_answer(question, passages))]
        text = ""
        for piece in self._stream(messages):
            text += piece
            yield text

    def condense(self, question: str, history: list[tuple[str, str]]) -> str:
        """Rewrite a follow-up into a standalone question."""
        text = "".join(self._stream([HumanMessage(self.prompts.render_condense(question, history))])).strip()
        return text.strip("«»\" ") or question


def _with_reason(exc: LLMError, reason: str) -> LLMError:
    exc.reason = reason  # short French words for the user-facing fallback notice
    return exc


def is_refusal(text: str) -> bool:
    """The model said it cannot answer (the refusal phrase, possibly with punctuation around it)."""
    t = normalize_for_match(text)
    return normalize_for_match(REFUSAL.rstrip(".")) in t or t.startswith("je ne trouve pas") or t.startswith("je ne sais pas")
