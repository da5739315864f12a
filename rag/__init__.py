"""Retrieval-augmented question answering over the Hauts-de-France industrial-policy corpus."""

import os
from pathlib import Path

# tiktoken downloads its encodings on first use, which fails offline; point it at the copy of
# cl100k_base shipped in rag/resources (file named by the SHA-1 of its download URL, as tiktoken expects).
os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(Path(__file__).resolve().parent / "resources" / "tiktoken"))
# Model hubs are unreachable here: fail fast instead of hanging on a network call.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.1.0"
