"""The embedding cache: vectors by text hash, per embedder identity, written as they are computed.

A re-index embeds only texts whose hash is new. Vectors are appended batch by batch to a raw float32
file, and their keys to a text file, both flushed, so a build killed half-way keeps the work done so far
(at worst the last batch is lost: on load, only rows that have both a key and a whole vector count).
The folder is named by a hash of the embedder's identity (backend, model, prompts, version): vectors of
two models never meet. No pickle.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

VECTORS = "vectors.f32"
KEYS = "keys.txt"
INFO = "embedder.json"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def cache_dir(index_dir: Path, identity: dict[str, str]) -> Path:
    tag = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    return index_dir / "cache" / tag


class EmbeddingCache:
    """Vectors by text hash for one embedder; `add` appends to disk at once."""

    def __init__(self, index_dir: Path, identity: dict[str, str], dimension: int):
        self.dir = cache_dir(index_dir, identity)
        self.dimension = dimension
        self.vectors: dict[str, np.ndarray] = {}
        self.identity = identity
        try:
            self._load()
        except Exception as exc:  # a broken cache only costs re-embedding
            log.warning("Embedding cache %s unreadable (%s); it will be rebuilt.", self.dir, exc)
            self.vectors = {}
            self._reset()

    def _load(self) -> None:
        vec_path, key_path = self.dir / VECTORS, self.dir / KEYS
        if not (vec_path.exists() and key_path.exists()):
            return
        keys = key_path.read_text(encoding="ascii").split("\n")
        if keys and keys[-1] == "":
            keys.pop()  # the file ends with a newline; a last key without one was cut by a kill
        else:
            keys = keys[:-1]
        raw = np.fromfile(vec_path, dtype=np.float32)
        rows = min(len(keys), raw.size // self.dimension)
        matrix = raw[: rows * self.dimension].reshape(rows, self.dimension)
        self.vectors = dict(zip(keys[:rows], matrix))

    def _reset(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for name in (VECTORS, KEYS):
            (self.dir / name).unlink(missing_ok=True)

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        """Remember and append a batch (vectors first: a key is only trusted with a whole vector before it)."""
        fresh = [i for i, k in enumerate(keys) if k not in self.vectors]
        keys, vectors = [keys[i] for i in fresh], np.asarray(vectors)[fresh]
        if not keys:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        info = self.dir / INFO
        if not info.exists():
            info.write_text(json.dumps(self.identity, indent=1), encoding="utf-8")
        arr = np.ascontiguousarray(vectors, dtype=np.float32)
        self._repair_tail()
        with (self.dir / VECTORS).open("ab") as f:
            f.write(arr.tobytes())
            f.flush()
            os.fsync(f.fileno())
        with (self.dir / KEYS).open("a", encoding="ascii") as f:
            f.write("".join(k + "\n" for k in keys))
            f.flush()
        self.vectors.update(zip(keys, arr))

    def _repair_tail(self) -> None:
        """After a kill, the two files may disagree: cut both back to the rows they share before appending."""
        vec_path, key_path = self.dir / VECTORS, self.dir / KEYS
        if not vec_path.exists() or not key_path.exists():
            self._reset()
            return
        rows = len(self.vectors)
        want = rows * self.dimension * 4
        if vec_path.stat().st_size != want:
            with vec_path.open("r+b") as f:
                f.truncate(want)
        text = "".join(k + "\n" for k in self.vectors)
        if key_path.stat().st_size != len(text):
            key_path.write_text(text, encoding="ascii")

    def compact(self, keep: set[str]) -> None:
        """Rewrite the cache with only `keep` when more than half of it is unused (old text versions)."""
        unused = len(set(self.vectors) - keep)
        if not self.vectors or unused <= len(self.vectors) // 2:
            return
        kept = {k: v for k, v in self.vectors.items() if k in keep}
        tmp = self.dir.with_name(self.dir.name + ".compact")
        old = self.dir.with_name(self.dir.name + ".old")
        for leftover in (tmp, old):
            if leftover.exists():
                shutil.rmtree(leftover)
        tmp.mkdir(parents=True)
        arr = np.stack(list(kept.values())).astype(np.float32) if kept else np.zeros((0, self.dimension), np.float32)
        (tmp / VECTORS).write_bytes(arr.tobytes())
        (tmp / KEYS).write_text("".join(k + "\n" for k in kept), encoding="ascii")
        (tmp / INFO).write_text(json.dumps(self.identity, indent=1), encoding="utf-8")
        # Whole folders are swapped: a kill in between leaves no cache (re-embedding), never keys paired with
        # the wrong vectors.
        os.replace(self.dir, old)
        os.replace(tmp, self.dir)
        shutil.rmtree(old, ignore_errors=True)
        self.vectors = kept
