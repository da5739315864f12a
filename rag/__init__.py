"""Retrieval-augmented question answering over the Hauts-de-France industrial-policy corpus.

The stages, one sub-package each: `text` (French analysis, sentences, tokens), `ingest` (loading,
cleaning, chunking), `index` (embeddings and the on-disk index), `retrieval` (dense, BM25, fusion, named
sources, the LangChain retriever), `query` (follow-ups), `answer` (extractive and LLM answerers,
citations, prompts), `evaluation` (question sets, metrics, reports) and `ui` (the Gradio app);
`assistant` wires them, `cli` is the `rag` command.

The public API is importable from here; each name is imported on first use, so `import rag` stays
instant (the embedding model and Gradio load only when needed):

    from rag import Assistant, Retriever, HybridRetriever, load_settings, load_index, run_evaluation
"""

import os
from importlib import import_module
from pathlib import Path

# tiktoken downloads its encodings on first use, which fails offline; point it at the copy of
# cl100k_base shipped in rag/resources (file named by the SHA-1 of its download URL, as tiktoken expects).
os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(Path(__file__).resolve().parent / "resources" / "tiktoken"))
# Model hubs are unreachable here: fail fast instead of hanging on a network call.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.2.0"

_PUBLIC = {
    "Assistant": "rag.assistant",
    "REFUSAL": "rag.answer.prompts",
    "Retriever": "rag.retrieval.retriever",
    "HybridRetriever": "rag.retrieval.langchain",
    "Settings": "rag.settings",
    "load_settings": "rag.settings",
    "load_index": "rag.index.store",
    "run_evaluation": "rag.evaluation.run",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_PUBLIC))
