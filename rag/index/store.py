"""The files store: the index on disk and in memory.

Layout of `index_dir`:
    current -> builds/<id>     a symbolic link, swapped in one atomic rename: readers never see a gap
    builds/<id>/manifest.json  what the build depends on (rag.index.manifest) and the sha256 of every file
    builds/<id>/faiss.index    inner product over normalised chunk embeddings (faiss.write_index)
    builds/<id>/bm25/          bm25s files over the French-analysed chunk text (JSON + .npy, no pickle)
    builds/<id>/chunks.jsonl   one chunk per line, in FAISS/BM25 row order
    builds/<id>/documents.jsonl cleaned documents with metadata (for reading a whole document)
    builds/<id>/sentences.npy  one normalised vector per sentence of every chunk, chunks in row order (memory-mapped
                               when loaded: at 100k chunks it is 1.2 GB, and retrieval reads it only for dense_unit
                               sentence or both)
    builds/<id>/sentences.jsonl per chunk row: the (start, end) offsets of its sentences in the chunk text
    builds/<id>/hnsw.index     large indexes only (over 20k chunks): HNSW graph of the chunk vectors
    builds/<id>/moments.npy    large indexes only: mean and second moment of the chunk vectors (rag.index.candidates)
    cache/<embedder>/          embedding cache (rag.index.cache)
    .lock                      held while a build writes and swaps (rag.index.files_write)
Nothing is pickled.
"""

from __future__ import annotations

import json
import os
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexCorruptedError, IndexStaleError
from rag.index.candidates import EXACT_BELOW, dense_of_rows, score_candidates
from rag.index.interface import ScoreRequest, Scores, Store
from rag.index.threads import one_blas_thread
from rag.index.manifest import CURRENT, FIX, MANIFEST, file_checksum, read_manifest, staleness
from rag.schema import Chunk
from rag.settings import Settings

