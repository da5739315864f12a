"""Token counting with tiktoken's cl100k_base, loaded from the copy shipped in the package (never downloaded)."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

import tiktoken

_BPE_FILE = Path(__file__).resolve().parent.parent / "resources" / "tiktoken" / "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"
_BPE_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
# Same pattern and special tokens as tiktoken_ext.openai_public.cl100k_base, which would download the file.
_PAT = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
_SPECIAL = {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276}


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    """The cl100k_base encoding, built from the bundled BPE file (its sha256 is checked)."""
    # Read here rather than with tiktoken.load.load_tiktoken_bpe, which would also write a copy of the file
    # into TIKTOKEN_CACHE_DIR under a name hashed from this path: a new file per checkout, inside the package.
    data = _BPE_FILE.read_bytes()
    if hashlib.sha256(data).hexdigest() != _BPE_SHA256:
        raise RuntimeError(f"{_BPE_FILE} is corrupted (sha256 mismatch): reinstall the package.")
    ranks = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines() if line)}
    return tiktoken.Encoding(name="cl100k_base", pat_str=_PAT, mergeable_ranks=ranks, special_tokens=_SPECIAL)


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in `text` (special-token strings are counted as plain text)."""
    return len(encoding().encode(text, disallowed_special=()))
