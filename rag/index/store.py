"""The on-disk index: FAISS vectors, a French BM25 index, chunks, cleaned documents and a manifest.

Layout of `index_dir`:
    current/manifest.json   model, dimension, chunking parameters, corpus hashes, library versions,
                            and the sha256 of every other file (checked on load)
    current/faiss.index     inner product over normalised embeddings (faiss.write_index)
    current/bm25/           bm25s files (JSON + .npy, no pickle)
    current/chunks.jsonl    one chunk per line, in FAISS/BM25 row order
    current/documents.jsonl cleaned documents with metadata (for reading a whole document)
    current/sentences.npy   one L2-normalised vector per sentence of every chunk, chunks in row order
    current/sentences.jsonl one line per chunk row: the (start, end) offsets of its sentences in the
                            chunk text, in the order of their vectors in sentences.npy
    cache/embeddings-*.npy  embedding cache keyed by text hash (chunks and sentences), so a re-index only
                            embeds new chunks and new sentences

A build is written to a temporary folder and swapped in, so a crash never leaves a half index that
loads. Nothing is pickled.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np

from rag import __version__
from rag.ingest.chunking import chunk_document
from rag.errors import IndexCorruptedError, IndexMissingError, IndexStaleError
from rag.ingest.loaders import METADATA_FILE, SourceDocument, corpus_files, file_sha256, load_corpus
from rag.schema import Chunk
from rag.text.sentences import split_sentences
from rag.settings import Settings

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: sentence vectors stored with the chunks
CURRENT = "current"
FIX = "Run `rag index --rebuild` to rebuild it."
# Sub-packages whose code (and data files) shape what the index stores: any change there rebuilds the index
# (embeddings are reused). Walked, not listed, so a moved or added module is never left out.
_PIPELINE_PACKAGES = ("text", "ingest")


def _progress(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


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


def build_parameters(settings: Settings) -> dict[str, Any]:
    """What the stored vectors and chunks depend on, besides the corpus."""
    return {
        "format_version": FORMAT_VERSION,
        "embedding_model": settings.embedding_model,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "clean": settings.clean,
        "pipeline": pipeline_fingerprint(),
    }


def _versions() -> dict[str, str]:
    out = {"rag": __version__, "python": sys.version.split()[0]}
    for pkg in ("faiss-cpu", "bm25s", "PyStemmer", "sentence-transformers", "torch", "tiktoken", "wordfreq"):
        try:
            out[pkg] = importlib_metadata.version(pkg)
        except importlib_metadata.PackageNotFoundError:
            pass
    return out


def _sha256(path: Path) -> str:
    return file_sha256(path)


def prepare_text(doc: SourceDocument, settings: Settings) -> str:
    """The document text that gets chunked: cleaned unless cleaning is off."""
    if not settings.clean:
        return doc.text
    from rag.ingest.clean import clean_text

    return clean_text(doc.text, boilerplate_start=doc.metadata.get("boilerplate_start")).text


def embedding_text(chunk: Chunk) -> str:
    """What the embedder reads for a chunk."""
    return chunk.text


def sentence_offsets(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence of a chunk text, short ones included; the whole text when none is found."""
    spans = [(s.start, s.end) for s in split_sentences(text)]
    return spans or [(0, len(text))]


def bm25_text(chunk: Chunk) -> str:
    """What BM25 indexes for a chunk: the heading adds the section's words to every chunk under it."""
    if chunk.heading and chunk.heading not in chunk.text:
        return f"{chunk.heading}\n{chunk.text}"
    return chunk.text


# --- embedding cache ---------------------------------------------------------------------------------

class EmbeddingCache:
    """Vectors by text hash for one model, stored as .npy + .json (no pickle)."""

    def __init__(self, index_dir: Path, model: str):
        tag = hashlib.sha256(model.encode()).hexdigest()[:12]
        self.vec_path = index_dir / "cache" / f"embeddings-{tag}.npy"
        self.key_path = index_dir / "cache" / f"embeddings-{tag}.json"
        self.vectors: dict[str, np.ndarray] = {}
        try:
            if self.vec_path.exists() and self.key_path.exists():
                keys = json.loads(self.key_path.read_text(encoding="utf-8"))
                arr = np.load(self.vec_path, allow_pickle=False)
                if len(keys) == len(arr):
                    self.vectors = dict(zip(keys, arr))
        except Exception as exc:  # a broken cache only costs re-embedding
            log.warning("Embedding cache unreadable (%s); it will be rebuilt.", exc)

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def save(self, keep: set[str]) -> None:
        keys = [k for k in self.vectors if k in keep]
        self.vec_path.parent.mkdir(parents=True, exist_ok=True)
        arr = np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, 1), dtype=np.float32)
        tmp_vec = self.vec_path.with_suffix(".tmp.npy")
        np.save(tmp_vec, arr, allow_pickle=False)
        tmp_key = self.key_path.with_suffix(".tmp.json")
        tmp_key.write_text(json.dumps(keys), encoding="utf-8")
        os.replace(tmp_vec, self.vec_path)
        os.replace(tmp_key, self.key_path)


