"""What a file must be to enter the corpus, checked on its bytes, never trusted from its name.

- size: at most `max_upload_mb` megabytes (1,000,000 bytes);
- type, by content: a PDF starts with `%PDF-` and has extractable text; a Word document is a zip holding
  `[Content_Types].xml` and `word/document.xml` (its unpacked size bounded, against zip bombs) and has
  text; text is valid UTF-8 with no NUL or other control bytes; HTML is such text. A name whose extension
  announces another type than the content is refused (a program renamed `.pdf` is neither a PDF nor
  text); a name without a known extension gets the content's;
- name: a plain file name (a path, with `/`, `\\` or `..`, is refused), reduced to lower-case ASCII
  letters, digits and hyphens, as the corpus's own ids are (`Rapport Région 2025.PDF` becomes
  `rapport-region-2025.pdf`, document id `rapport-region-2025`);
- metadata: title, publisher, kind as one line of bounded length; the date as YYYY, YYYY-MM or YYYY-MM-DD.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.corpus.messages import CorpusChangeRefused

MB = 1_000_000
PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
DOCX_PARTS = ("[Content_Types].xml", "word/document.xml")
# A .docx is XML compressed about 5-10 times; more than 100 times, or more than this unpacked, is a zip bomb.
MAX_DOCX_UNPACKED = 500 * MB
MAX_DOCX_RATIO = 100
MAX_STEM = 80
SUFFIX_KIND = {".pdf": "pdf", ".docx": "docx", ".txt": "text", ".md": "text", ".html": "html", ".htm": "html"}
KIND_SUFFIX = {"pdf": ".pdf", "docx": ".docx", "text": ".txt", "html": ".html"}
KIND_NAMES = {"pdf": ("un PDF", "a PDF"), "docx": ("un document Word", "a Word document"),
              "text": ("du texte", "text"), "html": ("du texte HTML", "HTML text")}
METADATA_LIMITS = {"title": 300, "publisher": 200, "kind": 100}
FIELD_NAMES = {"title": ("Titre", "Title"), "publisher": ("Éditeur", "Publisher"), "kind": ("Type", "Kind")}
_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_HTML_START = re.compile(r"\s*(<!doctype\s+html|<html[\s>])", re.IGNORECASE)


@dataclass(frozen=True)
class CheckedFile:
    """A file that may enter the corpus: where it is, the name it gets there, its type, size and hash."""

    source: Path
    name: str
    kind: str
    size: int
    sha256: str

    @property
    def doc_id(self) -> str:
        return Path(self.name).stem


def safe_name(raw: str, kind: str) -> str:
    """The corpus file name for an added file called `raw` holding `kind` (see the module docstring)."""
    raw = (raw or "").strip()
    if "/" in raw or "\\" in raw or raw in (".", ".."):
        raise CorpusChangeRefused("path_in_name", name=raw)
    path = Path(raw)
    suffix = path.suffix.lower()
    stem = path.stem if suffix in SUFFIX_KIND else raw
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem).strip("-")[:MAX_STEM].strip("-") or "document"
    if SUFFIX_KIND.get(suffix) == kind:  # keep .md, .htm... when they say what the content is
        return slug + (".html" if suffix == ".htm" else suffix)
    return slug + KIND_SUFFIX[kind]


def _text_problem(data: bytes) -> tuple[str, str] | None:
    """Why `data` is not UTF-8 text, in French and English, or None."""
    if b"\x00" in data:
        return "il contient des octets nuls (un fichier binaire)", "it holds NUL bytes (a binary file)"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return (f"ce n'est pas du texte UTF-8 (octet invalide à la position {exc.start}) ; s'il s'agit de texte, "
                "enregistrez-le en UTF-8",
                f"it is not UTF-8 text (invalid byte at position {exc.start}); if it is text, save it as UTF-8")
    if len(_CONTROL.findall(text)) > max(2, len(text) // 1000):
        return "il contient des caractères de contrôle (un fichier binaire)", "it holds control characters (a binary file)"
    return None


def content_kind(path: Path) -> tuple[str | None, tuple[str, str]]:
    """(kind of the file's content or None, (French, English) reason when None)."""
    with path.open("rb") as f:
        head = f.read(1024)
    if PDF_MAGIC in head:
        return "pdf", ("", "")
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            names = set()
        if all(p in names for p in DOCX_PARTS):
            return "docx", ("", "")
        return None, ("c'est une archive zip, pas un document Word", "it is a zip archive, not a Word document")
    problem = _text_problem(path.read_bytes())
    if problem:
        return None, problem
    return ("html" if _HTML_START.match(head.decode("utf-8", "ignore").lstrip("\ufeff")) else "text"), ("", "")


def _check_pdf(path: Path, name: str, pdf_engine: str) -> None:
    from rag.ingest.pdf import pdf_to_text

    try:
        text = pdf_to_text(path, pdf_engine)
    except ImportError:
        raise
    except Exception as exc:  # each engine raises its own error types for a damaged file
        raise CorpusChangeRefused("pdf_unreadable", name=name, error=f"{type(exc).__name__}: {exc}"[:200]) from None
    if not text.strip():
        raise CorpusChangeRefused("pdf_no_text", name=name)


def _check_docx(path: Path, name: str) -> None:
    def refuse(fr: str, en: str):
        return CorpusChangeRefused("docx_invalid", name=name, why_fr=fr, why_en=en)

    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            if not all(p in names for p in DOCX_PARTS):
                raise refuse("c'est une archive zip sans les parties d'un document Word",
                             "a zip archive without the parts of a Word document")
            unpacked = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            if unpacked > MAX_DOCX_UNPACKED or unpacked / packed > MAX_DOCX_RATIO:
                raise refuse("son contenu décompressé est démesuré", "its unpacked content is out of proportion")
    except zipfile.BadZipFile as exc:
        raise refuse(f"archive zip illisible : {exc}", f"unreadable zip archive: {exc}") from None
    from rag.ingest.docx import docx_to_text

    try:
        text = docx_to_text(path)
    except Exception as exc:
        raise refuse(f"illisible : {type(exc).__name__}", f"unreadable: {type(exc).__name__}: {exc}"[:200]) from None
    if not text.strip():
        raise CorpusChangeRefused("no_text", name=name)


def _check_text(path: Path, name: str, kind: str) -> None:
    text = path.read_bytes().decode("utf-8-sig")
    if kind == "html":
        from rag.ingest.loaders import html_to_text

        text = html_to_text(text)[0]
    if not text.strip():
        raise CorpusChangeRefused("no_text", name=name)


def check_file(path: Path, name: str | None = None, *, max_mb: float, pdf_engine: str) -> CheckedFile:
    """The checks of the module docstring on the file at `path`, to be stored under (a safe form of) `name`
    (default: the file's own name); CorpusChangeRefused says what is wrong."""
    path = Path(path)
    name = path.name if name is None or not str(name).strip() else str(name)
    if not path.exists():
        raise CorpusChangeRefused("missing", name=name)
    if not path.is_file():
        raise CorpusChangeRefused("not_a_file", name=name)
    size = path.stat().st_size
    if size == 0:
        raise CorpusChangeRefused("empty", name=name)
    if size > max_mb * MB:
        raise CorpusChangeRefused("too_large", name=name, size=f"{size / MB:.1f}", limit=f"{max_mb:g}")
    if "/" in name or "\\" in name or name.strip() in (".", ".."):  # before reading anything
        raise CorpusChangeRefused("path_in_name", name=name)
    kind, (why_fr, why_en) = content_kind(path)
    suffix = Path(name).suffix.lower()
    announced = SUFFIX_KIND.get(suffix)
    if kind is None:
        raise CorpusChangeRefused("unknown_type", name=name, why_fr=why_fr, why_en=why_en)
    if announced and {announced, kind} != {"text", "html"} and announced != kind:
        fr, en = KIND_NAMES[kind]
        raise CorpusChangeRefused("type_mismatch", name=name, suffix=suffix, actual_fr=fr, actual_en=en)
    if kind == "pdf":
        _check_pdf(path, name, pdf_engine)
    elif kind == "docx":
        _check_docx(path, name)
    else:
        kind = announced if announced in ("text", "html") else kind
        _check_text(path, name, kind)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return CheckedFile(source=path, name=safe_name(name, kind), kind=kind, size=size, sha256=digest)


def clean_metadata(title: Any = None, publisher: Any = None, date: Any = None, kind: Any = None) -> dict[str, str]:
    """The given metadata fields as one-line text (empty ones left out); CorpusChangeRefused for a bad value."""
    out: dict[str, str] = {}
    for field, value in (("title", title), ("publisher", publisher), ("kind", kind), ("date", date)):
        if value is None:
            continue
        text = " ".join(_CONTROL.sub(" ", str(value)).split())
        if not text:
            continue
        if field == "date":
            if not _DATE.fullmatch(text):
                raise CorpusChangeRefused("bad_date", value=text[:40])
        elif len(text) > METADATA_LIMITS[field]:
            fr, en = FIELD_NAMES[field]
            raise CorpusChangeRefused("field_too_long", field_fr=fr, field_en=en, n=len(text), limit=METADATA_LIMITS[field])
        out[field] = text
    return out
