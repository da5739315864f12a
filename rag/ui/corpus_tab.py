"""The Corpus tab: the documents with their status, adding files with a progress bar, removing one after a
confirmation; and the same as API endpoints (/add_document, /remove_document, /documents).

Changes go through the app's indexing queue (rag.corpus.jobs): questions keep being answered from the
previous index until the new one is swapped in. Every open page polls (gr.Timer) for a new index or a
change in the queue, so everyone's document lists, filters and statuses follow, whoever made the change.

Who may change the corpus: nobody when RAG_ALLOW_UPLOAD is false (by default, when the app is open to the
network); with RAG_AUTH, only a logged-in user (Gradio's login covers the whole app; the handlers check
`request.username` again, and record it in metadata.json as `added_by`).

What the tab shows is rendered by rag.ui.corpus_view; this module holds the tab's components, its
handlers and their wiring, which read best together (a bit over the usual ~300 lines).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Iterable

import gradio as gr

from rag.corpus.checks import check_file, clean_metadata
from rag.corpus.jobs import IndexingQueue, Job
from rag.corpus.messages import CorpusChangeRefused
from rag.ui import render as R
from rag.ui.corpus_view import outcome_line, progress_of, render_table, status_rows, summary

log = logging.getLogger("rag.app")

ACCEPTED = [".pdf", ".docx", ".txt", ".md", ".html", ".htm"]
POLL_S = 2.0  # how often every open page checks for a new index or a change in the queue
CSS = """
#rag-corpus progress { width: 8em; vertical-align: middle; }
.rag-status { white-space: nowrap; }
.rag-status small { white-space: normal; color: var(--body-text-color-subdued); }
.rag-upload-note { color: var(--body-text-color-subdued); font-size: 0.9em; }
.rag-badge { display: inline-block; padding: 0 0.45em; border-radius: 4px; font-size: 0.9em; font-weight: 600; }
.rag-badge-ok { background: #e3f4e6; color: #1e5b2a; }
.rag-badge-wait { background: #e8eefc; color: #23408e; }
.rag-badge-warn { background: #fff4e5; color: #663c00; }
"""


class CorpusTab:
    """Components and handlers of the Corpus tab (build inside `gr.Tab`, then `wire`)."""

    def __init__(self, app, settings):
        self.app = app
        self.settings = settings
        self.queue: IndexingQueue = app.jobs
        self.demo: gr.Blocks | None = None

    # --- who may change the corpus ---------------------------------------------------------------
    def refusal(self, request: gr.Request | None) -> CorpusChangeRefused | None:
        if not self.settings.uploads_allowed:
            return CorpusChangeRefused("disabled")
        if self.settings.auth and not getattr(request, "username", None):
            return CorpusChangeRefused("login_required")
        return None

    def uploaded_path(self, value: Any) -> Path | None:
        """A file a user uploaded, never any other file of the server.

        Gradio already refuses an API call naming a server path ({"path": "/etc/passwd"}: InvalidPathError,
        checked with 6.31); this does not rely on it: the file must be in Gradio's upload folder and have
        come through its upload route (`upload_file_set`; the cache path is the content's hash, the same for
        the upload and for the copy the handler gets)."""
        from gradio.utils import get_upload_folder

        if not value:
            return None
        path = Path(str(getattr(value, "name", value))).resolve()
        root = Path(get_upload_folder()).resolve()
        uploaded = {str(Path(p).resolve()) for p in list(getattr(self.demo, "upload_file_set", ()) or ())}
        if not path.is_relative_to(root) or str(path) not in uploaded or not path.is_file():
            log.warning("refused a file that was not uploaded: %s", path)
            return None
        return path

    def submit_add(self, value: Any, meta: dict[str, str], request, name: str | None = None) -> Job:
        """Check one received file and queue it; CorpusChangeRefused says why it cannot be added."""
        path = self.uploaded_path(value)
        if path is None:
            raise CorpusChangeRefused("no_file")
        checked = check_file(path, name or path.name, max_mb=self.settings.max_upload_mb,
                             pdf_engine=self.settings.pdf_engine)
        user = getattr(request, "username", None)
        entry = {**meta, "added_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if user:
            entry["added_by"] = user
        return self.queue.add(checked, entry, user)

    def follow(self, jobs: list[Job], progress) -> Iterable[None]:
        """Report the progress of `jobs` until they all end (yields between reports)."""
        while True:
            running = [j for j in jobs if not j.finished.is_set()]
            if not running:
                return
            frac, desc = progress_of(running[0], self.queue.position(running[0]))
            if len(jobs) > 1:
                desc = f"{len(jobs) - len(running) + 1}/{len(jobs)} — {desc}"
            progress(frac, desc=desc)
            yield
            running[0].wait(0.5)

    # --- refreshing every page ---------------------------------------------------------------------
    def signature(self) -> list:
        jobs = self.queue.jobs()
        return [self.app.live.current.version,
                [(j.id, j.state, len(j.steps), round(10 * (progress_of(j)[0] or 0))) for j in jobs if j.active]]

    def views(self, docs_value, seen: dict | None, force: bool = False):
        """Updates of the summary, table, pickers and the Assistant tab's document filter, when something
        changed since this page's last look (`seen`); all skipped otherwise."""
        self.queue.sync_with_disk()
        sig = self.signature()
        seen = dict(seen or {})
        if not force and seen.get("sig") == sig:
            return (gr.skip(),) * 6
        snap = self.app.live.current
        table = render_table(status_rows(self.app, self.queue.jobs()))
        if not force and seen.get("version") == snap.version:
            seen["sig"] = sig
            return gr.skip(), table, gr.skip(), gr.skip(), gr.skip(), seen
        choices = R.document_choices(snap.documents)
        ids = [d for _, d in choices]
        before = seen.get("ids") or self.initial_ids  # a page opened earlier was built with those
        ticked = [d for d in (docs_value or []) if d in ids]
        if set(docs_value or []) >= set(before):  # everything was ticked: the new documents are too
            ticked = ids
        seen.update(sig=sig, version=snap.version, ids=ids)
        # the pickers get the new choices but keep what the user picked: a refresh arriving between picking a
        # document and confirming its removal once emptied the pick, and the removal was refused
        return (summary(self.app), table, gr.update(choices=choices), gr.update(choices=choices),
                gr.update(choices=choices, value=ticked), seen)

    def handler_views(self, docs_value, seen, removed: bool = False):
        """`views` for an upload or removal handler, leaving the page's `seen` to the timer alone: the timer
        and the handler both update the page, and a late timer reply could otherwise leave a stale table
        that the timer believes current (with `seen` only its own, the next tick repairs it). After a
        removal (`removed`), the removal pick is emptied: the document it names is no choice any more."""
        overview, table, doc_pick, remove_pick, docs, _ = self.views(docs_value, seen, force=True)
        if removed:
            remove_pick = gr.update(choices=remove_pick["choices"], value=None)
        return overview, table, doc_pick, remove_pick, docs, gr.skip()

    # --- browser handlers --------------------------------------------------------------------------
    def upload(self, files, title, publisher, date, kind, docs_value, seen, request: gr.Request,
               progress=gr.Progress()):
        """Add the chosen files: each checked at once, the accepted ones queued and followed to the end."""
        refused = self.refusal(request)
        files = [f for f in (files if isinstance(files, list) else [files]) if f]
        lines: list[str] = []
        jobs: list[Job] = []
        if refused is None and not files:
            refused = CorpusChangeRefused("no_file")
        if refused is not None:
            yield f"Refusé : {R.escape_markdown(refused.french)}", *(gr.skip(),) * 7
            return
        try:
            meta = clean_metadata(title=title if len(files) == 1 else None, publisher=publisher, date=date, kind=kind)
        except CorpusChangeRefused as exc:
            yield f"Refusé : {R.escape_markdown(exc.french)}", *(gr.skip(),) * 7
            return
        if title and len(files) > 1:
            lines.append("Plusieurs fichiers : le titre saisi est ignoré, chacun prend le sien.")
        for f in files:
            name = Path(str(f)).name
            try:
                jobs.append(self.submit_add(f, meta, request))
            except CorpusChangeRefused as exc:
                lines.append(f"Refusé : {R.escape_markdown(exc.french)}")
            except Exception:
                log.exception("upload of %s failed", name)
                lines.append(f"**{R.escape_markdown(name)}** : erreur interne (voir le journal du serveur).")
        waiting = "\n\n".join(lines + [f"**{R.escape_markdown(j.file)}** : en attente d'indexation…" for j in jobs])
        yield waiting, *self.handler_views(docs_value, seen), gr.skip()
        for _ in self.follow(jobs, progress):
            yield gr.skip(), gr.skip(), render_table(status_rows(self.app, self.queue.jobs())), *(gr.skip(),) * 5
        lines += [outcome_line(j) for j in jobs]
        done = any(j.state in ("done", "skipped") for j in jobs)
        yield "\n\n".join(lines), *self.handler_views(docs_value, seen), (None if done else gr.skip())

    def ask_remove(self, doc_id):
        """First click on Supprimer: say what will be removed, show the confirmation buttons."""
        doc = self.app.live.current.by_id.get(doc_id) if doc_id else None
        if doc is None:
            return gr.update(visible=False), "Choisissez d'abord le document à supprimer."
        text = (f"Supprimer définitivement **{R.escape_markdown(doc.get('title') or doc_id)}** "
                f"(fichier `{doc.get('file')}`) du corpus et de l'index ?")
        return gr.update(visible=True), text

    def cancel_remove(self):
        return gr.update(visible=False), "Suppression annulée."

    def confirm_remove(self, doc_id, docs_value, seen, request: gr.Request, progress=gr.Progress()):
        refused = self.refusal(request)
        hide = gr.update(visible=False)
        if refused is None and not doc_id:
            refused = CorpusChangeRefused("unknown_document", doc_id="", known=", ".join(self.app.live.current.by_id))
        if refused is not None:
            yield hide, f"Refusé : {R.escape_markdown(refused.french)}", *(gr.skip(),) * 6
            return
        job = self.queue.remove(str(doc_id), getattr(request, "username", None))
        yield hide, "Suppression en cours…", *self.handler_views(docs_value, seen)
        for _ in self.follow([job], progress):
            yield gr.skip(), gr.skip(), gr.skip(), render_table(status_rows(self.app, self.queue.jobs())), *(gr.skip(),) * 4
        yield hide, outcome_line(job), *self.handler_views(docs_value, seen, removed=job.state == "done")

    # --- API ----------------------------------------------------------------------------------------
    def api_add(self, file, title, publisher, date, kind, filename, request: gr.Request, progress=gr.Progress()):
        """/add_document: add one file (optional metadata, optional name in the corpus); waits for the index.

        Returns {"doc_id", "file", "title", "n_chunks", "embedded_chunks", "n_documents", "seconds"}, or
        {"error": French message, "error_code": code}."""
        try:
            refused = self.refusal(request)
            if refused:
                raise refused
            meta = clean_metadata(title=title, publisher=publisher, date=date, kind=kind)
            job = self.submit_add(file, meta, request, name=(filename or "").strip() or None)
        except CorpusChangeRefused as exc:
            return {"error": exc.french, "error_code": exc.code}
        for _ in self.follow([job], progress):
            pass
        return self.api_outcome(job)

    def api_remove(self, doc_id, request: gr.Request, progress=gr.Progress()):
        """/remove_document: remove a document by id; waits for the index. {"doc_id", "file", "removed",
        "n_documents"} or {"error", "error_code"}."""
        refused = self.refusal(request)
        if refused:
            return {"error": refused.french, "error_code": refused.code}
        if not isinstance(doc_id, str) or not doc_id.strip():
            exc = CorpusChangeRefused("unknown_document", doc_id=str(doc_id or ""), known=", ".join(self.app.live.current.by_id))
            return {"error": exc.french, "error_code": exc.code}
        job = self.queue.remove(doc_id.strip(), getattr(request, "username", None))
        for _ in self.follow([job], progress):
            pass
        return self.api_outcome(job)

    @staticmethod
    def api_outcome(job: Job) -> dict[str, Any]:
        if job.state == "done":
            return dict(job.result)
        if job.state == "skipped":
            return {**job.result, "error": outcome_line(job).replace("**", ""), "error_code": "skipped"}
        return {"error": job.error.french if job.error else "échec", "error_code": job.error.code if job.error else "failed"}

    def api_documents(self) -> list[dict[str, Any]]:
        """/documents: every corpus file with its status (indexed, skipped, not_indexed, queued, indexing,
        removing), its metadata and chunk count."""
        out = []
        for r in status_rows(self.app, self.queue.jobs()):
            job = r.pop("job", None)
            if job is not None:
                r["progress"] = progress_of(job)[1]
            out.append({k: v for k, v in r.items() if k not in ("text", "sha256")})
        return out

    # --- layout and events --------------------------------------------------------------------------
    def build(self):
        """The tab's components (call inside the Corpus gr.Tab)."""
        app, s = self.app, self.settings
        choices = R.document_choices(app.doc_list)
        self.initial_ids = [d for _, d in choices]
        self.summary = gr.Markdown(summary(app), elem_id="rag-corpus-summary")
        self.table = gr.HTML(render_table(status_rows(app, self.queue.jobs())), elem_id="rag-corpus")
        self.seen = gr.State({})
        self.timer = gr.Timer(POLL_S)
        if s.uploads_allowed:
            self._build_changes(choices)
        else:
            gr.Markdown("L'ajout et la suppression de documents sont désactivés sur ce serveur "
                        "(`RAG_ALLOW_UPLOAD`).", elem_id="rag-upload-off")
            self.files = None
        self.doc_pick = gr.Dropdown(choices, value=None, label="Lire un document en entier", elem_id="rag-doc-pick")
        self.doc_header = gr.Markdown(R.render_document_header(None))
        self.doc_text = gr.Textbox(label="Texte du document (nettoyé, tel qu'indexé)", lines=18, max_lines=30,
                                   interactive=False, buttons=["copy"], elem_id="rag-doc-text")
        return self

    def _build_changes(self, choices) -> None:
        s = self.settings
        with gr.Accordion("Ajouter des documents", open=True, elem_id="rag-upload"):
            gr.Markdown(f"Formats : PDF, Word (.docx), texte (.txt, .md) et HTML ; {s.max_upload_mb:g} Mo au plus par "
                        "fichier. Le type est vérifié sur le contenu. Pendant l'indexation, l'assistant continue de "
                        "répondre avec l'index précédent.", elem_classes=["rag-upload-note"])
            self.files = gr.File(label="Fichiers à ajouter", file_count="multiple", file_types=ACCEPTED,
                                 type="filepath", elem_id="rag-upload-files", height=140)
            with gr.Row():
                self.title = gr.Textbox(label="Titre (si un seul fichier ; sinon tiré du fichier)", max_lines=1,
                                        elem_id="rag-upload-title")
                self.publisher = gr.Textbox(label="Éditeur", max_lines=1, elem_id="rag-upload-publisher")
                self.date = gr.Textbox(label="Date (AAAA, AAAA-MM ou AAAA-MM-JJ)", max_lines=1, elem_id="rag-upload-date")
                self.kind = gr.Textbox(label="Type (article, rapport…)", max_lines=1, elem_id="rag-upload-kind")
            self.add_btn = gr.Button("Ajouter et indexer", variant="primary", elem_id="rag-upload-btn")
            self.add_msg = gr.Markdown("", elem_id="rag-upload-msg")
        with gr.Accordion("Supprimer un document", open=False, elem_id="rag-remove"):
            with gr.Row():
                self.remove_pick = gr.Dropdown(choices, value=None, label="Document à supprimer", elem_id="rag-remove-pick")
                self.remove_btn = gr.Button("Supprimer…", variant="secondary", elem_id="rag-remove-btn")
            with gr.Group(visible=False, elem_id="rag-remove-confirm-box") as self.confirm_box:
                self.confirm_text = gr.Markdown("", elem_id="rag-remove-question")
                with gr.Row():
                    self.confirm_btn = gr.Button("Confirmer la suppression", variant="stop", elem_id="rag-remove-confirm")
                    self.cancel_btn = gr.Button("Annuler", elem_id="rag-remove-cancel")
            self.remove_msg = gr.Markdown("", elem_id="rag-remove-msg")

    def wire(self, demo: gr.Blocks, docs: gr.CheckboxGroup) -> None:
        """Events of the tab, the page refresh and the API endpoints (call inside the Blocks, after build)."""
        app = self.app
        self.demo = demo
        private = dict(api_visibility="undocumented")
        corpus_events = dict(concurrency_limit=8, concurrency_id="corpus")  # waiting for a build must not hold the chat
        self.doc_pick.change(app.read_document, [self.doc_pick], [self.doc_header, self.doc_text], queue=False, **private)
        remove_pick = self.remove_pick if self.files is not None else gr.Dropdown(visible=False)
        views = [self.summary, self.table, self.doc_pick, remove_pick, docs, self.seen]
        self.timer.tick(self.views, [docs, self.seen], views, queue=False, show_progress="hidden", **private)
        demo.load(lambda d, s: self.views(d, s, force=True), [docs, self.seen], views, queue=False, **private)
        if self.files is not None:
            self.add_btn.click(self.upload, [self.files, self.title, self.publisher, self.date, self.kind, docs, self.seen],
                               [self.add_msg, *views, self.files], show_progress_on=[self.add_msg], **corpus_events,
                               **private)
            self.remove_btn.click(self.ask_remove, [self.remove_pick], [self.confirm_box, self.confirm_text],
                                  queue=False, **private)
            self.cancel_btn.click(self.cancel_remove, None, [self.confirm_box, self.remove_msg], queue=False, **private)
            self.confirm_btn.click(self.confirm_remove, [self.remove_pick, docs, self.seen],
                                   [self.confirm_box, self.remove_msg, *views], show_progress_on=[self.remove_msg],
                                   **corpus_events, **private)
        # the API: plain, named parameters (gradio_client)
        with gr.Column(visible=False):
            api_file = gr.File(label="file", type="filepath")
            api_title = gr.Textbox(value="", label="title")
            api_publisher = gr.Textbox(value="", label="publisher")
            api_date = gr.Textbox(value="", label="date")
            api_kind = gr.Textbox(value="", label="kind")
            api_filename = gr.Textbox(value="", label="filename")
            api_doc_id = gr.Textbox(label="doc_id")
            api_result = gr.JSON(label="result")
            api_docs = gr.JSON(label="documents")
            add_btn, remove_btn, list_btn = gr.Button("add"), gr.Button("remove"), gr.Button("documents")
        add_btn.click(self.api_add, [api_file, api_title, api_publisher, api_date, api_kind, api_filename], [api_result],
                      api_name="add_document", **corpus_events)
        remove_btn.click(self.api_remove, [api_doc_id], [api_result], api_name="remove_document", **corpus_events)
        list_btn.click(self.api_documents, None, [api_docs], api_name="documents", queue=False)
