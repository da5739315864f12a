"""Pure rendering for the web app: answers, sources and the corpus as escaped HTML or Markdown.

Nothing here touches Gradio, so every function is testable on real `Answer`/`Citation`/`Passage`
objects. Document text is untrusted (it comes from files anyone can drop into `corpus/`): every piece
of it that ends up in HTML goes through `html.escape`, and every piece that ends up in Markdown goes
through `escape_markdown`, so a passage can neither inject markup nor break the layout.

It is longer than the project's usual ~300 lines on purpose: every place where untrusted text becomes
HTML or Markdown is in this one file, so the escaping can be reviewed in one reading.
"""

from __future__ import annotations

import html
import re
from typing import Any, Iterable, Mapping

from rag.schema import Answer, Citation, Passage

# Labels shown to users (the UI is in French; identifiers stay English).
MODE_LABELS = {"hybrid": "Hybride (sens + mots-clés)", "dense": "Sens (vecteurs)", "bm25": "Mots-clés (BM25)"}
ANSWERER_LABELS = {"extractive": "Extractif (hors ligne, phrases du corpus)", "llm": "LLM configuré"}
REFUSAL_TITLE = "Pas de réponse dans le corpus"
CLOSEST_PASSAGES = "Passages les plus proches, à lire vous-même"  # shown open after a refusal
SOURCES_TITLE = "Sources"

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")


