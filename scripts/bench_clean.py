"""Cleaning benchmark: time per MB and peak memory on synthetic 1, 4 and 16 MB French documents.

    .venv/bin/python scripts/bench_clean.py [--sizes 1 4 16] [--no-chunk] [--build MB] [--seed N]

`--sizes` with no value measures the build alone.

Each document is built from the shipped corpus: the raw text of every document (the damaged PDF
extraction included) and new paragraphs made of its cleaned sentences, shuffled, with their figures
changed and a quarter of their words swapped for other words of the corpus, so that they are unique; then PDF-like damage is applied to a share of them (letter spacing,
words split inside, doubled glyphs, hyphenation and hard line breaks, debris lines, page numbers) and
paragraphs are repeated (exact, near and garbled copies of earlier ones). The same seed gives the same
document.

Each size is measured in a fresh process (the lexicon warmed up on the shipped corpus first). It prints
the cleaning time per MB (and the chunking time, unless --no-chunk), the peak memory of the process
(resource.getrusage) and how much it grew while cleaning, and checks linearity: the time per MB of
every size must be within a factor 1.5 of the fastest one (exit code 1 otherwise).
`--build MB` also builds a whole index (cleaning, chunking, embedding, BM25) over a corpus of one
such document in a temporary folder and prints its throughput in MB per minute.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.ingest.clean import clean_text  # noqa: E402
from rag.ingest.loaders import load_documents  # noqa: E402
from rag.text.sentences import split_sentences  # noqa: E402

MB = 1_000_000
LINEARITY = 1.5  # largest allowed ratio between the time per MB of two sizes


# --- damage, as seen in the shipped PDF extraction (corpus/agence-hdf-...) -----------------------

def letter_spaced(line: str) -> str:
    """'Lettre d'info' -> 'L e t t r e  d ' i n f o': letters one space apart, words two."""
    return "  ".join(" ".join(word) for word in line.split())


def split_inside(line: str, rng: random.Random) -> str:
    """'contribution écrite' -> 'contr ibut ion  écr i te': spaces inside words, wide gaps between them."""
    words = []
    for word in line.split():
        cuts = sorted(rng.sample(range(1, len(word)), k=min(len(word) - 1, rng.randint(0, 2)))) if len(word) > 3 else []
        parts, last = [], 0
        for c in cuts:
            parts.append(word[last:c])
            last = c
        parts.append(word[last:])
        words.append(" ".join(parts))
    return "  ".join(words)


def doubled(line: str) -> str:
    """'la parole' -> 'llaa ppaarroollee' (bold text rendered twice)."""
    return " ".join("".join(ch * 2 for ch in word) for word in line.split())


def wrapped(para: str, rng: random.Random) -> str:
    """Hard line breaks every 60-90 characters, a word hyphenated at some of them."""
    out, line = [], ""
    width = rng.randint(60, 90)
    for word in para.split():
        if len(line) + len(word) > width:
            if len(word) > 6 and rng.random() < 0.2:
                cut = len(word) // 2
                out.append(f"{line} {word[:cut]}-".strip())
                line = word[cut:]
                continue
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    out.append(line)
    return "\n".join(out)


DEBRIS = ["QQQQQQQQQQQQ", "¼", "A 16A 16", "•", "A 13AAAA 1AAAA", "p p p"]


def garbled(para: str, rng: random.Random) -> str:
    """A second, damaged rendering of a paragraph: part of it, some words split or letter-spaced."""
    words = para.split()
    start = rng.randint(0, max(0, len(words) // 5))
    kept = words[start:]
    return " ".join(split_inside(w, rng) if rng.random() < 0.15 else w for w in kept)


def varied(sentence: str, vocabulary: list[str], rng: random.Random) -> str:
    """The sentence with new figures and about a quarter of its words swapped for other words of the corpus,
    so that a long document is not the same few hundred sentences over and over."""
    sentence = re.sub(r"\d+", lambda m: str(rng.randint(1, 10 ** len(m.group(0)))), sentence)
    return re.sub(r"[^\W\d_]{3,}", lambda m: rng.choice(vocabulary) if rng.random() < 0.25 else m.group(0), sentence)


def synthetic_document(size: int, seed: int = 0) -> str:
    """About `size` characters of French text with PDF damage and repeated paragraphs (deterministic)."""
    rng = random.Random(seed)
    docs = load_documents(ROOT / "corpus")
    raw = "\n\n".join(d.text for d in docs)
    clean = [clean_text(d.text, boilerplate_start=d.metadata.get("boilerplate_start")).text for d in docs]
    sentences = [s.text for text in clean for s in split_sentences(text) if len(s.text) > 30]
    vocabulary = sorted({w for text in clean for w in re.findall(r"[^\W\d_]{3,}", text)})
    parts: list[str] = [raw]
    length = len(raw)
    kept: list[str] = []
    while length < size:
        para = " ".join(varied(s, vocabulary, rng) for s in rng.sample(sentences, rng.randint(2, 5)))
        roll = rng.random()
        if kept and roll < 0.08:
            para = rng.choice(kept)                                   # exact repeat
        elif kept and roll < 0.12:
            para = rng.choice(kept).replace(".", " !").lower()        # near repeat
        elif kept and roll < 0.15:
            para = garbled(rng.choice(kept), rng)                     # garbled repeat
        else:
            kept.append(para)
            if len(kept) > 2000:
                kept.pop(rng.randrange(len(kept)))
            roll = rng.random()
            if roll < 0.03:
                para = letter_spaced(para[:120])
            elif roll < 0.08:
                para = split_inside(para, rng)
            elif roll < 0.10:
                para = doubled(para[:150])
            elif roll < 0.60:
                para = wrapped(para, rng)
        if rng.random() < 0.05:
            para += "\n" + rng.choice(DEBRIS)
        if rng.random() < 0.04:
            para += f"\n\n{rng.randint(1, 300)}"                      # a page number
        parts.append(para)
        length += len(para) + 2
    return "\n\n".join(parts)[:size]


# --- measurements ------------------------------------------------------------------------------------

def _rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000


def measure(size_mb: float, seed: int, chunk: bool) -> dict:
    """Cleaning (and chunking) time of one synthetic document, in this process; run it in a fresh process
    per size so that peak memory and the lexicon's caches are not carried over from another size."""
    text = synthetic_document(int(size_mb * MB), seed)
    warm = load_documents(ROOT / "corpus")
    for d in warm:  # loads wordfreq's French list and fills the lexicon caches once, for every size alike
        clean_text(d.text)
    before = _rss_mb()
    t0 = time.perf_counter()
    result = clean_text(text)
    out = {"size": size_mb, "mb": len(text.encode("utf-8")) / MB, "chars": len(text), "clean_s": time.perf_counter() - t0,
           "rss_before_mb": before, "rss_peak_mb": _rss_mb(), "chars_out": len(result.text)}
    if chunk:
        from rag.ingest.chunking import chunk_document

        t0 = time.perf_counter()
        chunks = chunk_document("bench", "Bench", result.text, chunk_size=200, chunk_overlap=40)
        out.update(chunk_s=time.perf_counter() - t0, chunks=len(chunks))
    return out