# --- the loaded index ---------------------------------------------------------------------------------

@dataclass
class Index:
    """A loaded index: chunks with their FAISS and BM25 structures."""

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


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def build_index(settings: Settings, *, quiet: bool = False) -> dict[str, Any]:
    """Build the index from the corpus and swap it in; returns build statistics."""
    import bm25s
    import faiss

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its logger to DEBUG: keep build output readable
    from rag.text.analysis import analyze
    from rag.index.embeddings import get_embedder

    t0 = time.perf_counter()
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    loaded = load_corpus(settings.corpus_dir)
    for w in loaded.warnings:
        _progress(f"warning: {w}", quiet)
    _progress(f"Reading {len(loaded.documents)} documents from {settings.corpus_dir}", quiet)

    embedder = get_embedder(settings)
    chunks: list[Chunk] = []
    docs_rows: list[dict[str, Any]] = []
    for doc in loaded.documents:
        text = prepare_text(doc, settings)
        meta = {k: doc.metadata.get(k) for k in ("publisher", "author", "date", "kind", "source_url") if doc.metadata.get(k)}
        doc_chunks = chunk_document(
            doc.doc_id, doc.title, text, chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap,
            window_tokens=embedder.count_tokens, window=embedder.max_tokens, metadata=meta,
        )
        chunks.extend(doc_chunks)
        docs_rows.append({"doc_id": doc.doc_id, "title": doc.title, "file": doc.path.name, **meta,
                          "sha256": doc.sha256, "n_chunks": len(doc_chunks), "n_chars": len(text), "text": text})
    _progress(f"Chunked into {len(chunks)} chunks ({settings.chunk_size} tokens, overlap {settings.chunk_overlap})", quiet)

    cache = EmbeddingCache(index_dir, settings.embedding_model)
    texts = [embedding_text(c) for c in chunks]
    keys = [cache.key(t) for t in texts]
    missing = sorted({k for k in keys if k not in cache.vectors})
    by_key = {k: t for k, t in zip(keys, texts)}
    if missing:
        _progress(f"Embedding {len(missing)} new chunks ({len(set(keys)) - len(missing)} reused from cache)", quiet)
        vecs = embedder.encode([by_key[k] for k in missing], batch_size=settings.embedding_batch_size, show_progress=not quiet)
        cache.vectors.update(zip(missing, vecs))
    else:
        _progress("All chunk embeddings reused from cache", quiet)
    matrix = np.stack([cache.vectors[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, embedder.dimension), np.float32)

    # Sentence vectors (for sentence-level scoring and quote selection) share the cache with chunks.
    spans = [sentence_offsets(c.text) for c in chunks]
    sent_texts = [c.text[a:b] for c, sp in zip(chunks, spans) for a, b in sp]
    sent_keys = [cache.key(t) for t in sent_texts]
    sent_missing = sorted({k for k in sent_keys if k not in cache.vectors})
    if sent_missing:
        by_key = {k: t for k, t in zip(sent_keys, sent_texts)}
        _progress(f"Embedding {len(sent_missing)} new sentences ({len(set(sent_keys)) - len(sent_missing)} reused from cache)", quiet)
        vecs = embedder.encode([by_key[k] for k in sent_missing], batch_size=settings.embedding_batch_size, show_progress=not quiet)
        cache.vectors.update(zip(sent_missing, vecs))
    sent_matrix = (np.stack([cache.vectors[k] for k in sent_keys]).astype(np.float32) if sent_keys
                   else np.zeros((0, embedder.dimension), np.float32))

    faiss.omp_set_num_threads(settings.threads)
    fi = faiss.IndexFlatIP(embedder.dimension)
    fi.add(matrix)
    bm = bm25s.BM25()
    bm.index([analyze(bm25_text(c)) or [""] for c in chunks], show_progress=False)

    for leftover in index_dir.glob(".build-*"):  # from a build that was killed an hour or more ago
        if time.time() - leftover.stat().st_mtime > 3600:
            shutil.rmtree(leftover, ignore_errors=True)
    tmp = index_dir / f".build-{os.getpid()}-{int(time.time() * 1000)}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        faiss.write_index(fi, str(tmp / "faiss.index"))
        bm.save(str(tmp / "bm25"), show_progress=False)
        _write_jsonl(tmp / "chunks.jsonl", [c.to_json() for c in chunks])
        _write_jsonl(tmp / "documents.jsonl", docs_rows)
        np.save(tmp / "sentences.npy", sent_matrix, allow_pickle=False)
        _write_jsonl(tmp / "sentences.jsonl", [{"row": i, "chunk_id": c.chunk_id, "spans": [list(p) for p in sp]}
                                               for i, (c, sp) in enumerate(zip(chunks, spans))])
        files = {str(p.relative_to(tmp)): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        manifest = {
            **build_parameters(settings),
            "embedding_dimension": embedder.dimension,
            "embedding_window": embedder.max_tokens,
            "corpus": corpus_fingerprint(settings.corpus_dir),
            "n_documents": len(docs_rows),
            "n_chunks": len(chunks),
            "n_sentences": len(sent_keys),
            "versions": _versions(),
            "files": files,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        _swap_in(tmp, index_dir / CURRENT)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    cache.save(set(keys) | set(sent_keys))
    seconds = time.perf_counter() - t0
    _progress(f"Index written to {index_dir / CURRENT} in {seconds:.1f} s", quiet)
    return {"seconds": seconds, "n_chunks": len(chunks), "embedded": len(missing), "n_documents": len(docs_rows),
            "n_sentences": len(sent_keys), "embedded_sentences": len(sent_missing)}


def _swap_in(new: Path, target: Path) -> None:
    """Replace `target` by `new`; the old index stays whole until the new one is in place."""
    old = target.with_name(f".old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(settings: Settings) -> dict[str, Any]:
    """The manifest of the current index; IndexMissingError / IndexCorruptedError otherwise."""
    path = settings.index_dir / CURRENT / "manifest.json"
    if not path.exists():
        raise IndexMissingError(f"No index in {settings.index_dir}. Run `rag index` to build it.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptedError(f"Index file {path} is corrupted ({exc}). {FIX}") from None


def staleness(settings: Settings, manifest: dict[str, Any]) -> list[str]:
    """Reasons why the index no longer matches the corpus or the settings (empty when fresh)."""
    reasons = []
    for key, value in build_parameters(settings).items():
        if manifest.get(key) != value:
            reasons.append(f"{key} changed ({manifest.get(key)!r} -> {value!r})")
    current = corpus_fingerprint(settings.corpus_dir)
    stored = manifest.get("corpus", {})
    for name in sorted(set(current) | set(stored)):
        if name not in stored:
            reasons.append(f"new file {name}")
        elif name not in current:
            reasons.append(f"removed file {name}")
        elif current[name] != stored[name]:
            reasons.append(f"changed file {name}")
    return reasons


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

    manifest = read_manifest(settings)
    root = settings.index_dir / CURRENT
    for rel, digest in manifest.get("files", {}).items():
        p = root / rel
        if not p.exists():
            raise IndexCorruptedError(f"Index file {p} is missing. {FIX}")
        if _sha256(p) != digest:
            raise IndexCorruptedError(f"Index file {p} is corrupted (checksum mismatch). {FIX}")
    try:
        chunks = [Chunk.from_json(r) for r in _read_jsonl(root / "chunks.jsonl")]
        docs = _read_jsonl(root / "documents.jsonl")
        fi = faiss.read_index(str(root / "faiss.index"))
        bm = bm25s.BM25.load(str(root / "bm25"), show_progress=False)
        sent_matrix = np.load(root / "sentences.npy", allow_pickle=False)
        span_rows = _read_jsonl(root / "sentences.jsonl")
    except Exception as exc:
        raise IndexCorruptedError(f"Index in {root} cannot be read ({type(exc).__name__}: {exc}). {FIX}") from None
    if fi.ntotal != len(chunks):
        raise IndexCorruptedError(f"Index in {root} is inconsistent ({fi.ntotal} vectors for {len(chunks)} chunks). {FIX}")
    spans = [[(int(a), int(b)) for a, b in r["spans"]] for r in span_rows]
    bounds = np.concatenate([[0], np.cumsum([len(sp) for sp in spans])]).astype(np.int64)
    if len(spans) != len(chunks) or int(bounds[-1]) != len(sent_matrix):
        raise IndexCorruptedError(f"Index in {root} is inconsistent (sentences.jsonl / sentences.npy do not match "
                                  f"{len(chunks)} chunks). {FIX}")
    faiss.omp_set_num_threads(settings.threads)
    return Index(path=root, manifest=manifest, chunks=chunks, faiss_index=fi, bm25=bm, docs=docs,
                 sentence_matrix=sent_matrix, sentence_bounds=bounds, spans=spans)


def ensure_index(settings: Settings, *, rebuild: bool = False, quiet: bool = False) -> dict[str, Any] | None:
    """Build the index when missing, stale or asked to; returns build stats, or None when it was fresh."""
    if rebuild:
        return build_index(settings, quiet=quiet)
    try:
        manifest = read_manifest(settings)
    except IndexMissingError:
        _progress("No index yet: building it.", quiet)
        return build_index(settings, quiet=quiet)
    reasons = staleness(settings, manifest)
    if reasons:
        _progress("Index is stale (" + "; ".join(reasons[:5]) + "): rebuilding, reusing cached embeddings.", quiet)
        return build_index(settings, quiet=quiet)
    return None


def load_index(settings: Settings, build_if_needed: bool = True, quiet: bool = True) -> Index:
    """The current index, built first when missing or stale (or IndexStaleError when building is off)."""
    if build_if_needed:
        ensure_index(settings, quiet=quiet)
    else:
        reasons = staleness(settings, read_manifest(settings))
        if reasons:
            raise IndexStaleError("Index is stale: " + "; ".join(reasons[:5]) + ". Run `rag index` to update it.")
    return open_index(settings)
