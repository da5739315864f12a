"""Real documents made by the test set-up: PDFs written with reportlab, Word files with python-docx, and a
private copy of the corpus with its own index (the embedding cache of the session index is reused)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

HYDROVERT_TITLE = "Le projet Hydrovert à Valenciennes"
HYDROVERT_PAGES = [
    [HYDROVERT_TITLE,
     "L'usine Hydrovert de Valenciennes produira ses premiers électrolyseurs en 2027.",
     "Le projet représente un investissement de 310 millions d'euros, porté par un consortium d'industriels.",
     "La Région accompagne la formation des futurs salariés avec les lycées professionnels du Hainaut."],
    ["L'usine Hydrovert emploiera 420 techniciens d'ici 2028, recrutés en priorité dans le Valenciennois.",
     "Les électrolyseurs fabriqués sur le site alimenteront les stations de recharge de la métropole lilloise."],
    ["Un second bâtiment, prévu pour 2029, doublera la capacité de production du site Hydrovert.",
     "Les élus locaux y voient un symbole de la transition industrielle du bassin minier."],
]
HYDROVERT_QUESTION = "Combien de techniciens l'usine Hydrovert emploiera-t-elle ?"
RUNNING_HEADER = "Rapport Hydrovert — Région Hauts-de-France"


def make_pdf(path: Path, pages: list[list[str]], *, header: str | None = RUNNING_HEADER, image_bytes: int = 0) -> Path:
    """A PDF with one page per list of paragraphs (Helvetica, wrapped), a running header, a footer page
    number, and optionally incompressible images adding about `image_bytes` bytes (a report's photos)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader, simpleSplit
    from reportlab.pdfgen import canvas

    width, height = A4
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    per_page_image = image_bytes // max(1, len(pages)) if image_bytes else 0
    for number, paragraphs in enumerate(pages, start=1):
        if header:
            c.setFont("Helvetica", 8)
            c.drawString(50, height - 30, header)
            c.drawCentredString(width / 2, 20, str(number))
        y = height - 70
        for paragraph in paragraphs:
            c.setFont("Helvetica", 10.5)
            for line in simpleSplit(paragraph, "Helvetica", 10.5, width - 100):
                if y < 200 and per_page_image or y < 50:
                    break
                c.drawString(50, y, line)
                y -= 14
            y -= 8
        if per_page_image:
            import io

            from PIL import Image

            side = int((per_page_image / 3) ** 0.5)  # RGB, random: does not compress
            img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
            buf = io.BytesIO()
            img.save(buf, format="PNG")
            buf.seek(0)
            c.drawImage(ImageReader(buf), 50, 40, width=140, height=140)
        c.showPage()
    c.save()
    return path


def make_docx(path: Path, title: str, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    """A Word document: a heading, paragraphs and an optional table (python-docx)."""
    import docx

    d = docx.Document()
    d.add_heading(title, level=1)
    for p in paragraphs:
        d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, cell in enumerate(row):
                t.cell(i, j).text = cell
    d.save(str(path))
    return path


def private_corpus(root: Path, session_index_dir: Path, corpus: Path):
    """Settings over a copy of the corpus and a new index folder (its build reuses the session's embedding
    cache), with the index built."""
    from rag.index.store import ensure_index

    from .conftest import make_settings

    shutil.copytree(corpus, root / "corpus")
    (root / "index").mkdir()
    if (session_index_dir / "cache").is_dir():
        shutil.copytree(session_index_dir / "cache", root / "index" / "cache")
    settings = make_settings(root / "index", root / "corpus")
    ensure_index(settings, quiet=True)
    return settings
