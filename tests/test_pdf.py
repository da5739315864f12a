"""rag.ingest.pdf on a small two-page French PDF written with reportlab (fast: no model, no index)."""

from __future__ import annotations

import sys

import pytest

from rag.ingest.pdf import DEFAULT_ENGINE, ENGINES, extract_pdf_pages, extract_pdf_text

# Accents, typographic apostrophe, guillemets and a non-breaking space before the colon, as French prose has.
PAGE_1 = ("L’État et la Région « Hauts-de-France » ont signé à Chantilly\u00a0: "
          "une réindustrialisation déjà engagée.")
PAGE_2 = "Deuxième page : Dunkerque, Méaulte et Valenciennes accueillent des gigafactories à l’avenir."
MODULES = {"pypdf": "pypdf", "pypdfium2": "pypdfium2", "pdfplumber": "pdfplumber"}


def _norm(text: str) -> str:
    return " ".join(text.split())  # also folds the no-break space, which engines render as a plain one


@pytest.fixture(scope="module")
def french_pdf(tmp_path_factory):
    canvas = pytest.importorskip("reportlab.pdfgen.canvas")
    from reportlab.lib.pagesizes import A4

    path = tmp_path_factory.mktemp("pdf") / "deux_pages.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    for text in (PAGE_1, PAGE_2):
        c.setFont("Helvetica", 10)  # standard font, WinAnsi: covers é, ’, « », the no-break space
        c.drawString(50, 780, text)
        c.showPage()
    c.save()
    return path


def test_engines_and_default():
    assert ENGINES == ("pypdf", "pypdfium2", "pdfplumber")
    assert DEFAULT_ENGINE in ENGINES


@pytest.mark.parametrize("engine", ENGINES)
def test_french_text_comes_back(engine, french_pdf):
    pytest.importorskip(MODULES[engine])
    text = extract_pdf_text(french_pdf, engine)
    assert _norm(PAGE_1) in _norm(text)
    assert _norm(PAGE_2) in _norm(text)
    assert "’" in text and "«" in text and "é" in text


@pytest.mark.parametrize("engine", ENGINES)
def test_pages_are_separated(engine, french_pdf):
    pytest.importorskip(MODULES[engine])
    pages = extract_pdf_pages(french_pdf, engine)
    assert len(pages) == 2
    assert _norm(PAGE_1) in _norm(pages[0]) and "Deuxième" not in pages[0]
    text = extract_pdf_text(french_pdf, engine)
    assert text == "\n\n".join(pages)
    before, after = text.split("\n\n", 1)[0], text.rsplit("\n\n", 1)[-1]
    assert "Chantilly" in before and "Deuxième" in after


def test_default_engine_is_used(french_pdf):
    pytest.importorskip(MODULES[DEFAULT_ENGINE])
    assert extract_pdf_text(french_pdf) == extract_pdf_text(french_pdf, DEFAULT_ENGINE)


def test_unknown_engine_is_a_clear_value_error(french_pdf):
    with pytest.raises(ValueError) as exc:
        extract_pdf_text(french_pdf, "tesseract")
    message = str(exc.value)
    assert "tesseract" in message and all(e in message for e in ENGINES)


def test_missing_package_names_what_to_install(french_pdf, monkeypatch):
    monkeypatch.setitem(sys.modules, "pdfplumber", None)  # makes `import pdfplumber` fail
    with pytest.raises(ImportError, match="pip install pdfplumber"):
        extract_pdf_text(french_pdf, "pdfplumber")


# What each library raises for a file that is not a PDF (extract_pdf_text wraps none of them).
NOT_A_PDF_ERROR = {
    "pypdf": "PdfReadError",  # pypdf.errors.PdfStreamError, "Stream has ended unexpectedly"
    "pypdfium2": "PdfiumError",  # pypdfium2.PdfiumError (a RuntimeError), "Data format error"
    "pdfplumber": "PdfminerException",  # pdfplumber.utils.exceptions, "No /Root object! - Is this really a PDF?"
}