def _md_escape(text: str) -> str:
    """Backslash-escape Markdown syntax; angle brackets become entities (a backslash does not stop every
    Markdown renderer from reading `<script`, an entity does)."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("<", "&lt;").replace(">", "&gt;")


_MARKER = re.compile(r"\[(\d{1,3})\]")


def esc(text: Any) -> str:
    """HTML-escaped text (quotes included, so it is safe inside attributes too)."""
    return html.escape("" if text is None else str(text), quote=True)


def escape_markdown(text: Any) -> str:
    """Text with Markdown/HTML syntax neutralised by backslashes, on one line (newlines become spaces)."""
    text = "" if text is None else str(text)
    text = re.sub(r"\s+", " ", text).strip()
    return _md_escape(text)


def text_to_markdown(text: Any) -> str:
    """Multi-line text with Markdown/HTML syntax neutralised line by line; line breaks are kept."""
    lines = ("" if text is None else str(text)).split("\n")
    return "  \n".join(_md_escape(line.strip()) for line in lines)


def format_score(score: float | None) -> str:
    """A score the French way: 0,873 (— when unknown)."""
    if score is None:
        return "—"
    return f"{float(score):.3f}".replace(".", ",")


def quote_span(text: str, quote: str, start: int | None, end: int | None) -> tuple[int, int] | None:
    """Where the supporting quote sits in the passage: the given offsets when they point at it,
    else the first exact occurrence of the quote, else None (nothing is highlighted rather than
    highlighting the wrong words)."""
    if start is not None and end is not None and 0 <= start < end <= len(text):
        if not quote or text[start:end].strip() == quote.strip():
            return start, end
    if quote:
        i = text.find(quote.strip())
        if i >= 0:
            return i, i + len(quote.strip())
    return None


def highlight_html(text: str, spans: Iterable[tuple[int, int] | None]) -> str:
    """The escaped passage with each span wrapped in <mark> (overlapping spans merged, None skipped);
    line breaks kept."""
    spans = sorted(x for x in spans if x is not None)
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, pos = [], 0
    for s, e in merged:
        out.append(f"{esc(text[pos:s])}<mark class='rag-quote'>{esc(text[s:e])}</mark>")
        pos = e
    out.append(esc(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def cited_passages(answer: Answer) -> list[list[Citation]]:
    """The answer's citations grouped by passage, in the order of their first [n]: two sentences quoted
    from one passage show it once, with both quotes highlighted and both numbers on it."""
    groups: dict[str, list[Citation]] = {}
    for c in sorted(answer.citations, key=lambda c: c.n):
        groups.setdefault(c.chunk_id, []).append(c)
    return list(groups.values())


def document_line(meta: Mapping[str, Any] | None) -> str:
    """'Publisher · date' for a document (plain text, not escaped)."""
    meta = meta or {}
    parts = [str(meta[k]) for k in ("publisher", "date") if meta.get(k)]
    return " · ".join(parts) if parts else "éditeur et date inconnus"


def _doc_meta(documents: Mapping[str, Mapping[str, Any]], doc_id: str, fallback: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return documents.get(doc_id) or fallback or {}


def cited_chunk_ids(answer: Answer) -> set[str]:
    """Chunk ids of the passages the answer cites."""
    return {c.chunk_id for c in answer.citations}


def markers_in(text: str) -> list[int]:
    """The [n] markers of an answer text, in order of first appearance."""
    seen: list[int] = []
    for m in _MARKER.finditer(text or ""):
        n = int(m.group(1))
        if n not in seen:
            seen.append(n)
    return seen


# --- answers ------------------------------------------------------------------------------------

def render_answer_markdown(answer: Answer) -> str:
    """The chat text of a finished answer: the answer with its [n] markers, a refusal note, and any notice.

    The answer text is made of corpus sentences (extractive) or LLM output: its Markdown syntax is
    neutralised so a stray '#' or '*' from a document cannot restyle the chat."""
    text = text_to_markdown((answer.answer or "").strip())
    if answer.abstained:
        text = f"**{REFUSAL_TITLE}.** {text}" if text else f"**{REFUSAL_TITLE}.**"
    if answer.notice:
        text += f"\n\n_Remarque : {escape_markdown(answer.notice)}_"
    return text


def _numbers(group: list[Citation]) -> str:
    return "".join(f"[{c.n}]" for c in group)


def citation_markdown(group: list[Citation], documents: Mapping[str, Mapping[str, Any]]) -> str:
    """One cited passage (its citations, see `cited_passages`) as a Markdown block: its [n] numbers and
    title, publisher/date, rank/score, then each supporting quote."""
    c = group[0]
    meta = _doc_meta(documents, c.doc_id)
    head = f"**{_numbers(group)} {escape_markdown(c.title)}** — {escape_markdown(document_line(meta))}"
    rank = f"rang {c.rank}" if c.rank is not None else "rang —"
    quotes = "  \n".join(f"> {escape_markdown(x.quote or x.text[:300])}" for x in group)
    return f"{head}  \n_{rank} · score {format_score(c.score)}_  \n{quotes}"


def render_sources_markdown(answer: Answer, documents: Mapping[str, Mapping[str, Any]]) -> str:
    """The folded 'Sources' message placed under an answer in the chat, so each answer keeps its own
    citations however long the conversation grows."""
    if not answer.citations:
        if answer.passages:
            return f"Aucun passage cité ; {len(answer.passages)} passage(s) examiné(s), voir le panneau Sources."
        return "Aucun passage retrouvé."
    return "\n\n".join(citation_markdown(g, documents) for g in cited_passages(answer))


def sources_title(answer: Answer) -> str:
    """Title of the folded sources message (no emoji: headless or minimal systems draw it as a box)."""
    n = len(cited_passages(answer))
    return f"{SOURCES_TITLE} ({n} passage{'s' if n > 1 else ''} cité{'s' if n > 1 else ''})"


def _citation_card(group: list[Citation], documents: Mapping[str, Mapping[str, Any]]) -> str:
    c = group[0]
    meta = _doc_meta(documents, c.doc_id)
    spans = [quote_span(c.text, x.quote, x.start, x.end) for x in group]
    rank = f"rang {c.rank}" if c.rank is not None else "rang —"
    return (
        f"<article class='rag-source rag-cited' data-n='{' '.join(str(x.n) for x in group)}' data-doc-id='{esc(c.doc_id)}'>"
        f"<header><span class='rag-n'>{_numbers(group)}</span> <strong class='rag-title'>{esc(c.title)}</strong></header>"
        f"<div class='rag-meta'>{esc(document_line(meta))} · {rank} · score {format_score(c.score)}</div>"
        f"<blockquote class='rag-passage'>{highlight_html(c.text, spans)}</blockquote>"
        f"</article>"
    )


def _passage_card(p: Passage, documents: Mapping[str, Mapping[str, Any]]) -> str:
    meta = _doc_meta(documents, p.doc_id, p.chunk.metadata)
    heading = f" — {esc(p.chunk.heading)}" if p.chunk.heading else ""
    return (
        f"<article class='rag-source rag-other' data-doc-id='{esc(p.doc_id)}'>"
        f"<header><strong class='rag-title'>{esc(p.chunk.title)}</strong>{heading}</header>"
        f"<div class='rag-meta'>{esc(document_line(meta))} · rang {p.rank} · score {format_score(p.score)}</div>"
        f"<blockquote class='rag-passage'>{highlight_html(p.text, [])}</blockquote>"
        f"</article>"
    )


def render_sources_html(answer: Answer | None, documents: Mapping[str, Mapping[str, Any]], *, turn: int | None = None) -> str:
    """The side panel for one answer: each cited passage with its supporting sentence highlighted,
    document title, publisher, date, rank and score; the other retrieved passages folded below."""
    if answer is None:
        return ("<div class='rag-sources rag-empty'>Posez une question : les passages cités apparaîtront ici, "
                "avec la phrase qui appuie la réponse surlignée.</div>")
    parts = ["<div class='rag-sources'>"]
    label = f"Question {turn}" if turn is not None else "Question"
    parts.append(f"<div class='rag-question'><strong>{esc(label)} :</strong> {esc(answer.question)}</div>")
    if answer.standalone_question and answer.standalone_question.strip() != (answer.question or "").strip():
        parts.append(f"<div class='rag-standalone'>Comprise comme : « {esc(answer.standalone_question)} »</div>")
    if getattr(answer, "source_doc_id", None):
        title = _doc_meta(documents, answer.source_doc_id).get("title") or answer.source_doc_id
        parts.append(f"<div class='rag-standalone rag-named-source'>Document cité dans la question : « {esc(title)} » "
                     f"(ses passages sont lus en premier)</div>")
    if answer.abstained:
        parts.append(f"<div class='rag-refusal'>{esc(REFUSAL_TITLE)} : aucun passage ne permet de répondre avec assez de certitude.</div>")
    if answer.citations:
        groups = cited_passages(answer)
        parts.append(f"<h4>Passages cités ({len(groups)})</h4>")
        parts.extend(_citation_card(g, documents) for g in groups)
    cited = cited_chunk_ids(answer)
    others = [p for p in answer.passages if p.chunk_id not in cited]
    if others:
        # a refusal quotes nothing: the passages that came closest are shown open, for the reader to judge
        opened, label = (" open", CLOSEST_PASSAGES) if answer.abstained else ("", "Autres passages retrouvés")
        parts.append(f"<details class='rag-others'{opened}><summary>{esc(label)} ({len(others)})</summary>")
        parts.extend(_passage_card(p, documents) for p in others)
        parts.append("</details>")
    if answer.timings_ms:
        total = answer.timings_ms.get("total")
        if total is not None:
            parts.append(f"<div class='rag-timing'>Réponse ({esc(answer.answerer)}) en {total:.0f} ms</div>")
    parts.append("</div>")
    return "".join(parts)


# --- corpus ---------------------------------------------------------------------------------------

CORPUS_HEADERS = ["Identifiant", "Titre", "Éditeur", "Date", "Type", "Passages", "Caractères"]


def render_corpus_rows(documents: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """One row per document for the corpus table (a Dataframe renders cells as text, not HTML)."""
    return [
        [d.get("doc_id", ""), d.get("title", ""), d.get("publisher") or "", d.get("date") or "",
         d.get("kind") or "", d.get("n_chunks", 0), d.get("n_chars", 0)]
        for d in documents
    ]


def _thousands(n: Any) -> str:
    """12 345 (narrow no-break space), the French way."""
    return f"{int(n or 0):,}".replace(",", "\u202f")


def is_web_url(url: Any) -> bool:
    """True for an http(s) address, the only kind rendered as a link: a 'javascript:' or 'data:' address
    from a metadata file would run script in the app's page when clicked."""
    return isinstance(url, str) and re.match(r"https?://[^\s/]", url.strip(), re.IGNORECASE) is not None


