"""PDF text extraction: `pdf_to_text(path, engine)` is what the corpus loader reads from a PDF.

It extracts each page with `engine` (`extract_pdf_pages`), removes the running headers, footers and page
numbers found by comparing the pages (`strip_running_lines`), then joins the pages (`join_pages`).
`extract_pdf_text(path, engine)` is the raw extraction, pages separated by "\n\n".

DEFAULT_ENGINE is "pypdfium2" (PDFium), chosen by the round-trip benchmark
scripts/bench_pdf_extraction.py: 15,000 characters of known French prose from the corpus rendered with
reportlab in 7 layouts, extracted, cleaned (rag.ingest.clean) and compared with the known text.
Mean character similarity after cleaning (1 - Levenshtein / length) with Helvetica and with embedded
DejaVu fonts, and mean extraction time per page (best of 3; range over five runs on a loaded 2-core
machine, so read the ratios):

    pypdfium2   99.57 % / 99.57 %     2.4-6.2 ms
    pypdf       99.01 % / 99.01 %      16-43 ms
    pdfplumber  89.96 % / 88.80 %    250-530 ms

pypdf and PDFium tie on six layouts (one column, two columns, running headers, hyphenation, table,
real bold); PDFium alone drops "faux bold" overprinting (an intertitle printed twice, 0.35 pt apart):
pypdf returns the line twice (96.09 %, and the cleaning keeps the repeat). PDFium is also 6-8 times
faster. pdfplumber reads by position, line by line across the page: it interleaves the two columns
(35.8 %) and the wrapped cells of a table (97.1 %), doubles faux-bold glyphs ("DDee nnoouuvveeaauuxx",
which the cleaning repairs), and is ~100 times slower. No engine removes running headers, footers or
page numbers, and neither does the cleaning: `strip_running_lines` does, from the page boundaries
(measured on the same benchmark, see the README's section on adding documents), and `join_pages` lets the
cleaning rejoin a word or sentence cut by a page break.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from pathlib import Path

ENGINES = ("pypdf", "pypdfium2", "pdfplumber")
DEFAULT_ENGINE = "pypdfium2"

# pip package to install for each engine: the import name is not always the distribution name.
_PIP_PACKAGE = {"pypdf": "pypdf", "pypdfium2": "pypdfium2", "pdfplumber": "pdfplumber"}

PAGE_SEPARATOR = "\n\n"


def _missing(engine: str) -> ImportError:
    package = _PIP_PACKAGE[engine]
    return ImportError(f"PDF engine {engine!r} needs the {package!r} package: pip install {package}")


def _pypdf_pages(path: str) -> list[str]:
    try:
        from pypdf import PdfReader
    except ImportError as exc:
        raise _missing("pypdf") from exc
    reader = PdfReader(path)
    return [page.extract_text() or "" for page in reader.pages]


def _pypdfium2_pages(path: str) -> list[str]:
    try:
        import pypdfium2 as pdfium
    except ImportError as exc:
        raise _missing("pypdfium2") from exc
    pdf = pdfium.PdfDocument(path)
    try:
        pages = []
        for page in pdf:
            textpage = page.get_textpage()
            # get_text_bounded, not get_text_range: the latter is limited to UCS-2.
            text = textpage.get_text_bounded()
            textpage.close()
            page.close()
            # PDFium ends lines with CRLF; the cleaning regexes expect "\n".
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            # PDFium swallows a line-end hyphen and its line break into U+0002 ("indus\x02trie"), which
            # the tokenizer reads as a word boundary (1.9 % of words lost on the hyphenated layout): give
            # back "-\n", so that the cleaning decides, as for the other engines, whether it was a
            # hyphenation ("industrie") or a real hyphen ("Hauts-de-\nFrance").
            pages.append(text.replace("\x02", "-\n"))
        return pages
    finally:
        pdf.close()


def _pdfplumber_pages(path: str) -> list[str]:
    try:
        import pdfplumber
    except ImportError as exc:
        raise _missing("pdfplumber") from exc
    # Library defaults on purpose: reading by position is why one would pick pdfplumber over the two
    # stream-order engines (a PDF whose drawing order is scrambled). Measured on the benchmark,
    # extract_text(use_text_flow=True) fixes two columns and tables (100 %) and page.dedupe_chars() fixes
    # faux bold, which makes it as good as PDFium, and still ~100 times slower.
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


_BY_ENGINE = {"pypdf": _pypdf_pages, "pypdfium2": _pypdfium2_pages, "pdfplumber": _pdfplumber_pages}


def extract_pdf_pages(path: str | Path, engine: str = DEFAULT_ENGINE) -> list[str]:
    """Text of each page of the PDF at `path`, in page order, with `engine` (one of ENGINES)."""
    if engine not in _BY_ENGINE:
        raise ValueError(f"unknown PDF engine {engine!r}; valid engines: {', '.join(ENGINES)}")
    return _BY_ENGINE[engine](str(path))


def extract_pdf_text(path: str | Path, engine: str = DEFAULT_ENGINE) -> str:
    """Text of the PDF at `path`, pages separated by a blank line ("\\n\\n"), with `engine` (one of ENGINES).

    Raises ValueError for an unknown engine, ImportError (naming the pip package) when the engine's
    package is not installed, and the library's own error for a file that is not a PDF (unwrapped, so
    that the caller sees the library's diagnosis): pypdf.errors.PdfReadError, pypdfium2.PdfiumError
    (a RuntimeError), pdfplumber.utils.exceptions.PdfminerException."""
    return PAGE_SEPARATOR.join(extract_pdf_pages(path, engine))


# --- running headers, footers and page numbers ------------------------------------------------------
#
# A running line is printed at the same place on most pages: the same text ("Rapport 2025 — Région"), or
# the same text with a number that follows the page order ("Page 3", "- 3 -", "3/12"). It is found from
# the page boundaries alone, so it works whatever the engine's reading order: among the first and last
# few lines of each page, a line whose text recurs on at least half of the pages (and on three pages at
# least: with fewer, a repeat proves nothing) is peeled off the top and the bottom of every page.

EDGE_LINES = 4  # lines looked at, at the top and at the bottom of a page
MIN_PAGES = 3
MIN_SHARE = 0.5
_NUMBER = re.compile(r"\d+")


def _literal(line: str) -> str:
    return " ".join(line.split()).casefold()


def _pattern(line: str) -> str:
    return _NUMBER.sub("#", _literal(line))


def _edges(lines: list[str]) -> list[int]:
    """Indexes of the first and last EDGE_LINES non-empty lines of a page."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:EDGE_LINES] + filled[-EDGE_LINES:]))