def build_throughput(size_mb: float, seed: int) -> float:
    """MB per minute of a whole index build (nothing cached) over one synthetic document."""
    from rag.index.build import build_index
    from rag.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        (corpus / "bench.txt").write_text(synthetic_document(int(size_mb * MB), seed), encoding="utf-8")
        settings = Settings(_env_file=None, corpus_dir=corpus, index_dir=Path(tmp) / "index")
        t0 = time.perf_counter()
        stats = build_index(settings)
        minutes = (time.perf_counter() - t0) / 60
    print(f"build of {size_mb:g} MB: {minutes * 60:.1f} s, {stats['n_chunks']} chunks and {stats['n_sentences']} sentences "
          f"({stats['embedded']} chunks and {stats.get('embedded_sentences', 0)} distinct sentences embedded), "
          f"{size_mb / minutes:.3f} MB/min, peak memory of the process {_rss_mb():.0f} MB")
    return size_mb / minutes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=float, nargs="*", default=[1, 4, 16], help="document sizes in MB (none: only --build)")
    ap.add_argument("--no-chunk", action="store_true", help="time cleaning only")
    ap.add_argument("--build", type=float, default=None, metavar="MB", help="also time a whole index build of this size")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--child", type=float, default=None, help=argparse.SUPPRESS)  # one size, in a fresh process
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.seed, chunk=not args.no_chunk)))
        return 0

    rows = []
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--child", str(size), "--seed", str(args.seed)] + ["--no-chunk"] * args.no_chunk
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        r["s_per_mb"] = r["clean_s"] / r["mb"]
        rows.append(r)
        chunking = (f"; chunking {r['chunk_s']:.1f} s ({r['chunk_s'] / r['mb']:.2f} s/MB, {r['chunks']} chunks)"
                    if "chunk_s" in r else "")
        print(f"{size:g} MB ({r['mb']:.2f} MB UTF-8, {r['chars']:,} chars): cleaning {r['clean_s']:.1f} s "
              f"({r['s_per_mb']:.2f} s/MB), peak memory {r['rss_peak_mb']:.0f} MB "
              f"(+{r['rss_peak_mb'] - r['rss_before_mb']:.0f} MB while cleaning), {r['chars_out']:,} chars kept{chunking}",
              flush=True)
    per_mb = [r["s_per_mb"] for r in rows]
    ratio = max(per_mb) / min(per_mb) if per_mb else 1.0
    if per_mb:
        print(f"linearity: time per MB varies by a factor {ratio:.2f} across sizes (limit {LINEARITY})")
    if args.build:
        build_throughput(args.build, args.seed)
    return 0 if ratio <= LINEARITY else 1


if __name__ == "__main__":
    sys.exit(main())