__all__ = ["CURRENT", "Index", "Store", "open_index", "open_store", "load_index", "ensure_index", "build_index",
           "read_manifest", "staleness"]


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
    # Large indexes only (rag.index.candidates): an HNSW graph of the chunk vectors, and their mean and second
    # moment (row 0: mean vector, rows 1..: X^T X / n) for exact dense statistics without a pass over all rows.
    hnsw: Any = None
    moments: np.ndarray | None = None

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
        return self.sentence_rows([int(row)])

    def sentence_rows(self, rows) -> np.ndarray:
        """The sentence vectors of chunk `rows`, one block after the other, shape (n_sentences, dimension).

        The vectors file is memory-mapped to open at once whatever its size; its rows are read with pread, not
        through the mapping: each read through it maps the 64 kB around it into the process, so a large
        index's searches (2,000 sampled rows, then ~40 candidates a search) would leave over a GB of the file
        counted in the app's memory at 100k chunks. Read this way the app holds only what it keeps."""
        bounds, matrix = self.sentence_bounds, self.sentence_matrix
        filename = getattr(matrix, "filename", None)
        if not isinstance(matrix, np.memmap) or not filename:
            return np.concatenate([matrix[bounds[r]:bounds[r + 1]] for r in rows]) if len(rows) else matrix[:0]
        fd = self._cached("_sentence_fd", lambda: _open_for(self, filename))
        width = matrix.shape[1] * matrix.itemsize
        parts = [np.frombuffer(os.pread(fd, int(bounds[r + 1] - bounds[r]) * width, matrix.offset + int(bounds[r]) * width),
                               dtype=matrix.dtype) for r in rows]
        out = np.concatenate(parts) if parts else np.zeros(0, matrix.dtype)
        return out.reshape(-1, matrix.shape[1])

    @property
    def n_chunks(self) -> int:
        return len(self.chunks)

    def term_document_frequency(self, term: str) -> int:
        """How many chunks have the analysed `term` in their text or heading (the BM25 index's postings)."""
        token = self.bm25.vocab_dict.get(term)
        indptr = self.bm25.scores["indptr"]
        if token is None or token + 1 >= len(indptr):  # bm25s appends "" to its vocabulary without postings
            return 0
        return int(indptr[token + 1] - indptr[token])

    def term_frequencies(self) -> tuple[dict[str, int], int]:
        """(document frequency of every analysed term over the chunks' text and headings, number of chunks),
        read from the BM25 postings: the answerer's vocabulary without a pass over every chunk."""
        indptr = self.bm25.scores["indptr"]
        df = {term: int(indptr[i + 1] - indptr[i]) for term, i in self.bm25.vocab_dict.items() if i + 1 < len(indptr)}
        return {t: n for t, n in df.items() if n and t}, self.n_chunks

    def refresh(self) -> None:
        """A loaded build never changes: a new one is seen by loading the index again."""

    def chunks_at(self, rows: list[int]) -> list[Chunk]:
        return [self.chunks[r] for r in rows]

    # --- scoring (rag.index.interface): every allowed row is scored, in memory ----------------------------
    def _cached(self, name: str, make):
        value = self.__dict__.get(name)
        if value is None:
            value = self.__dict__[name] = make()
        return value

    @property
    def _chunk_matrix(self) -> np.ndarray:
        """The chunk vectors as stored by FAISS (a view of its memory, not a copy)."""
        def make():
            n, fi = len(self.chunks), self.faiss_index
            if not n:
                return np.zeros((0, 1), np.float32)
            import faiss

            return faiss.rev_swig_ptr(fi.get_xb(), n * fi.d).reshape(n, fi.d)
        return self._cached("_matrix", make)

    @property
    def _doc_rows(self) -> dict[str, np.ndarray]:
        def make():
            rows: dict[str, list[int]] = {}
            for i, c in enumerate(self.chunks):
                rows.setdefault(c.doc_id, []).append(i)
            return {k: np.array(v, dtype=np.int64) for k, v in rows.items()}
        return self._cached("_doc_rows_", make)

    @property
    def _previous(self) -> tuple[np.ndarray, np.ndarray]:
        """(row of the previous chunk of the same section, 1.0 when there is one): a chunk opening its section
        points at itself with a zero weight (a harmless index)."""
        def make():
            chunks = self.chunks
            same = [bool(i) and chunks[i - 1].doc_id == chunks[i].doc_id and chunks[i - 1].heading == chunks[i].heading
                    for i in range(len(chunks))]
            return (np.array([i - 1 if same[i] else i for i in range(len(chunks))], dtype=np.int64),
                    np.array(same, dtype=np.float32))
        return self._cached("_previous_", make)

    def rows_of_documents(self, doc_ids: list[str] | None) -> np.ndarray:
        if not doc_ids:
            return self._cached("_all_rows", lambda: np.arange(len(self.chunks), dtype=np.int64))
        return np.sort(np.concatenate([self._doc_rows[d] for d in doc_ids]))

    def dense_all(self, vec: np.ndarray, unit: str) -> np.ndarray:
        """Dense score of every chunk: whole-chunk cosine, best sentence cosine, or the mean of both
        (whole-chunk when the index stores no sentence vectors)."""
        unit = unit if len(self.sentence_matrix) else "chunk"
        chunk = self._chunk_matrix @ vec if unit != "sentence" else None
        if unit == "chunk":
            return chunk
        # every chunk has at least one sentence, so reduceat's segments are never empty
        starts = self._cached("_sentence_starts", lambda: np.asarray(self.sentence_bounds[:-1], dtype=np.int64))
        sentence = np.maximum.reduceat(self.sentence_matrix @ vec, starts)
        return sentence if chunk is None else (chunk + sentence) / 2

    def bm25_all(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every chunk (all 0 when the query has no content word)."""
        if not terms:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(terms), dtype=np.float32)

    def with_context(self, bm25: np.ndarray, weight: float) -> np.ndarray:
        """BM25 scores of every chunk plus `weight` times the previous chunk's in the same section."""
        if not weight:
            return bm25
        previous, has_previous = self._previous
        return bm25 + weight * has_previous * bm25[previous]

    def score(self, request: ScoreRequest) -> Scores:
        """Every allowed row's scores (a few thousand rows: a millisecond); candidates only on a large index
        (rag.index.candidates)."""
        with one_blas_thread():
            return self._score(request)

    def _score(self, request: ScoreRequest) -> Scores:
        rows = self.rows_of_documents(request.doc_ids)
        large = self.moments is not None
        if large and len(rows) > int(self.manifest.get("exact_below", EXACT_BELOW)):
            return score_candidates(self, request, rows)
        if request.query_vector is None:
            dense = None
        elif large:  # a filter on a large index: only its rows' vectors are read
            dense = dense_of_rows(self, request.query_vector, rows, request.dense_unit)
        else:
            dense = self.dense_all(request.query_vector, request.dense_unit)[rows]
        bm25_full = self.bm25_all(request.terms) if request.mode in ("bm25", "hybrid") else None
        bm25 = None if bm25_full is None else bm25_full[rows]
        keyword = self.with_context(bm25_full, request.context_weight)[rows] if request.mode == "hybrid" else bm25
        preferred = (np.isin(rows, self._doc_rows[request.preferred]) if request.preferred
                     else np.zeros(len(rows), dtype=bool))
        return Scores(rows=rows, dense=dense, bm25=bm25, keyword=keyword, preferred=preferred)

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
        if file_checksum(p) != digest:
            raise IndexCorruptedError(f"Index file {p} is corrupted (checksum mismatch). {FIX}")
    try:
        chunks = [Chunk.from_json(r) for r in _read_jsonl(root / "chunks.jsonl")]
        docs = _read_jsonl(root / "documents.jsonl")
        fi = faiss.read_index(str(root / "faiss.index"))
        bm = bm25s.BM25.load(str(root / "bm25"), show_progress=False)
        sent_matrix = np.load(root / "sentences.npy", allow_pickle=False, mmap_mode="r")
        span_rows = _read_jsonl(root / "sentences.jsonl")
        spans = [[(int(a), int(b)) for a, b in r["spans"]] for r in span_rows]
        large = "hnsw.index" in files
        hnsw = faiss.read_index(str(root / "hnsw.index")) if large else None
        moments = np.load(root / "moments.npy", allow_pickle=False) if large else None
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
                 sentence_matrix=sent_matrix, sentence_bounds=bounds, spans=spans, hnsw=hnsw, moments=moments)


