"""PDF text extraction behind one function, `extract_pdf_text(path, engine)`, pages separated by "\n\n".

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
page numbers, and neither does the cleaning. Words hyphenated across a page break stay split.
"""

from __future__ import annotations

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
