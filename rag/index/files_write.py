"""Writing the files store: a build in `builds/<id>/` (FAISS, bm25s, JSONL, sentence vectors, a manifest with
checksums) made current by replacing the `current` link in one atomic rename, under a lock file (fcntl).

A killed build leaves only a `.tmp-*` folder, removed later; a reader never finds half an index.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from rag.errors import SettingsError
from rag.index.manifest import CURRENT, MANIFEST, file_checksum, read_manifest
from rag.index.progress import Progress
from rag.schema import Chunk
from rag.settings import Settings

BUILDS = "builds"
LOCK = ".lock"
KEEP_BUILDS = 2  # the current build and the one before: a reader that resolved the old link still finds its files


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


def check_index_dir(index_dir: Path) -> None:
    if index_dir.exists() and not index_dir.is_dir():
        raise SettingsError(f"RAG_INDEX_DIR {index_dir} is a file, not a folder: point it at a folder (it is created if missing).")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"Cannot create the index folder {index_dir} ({exc.strerror}): set RAG_INDEX_DIR to a writable folder.") from None


def write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


class FilesTarget:
    """The files store under `index_dir`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        check_index_dir(settings.index_dir)

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
        write_jsonl(tmp / "chunks.jsonl", (c.to_json() for c in chunks))
        write_jsonl(tmp / "documents.jsonl", docs_rows)
        _save_npy(tmp / "sentences.npy", sent_matrix)
        write_jsonl(tmp / "sentences.jsonl", ({"row": i, "chunk_id": c.chunk_id, "spans": [list(p) for p in sp]}
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
