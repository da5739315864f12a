"""The files store: the index on disk and in memory.

Layout of `index_dir`:
    current -> builds/<id>     a symbolic link, swapped in one atomic rename: readers never see a gap
    builds/<id>/manifest.json  what the build depends on (rag.index.manifest) and the sha256 of every file
    builds/<id>/faiss.index    inner product over normalised chunk embeddings (faiss.write_index)
    builds/<id>/bm25/          bm25s files over the French-analysed chunk text (JSON + .npy, no pickle)
    builds/<id>/chunks.jsonl   one chunk per line, in FAISS/BM25 row order
    builds/<id>/documents.jsonl cleaned documents with metadata (for reading a whole document)
    builds/<id>/sentences.npy  one normalised vector per sentence of every chunk, chunks in row order
    builds/<id>/sentences.jsonl per chunk row: the (start, end) offsets of its sentences in the chunk text
    cache/<embedder>/          embedding cache (rag.index.cache)
    .lock                      held while a build writes and swaps (rag.index.build)
Nothing is pickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexCorruptedError, IndexStaleError
from rag.index.manifest import CURRENT, FIX, MANIFEST, read_manifest, staleness
from rag.ingest.loaders import file_sha256
from rag.schema import Chunk
from rag.settings import Settings

__all__ = ["CURRENT", "Index", "open_index", "load_index", "ensure_index", "build_index", "read_manifest", "staleness"]


@dataclass
class Index:
    """A loaded index: chunks with their FAISS and BM25 structures and sentence vectors."""

    path: Path
    manifest: dict[str, Any]
    chunks: list[Chunk]
    faiss_index: Any
    bm25: Any
    docs: list[dict[str, Any]] = field(default_factory=list)
    # Sentence level: all sentence vectors, the first vector of each chunk row (n_chunks + 1 bounds), spans.
    sentence_matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    sentence_bounds: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    spans: list[list[tuple[int, int]]] = field(default_factory=list)

    def row_of(self, chunk_id: str) -> int:
        """Row of a chunk (its line in chunks.jsonl and FAISS/BM25 row); a Passage's row is row_of(passage.chunk_id)."""
        rows = self.__dict__.get("_rows")
        if rows is None:  # built once; chunk ids are content hashes, unique within an index
            rows = self.__dict__["_rows"] = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        return rows[chunk_id]

    def chunk_vector(self, row: int) -> np.ndarray:
        """The L2-normalised embedding of chunk `row`."""
        return self.faiss_index.reconstruct(int(row))

    def sentence_spans(self, row: int) -> list[tuple[int, int]]:
        """(start, end) character offsets of the sentences of chunk `row` inside the chunk text."""
        return list(self.spans[row])

    def sentence_vectors(self, row: int) -> np.ndarray:
        """L2-normalised float32 vectors of the sentences of chunk `row`, shape (n_sentences, dimension)."""
        return self.sentence_matrix[self.sentence_bounds[row]:self.sentence_bounds[row + 1]]

    @property
    def doc_ids(self) -> list[str]:
        return [d["doc_id"] for d in self.docs]

    def documents(self) -> list[dict[str, Any]]:
        """Each document's id, title, metadata fields and chunk count (no text)."""
        return [{k: v for k, v in d.items() if k != "text"} for d in self.docs]

    def document_text(self, doc_id: str) -> str:
        """The cleaned text of one document."""
        for d in self.docs:
            if d["doc_id"] == doc_id:
                return d["text"]
        raise KeyError(doc_id)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def open_index(settings: Settings) -> Index:
    """Load the current index as it is (no staleness check); every file is verified against the manifest."""
    import bm25s
    import faiss

    # Resolve the link once: a build swapped in meanwhile does not mix its files with these.
    root = (settings.index_dir / CURRENT).resolve()
    manifest = read_manifest(settings)
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise IndexCorruptedError(f"Index file {root / MANIFEST} lists no files. {FIX}")
    for rel, digest in files.items():
        p = root / rel
        if not p.exists():
            raise IndexCorruptedError(f"Index file {p} is missing. {FIX}")
        if file_sha256(p) != digest:
            raise IndexCorruptedError(f"Index file {p} is corrupted (checksum mismatch). {FIX}")
    try:
        chunks = [Chunk.from_json(r) for r in _read_jsonl(root / "chunks.jsonl")]
        docs = _read_jsonl(root / "documents.jsonl")
        fi = faiss.read_index(str(root / "faiss.index"))
        bm = bm25s.BM25.load(str(root / "bm25"), show_progress=False)
        sent_matrix = np.load(root / "sentences.npy", allow_pickle=False)
        span_rows = _read_jsonl(root / "sentences.jsonl")
        spans = [[(int(a), int(b)) for a, b in r["spans"]] for r in span_rows]
    except Exception as exc:
        raise IndexCorruptedError(f"Index in {root} cannot be read ({type(exc).__name__}: {exc}). {FIX}") from None
    if fi.ntotal != len(chunks):
        raise IndexCorruptedError(f"Index in {root} is inconsistent ({fi.ntotal} vectors for {len(chunks)} chunks). {FIX}")
    bounds = np.concatenate([[0], np.cumsum([len(sp) for sp in spans])]).astype(np.int64)
    if len(spans) != len(chunks) or int(bounds[-1]) != len(sent_matrix):
        raise IndexCorruptedError(f"Index in {root} is inconsistent (sentences.jsonl / sentences.npy do not match "
                                  f"{len(chunks)} chunks). {FIX}")
    faiss.omp_set_num_threads(settings.threads)
    return Index(path=root, manifest=manifest, chunks=chunks, faiss_index=fi, bm25=bm, docs=docs,
                 sentence_matrix=sent_matrix, sentence_bounds=bounds, spans=spans)


def ensure_index(settings: Settings, *, rebuild: bool = False, quiet: bool = False) -> dict[str, Any] | None:
    """Build the index when missing, stale or asked to; returns build stats, or None when it was fresh."""
    from rag.index.build import ensure_index as _ensure

    return _ensure(settings, rebuild=rebuild, quiet=quiet)


def build_index(settings: Settings, *, quiet: bool = False) -> dict[str, Any]:
    """Build the index from the corpus and swap it in; returns build statistics."""
    from rag.index.build import build_index as _build

    return _build(settings, quiet=quiet)


def load_index(settings: Settings, build_if_needed: bool = True, quiet: bool = True) -> Index:
    """The current index, built first when missing or stale (or IndexStaleError when building is off)."""
    if build_if_needed:
        ensure_index(settings, quiet=quiet)
    else:
        reasons = staleness(settings, read_manifest(settings))
        if reasons:
            raise IndexStaleError("Index is stale: " + "; ".join(reasons[:5]) + ". Run `rag index` to update it.")
    return open_index(settings)
