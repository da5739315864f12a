"""rag.pdf_extract on a small two-page French PDF written with reportlab (fast: no model, no index)."""

from __future__ import annotations

import sys

import pytest

from rag.pdf_extract import DEFAULT_ENGINE, ENGINES, extract_pdf_pages, extract_pdf_text

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