SKIP_REASONS = {  # reason codes of rag.ingest.loaders.Skipped, in French
    "too_large": "fichier trop volumineux",
    "not_text": "contenu qui n'est pas du texte (fichier binaire ?)",
    "unreadable": "fichier illisible",
    "no_text": "aucun texte trouvé (un PDF scanné doit d'abord passer par l'OCR)",
    "duplicate_id": "même identifiant qu'un autre fichier",
}


def source_cell(url: Any) -> str:
    """A document's source address in a table cell: a link when it is http(s), escaped text otherwise."""
    if is_web_url(url):
        return f"<a href='{esc(url.strip())}' target='_blank' rel='noopener noreferrer'>lien</a>"
    return f"<code>{esc(url)}</code>" if url else "—"


def render_document_header(doc: Mapping[str, Any] | None) -> str:
    """Markdown header above a whole document: title, publisher, date, kind, chunk count."""
    if not doc:
        return "Choisissez un document pour le lire en entier."
    lines = [f"### {escape_markdown(doc.get('title', doc.get('doc_id', '')))}",
             f"{escape_markdown(document_line(doc))} · {escape_markdown(doc.get('kind') or 'type inconnu')} · "
             f"{doc.get('n_chunks', 0)} passages · fichier `{escape_markdown(doc.get('file') or doc.get('doc_id'))}`"]
    if doc.get("author"):
        lines.insert(1, f"Auteur : {escape_markdown(doc['author'])}")
    return "  \n".join(lines)


