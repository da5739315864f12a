"""Building the index: corpus -> cleaned text -> chunks -> vectors -> a new build in the configured store.

Two targets, one pipeline. The files store: a build is written to `builds/<id>/` (FAISS, bm25s, JSONL)
and made current by replacing the `current` link in one atomic rename, under a lock file (fcntl). The
PostgreSQL store: a build is a new generation written and made current in one transaction
(rag.index.postgres.write), under a session advisory lock. Either way a killed build never leaves a half
index, a reader never finds none, only one process builds at a time, and one that waited re-checks and
finds the index fresh. Embeddings are cached by text hash as they are computed (rag.index.cache), and the
PostgreSQL store also lends the vectors of its current index, so a re-index embeds only new text and a
killed build keeps its work.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from rag.errors import IndexCorruptedError, IndexMissingError, RagError, SettingsError
from rag.index.cache import EmbeddingCache, text_key
from rag.index.manifest import (CURRENT, MANIFEST, build_parameters, corpus_fingerprint, file_checksum,
                                library_versions, read_manifest, staleness)
from rag.ingest.chunking import chunk_document
from rag.ingest.loaders import SourceDocument, load_corpus
from rag.schema import Chunk
from rag.settings import Settings
from rag.text.sentences import split_sentences

log = logging.getLogger(__name__)

BUILDS = "builds"
LOCK = ".lock"
KEEP_BUILDS = 2  # the current build and the one before: a reader that resolved the old link still finds its files
_META_FIELDS = ("publisher", "author", "date", "kind", "source_url")


Listener = Callable[[dict[str, Any]], None]


class Progress:
    """Build progress on stderr: one line per stage, and a bar for long stages when stderr is a terminal.

    A `listener` (the web app's progress bar) also gets every step, quiet or not, as a dict:
    {"stage": bar description or None, "done": n, "total": n} for bars, {"message": text} for lines."""

    def __init__(self, quiet: bool, listener: Listener | None = None):
        self.quiet = quiet
        self.listener = listener

    def say(self, message: str) -> None:
        if self.listener:
            self.listener({"stage": None, "message": message})
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def bar(self, total: int, desc: str, unit: str = "texts") -> Iterator:
        if self.listener and total:
            with self._bar(total, desc, unit) as advance:
                done = [0]
                self.listener({"stage": desc, "done": 0, "total": total})

                def step(n: int) -> None:
                    done[0] += n
                    self.listener({"stage": desc, "done": done[0], "total": total})
                    advance(n)

                yield step
            return
        with self._bar(total, desc, unit) as advance:
            yield advance

    @contextlib.contextmanager
    def _bar(self, total: int, desc: str, unit: str) -> Iterator:
        if self.quiet or total == 0:
            yield lambda n: None
            return
        from tqdm import tqdm

        # Not a terminal (a log file, the app's console): a line every ~10 %, not a bar redrawn 1,000 times.
        with tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
                  mininterval=0.5 if sys.stderr.isatty() else 10.0) as bar:
            yield bar.update


def prepare_text(doc: SourceDocument, settings: Settings, progress: Callable[[int], None] | None = None,
                 report: Callable[[str], None] | None = None) -> str:
    """The document text that gets chunked: cleaned unless cleaning is off. `progress` gets the characters
    processed as cleaning goes; `report` gets one line saying what cleaning removed, by repair."""
    if not settings.clean:
        if progress:
            progress(len(doc.text))
        return doc.text
    from rag.ingest.clean import clean_text
    from rag.ingest.clean_report import removal_summary

    result = clean_text(doc.text, boilerplate_start=doc.metadata.get("boilerplate_start"), progress=progress)
    if report:
        report(removal_summary(doc.doc_id, result))
    return result.text


def sentence_offsets(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence of a chunk text, short ones included; the whole text when none is found."""
    spans = [(s.start, s.end) for s in split_sentences(text)]
    return spans or [(0, len(text))]


def embedding_text(chunk: Chunk, settings: Settings) -> str:
    """What the embedder reads for a chunk: with `embed_context`, the document title and the section heading
    go first, so a passage that never repeats its subject ("Ces 18 territoires...") still carries it."""
    if not settings.embed_context:
        return chunk.text
    head = " — ".join(x for x in (chunk.title, chunk.heading) if x and x not in chunk.text)
    return f"{head}\n{chunk.text}" if head else chunk.text


def bm25_text(chunk: Chunk) -> str:
    """What BM25 indexes for a chunk: the heading adds the section's words to every chunk under it."""
    if chunk.heading and chunk.heading not in chunk.text:
        return f"{chunk.heading}\n{chunk.text}"
    return chunk.text


@contextlib.contextmanager
def build_lock(index_dir: Path, progress: Progress) -> Iterator[None]:
    """Exclusive lock on index_dir/.lock for the time of a build (released when the process dies)."""
    try:
        import fcntl
    except ImportError:  # not a Unix system: builds are not serialised there
        yield
        return
    with (index_dir / LOCK).open("a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress.say("Another process is building this index: waiting for it to finish.")
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _check_index_dir(index_dir: Path) -> None:
    if index_dir.exists() and not index_dir.is_dir():
        raise SettingsError(f"RAG_INDEX_DIR {index_dir} is a file, not a folder: point it at a folder (it is created if missing).")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"Cannot create the index folder {index_dir} ({exc.strerror}): set RAG_INDEX_DIR to a writable folder.") from None


def _embed_missing(texts: list[str], cache: EmbeddingCache, embedder, settings: Settings, progress: Progress,
                   what: str) -> tuple[np.ndarray, int]:
    """(vectors of `texts`, how many were embedded now): only texts the cache lacks are embedded, and
    each batch is cached as soon as it is done."""
    keys = [text_key(t) for t in texts]
    missing = list(dict.fromkeys(k for k in keys if k not in cache.vectors))
    by_key = dict(zip(keys, texts))
    if missing:
        progress.say(f"Embedding {len(missing)} new {what} ({len(set(keys)) - len(missing)} reused from cache)")
        step = settings.embedding_batch_size
        with progress.bar(len(missing), f"embedding {what}") as advance:
            for i in range(0, len(missing), step):
                batch = missing[i:i + step]
                cache.add(batch, embedder.encode_passages([by_key[k] for k in batch], batch_size=step))
                advance(len(batch))
    else:
        progress.say(f"All {what} embeddings reused from cache")
    if not keys:
        return np.zeros((0, embedder.dimension), np.float32), 0
    return np.stack([cache.vectors[k] for k in keys]).astype(np.float32), len(missing)


def _write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


class FilesTarget:
    """The files store under `index_dir`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        _check_index_dir(settings.index_dir)

    def read_manifest(self) -> dict[str, Any]:
        return read_manifest(self.settings)

    def lock(self, progress: Progress):
        return build_lock(self.settings.index_dir, progress)

    def stored_vectors(self, identity: dict[str, str], keys: list[str]) -> dict[str, np.ndarray]:
        return {}  # the embedding cache in index_dir is the files store's only memory of vectors

    def write(self, chunks: list[Chunk], docs_rows: list[dict[str, Any]], matrix: np.ndarray, spans, sent_matrix: np.ndarray,
              manifest: dict[str, Any], chunk_keys: list[str], sentence_keys: list[str]) -> str:
        write_files_build(self.settings.index_dir, chunks, docs_rows, matrix, spans, sent_matrix, manifest,
                          threads=self.settings.threads)
        return str(self.settings.index_dir / CURRENT)


class PostgresTarget:
    """The PostgreSQL store at `database_url`, schema `database_schema`."""

    def __init__(self, settings: Settings):
        from rag.index.postgres.store import shared_store

        self.store = shared_store(settings)

    def read_manifest(self) -> dict[str, Any]:
        return self.store.read_manifest()

    def lock(self, progress: Progress):
        return self.store.build_lock(lambda: progress.say("Another process is building this index: waiting for it to finish."))

    def stored_vectors(self, identity: dict[str, str], keys: list[str]) -> dict[str, np.ndarray]:
        return self.store.stored_vectors(identity, keys)

    def write(self, chunks, docs_rows, matrix, spans, sent_matrix, manifest, chunk_keys, sentence_keys) -> str:
        self.store.replace_index(chunks, matrix, sentence_spans=spans, sentence_vectors=sent_matrix, documents=docs_rows,
                                 manifest=manifest, chunk_keys=chunk_keys, sentence_keys=sentence_keys)
        return self.store.path


def build_target(settings: Settings) -> FilesTarget | PostgresTarget:
    return PostgresTarget(settings) if settings.store == "postgres" else FilesTarget(settings)


def current_manifest(settings: Settings) -> dict[str, Any]:
    """The manifest of the configured store's current index; IndexMissingError / IndexCorruptedError otherwise."""
    return build_target(settings).read_manifest()


def build_index(settings: Settings, *, quiet: bool = False, listener: Listener | None = None) -> dict[str, Any]:
    """Build the index from the corpus into the configured store (under the build lock); returns build
    statistics. `listener` gets the progress (see Progress)."""
    progress = Progress(quiet, listener)
    target = build_target(settings)
    with target.lock(progress):
        return _build(settings, progress, target)


def _reuse_stored(texts: list[str], cache: EmbeddingCache, target, progress: Progress) -> None:
    """Put into the cache the vectors the store already holds for texts the cache lacks (another machine
    built the index: its vectors are in the database, not in this machine's cache)."""
    missing = list(dict.fromkeys(k for k in map(text_key, texts) if k not in cache.vectors))
    found = target.stored_vectors(cache.identity, missing) if missing else {}
    if found:
        progress.say(f"Reusing {len(found)} vectors stored in the index")
        keys = list(found)
        cache.add(keys, np.stack([found[k] for k in keys]))


def _build(settings: Settings, progress: Progress, target) -> dict[str, Any]:
    from rag.index.embeddings import get_embedder

    t0 = time.perf_counter()
    index_dir = settings.index_dir
    loaded = load_corpus(settings.corpus_dir, settings.max_document_mb, pdf_engine=settings.pdf_engine)
    for w in loaded.warnings:
        progress.say(f"warning: {w}")
    progress.say(f"Reading {len(loaded.documents)} documents from {settings.corpus_dir}")

    embedder = get_embedder(settings)
    chunks: list[Chunk] = []
    docs_rows: list[dict[str, Any]] = []
    total_chars = sum(len(d.text) for d in loaded.documents)
    cleaning_notes: list[str] = []  # said after the bar, which a line printed under it would break
    with progress.bar(total_chars, "cleaning and chunking", unit="chars") as advance:
        for doc in loaded.documents:
            text = prepare_text(doc, settings, progress=advance, report=cleaning_notes.append)
            meta = {k: doc.metadata.get(k) for k in _META_FIELDS if doc.metadata.get(k)}
            doc_chunks = chunk_document(
                doc.doc_id, doc.title, text, chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap,
                window_tokens=embedder.count_tokens, window=embedder.max_tokens, metadata=meta,
            )
            chunks.extend(doc_chunks)
            docs_rows.append({"doc_id": doc.doc_id, "title": doc.title, "file": doc.path.name, **meta,
                              "sha256": doc.sha256, "n_chunks": len(doc_chunks), "n_chars": len(text), "text": text})
    for note in cleaning_notes:
        progress.say(note)
    progress.say(f"Chunked into {len(chunks)} chunks ({settings.chunk_size} tokens, overlap {settings.chunk_overlap})")

    identity = embedder.identity()
    _check_index_dir(index_dir)  # the embedding cache lives there, whichever the store
    cache = EmbeddingCache(index_dir, identity, embedder.dimension)
    chunk_texts = [embedding_text(c, settings) for c in chunks]
    spans = [sentence_offsets(c.text) for c in chunks]
    sent_texts = [c.text[a:b] for c, sp in zip(chunks, spans) for a, b in sp]
    _reuse_stored(chunk_texts + sent_texts, cache, target, progress)
    matrix, new_chunks = _embed_missing(chunk_texts, cache, embedder, settings, progress, "chunks")
    sent_matrix, new_sentences = _embed_missing(sent_texts, cache, embedder, settings, progress, "sentences")
    manifest = {
        **build_parameters(settings, identity),
        "embedding_dimension": embedder.dimension,
        "embedding_window": embedder.max_tokens,
        "corpus": corpus_fingerprint(settings.corpus_dir),
        "skipped": loaded.warnings,
        "skipped_files": [skip.to_json() for skip in loaded.skipped],
        "n_documents": len(docs_rows),
        "n_chunks": len(chunks),
        "n_sentences": len(sent_texts),
        "versions": library_versions(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    where = target.write(chunks, docs_rows, matrix, spans, sent_matrix, manifest,
                         [text_key(t) for t in chunk_texts], [text_key(t) for t in sent_texts])
    cache.compact({text_key(t) for t in chunk_texts} | set(map(text_key, sent_texts)))
    seconds = time.perf_counter() - t0
    progress.say(f"Index written to {where} in {seconds:.1f} s")
    return {"seconds": seconds, "n_chunks": len(chunks), "n_documents": len(docs_rows), "n_sentences": len(sent_texts),
            "embedded": new_chunks, "embedded_sentences": new_sentences}


def write_files_build(index_dir: Path, chunks: list[Chunk], docs_rows: list[dict[str, Any]], matrix: np.ndarray,
                      spans: list[list[tuple[int, int]]], sent_matrix: np.ndarray, manifest: dict[str, Any], *,
                      threads: int = 2, bm25_terms: list[list[str]] | None = None, exact_below: int | None = None) -> Path:
    """Write a files-store build (FAISS, bm25s, JSONL, sentence vectors, manifest with checksums) and swap it
    in; returns its folder. `bm25_terms[i]`: chunk i's analysed terms (default: analyze(bm25_text)).
    Above `exact_below` chunks (rag.index.candidates.EXACT_BELOW) searches score candidates, from an HNSW
    graph and the vectors' moments written here too."""
    import bm25s
    import faiss

    from rag.index.candidates import EXACT_BELOW, write_large_index_files
    from rag.text.analysis import analyze

    exact_below = EXACT_BELOW if exact_below is None else exact_below

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its logger to DEBUG: keep build output readable
    faiss.omp_set_num_threads(threads)
    fi = faiss.IndexFlatIP(matrix.shape[1])
    fi.add(np.ascontiguousarray(matrix, dtype=np.float32))
    bm = bm25s.BM25()
    terms = bm25_terms if bm25_terms is not None else (analyze(bm25_text(c)) for c in chunks)
    bm.index([t or [""] for t in terms], show_progress=False)

    builds = index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    # unique even for two builds of one process within a second (the second must never overwrite the first,
    # which the `current` link may point at)
    build_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp = builds / f".tmp-{build_id}"
    tmp.mkdir()
    try:
        faiss.write_index(fi, str(tmp / "faiss.index"))
        del fi
        bm.save(str(tmp / "bm25"), show_progress=False)
        del bm
        _write_jsonl(tmp / "chunks.jsonl", (c.to_json() for c in chunks))
        _write_jsonl(tmp / "documents.jsonl", docs_rows)
        _save_npy(tmp / "sentences.npy", sent_matrix)
        _write_jsonl(tmp / "sentences.jsonl", ({"row": i, "chunk_id": c.chunk_id, "spans": [list(p) for p in sp]}
                                               for i, (c, sp) in enumerate(zip(chunks, spans))))
        if len(chunks) > exact_below:
            write_large_index_files(tmp, matrix, threads)
            manifest = {**manifest, "exact_below": exact_below}
        files = {str(p.relative_to(tmp)): file_checksum(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        (tmp / MANIFEST).write_text(json.dumps({**manifest, "files": files}, indent=2, ensure_ascii=False), encoding="utf-8")
        final = builds / build_id
        os.replace(tmp, final)
        _swap_in(final, index_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _save_npy(path: Path, array: np.ndarray) -> None:
    """np.save, or a hard link when `array` is a whole .npy file opened with mmap_mode (12 GB of sentence
    vectors at a million chunks are then not copied)."""
    source = getattr(array, "filename", None)
    if isinstance(array, np.memmap) and source and str(source).endswith(".npy"):
        with open(source, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(f)
            whole = f.tell() == array.offset and shape == array.shape and dtype == array.dtype and not fortran
        if whole:
            try:
                os.link(source, path)
                return
            except OSError:
                pass  # another file system: copied below
    np.save(path, array, allow_pickle=False)


def _swap_in(build: Path, index_dir: Path) -> None:
    """Point index_dir/current at `build` in one atomic rename, then drop builds older than the previous one."""
    current = index_dir / CURRENT
    if current.exists() and not current.is_symlink():  # an index of an older format: a folder, moved aside once
        os.replace(current, index_dir / BUILDS / f"legacy-{int(time.time())}")
    link = index_dir / f".{CURRENT}-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(Path(BUILDS) / build.name, target_is_directory=True)  # relative: the folder may move
    os.replace(link, current)
    kept = sorted((p for p in (index_dir / BUILDS).iterdir() if not p.name.startswith(".")),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[KEEP_BUILDS:]:
        shutil.rmtree(old, ignore_errors=True)
    for leftover in (index_dir / BUILDS).glob(".tmp-*"):  # from builds killed an hour or more ago
        if time.time() - leftover.stat().st_mtime > 3600:
            shutil.rmtree(leftover, ignore_errors=True)


def ensure_index(settings: Settings, *, rebuild: bool = False, quiet: bool = False,
                 listener: Listener | None = None) -> dict[str, Any] | None:
    """Build the index when missing, stale or asked to; returns build stats, or None when it was fresh.
    `listener` gets the progress (see Progress)."""
    progress = Progress(quiet, listener)
    target = build_target(settings)
    if not rebuild and _fresh(target, settings, progress, announce=False):
        return None
    with target.lock(progress):
        # another process may have built it while this one waited for the lock
        if not rebuild and _fresh(target, settings, progress, announce=True):
            return None
        return _build(settings, progress, target)


def _fresh(target, settings: Settings, progress: Progress, announce: bool) -> bool:
    try:
        manifest = target.read_manifest()
    except IndexMissingError:
        if announce:
            progress.say("No index yet: building it.")
        return False
    except RagError as exc:
        if not isinstance(exc, IndexCorruptedError):
            raise  # the store cannot be reached or used: building would fail the same way
        if announce:
            progress.say("The index manifest is unreadable: rebuilding the index.")
        return False
    except Exception:  # a manifest that is not what a build writes: rebuilt like a corrupted one
        if announce:
            progress.say("The index manifest is unreadable: rebuilding the index.")
        return False
    reasons = staleness(settings, manifest)
    if reasons and announce:
        progress.say("Index is stale (" + "; ".join(reasons[:5]) + "): rebuilding, reusing cached embeddings.")
    return not reasons