def open_store(settings: Settings) -> Store:
    """The configured store as it is (no staleness check): the files store, or the PostgreSQL one
    (RAG_STORE=postgres; one store, and one connection pool, per database and schema in a process)."""
    if settings.store == "postgres":
        from rag.index.postgres.store import shared_store

        return shared_store(settings).require_index()
    return open_index(settings)


def ensure_index(settings: Settings, *, rebuild: bool = False, quiet: bool = False) -> dict[str, Any] | None:
    """Build the configured store's index when missing, stale or asked to; returns build stats, or None when
    it was fresh."""
    from rag.index.build import ensure_index as _ensure

    return _ensure(settings, rebuild=rebuild, quiet=quiet)


def build_index(settings: Settings, *, quiet: bool = False) -> dict[str, Any]:
    """Build the index from the corpus into the configured store and make it current; returns build statistics."""
    from rag.index.build import build_index as _build

    return _build(settings, quiet=quiet)


def load_index(settings: Settings, build_if_needed: bool = True, quiet: bool = True) -> Store:
    """The configured store's current index, built first when missing or stale (or IndexStaleError when
    building is off)."""
    if build_if_needed:
        ensure_index(settings, quiet=quiet)
    else:
        from rag.index.build import current_manifest

        reasons = staleness(settings, current_manifest(settings))
        if reasons:
            raise IndexStaleError("Index is stale: " + "; ".join(reasons[:5]) + ". Run `rag index` to update it.")
    return open_store(settings)


def _open_for(index: "Index", filename: str) -> int:
    """A read-only descriptor of `filename`, closed when `index` is garbage (the app loads a new Index after
    each rebuild: their descriptors must not pile up)."""
    fd = os.open(filename, os.O_RDONLY)
    weakref.finalize(index, os.close, fd)
    return fd