def document_choices(documents: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for document pickers: the short title and the date."""
    out = []
    for d in documents:
        title = str(d.get("title") or d.get("doc_id"))
        if len(title) > 70:
            title = title[:67].rstrip() + "…"
        date = f" ({d['date']})" if d.get("date") else ""
        out.append((f"{title}{date}", d["doc_id"]))
    return out


# --- chat messages and user input ------------------------------------------------------------------

def question_problem(question: str | None, max_chars: int) -> str | None:
    """A French message saying why a question cannot be asked (empty, too long), or None when it can."""
    q = (question or "").strip()
    if not q:
        return "Votre question est vide : tapez une question, par exemple l'un des exemples sous la zone de saisie."
    if len(q) > max_chars:
        return (f"Votre question est trop longue ({len(q)} caractères, au plus {max_chars}) : "
                "raccourcissez-la ou découpez-la en plusieurs questions.")
    try:
        q.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: bytes that were not UTF-8, or a broken JSON escape
        return "Votre question contient des caractères invalides (pas du texte UTF-8) : retapez-la."
    return None


def message_text(content: Any) -> str:
    """The text of a chat message's content: a plain string (API callers) or a list of
    {"type": "text", "text": ...} parts (what the browser sends back in Gradio 6)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, (list, tuple)):
        return "\n".join(message_text(part) for part in content if part is not None).strip()
    return str(content)


def normalize_history(history: Any) -> list[tuple[str, str]]:
    """Conversation history as (user, assistant) pairs, oldest first.

    Accepts pairs (`[["q", "a"], ...]`, the `rag ask --history` format) or messages
    (`[{"role": "user", "content": ...}, ...]`); messages carrying a title (folded sources,
    notices) are not part of the dialogue and are skipped."""
    if not history:
        return []
    if not isinstance(history, (list, tuple)):
        raise ValueError("history doit être une liste de paires [question, réponse] ou de messages de chat")
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    for item in history:
        if isinstance(item, Mapping):
            meta = item.get("metadata")
            if isinstance(meta, Mapping) and meta.get("title"):
                continue
            role, text = item.get("role"), message_text(item.get("content"))
            if role == "user":
                if pending is not None:
                    pairs.append((pending, ""))
                pending = text
            elif role == "assistant" and pending is not None:
                pairs.append((pending, text))
                pending = None
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            pairs.append((message_text(item[0]), message_text(item[1])))
        else:
            raise ValueError(f"élément de history incompris : {item!r:.80}")
    if pending is not None:
        pairs.append((pending, ""))
    return pairs


def turn_of_message(messages: list[Any], index: Any) -> int | None:
    """0-based turn (question number) a chat message belongs to: the number of user messages
    up to and including it, minus one. None when the index does not point into the chat."""
    if isinstance(index, (list, tuple)):
        index = index[0] if index else None
    if not isinstance(index, int) or not (0 <= index < len(messages)):
        return None
    users = sum(1 for m in messages[: index + 1] if _role(m) == "user")
    return users - 1 if users else None


def _role(message: Any) -> str | None:
    if isinstance(message, Mapping):
        return message.get("role")
    return getattr(message, "role", None)
