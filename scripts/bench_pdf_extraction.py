"""Round-trip benchmark of the PDF text extractors in rag.ingest.pdf (which one is DEFAULT_ENGINE).

    .venv/bin/python scripts/bench_pdf_extraction.py [--engines pypdf,pypdfium2,pdfplumber]
        [--layouts one_column,...] [--font helvetica|dejavu] [--repeat 3] [--keep DIR] [--out FILE]

Known French prose (paragraphs and intertitles of three clean corpus documents) is rendered to PDF with
reportlab in several layouts, extracted back with each engine, passed through the project's cleaning
(rag.ingest.clean.clean_text) and scored against the known text, before and after cleaning:

- sim: character similarity, 1 - Levenshtein(known, extracted) / max(len), on whitespace-normalised
  text (every run of whitespace made one space). The Levenshtein distance is exact, computed with the
  bit-parallel algorithm of Myers (1999) in Hyyrö's formulation on Python integers (difflib's ratio is
  not an edit distance and its autojunk heuristic misbehaves on characters).
- known: rag.text.lexicon.known_word_share of the text (the corpus-quality metric).
- lost: share of the known text's word tokens (rag.text.lexicon.tokenize_words, as a multiset) missing from
  the extracted text: split words ("indus-" "trie"), merged words, dropped text.
- hf: running headers/footers left (headers_footers layout only): occurrences of the header and footer
  strings plus page-number lines (a line that is only a page number once those strings are removed).
  Pages with them: len(pages) * 3 items to remove.
- ms/page: extraction time per page, best of --repeat runs (timing only, not scored).

Layouts: one_column; two_columns; headers_footers (running header, footer and page number);
hyphenated (narrow justified column, long words broken at line ends with a hyphen, French-style break
points); table (two tables with wrapped cells between the paragraphs; expected text is row by row);
bold_headings (intertitles in Helvetica-Bold 13 pt); faux_bold (intertitles "bolded" by printing them
twice 0.35 pt apart, as some PDF producers do: one source of doubled glyphs, "LLaa", in damaged PDFs).
The same known text (about 15,000 characters, 4-6 pages) is used in every layout; the table layout adds
the tables' text. reportlab draws in reading order (column after column, cell after cell), which
favours the engines that follow the drawing order (pypdf, PDFium) over one that sorts by position
(pdfplumber); PDFs whose drawing order is scrambled are not covered.

Winner: highest mean similarity after cleaning over the layouts (what gets indexed), then fewest words
lost. Runs in 50-80 s on 2 shared cores (most of it pdfplumber); `--repeat 1` cuts that by half.

Font: Helvetica (standard, WinAnsi encoding: all of é è à ç œ ’ « » … — survive, see the glyph check);
--font dejavu embeds /usr/share/fonts/truetype/dejavu/DejaVuSans*.ttf subsets instead. The bullet "•"
is the one glyph that reportlab's Helvetica writes as code 127 (legal WinAnsi, but pypdf and pdfminer
read it as \\x7f / "(cid:127)"), so bullet items are rendered without it.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.styles import ParagraphStyle  # noqa: E402
from reportlab.lib.units import cm  # noqa: E402
from reportlab.pdfbase.pdfmetrics import registerFont, stringWidth  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.pdfgen import canvas as pdfcanvas  # noqa: E402
from reportlab.platypus import (BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph,  # noqa: E402
                                Spacer, Table, TableStyle)

from rag.ingest.clean import clean_text  # noqa: E402
from rag.text.lexicon import known_word_share, tokenize_words  # noqa: E402
from rag.ingest.pdf import ENGINES, extract_pdf_pages, join_pages, strip_running_lines  # noqa: E402

SOURCES = ("aletheia-2024-territoires-industrie.txt", "region-hdf-2025-assises-defense.txt",
           "elus-locaux-2025-transition-industrielle.txt")
LAYOUTS = ("one_column", "two_columns", "headers_footers", "hyphenated", "table", "bold_headings", "faux_bold")
HEADER = "Dossier industrie Hauts-de-France — édition 2025"
FOOTER = "Document de travail, diffusion restreinte"
# Web-page furniture and photo captions of the clean texts: not prose a PDF would carry.
_SKIP = re.compile(r"^(Contenu principal|Article publié|Mis à jour)|\(c\)|©")
_GLYPHS = "’«»éèêàâçôûùœÉÀ…—"

W, H = A4
MARGIN = 2.5 * cm
FONTS = {"helvetica": ("Helvetica", "Helvetica-Bold"), "dejavu": ("DejaVuSans", "DejaVuSans-Bold")}


# ---- known text --------------------------------------------------------------------------------------

def load_blocks() -> list[tuple[str, str]]:
    """(kind, text) blocks, kind "h" for an intertitle (no final punctuation, short) or "p" for prose."""
    blocks, seen = [], set()
    for name in SOURCES:
        for line in (ROOT / "corpus" / name).read_text(encoding="utf-8").splitlines():
            line = " ".join(line.replace("•", " ").split())
            if not line or _SKIP.search(line) or line in seen:
                continue
            seen.add(line)
            heading = len(line) < 130 and not re.search(r"[.;:!?…]$", line)
            blocks.append(("h" if heading else "p", line))
    return blocks


def table_rows() -> list[list[list[str]]]:
    """Two tables of real data: the documents' metadata, and each intertitle with its passage's opening."""
    meta = json.loads((ROOT / "corpus" / "metadata.json").read_text(encoding="utf-8"))
    t1 = [["Document", "Éditeur", "Date"]] + [[m["title"], m["publisher"], m["date"]] for m in meta.values()]
    blocks = load_blocks()
    t2 = [["Intertitre", "Début du passage", "Mots"]]
    for (k, h), (k2, p) in zip(blocks, blocks[1:]):
        if k == "h" and k2 == "p" and len(t2) < 7:
            t2.append([h, " ".join(p.split()[:8]) + " …", str(len(p.split()))])
    return [t1, t2]


def norm_ws(text: str) -> str:
    return " ".join(text.split())


# ---- rendering ---------------------------------------------------------------------------------------

def styles(font: str, size: float = 10.5) -> dict[str, ParagraphStyle]:
    regular, bold = FONTS[font]
    body = ParagraphStyle("body", fontName=regular, fontSize=size, leading=size * 1.3, alignment=TA_JUSTIFY,
                          spaceAfter=size * 0.6)
    return {"p": body,
            "h": ParagraphStyle("h", parent=body, alignment=TA_LEFT, spaceBefore=size * 0.6),
            "hb": ParagraphStyle("hb", parent=body, fontName=bold, fontSize=13, leading=16, alignment=TA_LEFT,
                                 spaceBefore=10, spaceAfter=4),
            "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11, alignment=TA_LEFT, spaceAfter=0)}


class FauxBold(Flowable):
    """An intertitle printed twice, 0.35 pt apart (simulated bold)."""

    def __init__(self, text: str, font: str, size: float = 13):
        super().__init__()
        self.text, self.font, self.size = text, font, size

    def wrap(self, avail_w, avail_h):
        from reportlab.lib.utils import simpleSplit
        self.lines = simpleSplit(self.text, self.font, self.size, avail_w)
        return avail_w, len(self.lines) * self.size * 1.25 + 12

    def draw(self):
        for i, line in enumerate(self.lines):
            y = (len(self.lines) - 1 - i) * self.size * 1.25 + 4
            for dx in (0, 0.35):
                self.canv.setFont(self.font, self.size)
                self.canv.drawString(dx, y, line)


def _story(layout: str, font: str, size: float) -> tuple[list, str]:
    st = styles(font, size)
    story, known = [], []
    tables = table_rows() if layout == "table" else []
    for i, (kind, text) in enumerate(load_blocks()):
        if kind == "h" and layout == "bold_headings":
            story.append(Paragraph(escape(text), st["hb"]))
        elif kind == "h" and layout == "faux_bold":
            story.append(FauxBold(text, FONTS[font][1]))
        else:
            story.append(Paragraph(escape(text), st[kind]))
        known.append(text)
        if tables and i in (4, 14):
            rows = tables.pop(0)
            cells = [[Paragraph(escape(c), st["cell"]) for c in row] for row in rows]
            widths = [0.55, 0.3, 0.15] if len(known) < 10 else [0.3, 0.58, 0.12]
            t = Table(cells, colWidths=[f * (W - 2 * MARGIN) for f in widths], repeatRows=0)
            t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "black"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story += [Spacer(1, 6), t, Spacer(1, 10)]
            known.append("\n".join(" ".join(row) for row in rows))
    return story, "\n\n".join(known)


def _running(canv, doc):
    canv.saveState()
    regular = doc.fonts[0]
    canv.setFont(regular, 8.5)
    canv.drawString(MARGIN, H - 1.5 * cm, HEADER)
    canv.line(MARGIN, H - 1.65 * cm, W - MARGIN, H - 1.65 * cm)
    canv.drawString(MARGIN, 1.5 * cm, FOOTER)
    canv.drawCentredString(W / 2, 1.0 * cm, str(doc.page))
    canv.restoreState()


def render_platypus(layout: str, font: str, path: Path) -> str:
    size = 9.5 if layout == "two_columns" else 10.5
    story, known = _story(layout, font, size)
    doc = BaseDocTemplate(str(path), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                          bottomMargin=MARGIN, invariant=1)
    doc.fonts = FONTS[font]
    fw = W - 2 * MARGIN
    if layout == "two_columns":
        gap = 0.8 * cm
        frames = [Frame(MARGIN + i * (fw + gap) / 2, MARGIN, (fw - gap) / 2, H - 2 * MARGIN, id=f"c{i}")
                  for i in range(2)]
    else:
        frames = [Frame(MARGIN, MARGIN, fw, H - 2 * MARGIN, id="main")]
    extra = {"onPage": _running} if layout == "headers_footers" else {}
    doc.addPageTemplates([PageTemplate(frames=frames, **extra)])
    doc.build(story)
    return known


VOWELS = set("aeiouyàâäéèêëîïôöùûüœæ")
CLUSTERS = {"bl", "cl", "fl", "gl", "pl", "br", "cr", "dr", "fr", "gr", "pr", "tr", "vr", "ch", "ph", "gn", "th"}


def hyphen_points(word: str) -> list[int]:
    """Where a French typesetter may break `word` (V-CV, VC-CV, V-CCV before l/r clusters), 3+ letters a side."""
    w = word.lower()
    pts = []
    for k in range(3, len(w) - 2):
        a, b, c = w[k - 1], w[k], w[k + 1]
        if b in VOWELS:
            continue
        if a in VOWELS and c in VOWELS:
            pts.append(k)
        elif a not in VOWELS and w[k - 2] in VOWELS and a + b not in CLUSTERS and (c in VOWELS or b + c in CLUSTERS):
            pts.append(k)
        elif a in VOWELS and b + c in CLUSTERS and k + 2 < len(w) and w[k + 2] in VOWELS:
            pts.append(k)
    return pts


def render_hyphenated(font: str, path: Path) -> tuple[str, int]:
    """Narrow justified column set line by line, long words broken with a hyphen at line ends."""
    regular, _ = FONTS[font]
    size, lead, width = 10.5, 13.5, 11 * cm
    c = pdfcanvas.Canvas(str(path), pagesize=A4, invariant=1)
    y, breaks = H - MARGIN, 0
    sw = lambda s: stringWidth(s, regular, size)  # noqa: E731
    known = []
    for kind, text in load_blocks():
        known.append(text)
        lines, cur, words = [], [], text.split()
        while words:
            word = words.pop(0)
            if sw(" ".join(cur + [word])) <= width:
                cur.append(word)
                continue
            m = re.fullmatch(r"([^\W\d_]{6,})(\W*)", word)
            split = None
            for k in reversed(hyphen_points(m.group(1)) if m and kind == "p" else []):
                if sw(" ".join(cur + [word[:k] + "-"])) <= width:
                    split = k
                    break
            if split:
                lines.append((cur + [word[:split] + "-"], True))
                cur = [word[split:]]
                breaks += 1
            else:
                lines.append((cur, kind == "p"))
                cur = [word]
        lines.append((cur, False))
        for words_, justify in lines:
            if y < MARGIN:
                c.showPage()
                y = H - MARGIN
            c.setFont(regular, size)
            line = " ".join(words_)
            extra = (width - sw(line)) / (len(words_) - 1) if justify and len(words_) > 1 else 0
            c.drawString(MARGIN, y, line, wordSpace=extra or None)
            y -= lead
        y -= lead * 0.5
    c.save()
    return "\n\n".join(known), breaks


def render(layout: str, font: str, path: Path) -> tuple[str, dict]:
    """Known text of the PDF written to `path`, and facts about it (hyphen breaks set)."""
    if layout == "hyphenated":
        known, breaks = render_hyphenated(font, path)
        return known, {"hyphen_breaks": breaks}
    return render_platypus(layout, font, path), {}


# ---- scoring -----------------------------------------------------------------------------------------

def levenshtein(a: str, b: str) -> int:
    """Exact edit distance, bit-parallel (Myers 1999 / Hyyrö 2001): O(len(b)) operations on len(a)-bit ints."""
    if len(a) < len(b):
        a, b = b, a
    m = len(a)
    if not b:
        return m
    peq: dict[str, int] = {}
    for i, ch in enumerate(a):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    full, top = (1 << m) - 1, 1 << (m - 1)
    pv, mv, score = full, 0, m
    for ch in b:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & full
        mh = pv & xh
        if ph & top:
            score += 1
        elif mh & top:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = (mh | ~(xv | ph)) & full
        mv = ph & xv
    return score


def similarity(known: str, text: str) -> float:
    a, b = norm_ws(known), norm_ws(text)
    return 1.0 - levenshtein(a, b) / max(len(a), len(b), 1)


def words_lost(known: str, text: str) -> float:
    want = Counter(tokenize_words(known))
    return sum((want - Counter(tokenize_words(text))).values()) / max(sum(want.values()), 1)


def headers_left(text: str, pages: int) -> int:
    n = text.count(HEADER) + text.count(FOOTER)
    numbers = {str(i) for i in range(1, pages + 1)}
    for line in text.splitlines():
        rest = line.replace(HEADER, " ").replace(FOOTER, " ").strip()
        n += rest in numbers
    return n


def score(known: str, text: str, layout: str, pages: int) -> dict:
    return {"sim": similarity(known, text), "known": known_word_share(text), "lost": words_lost(known, text),
            "hf": headers_left(text, pages) if layout == "headers_footers" else None}


# ---- driver ------------------------------------------------------------------------------------------

def run(engines, layouts, font, repeat, workdir: Path) -> dict:
    results, glyphs, facts = [], {}, {}
    for layout in layouts:
        pdf = workdir / f"{layout}.pdf"
        known, facts[layout] = render(layout, font, pdf)
        facts[layout]["known_chars"] = len(norm_ws(known))
        for engine in engines:
            best, pages = float("inf"), []
            for _ in range(repeat):
                t0 = time.perf_counter()
                pages = extract_pdf_pages(pdf, engine)
                best = min(best, time.perf_counter() - t0)
            raw = "\n\n".join(pages)
            cleaned = clean_text(raw).text
            # what the loader indexes: running lines removed from the page boundaries, pages joined, cleaned
            loaded = clean_text(join_pages(strip_running_lines(pages))).text
            results.append({"engine": engine, "layout": layout, "pages": len(pages),
                             "ms_per_page": 1000 * best / max(len(pages), 1),
                             "raw": score(known, raw, layout, len(pages)),
                             "clean": score(known, cleaned, layout, len(pages)),
                             "loaded": score(known, loaded, layout, len(pages))})
            if layout == "one_column":
                glyphs[engine] = {g: [known.count(g), raw.count(g)] for g in _GLYPHS if known.count(g)}
        ref = clean_text(known).text
        results.append({"engine": "(known text, cleaned)", "layout": layout, "pages": None, "ms_per_page": None,
                        "raw": None, "clean": score(known, ref, layout, 1), "loaded": None})
    return {"results": results, "glyphs": glyphs, "layouts_facts": facts}


def means(results: list[dict], engine: str) -> dict:
    rows = [r for r in results if r["engine"] == engine]
    out = {"ms_per_page": statistics.mean(r["ms_per_page"] for r in rows)}
    for stage in ("raw", "clean", "loaded"):
        for k in ("sim", "known", "lost", "hf"):
            values = [r[stage][k] for r in rows if r[stage][k] is not None]
            out.setdefault(stage, {})[k] = statistics.mean(values) if values else None
    return out


def _f(v, pct=True, digits=1) -> str:
    if v is None:
        return "–"
    return f"{100 * v:.{digits}f}" if pct else (f"{v:.0f}" if isinstance(v, int) else f"{v:.1f}")


def _row(engine: str, layout: str, pages, raw: dict | None, clean: dict, ms) -> str:
    cells = [engine, layout, "" if pages is None else str(pages)]
    for key, kw in (("sim", {"digits": 2}), ("known", {}), ("lost", {}), ("hf", {"pct": False})):
        cells += ["" if raw is None else _f(raw[key], **kw), _f(clean[key], **kw)]
    cells.append("" if ms is None else f"{ms:.1f}")
    return "| " + " | ".join(cells) + " |"


def markdown(results: list[dict], summary: dict, engines) -> str:
    head = ("| engine | layout | pages | sim raw | sim clean | known raw | known clean | lost raw | lost clean "
            "| hf raw | hf clean | ms/page |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for e in engines:
        for r in (x for x in results if x["engine"] == e):
            lines.append(_row(e, r["layout"], r["pages"], r["raw"], r["clean"], r["ms_per_page"]))
        m = summary[e]
        lines.append(_row(f"**{e}**", "**mean**", None, m["raw"], m["clean"], m["ms_per_page"]))
    for r in (x for x in results if x["engine"].startswith("(")):
        lines.append(_row(r["engine"], r["layout"], None, None, r["clean"], None))
    return "\n".join(lines)


def loaded_markdown(results: list[dict], summary: dict, engines) -> str:
    """Before / after rag.ingest.pdf's running-line removal and page joining (both cleaned)."""
    lines = ["| engine | layout | sim before | sim after | lost before | lost after | hf before | hf after |",
             "|---|---|---|---|---|---|---|---|"]
    for e in engines:
        rows = [(r["layout"], r["clean"], r["loaded"]) for r in results if r["engine"] == e]
        rows.append(("**mean**", summary[e]["clean"], summary[e]["loaded"]))
        for layout, before, after in rows:
            lines.append(f"| {e} | {layout} | {_f(before['sim'], digits=2)} | {_f(after['sim'], digits=2)} | "
                         f"{_f(before['lost'])} | {_f(after['lost'])} | {_f(before['hf'], pct=False)} | "
                         f"{_f(after['hf'], pct=False)} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--layouts", default=",".join(LAYOUTS))
    ap.add_argument("--font", choices=sorted(FONTS), default="helvetica")
    ap.add_argument("--repeat", type=int, default=3, help="extraction runs per PDF; the fastest is reported")
    ap.add_argument("--keep", type=Path, help="write the PDFs to this folder (default: a temporary one)")
    ap.add_argument("--out", type=Path, help="also write the results as JSON to this file")
    args = ap.parse_args(argv)
    engines, layouts = args.engines.split(","), args.layouts.split(",")
    for name, given, valid in (("engine", engines, ENGINES), ("layout", layouts, LAYOUTS)):
        if unknown := sorted(set(given) - set(valid)):
            ap.error(f"unknown {name}(s) {', '.join(unknown)}; choose among {', '.join(valid)}")
    if args.font == "dejavu":
        for name in FONTS["dejavu"]:
            registerFont(TTFont(name, f"/usr/share/fonts/truetype/dejavu/{name}.ttf"))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        data = run(engines, layouts, args.font, args.repeat, workdir)
    summary = {e: means(data["results"], e) for e in engines}
    ranking = sorted(engines, key=lambda e: (-summary[e]["clean"]["sim"], summary[e]["clean"]["lost"]))
    print(markdown(data["results"], summary, engines))
    print("\nRunning headers/footers/page numbers removed and pages joined (rag.ingest.pdf.pdf_to_text), "
          "both cleaned (sim and lost in %, hf = running lines left):")
    print(loaded_markdown(data["results"], summary, engines))
    print("\nGlyph check (one_column; count in known text, count extracted):")
    for e, g in data["glyphs"].items():
        print(f"  {e}: " + " ".join(f"{k}{v[0]}/{v[1]}" for k, v in g.items()))
    best, second = ranking[0], ranking[1] if len(ranking) > 1 else None
    print("\nLayouts: " + "; ".join(f"{k} " + ", ".join(f"{a} {b}" for a, b in v.items())
                                   for k, v in data["layouts_facts"].items()))
    print(f"\nWinner (mean similarity after cleaning, then words lost): {best} "
          f"{100 * summary[best]['clean']['sim']:.2f}%"
          + (f", ahead of {second} by {100 * (summary[best]['clean']['sim'] - summary[second]['clean']['sim']):.2f} "
             "points" if second else ""))
    print(f"Total time {time.perf_counter() - t0:.1f} s")
    if args.out:
        args.out.write_text(json.dumps({"font": args.font, "layouts": layouts, "engines": engines, **data,
                                        "means": summary, "ranking": ranking}, ensure_ascii=False, indent=1),
                            encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
