"""Text of a Word document (.docx), read with python-docx (MIT; pinned in pyproject.toml).

python-docx is the maintained reference reader of the Office Open XML word-processing format: it gives
the body in document order (paragraphs and tables interleaved), paragraph styles (headings) and table
cells, with lxml's safe parser (no external entities). Parsing the XML by hand would mean re-implementing
runs, fields and nested tables.

Layout of the text: one paragraph per block, separated by blank lines, as in the corpus's .txt files, so
that sentence splitting, heading detection and chunking work as for any other document; a table is one
line per row, its cells separated by " | " (a row reads as one unit, like the table rows of PDF text).
"""

from __future__ import annotations

from pathlib import Path


def _table_lines(table) -> list[str]:
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):  # a merged cell is returned once per grid column
                cells.append(text)
        if cells:
            lines.append(" | ".join(cells))
    return lines


def docx_to_text(path: str | Path) -> str:
    """The visible text of a .docx file: paragraphs and table rows in document order, blank-line separated."""
    import docx
    from docx.table import Table

    document = docx.Document(str(path))
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = _table_lines(item)
            if rows:
                blocks.append("\n".join(rows))
            continue
        text = item.text.strip()
        if text:
            blocks.append(text)
    return "\n\n".join(blocks)
