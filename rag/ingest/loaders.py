"""Reading the corpus folder: .txt, .md, .pdf, .html and .docx files plus their metadata.

`corpus/metadata.json` maps a file name to its metadata (title, publisher, author, date, kind,
source_url, boilerplate_start). A file without an entry still loads: its title is its first line.
A file that cannot be read, is larger than the size limit, or whose bytes are not text (a program or an
image saved as .txt) is skipped with a warning; it never stops the other documents from loading.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from rag.errors import CorpusError
from rag.ingest.text_check import not_text_reason

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm", ".docx")
METADATA_FILE = "metadata.json"
METADATA_FIELDS = ("title", "publisher", "author", "date", "kind", "source_url", "boilerplate_start")
MB = 1_000_000


@dataclass
class SourceDocument:
    """A document as read from disk, before cleaning."""

    doc_id: str
    path: Path
    title: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""


@dataclass(frozen=True)
class Skipped:
    """A file of the corpus folder that was not loaded: its name, a reason code (too_large, not_text,
    unreadable, no_text, duplicate_id) and the details, in English (as in the warning)."""

    file: str
    reason: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"file": self.file, "reason": self.reason, "detail": self.detail}


@dataclass
class CorpusLoad:
    """The documents that loaded, a warning per file that did not (or loaded with a caveat), and the skipped files."""

    documents: list[SourceDocument]
    warnings: list[str]
    skipped: list[Skipped] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def decode_bytes(data: bytes, name: str, warnings: list[str]) -> str:
    """Decode UTF-8 (with or without BOM); fall back to cp1252 with a warning rather than lose the file."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        warnings.append(f"{name}: not valid UTF-8, read as Windows-1252 (re-save it as UTF-8 to be sure of accents)")
        return data.decode("cp1252", errors="replace")


class _HTMLText(HTMLParser):
    """Visible text of an HTML page, block elements separated by blank lines."""

    _SKIP = {"script", "style", "noscript", "template", "svg", "head"}
    _BLOCK = {"p", "div", "section", "article", "li", "br", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
              "header", "footer", "blockquote", "table", "ul", "ol", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self.title: str | None = None
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skipping += 1
        if tag == "title":
            self._in_title = True
        if tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        if tag == "title":
            self._in_title = False
        if tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if self._in_title and not self.title:
            self.title = data.strip() or None
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str, str | None]:
    """Visible text and <title> of an HTML document."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\s*\n\s*\n\s*", "\n\n", text)
    return text.strip(), parser.title


def pdf_to_text(path: Path, engine: str | None = None) -> str:
    """Text of a PDF (rag.ingest.pdf: the engine chosen by measurement unless `engine` names another,
    running headers, footers and page numbers removed)."""
    from rag.ingest.pdf import DEFAULT_ENGINE, pdf_to_text as extract

    return extract(path, engine or DEFAULT_ENGINE)


def read_metadata(corpus_dir: Path) -> dict[str, dict[str, Any]]:
    """The metadata file's entries by file name; a malformed file or entry is an error naming it."""
    meta_path = corpus_dir / METADATA_FILE
    if not meta_path.exists():
        return {}
    try:
        data = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{meta_path} is not valid UTF-8 JSON ({exc}). Fix or delete it, then run `rag index`.") from None
    if not isinstance(data, dict):
        raise CorpusError(f"{meta_path} must be a JSON object mapping file names to metadata.")
    return {name: _checked_entry(meta_path, name, entry) for name, entry in data.items()}


def _json_kind(value: Any) -> str:
    return {str: "a string", list: "a list", dict: "an object", bool: "true or false", type(None): "null"}.get(type(value), "a number")


def _checked_entry(meta_path: Path, name: str, entry: Any) -> dict[str, Any]:
    """One file's metadata: an object whose known fields are text (a number is taken as its text) or null."""
    if not isinstance(entry, dict):
        raise CorpusError(f"{meta_path}: the entry for {name!r} is {_json_kind(entry)}, not an object such as "
                          f'{{"title": "..."}}. Fix it, then run `rag index`.')
    out = dict(entry)
    for key in METADATA_FIELDS:
        value = entry.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = str(value)
        elif value is not None and not isinstance(value, str):
            raise CorpusError(f"{meta_path}: {key!r} of {name!r} is {_json_kind(value)}, not text. Fix it, then run `rag index`.")
    return out


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return ""