def _numbered_like_pages(occurrences: list[tuple[int, str]], needed: int) -> bool:
    """True when, on `needed` pages or more, a number of the line is its page's number plus one constant
    offset (front matter before page 1 shifts all numbers alike)."""
    offsets: dict[int, set[int]] = defaultdict(set)
    for page, line in occurrences:
        for m in _NUMBER.finditer(line):
            if len(m.group()) <= 5:
                offsets[int(m.group()) - page].add(page)
    return any(len(pages) >= needed for pages in offsets.values())


def running_lines(pages: list[str]) -> tuple[set[str], set[str]]:
    """(literal lines, number patterns) that run across the pages; both empty for fewer than MIN_PAGES pages."""
    if len(pages) < MIN_PAGES:
        return set(), set()
    needed = max(MIN_PAGES, math.ceil(MIN_SHARE * len(pages)))
    literal_pages: dict[str, set[int]] = defaultdict(set)
    pattern_hits: dict[str, dict[int, str]] = defaultdict(dict)
    for p, page in enumerate(pages):
        lines = page.split("\n")
        for i in _edges(lines):
            literal_pages[_literal(lines[i])].add(p)
            if _NUMBER.search(lines[i]):
                pattern_hits[_pattern(lines[i])].setdefault(p, lines[i])
    literals = {text for text, on in literal_pages.items() if len(on) >= needed}
    patterns = {pat for pat, hits in pattern_hits.items()
                if len(hits) >= needed and _numbered_like_pages(list(hits.items()), needed)}
    return literals, patterns


def strip_running_lines(pages: list[str]) -> list[str]:
    """The pages without their running headers, footers and page numbers (see `running_lines`).

    Only lines at the top or the bottom of a page are removed, and only while every line peeled so far was
    a running one: the same words inside the body of a page stay. Furniture surrounds a body: when removing
    the lines found would leave most pages empty, they are the document itself (the same notice on every
    page), and the pages are returned unchanged."""
    literals, patterns = running_lines(pages)
    if not literals and not patterns:
        return list(pages)

    def running(line: str) -> bool:
        return not line.strip() or _literal(line) in literals or (bool(_NUMBER.search(line)) and _pattern(line) in patterns)

    out = []
    for page in pages:
        lines = page.split("\n")
        top, bottom, peeled = 0, len(lines), 0
        while top < bottom and peeled < EDGE_LINES and running(lines[top]):
            peeled += bool(lines[top].strip())
            top += 1
        peeled = 0
        while bottom > top and peeled < EDGE_LINES and running(lines[bottom - 1]):
            peeled += bool(lines[bottom - 1].strip())
            bottom -= 1
        out.append("\n".join(lines[top:bottom]))
    emptied = sum(1 for before, after in zip(pages, out) if before.strip() and not after.strip())
    if emptied > sum(1 for page in pages if page.strip()) / 2:
        return list(pages)
    return out


_CUT_WORD = re.compile(r"[^\W\d_]-$")
_SENTENCE_END = re.compile(r"[.!?…:;»)\]\"]$")


def join_pages(pages: list[str]) -> str:
    """The pages as one text. A page break is a paragraph break ("\n\n"), except where the page ends inside
    a word ("indus-") or a sentence (no final punctuation, and the next page goes on in lower case): there
    it is a line break, which the cleaning rejoins like any other line of the page."""
    parts: list[str] = []
    for page in pages:
        page = page.strip("\n")
        if not page.strip():
            continue
        if parts:
            prev = parts[-1].rstrip()
            nxt = page.lstrip()
            continues = _CUT_WORD.search(prev) or (not _SENTENCE_END.search(prev) and nxt[:1].islower())
            parts.append("\n" if continues else PAGE_SEPARATOR)
        parts.append(page)
    return "".join(parts)


def pdf_to_text(path: str | Path, engine: str = DEFAULT_ENGINE) -> str:
    """The text of a PDF as the corpus loader reads it: extracted with `engine`, running headers, footers and
    page numbers removed, pages joined (see `join_pages`)."""
    return join_pages(strip_running_lines(extract_pdf_pages(path, engine)))
