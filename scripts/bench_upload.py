"""Indexing a large uploaded PDF through the live app while the chat keeps answering.

    .venv/bin/python scripts/bench_upload.py [--mb 5] [--pages 60] [--keep FILE.pdf]

Writes a PDF of about --mb megabytes (reportlab): --pages pages of French prose made of the corpus's
sentences in a new order on each page (so its chunks are new text that must be embedded), a running
header and page numbers, and a photo-like incompressible image per page for the rest of the size (a
report's photos). Then launches the app over a private copy of the corpus and index (the repository's
embedding cache is reused for the corpus itself), measures the chat's answer time at rest, uploads the
PDF with /add_document and, until it is indexed, asks questions without pause from another client.
Prints the indexing time, what was embedded, and the answer times at rest and during the build.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

QUESTIONS = [
    "Combien de territoires se sont engagés dans la phase II de « Territoires d'industrie » ?",
    "Combien d'euros la task-force régionale pour la défense doit-elle mobiliser ?",
    "Qu'est-ce que le « Pass Drones » adopté par le conseil régional ?",
]


def prose_pages(n_pages: int, seed: int = 7) -> list[list[str]]:
    """Pages of about 2,500 characters: corpus sentences shuffled anew for each page."""
    sentences = []
    for p in sorted((ROOT / "corpus").glob("*.txt")):
        for s in re.split(r"(?<=[.!?])\s+", p.read_text(encoding="utf-8")):
            s = " ".join(s.split())
            if 60 <= len(s) <= 300:
                sentences.append(s)
    rng = random.Random(seed)
    pages = []
    for _ in range(n_pages):
        rng.shuffle(sentences)
        page, size = [], 0
        for s in sentences:
            if size > 2500:
                break
            page.append(s)
            size += len(s)
        pages.append([" ".join(page[i:i + 4]) for i in range(0, len(page), 4)])
    return pages


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=5.0)
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--keep", type=Path, help="also copy the generated PDF there")
    args = ap.parse_args()

    from gradio_client import Client, handle_file

    from rag.index.store import ensure_index, open_index
    from tests.conftest import launched_app, make_settings
    from tests.documents import make_pdf

    work = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    try:
        pdf = work / "rapport-volumineux.pdf"
        text_only = make_pdf(work / "probe.pdf", prose_pages(args.pages)).stat().st_size
        images = max(0, int(args.mb * 1e6) - text_only)
        for _ in range(3):  # images cost more than their pixels in a PDF: aim again at the wanted size
            size = make_pdf(pdf, prose_pages(args.pages), image_bytes=images).stat().st_size
            if abs(size - args.mb * 1e6) < 0.03 * args.mb * 1e6 or not images:
                break
            images = int(images * (args.mb * 1e6 - text_only) / max(1, size - text_only))
        if args.keep:
            shutil.copy(pdf, args.keep)
        print(f"PDF: {pdf.stat().st_size / 1e6:.2f} MB, {args.pages} pages ({text_only / 1e6:.2f} MB without images)")
        shutil.copytree(ROOT / "corpus", work / "corpus")
        (work / "index").mkdir()
        if (ROOT / "index" / "cache").is_dir():
            shutil.copytree(ROOT / "index" / "cache", work / "index" / "cache")
        settings = make_settings(work / "index", work / "corpus", max_upload_mb=max(20.0, args.mb * 2))
        ensure_index(settings, quiet=True)
        with launched_app(settings, open_index(settings)) as demo:
            asker, uploader = (Client(demo.local_url, analytics_enabled=False, verbose=False) for _ in range(2))
            rest = []
            for q in QUESTIONS * 3:
                t0 = time.perf_counter()
                asker.predict(q, api_name="/chat")
                rest.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            job = uploader.submit(handle_file(str(pdf)), "Rapport volumineux", "Banc d'essai", "2026", "rapport", "",
                                  api_name="/add_document")
            during: list[float] = []
            stop = threading.Event()

            def keep_asking() -> None:
                i = 0
                while not stop.is_set():
                    t = time.perf_counter()
                    asker.predict(QUESTIONS[i % len(QUESTIONS)], api_name="/chat")
                    during.append(time.perf_counter() - t)
                    i += 1

            th = threading.Thread(target=keep_asking)
            th.start()
            record = job.result(timeout=3600)
            indexing = time.perf_counter() - t0
            stop.set()
            th.join()
        print(f"Upload and indexing: {indexing:.1f} s -> {record}")
        print(f"Answer time at rest: median {statistics.median(rest) * 1000:.0f} ms, max {max(rest) * 1000:.0f} ms "
              f"({len(rest)} questions)")
        print(f"Answer time while indexing: median {statistics.median(during) * 1000:.0f} ms, "
              f"max {max(during) * 1000:.0f} ms ({len(during)} questions answered during the build)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