def read_document(path: Path, metadata: dict[str, Any], warnings: list[str],
                  max_document_mb: float | None = None, skipped: list[Skipped] | None = None, *,
                  pdf_engine: str | None = None) -> SourceDocument | None:
    """Read one file (PDFs with `pdf_engine`); None (with a warning, and a `Skipped` record in `skipped`)
    when it cannot be read, is over `max_document_mb`, is not text or holds no text."""
    def skip(reason: str, detail: str) -> None:
        warnings.append(f"{path.name}: skipped, {detail}")
        if skipped is not None:
            skipped.append(Skipped(path.name, reason, detail))

    suffix = path.suffix.lower()
    title = metadata.get("title")
    try:
        size = path.stat().st_size
        if max_document_mb is not None and size > max_document_mb * MB:
            skip("too_large", f"{size / MB:,.1f} MB is over the {max_document_mb:g} MB limit "
                              f"(set RAG_MAX_DOCUMENT_MB higher to index it)")
            return None
        if suffix == ".pdf":
            text = pdf_to_text(path, pdf_engine)
        elif suffix == ".docx":
            from rag.ingest.docx import docx_to_text

            text = docx_to_text(path)
        else:
            data = path.read_bytes()
            decoding: list[str] = []
            text = decode_bytes(data, path.name, decoding)
            reason = not_text_reason(data, text)
            if reason:
                skip("not_text", f"not text: {reason}")
                return None
            warnings.extend(decoding)
            if suffix in (".html", ".htm"):
                text, html_title = html_to_text(text)
                title = title or html_title
    except Exception as exc:  # a broken file must not stop the corpus from loading
        skip("unreadable", f"cannot be read ({type(exc).__name__}: {exc})")
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not text.strip():
        skip("no_text", "no text found (a scanned PDF needs OCR first)")
        return None
    return SourceDocument(
        doc_id=path.stem, path=path, title=title or _first_line(text) or path.stem, text=text,
        metadata=dict(metadata), sha256=file_sha256(path),
    )


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The supported files of the corpus folder, sorted by name."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus folder {corpus_dir} does not exist. Create it and put documents in it, or set RAG_CORPUS_DIR.")
    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def load_corpus(corpus_dir: Path, max_document_mb: float | None = None, *, pdf_engine: str | None = None) -> CorpusLoad:
    """Every readable document of the corpus folder, with warnings for the ones skipped (files over
    `max_document_mb` megabytes among them); PDFs are read with `pdf_engine` (default:
    rag.ingest.pdf.DEFAULT_ENGINE)."""
    metadata = read_metadata(corpus_dir)
    warnings: list[str] = []
    skipped: list[Skipped] = []
    docs: list[SourceDocument] = []
    seen: dict[str, Path] = {}
    for path in corpus_files(corpus_dir):
        if path.stem in seen:
            detail = f"same document id as {seen[path.stem].name} (rename one of them)"
            warnings.append(f"{path.name}: skipped, {detail}")
            skipped.append(Skipped(path.name, "duplicate_id", detail))
            continue
        doc = read_document(path, metadata.get(path.name, {}), warnings, max_document_mb, skipped, pdf_engine=pdf_engine)
        if doc is not None:
            seen[path.stem] = path
            docs.append(doc)
    if not docs:
        raise CorpusError(f"No readable document in {corpus_dir} (supported: {', '.join(SUPPORTED_SUFFIXES)}).")
    return CorpusLoad(docs, warnings, skipped)


def load_documents(corpus_dir: Path, max_document_mb: float | None = None, *,
                   pdf_engine: str | None = None) -> list[SourceDocument]:
    """The readable documents of the corpus folder (warnings are logged)."""
    loaded = load_corpus(corpus_dir, max_document_mb, pdf_engine=pdf_engine)
    for w in loaded.warnings:
        log.warning(w)
    return loaded.documents