@pytest.mark.parametrize("engine", ENGINES)
def test_not_a_pdf_raises(engine, tmp_path):
    pytest.importorskip(MODULES[engine])
    path = tmp_path / "faux.pdf"
    path.write_text("Ceci n’est pas un PDF, seulement du texte.\n", encoding="utf-8")
    with pytest.raises(Exception) as exc:
        extract_pdf_text(path, engine)
    assert NOT_A_PDF_ERROR[engine] in [cls.__name__ for cls in type(exc.value).__mro__]


# --- what the corpus loader reads: running lines removed, pages joined ----------------------------

HEADER = "Rapport industrie Hauts-de-France — édition 2025"
FOOTER = "Document de travail"
BODY = [
    "La première page présente la stratégie régionale pour l’industrie et ses filières.",
    "La deuxième page décrit les gigafactories de batteries installées près de Douai et de Dunkerque.",
    "La troisième page détaille le financement de la réindustrial-",  # a word cut by the page break
    "isation par la Région et l’État. Rapport industrie Hauts-de-France — édition 2025 est cité ici.",
    "La cinquième page conclut sur l’emploi industriel dans les territoires.",
]


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory):
    """Five pages, each with a running header, a footer and its page number (drawn before the body, as
    page templates do), and one body line; the header's words also appear inside a body line."""
    canvas = pytest.importorskip("reportlab.pdfgen.canvas")
    from reportlab.lib.pagesizes import A4

    path = tmp_path_factory.mktemp("pdf") / "rapport.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    for n, line in enumerate(BODY, start=1):
        c.setFont("Helvetica", 8)
        c.drawString(50, 810, HEADER)
        c.drawString(50, 30, FOOTER)
        c.drawString(290, 15, str(n))
        c.setFont("Helvetica", 10)
        c.drawString(50, 700, line)
        c.showPage()
    c.save()
    return path


@pytest.mark.parametrize("engine", ENGINES)
def test_running_headers_footers_and_page_numbers_are_removed(engine, report_pdf):
    from rag.ingest.clean import clean_text
    from rag.ingest.pdf import pdf_to_text

    pytest.importorskip(MODULES[engine])
    raw = extract_pdf_text(report_pdf, engine)
    assert raw.count(HEADER) == 6 and raw.count(FOOTER) == 5  # what the engines give: every page's furniture
    text = pdf_to_text(report_pdf, engine)
    assert FOOTER not in text
    assert text.count(HEADER) == 1, "the header's words inside a body line stay"
    assert not [line for line in text.splitlines() if line.strip().isdigit()], "page numbers are gone"
    cleaned = clean_text(text).text
    for line in (BODY[0], BODY[1], BODY[4]):
        assert _norm(line) in _norm(cleaned)
    assert "réindustrialisation par la Région" in cleaned, "a word cut by a page break is rejoined"


def test_a_line_repeated_on_two_pages_only_is_kept():
    """Fewer than three pages: a repeat proves nothing, so nothing is removed."""
    from rag.ingest.pdf import strip_running_lines

    pages = ["Sommaire\nPremière partie du texte.", "Sommaire\nDeuxième partie du texte."]
    assert strip_running_lines(pages) == pages


def test_loader_reads_pdfs_with_the_configured_engine(report_pdf, tmp_path):
    import shutil

    from rag.ingest.loaders import load_corpus

    shutil.copy(report_pdf, tmp_path / "rapport.pdf")
    for engine in ("pypdfium2", "pypdf"):
        doc = load_corpus(tmp_path, pdf_engine=engine).documents[0]
        assert FOOTER not in doc.text and "gigafactories" in doc.text


def test_a_document_made_of_repeated_lines_is_kept_whole():
    """Lines that would leave most pages empty are the document, not its furniture."""
    from rag.ingest.pdf import strip_running_lines

    pages = ["Liste des communes adhérentes", "Liste des communes adhérentes", "Liste des communes adhérentes"]
    assert strip_running_lines(pages) == pages
