"""Building the files store: corpus -> cleaned text -> chunks -> vectors and BM25 -> a new build, swapped in.

A build is written to `builds/<id>/` and made current by replacing the `current` link in one atomic
rename, so a killed build never leaves a half index and a reader never finds none. A lock file (fcntl)
around the build and the swap lets only one process build at a time; one that waited re-checks and
finds the index fresh. Embeddings are cached by text hash as they are computed (rag.index.cache), so a
re-index embeds only new text and a killed build keeps its work.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from rag.errors import IndexMissingError, SettingsError
from rag.index.cache import EmbeddingCache, text_key
from rag.index.manifest import (CURRENT, MANIFEST, build_parameters, corpus_fingerprint, library_versions,
                                read_manifest, staleness)
from rag.ingest.chunking import chunk_document
from rag.ingest.loaders import SourceDocument, file_sha256, load_corpus
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


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def build_index(settings: Settings, *, quiet: bool = False, listener: Listener | None = None) -> dict[str, Any]:
    """Build the index from the corpus and swap it in (under the build lock); returns build statistics.
    `listener` gets the progress (see Progress)."""
    progress = Progress(quiet, listener)
    _check_index_dir(settings.index_dir)
    with build_lock(settings.index_dir, progress):
        return _build(settings, progress)


def _build(settings: Settings, progress: Progress) -> dict[str, Any]:
    import bm25s
    import faiss

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its logger to DEBUG: keep build output readable
    from rag.index.embeddings import get_embedder
    from rag.text.analysis import analyze

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
    cache = EmbeddingCache(index_dir, identity, embedder.dimension)
    matrix, new_chunks = _embed_missing([embedding_text(c, settings) for c in chunks], cache, embedder, settings, progress, "chunks")
    spans = [sentence_offsets(c.text) for c in chunks]
    sent_texts = [c.text[a:b] for c, sp in zip(chunks, spans) for a, b in sp]
    sent_matrix, new_sentences = _embed_missing(sent_texts, cache, embedder, settings, progress, "sentences")

    faiss.omp_set_num_threads(settings.threads)
    fi = faiss.IndexFlatIP(embedder.dimension)
    fi.add(matrix)
    bm = bm25s.BM25()
    bm.index([analyze(bm25_text(c)) or [""] for c in chunks], show_progress=False)

    builds = index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    build_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}"
    tmp = builds / f".tmp-{build_id}"
    tmp.mkdir()
    try:
        faiss.write_index(fi, str(tmp / "faiss.index"))
        bm.save(str(tmp / "bm25"), show_progress=False)
        _write_jsonl(tmp / "chunks.jsonl", [c.to_json() for c in chunks])
        _write_jsonl(tmp / "documents.jsonl", docs_rows)
        np.save(tmp / "sentences.npy", sent_matrix, allow_pickle=False)
        _write_jsonl(tmp / "sentences.jsonl", [{"row": i, "chunk_id": c.chunk_id, "spans": [list(p) for p in sp]}
                                               for i, (c, sp) in enumerate(zip(chunks, spans))])
        files = {str(p.relative_to(tmp)): file_sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
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
            "files": files,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        final = builds / build_id
        os.replace(tmp, final)
        _swap_in(final, index_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    cache.compact({text_key(embedding_text(c, settings)) for c in chunks} | set(map(text_key, sent_texts)))
    seconds = time.perf_counter() - t0
    progress.say(f"Index written to {index_dir / CURRENT} in {seconds:.1f} s")
    return {"seconds": seconds, "n_chunks": len(chunks), "n_documents": len(docs_rows), "n_sentences": len(sent_texts),
            "embedded": new_chunks, "embedded_sentences": new_sentences}


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
    _check_index_dir(settings.index_dir)
    if not rebuild and _fresh(settings, progress, announce=False):
        return None
    with build_lock(settings.index_dir, progress):
        # another process may have built it while this one waited for the lock
        if not rebuild and _fresh(settings, progress, announce=True):
            return None
        return _build(settings, progress)


def _fresh(settings: Settings, progress: Progress, announce: bool) -> bool:
    try:
        manifest = read_manifest(settings)
    except IndexMissingError:
        if announce:
            progress.say("No index yet: building it.")
        return False
    except Exception:  # a corrupted manifest: rebuilt like a missing one
        if announce:
            progress.say("The index manifest is unreadable: rebuilding the index.")
        return False
    reasons = staleness(settings, manifest)
    if reasons and announce:
        progress.say("Index is stale (" + "; ".join(reasons[:5]) + "): rebuilding, reusing cached embeddings.")
    return not reasons
