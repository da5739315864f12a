"""`rag llm-check`: one question to the configured LLM, with its latency, speed and whether its citations
survive verification. Tells a user, before anything else, whether a model and server are usable here."""

from __future__ import annotations

from typing import Any

from rag.settings import Settings

DEFAULT_QUESTION = "Combien de territoires se sont engagés dans la phase II de « Territoires d'industrie » ?"


def run_llm_check(settings: Settings, question: str = DEFAULT_QUESTION, k: int | None = None) -> dict[str, Any]:
    """Ask `question` through the LLM path (retrieval, prompt, verified stream); raise LLMError if the server fails.

    Returns the server, the answer and the generation report: first_token_s, total_s, completion_tokens,
    tokens_per_s (generation only, after the first token), finish_reason, stop, claims and what verification
    kept or removed."""
    from rag.assistant import Assistant

    assistant = Assistant(settings)
    llm = assistant.llm()  # starts llama.cpp first when RAG_LLM_MODEL_PATH is set
    report: dict[str, Any] = {}
    answer = assistant.ask_llm(question, k=k, report=report)
    return {
        "server": llm.settings.llm_base_url, "model": llm.settings.llm_model,
        "local_model": str(settings.llm_model_path) if settings.llm_model_path else None,
        "threads": settings.llm_threads if settings.llm_model_path else None,
        "question": question, "answer": answer.answer, "abstained": answer.abstained,
        "asked_model": bool(report), "citations_kept": len(answer.citations),
        "citations_survive": bool(answer.citations), **report,
    }
