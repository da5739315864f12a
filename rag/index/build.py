"""Building the index: corpus -> cleaned text -> chunks -> vectors -> a new build in the configured store.

Two targets, one pipeline. The files store (rag.index.files_write): a build is written to `builds/<id>/`
(FAISS, bm25s, JSONL) and made current by replacing the `current` link in one atomic rename, under a lock
file (fcntl). The PostgreSQL store: a build is a new generation written and made current in one transaction
(rag.index.postgres.write), under a session advisory lock. Either way a killed build never leaves a half
index, a reader never finds none, only one process builds at a time, and one that waited re-checks and
finds the index fresh. Embeddings are cached by text hash as they are computed (rag.index.cache), and the
PostgreSQL store also lends the vectors of its current index, so a re-index embeds only new text and a
killed build keeps its work.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

import numpy as np

from rag.errors import IndexCorruptedError, IndexMissingError, RagError
from rag.index.cache import EmbeddingCache, text_key
from rag.index.files_write import FilesTarget, check_index_dir
from rag.index.manifest import build_parameters, corpus_fingerprint, library_versions, staleness
from rag.index.progress import Listener, Progress
from rag.ingest.chunking import chunk_document
from rag.ingest.loaders import SourceDocument, load_corpus
from rag.schema import Chunk
from rag.settings import Settings
from rag.text.analysis import roman_terms
from rag.text.sentences import split_sentences

log = logging.getLogger(__name__)

_META_FIELDS = ("publisher", "author", "date", "kind", "source_url")


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


def roman_frequencies(chunks: list[Chunk]) -> dict[str, int]:
    """How many chunks (text or heading) hold each roman-numeral term ("roman:II")."""
    counts: dict[str, int] = {}
    for c in chunks:
        for term in roman_terms(c.text) | roman_terms(c.heading or ""):
            counts[term] = counts.get(term, 0) + 1
    return counts


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
    check_index_dir(index_dir)  # the embedding cache lives there, whichever the store
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
        # chunks with each roman numeral: the one count of the answerer's vocabulary that the stores' term
        # statistics (analysed terms, where "II" is "2") do not give
        "roman_frequencies": roman_frequencies(chunks),
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
