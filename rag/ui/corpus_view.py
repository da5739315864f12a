"""What the Corpus tab shows: one row per corpus file with its status (indexed, skipped and why, waiting,
being indexed with a progress bar, being removed), the summary line, and the outcome of a change. Pure
rendering: every value from files and metadata is escaped (rag.ui.render)."""

from __future__ import annotations

from typing import Any, Iterable

from rag.corpus.jobs import Job, skip_code, skip_reason
from rag.errors import CorpusError
from rag.ingest.loaders import corpus_files
from rag.ui import render as R

STAGES = {  # rag.index.build progress stages, in French
    "cleaning and chunking": "Nettoyage et découpage du texte",
    "embedding chunks": "Vectorisation des nouveaux passages",
    "embedding sentences": "Vectorisation des nouvelles phrases",
}
# English words of the loader's skip details and the reason codes they stand for (rag.ingest.loaders.Skipped),
# for warnings that came without a code (an index built before codes were recorded, a job's message)
_DETAIL_CODES = (("no text", "no_text"), ("same document id", "duplicate_id"), ("limit", "too_large"),
                 ("not text", "not_text"), ("cannot be read", "unreadable"))

def progress_of(job: Job, waiting_before: int = 0) -> tuple[float | None, str]:
    """(fraction done or None, French description) of a job."""
    if job.state == "queued":
        ahead = f" ({waiting_before} avant celui-ci)" if waiting_before else ""
        return 0.0, f"En attente d'indexation{ahead}"
    if job.state != "indexing":
        return 1.0, "Terminé"
    p = job.progress or {}
    stage, done, total = p.get("stage"), p.get("done") or 0, p.get("total") or 0
    step = f"étape {len(job.steps)} — " if job.steps else ""
    if stage and total:
        return done / total, f"Indexation, {step}{STAGES.get(stage, stage)} : {done} / {total}"
    message = str(p.get("message") or "")
    if message.startswith("Index written"):
        return 1.0, "Chargement du nouvel index…"
    if job.steps:
        return 1.0, "Écriture du nouvel index…"
    return None, "Lecture des documents…"


def _skip_text(reason: str) -> str:
    """The French reason for a skip, from its code ("not_text") or from the loader's English detail."""
    code = reason if reason in R.SKIP_REASONS else next((c for key, c in _DETAIL_CODES if key in reason), None)
    return R.SKIP_REASONS.get(code, "non indexé")


def status_rows(app, jobs: Iterable[Job]) -> list[dict[str, Any]]:
    """One row per corpus file, and per document still on its way in: what it is and its status."""
    snap = app.live.current
    indexed = {d.get("file"): d for d in snap.documents}
    active = {j.file: j for j in jobs if j.active}
    try:
        files = corpus_files(app.settings.corpus_dir)
    except CorpusError:
        files = []
    rows = []
    for p in files:
        job = active.pop(p.name, None)
        doc = indexed.get(p.name)
        row = {"file": p.name, "doc_id": p.stem, **(doc or {})}
        if job is not None:
            row = {**job.metadata, **row}  # not indexed yet: the metadata given with the upload
            row["status"] = "removing" if job.action == "remove" else job.state
            row["job"] = job
        elif doc is not None:
            row["status"] = "indexed"
        else:
            reason = skip_reason(snap.index.manifest, p.name)
            row["status"], row["reason"] = ("skipped", reason) if reason else ("not_indexed", None)
            row["reason_code"] = skip_code(snap.index.manifest, p.name)
        rows.append(row)
    for job in active.values():  # added, not in the folder yet (queued)
        rows.append({"file": job.file, "doc_id": job.doc_id, **job.metadata, "status": job.state, "job": job})
    return rows


def render_status(row: dict[str, Any]) -> str:
    status = row["status"]
    # text badges, not emoji: a browser without an emoji font shows those as empty boxes
    if status == "indexed":
        return _badge("ok", "indexé")
    if status == "skipped":
        return (f"{_badge('warn', 'ignoré')} {R.esc(_skip_text(row.get('reason_code') or row.get('reason') or ''))}"
                f"<br><small>{R.esc(row.get('reason'))}</small>")
    if status == "not_indexed":
        return f"{_badge('warn', 'pas encore indexé')}<br><small>ajouté hors de l'application : lancez « rag index »</small>"
    if status == "removing":
        return _badge("wait", "suppression en cours")
    frac, desc = progress_of(row["job"])
    bar = f"<br><progress max='100' value='{round(100 * frac)}'></progress>" if frac is not None else ""
    label = _badge("wait", "en attente d'indexation" if status == "queued" else "en cours d'indexation")
    return f"{label}{bar}<br><small>{R.esc(desc)}</small>"


def _badge(kind: str, text: str) -> str:
    return f"<span class='rag-badge rag-badge-{kind}'>{R.esc(text)}</span>"


def render_table(rows: list[dict[str, Any]]) -> str:
    """The corpus table with a status per file; every value from files and metadata is escaped."""
    body = []
    for r in rows:
        title = r.get("title") or r["file"]
        body.append(
            f"<tr data-doc='{R.esc(r['doc_id'])}' data-status='{R.esc(r['status'])}'>"
            f"<td>{R.esc(title)}<br><code>{R.esc(r['doc_id'])}</code></td>"
            f"<td>{R.esc(r.get('publisher') or '—')}</td><td>{R.esc(r.get('date') or '—')}</td>"
            f"<td>{R.esc(r.get('kind') or '—')}</td><td>{R.source_cell(r.get('source_url'))}</td>"
            f"<td class='rag-num'>{int(r.get('n_chunks') or 0) if r['status'] == 'indexed' else '—'}</td>"
            f"<td class='rag-status'>{render_status(r)}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("Document", "Éditeur", "Date", "Type", "Source", "Passages", "Statut"))
    return f"<table class='rag-corpus'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def summary(app) -> str:
    docs = app.live.current.documents
    return f"{len(docs)} documents, {sum(d.get('n_chunks', 0) for d in docs)} passages indexés."


def outcome_line(job: Job) -> str:
    """One Markdown line saying how a job ended (escaped)."""
    name = R.escape_markdown(job.file)
    if job.state == "done" and job.action == "add":
        r = job.result
        return (f"**{name}** ajouté et indexé : {r['n_chunks']} passages (identifiant `{r['doc_id']}`, "
                f"{r.get('embedded_chunks', 0)} passages nouveaux vectorisés, {r['seconds']:.0f} s).")
    if job.state == "done":
        return f"**{name}** supprimé du corpus et de l'index."
    if job.state == "skipped":
        return (f"**{name}** a été ajouté au corpus mais l'indexation l'a ignoré : "
                f"{R.escape_markdown(_skip_text(job.result.get('skipped', '')))}. Supprimez-le ou remplacez-le.")
    return f"**{name}** refusé : {R.escape_markdown(job.error.french if job.error else 'échec')}"


# --- the tab --------------------------------------------------------------------------------------

