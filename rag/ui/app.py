"""The web app: a French chat over the corpus with cited, highlighted sources (Gradio wiring only).

Run it with `rag serve` (or `python app.py` in a checkout): the index is built first when missing
(progress in the terminal), then the app serves on http://127.0.0.1:7860 (RAG_HOST, RAG_PORT, RAG_AUTH).
Answering lives in `rag.assistant.Assistant`, rendering in `rag.ui.render`, votes in `rag.ui.feedback`.

Named API endpoints (for `gradio_client`; one Client = one session = one conversation):
  /chat(question, history, doc_ids, mode, k, answerer) -> streams (answer_text, result)
        `result` is None while streaming, then the `rag ask --json` record plus "turn";
        an empty `history` means "this session's conversation so far".
  /feedback(liked, turn, comment) -> the record appended to RAG_FEEDBACK_DIR/feedback.jsonl
  /new_conversation() -> forgets this session's conversation.
  /add_document(file, title, publisher, date, kind, filename) -> {"doc_id", "n_chunks", ...} or {"error"}
  /remove_document(doc_id) -> {"doc_id", "removed", ...} or {"error"}
  /documents() -> every corpus file with its status (rag.ui.corpus_tab).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import rag  # noqa: F401  (sets the offline environment: no analytics, no hub, before gradio is imported)
import gradio as gr

from rag.answer.streaming import DRAFTING_LABEL
from rag.ui import render as R
from rag.ui import corpus_tab
from rag.errors import InputError, RagError
from rag.ui.feedback import feedback_path, record_feedback
from rag.schema import Answer
from rag.settings import Settings, load_settings

log = logging.getLogger("rag.app")

TITLE = "Assistant — politique industrielle des Hauts-de-France"
EXAMPLES = [  # one per document of the shipped corpus
    "Qu'est-ce que le « Pass Drones » adopté par le conseil régional ?",
    "Combien d'euros la task-force régionale pour la défense doit-elle mobiliser ?",
    "Combien de territoires se sont engagés dans la phase II de « Territoires d'industrie » ?",
    "De combien la région a-t-elle réduit les délais d'implantation des entreprises ?",
    "Combien de fiches variables le collège de prospective a-t-il élaborées ?",
]
INTERNAL_ERROR = ("Désolé, une erreur interne a empêché de répondre à cette question. Elle a été enregistrée "
                  "dans le journal du serveur ; réessayez ou reformulez la question.")
NO_DOCUMENT = "Aucun document sélectionné : cochez au moins un document dans « Paramètres »."
CONCURRENCY_ID = "answer"  # the chat box and the /chat API share one concurrency limit

CSS = """
#rag-sources { max-height: 720px; overflow-y: auto; }
.rag-sources { font-size: 0.92em; line-height: 1.45; }
.rag-sources h4 { margin: 0.6em 0 0.3em; }
.rag-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.5em 0.7em; margin: 0.5em 0; background: var(--background-fill-secondary); }
.rag-source header { margin-bottom: 0.2em; }
.rag-n { font-weight: 700; color: var(--color-accent); }
.rag-meta { color: var(--body-text-color-subdued); font-size: 0.88em; margin-bottom: 0.3em; }
.rag-passage { margin: 0; padding-left: 0.6em; border-left: 3px solid var(--border-color-accent); white-space: normal; }
mark.rag-quote { background: #ffe58a; color: #1f1f1f; padding: 0 2px; border-radius: 2px; }
.rag-refusal { background: #fff4e5; color: #663c00; border-radius: 6px; padding: 0.4em 0.6em; margin: 0.4em 0; }
.rag-standalone, .rag-timing, .rag-empty { color: var(--body-text-color-subdued); font-size: 0.88em; }
.rag-others summary { cursor: pointer; margin-top: 0.5em; }
table.rag-corpus { width: 100%; border-collapse: collapse; font-size: 0.92em; }
table.rag-corpus th, table.rag-corpus td { text-align: left; vertical-align: top; padding: 0.4em 0.6em; border-bottom: 1px solid var(--border-color-primary); }
table.rag-corpus td.rag-num { text-align: right; white-space: nowrap; }
table.rag-corpus code { font-size: 0.85em; color: var(--body-text-color-subdued); }
.rag-skipped { margin-top: 0.8em; font-size: 0.92em; }
.rag-skipped small { color: var(--body-text-color-subdued); }
"""


def streaming_markdown(text: str, drafting: bool) -> str:
    """The chat text of an answer still streaming: its verified sentences, then "rédaction…" while the
    LLM writes the next one (the sentence itself appears only once verified)."""
    body = R.text_to_markdown(text)
    if not drafting:
        return body
    return f"{body}\n\n_{DRAFTING_LABEL}_" if body else f"_{DRAFTING_LABEL}_"


# --- launching ----------------------------------------------------------------------------------

def launch_kwargs(settings: Settings, host: str | None = None, port: int | None = None) -> dict[str, Any]:
    """Arguments of `Blocks.launch()` that keep the app private and offline (used by main, tests, bench)."""
    auth = tuple(settings.auth.split(":", 1)) if settings.auth else None
    return dict(
        server_name=host or settings.host,
        server_port=port or settings.port,
        share=False,  # never open a public tunnel
        auth=auth,
        auth_message="Identifiez-vous pour accéder à l'assistant." if auth else None,
        # No allowed_paths: the app serves no file of its own folders (a corpus page with <script>, served
        # inline, would run on the app's origin; metadata.json would be downloadable). Documents are shown
        # through the app's views only (the Corpus tab's text box), and these folders are blocked outright.
        blocked_paths=[str(settings.corpus_dir), str(settings.index_dir), str(settings.feedback_dir)],
        # Gradio refuses larger uploads before they reach the disk; without uploads, cap anything that tries
        max_file_size=int(settings.max_upload_mb * 1_000_000) if settings.uploads_allowed else "1mb",
        enable_monitoring=False,
        ssr_mode=False,  # server-side rendering would need Node.js; the static frontend is enough
        pwa=False,
        mcp_server=False,
        footer_links=["api"],
        show_error=False,  # exceptions become French chat messages, never raw tracebacks
        theme=gr.themes.Soft(),  # built-in theme with local fonts: nothing is fetched from the internet
        css=CSS + corpus_tab.CSS,
    )


# --- the app -------------------------------------------------------------------------------------

def _whole_number(value: Any) -> int:
    """`value` as a whole number (3, 3.0, "3"), or -1 when it is not one ("abc", 3.5, [1], true)."""
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        return -1
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return -1


class ChatApp:
    """Session-free handlers around one Assistant; per-session state is a list of turns.

    A turn is {"question", "answer": Answer | None, "history", "options", "error"}; failed turns
    are kept too so that message positions in the chat map to turns (for votes and the sources panel).
    """

    def __init__(self, assistant, settings: Settings):
        from rag.corpus.jobs import IndexingQueue
        from rag.corpus.live import LiveAssistant

        self.settings = settings
        # Documents are added and removed while the app serves: the assistant and what is shown about its
        # index come from the live snapshot, read once per question (in-flight answers finish on theirs).
        self.live = LiveAssistant(assistant)
        self.jobs = IndexingQueue(self.live)

    @property
    def assistant(self):
        return self.live.current.assistant

    @property
    def index(self):
        return self.live.current.index

    @property
    def doc_list(self) -> list[dict[str, Any]]:
        return self.live.current.documents

    @property
    def documents(self) -> dict[str, dict[str, Any]]:
        return self.live.current.by_id

    # --- answering ------------------------------------------------------------------------------
    def options(self, doc_ids, mode, k, answerer) -> dict[str, Any]:
        """Assistant keyword options from the control values (defaults from settings). API callers may send
        anything: a wrong type gets a French InputError, never a crash."""
        if isinstance(doc_ids, str):
            doc_ids = [doc_ids] if doc_ids.strip() else None  # one id given as a string, not a list of letters
        if doc_ids and (not isinstance(doc_ids, (list, tuple)) or not all(isinstance(d, str) for d in doc_ids)):
            raise InputError(f"doc_ids doit être une liste d'identifiants de documents (du texte), pas {doc_ids!r:.80}. "
                             f"Documents disponibles : {', '.join(self.documents)}.")
        ids = list(dict.fromkeys(doc_ids)) if doc_ids else None
        unknown = [d for d in ids or [] if d not in self.documents]
        if unknown:
            raise InputError(f"Document inconnu : {', '.join(map(str, unknown))}. "
                             f"Documents disponibles : {', '.join(self.documents)}.")
        if ids is not None and set(ids) >= set(self.documents):
            ids = None  # every document ticked: no filter, same as the command line
        k_val = None if k is None or k == "" else _whole_number(k)
        if k_val is not None and not 1 <= k_val <= 100:
            raise InputError(f"Nombre de passages invalide ({k!r}) : choisissez un nombre entre 1 et 100.")
        if mode and (not isinstance(mode, str) or mode not in R.MODE_LABELS):
            raise InputError(f"Mode de recherche inconnu ({mode!r}) : choisissez parmi {', '.join(R.MODE_LABELS)}.")
        if answerer and (not isinstance(answerer, str) or answerer not in R.ANSWERER_LABELS):
            raise InputError(f"Rédaction inconnue ({answerer!r}) : choisissez parmi {', '.join(R.ANSWERER_LABELS)}.")
        answerer = answerer or None
        if answerer == "llm" and not self.settings.llm_configured:
            raise InputError("Aucun LLM n'est configuré : définissez RAG_LLM_BASE_URL (ou RAG_LLM_MODEL_PATH), "
                             "ou choisissez la rédaction extractive.")
        return {"mode": mode or None, "k": k_val, "doc_ids": ids, "answerer": answerer}

    def answer_stream(self, question: str, history: list[tuple[str, str]], options: dict[str, Any]):
        """Yields ("text", str) while the answer streams (verified sentences only; `.drafting` set while the
        LLM writes the next one), then ("answer", Answer), or ("input", French message)
        for a question that cannot be asked, or ("error", French message) when answering failed.

        Never raises: every failure becomes a readable French message, and unexpected ones are logged."""
        problem = R.question_problem(question, self.settings.max_question_chars)
        if problem:
            yield "input", problem
            return
        try:
            for item in self.assistant.stream(question.strip(), history, **options):
                if isinstance(item, Answer):
                    yield "answer", item
                    return
                yield "text", item  # a str; an LLM's AnswerSoFar also says whether the model is still writing
            raise RuntimeError("the assistant's stream ended without an Answer")
        except InputError as exc:
            log.info("question refused as invalid: %s", exc)
            yield "input", f"Question non valide : {exc}"
        except RagError as exc:
            log.exception("answering failed: %s", question[:200])
            yield "error", f"Impossible de répondre pour l'instant : {exc}"
        except Exception:  # the app must keep serving whatever breaks underneath
            log.exception("unexpected error while answering: %s", question[:200])
            yield "error", INTERNAL_ERROR

    # --- chat box (browser) ---------------------------------------------------------------------
    def respond(self, question, messages, turns, doc_ids, mode, k, answerer):
        """Chat box handler: streams into the chat, then attaches the sources to the answer."""
        messages = list(messages or [])
        turns = list(turns or [])
        question = (question or "").strip()
        history = [(t["question"], t["answer"].answer) for t in turns if t.get("answer") is not None]
        options, question_error = {}, None
        doc_ids = [d for d in doc_ids or [] if d in self.documents]  # a box of a document removed meanwhile
        if not doc_ids:  # in the browser every box unticked means "search nothing", not "search all"
            question_error = NO_DOCUMENT
        else:
            try:
                options = self.options(doc_ids, mode, k, answerer)
            except InputError as exc:
                question_error = str(exc)
        messages.append({"role": "user", "content": question or "(question vide)"})
        messages.append({"role": "assistant", "content": "…"})
        yield messages, gr.skip(), turns, "", gr.skip()
        turn = {"question": question, "answer": None, "history": history, "options": options, "error": None}
        events = [("input", question_error)] if question_error else self.answer_stream(question, history, options)
        panel = gr.skip()
        try:
            for kind, value in events:
                if kind == "text":
                    messages[-1] = {"role": "assistant", "content": streaming_markdown(value, getattr(value, "drafting", False))}
                    yield messages, gr.skip(), turns, gr.skip(), gr.skip()
                elif kind in ("input", "error"):
                    label = "Question non traitée" if kind == "input" else "Erreur"
                    messages[-1] = {"role": "assistant", "content": f"**{label}.** {R.text_to_markdown(value)}"}
                    turn["error"] = value
                else:
                    answer_md = R.render_answer_markdown(value)
                    sources_md = R.render_sources_markdown(value, self.documents) if value.citations else None
                    panel = R.render_sources_html(value, self.documents, turn=len(turns) + 1)
                    turn["answer"] = value
                    messages[-1] = {"role": "assistant", "content": answer_md}
                    if sources_md:  # folded under the answer, so it stays with it however long the chat grows
                        messages.append({"role": "assistant", "content": sources_md,
                                         "metadata": {"title": R.sources_title(value), "status": "done"}})
        except Exception:  # rendering failed: the person still gets a French message and the app keeps serving
            log.exception("could not show the answer to: %s", question[:200])
            turn["answer"], turn["error"], panel = None, INTERNAL_ERROR, gr.skip()
            messages[-1] = {"role": "assistant", "content": f"**Erreur.** {INTERNAL_ERROR}"}
        turns.append(turn)
        yield messages, panel, turns, "", self.turn_picker(turns)

    def turn_picker(self, turns):
        """Dropdown update listing the answered questions (latest selected)."""
        choices = [(f"{i + 1}. {t['question'][:60]}", i) for i, t in enumerate(turns) if t.get("answer") is not None]
        return gr.update(choices=choices, value=choices[-1][1] if choices else None)

    def show_turn(self, turns, index):
        """Sources panel for an earlier answer (its own citations, not the latest ones)."""
        turns = turns or []
        if index is None or not isinstance(index, int) or not (0 <= index < len(turns)) or turns[index].get("answer") is None:
            return gr.skip()
        return R.render_sources_html(turns[index]["answer"], self.documents, turn=index + 1)

    def select_message(self, messages, turns, evt: gr.SelectData):
        """Clicking an answer in the chat shows its sources in the panel."""
        turn = R.turn_of_message(list(messages or []), evt.index)
        if turn is None or turn >= len(turns or []) or (turns[turn].get("answer") is None):
            return gr.skip(), gr.skip()
        return R.render_sources_html(turns[turn]["answer"], self.documents, turn=turn + 1), turn

    def new_conversation(self):
        """Forget the conversation of this session."""
        return [], R.render_sources_html(None, self.documents), [], "", gr.update(choices=[], value=None), ""

    # --- votes ----------------------------------------------------------------------------------
    def vote(self, turns, liked: bool, turn_index: int | None, comment: str | None = None) -> dict[str, Any]:
        """Append a vote on a turn (default: the last answered one) to the feedback file."""
        answered = [i for i, t in enumerate(turns or []) if t.get("answer") is not None]
        if not answered:
            raise InputError("Aucune réponse à évaluer dans cette conversation : posez d'abord une question.")
        if turn_index is None or turn_index < 0:
            turn_index = answered[-1] if turn_index in (None, -1) else len(turns) + turn_index
        if turn_index not in answered:
            raise InputError(f"La réponse n° {turn_index + 1} n'existe pas ou n'a pas abouti.")
        t = turns[turn_index]
        options = {**t["options"], "mode": t["options"].get("mode") or self.settings.retrieval_mode,
                   "k": t["options"].get("k") or self.settings.top_k,
                   "answerer": t["options"].get("answerer") or self.settings.answerer,
                   "embedding_model": self.settings.embedding_model, "turn": turn_index + 1}
        return record_feedback(self.settings, liked=liked, answer=t["answer"], history=t["history"],
                               options=options, comment=comment)

    def like(self, messages, turns, data: gr.LikeData):
        """Thumbs up/down in the chat."""
        liked = data.liked
        if isinstance(liked, str):
            if liked not in ("Like", "Dislike"):
                return gr.skip()  # un-voting: the record already written stays (the file is append-only)
            liked = liked == "Like"
        turn = R.turn_of_message(list(messages or []), data.index)
        try:
            record = self.vote(turns, bool(liked), turn)
        except InputError as exc:
            return str(exc)
        except Exception:
            log.exception("feedback could not be written")
            return f"Votre avis n'a pas pu être enregistré (voir le journal du serveur, dossier {self.settings.feedback_dir})."
        sign = "positif" if record["rating"] == "up" else "négatif"
        return f"Merci : avis {sign} enregistré pour la réponse n° {turn + 1}."

    # --- API ------------------------------------------------------------------------------------
    def api_chat(self, question, history, doc_ids, mode, k, answerer, turns):
        """/chat: streams (answer text so far, None), then (final answer text, result record)."""
        turns = list(turns or [])
        try:
            if question is not None and not isinstance(question, str):
                raise InputError(f"la question doit être du texte, pas {question!r:.80}.")
            pairs = R.normalize_history(history) if history else [
                (t["question"], t["answer"].answer) for t in turns if t.get("answer") is not None]
            options = self.options(doc_ids, mode, k, answerer)
        except (InputError, ValueError) as exc:
            msg = f"Requête non valide : {exc}"
            yield msg, {"error": msg, "error_type": "input"}, turns
            return
        except Exception:  # an argument of a shape nobody foresaw: still a French answer, and a log entry
            log.exception("/chat called with arguments that could not be read")
            yield INTERNAL_ERROR, {"error": INTERNAL_ERROR, "error_type": "internal"}, turns
            return
        question = (question or "").strip()
        turn = {"question": question, "answer": None, "history": pairs, "options": options, "error": None}
        for kind, value in self.answer_stream(question, pairs, options):
            if kind == "text":
                yield str(value), None, gr.skip()
            elif kind in ("input", "error"):
                turn["error"] = value
                turns.append(turn)
                yield value, {"error": value, "error_type": "input" if kind == "input" else "internal"}, turns
                return
            else:
                turn["answer"] = value
                turns.append(turn)
                yield value.answer, {**value.to_json(), "turn": len(turns)}, turns

    def api_feedback(self, liked, turn, comment, turns):
        """/feedback: vote on answer `turn` (1-based; 0 or -1 = the last one) of this session."""
        try:
            if not isinstance(liked, bool):
                raise InputError(f"liked doit valoir true (avis positif) ou false (avis négatif), pas {liked!r:.40}.")
            if turn is not None and (isinstance(turn, bool) or not isinstance(turn, (int, float)) or turn != int(turn)):
                raise InputError(f"turn doit être un numéro de réponse (1 pour la première, -1 pour la dernière), pas {turn!r:.40}.")
            if comment is not None and not isinstance(comment, str):
                raise InputError("comment doit être du texte.")
            index = None if turn in (None, 0, -1) else (int(turn) - 1 if int(turn) > 0 else int(turn))
            return self.vote(turns, liked, index, comment)
        except InputError as exc:
            return {"error": str(exc)}

    def read_document(self, doc_id):
        """Corpus tab: header and whole cleaned text of one document."""
        snap = self.live.current  # one index for both: a swap in between must not split them
        doc = snap.by_id.get(doc_id)
        if doc is None:
            return R.render_document_header(None), ""
        return R.render_document_header(doc), snap.index.document_text(doc_id)


def build_app(assistant=None, settings: Settings | None = None) -> gr.Blocks:
    """The Gradio Blocks of the app, queued with the configured limits (not launched).

    `assistant` defaults to a new `rag.assistant.Assistant(settings)` (which loads the index)."""
    settings = settings or (assistant.settings if assistant is not None else load_settings())
    if assistant is None:
        from rag.assistant import Assistant

        assistant = Assistant(settings)
    app = ChatApp(assistant, settings)
    choices = R.document_choices(app.doc_list)
    all_ids = [d for _, d in choices]

    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_width=True) as demo:
        turns = gr.State([])
        gr.Markdown(f"## {TITLE}\nPosez une question en français sur les documents du corpus : "
                    "la réponse cite ses sources [n], et chaque passage cité apparaît à droite avec la phrase "
                    "qui l'appuie surlignée. Les questions de suivi tiennent compte de la conversation.")
        with gr.Tabs():
            with gr.Tab("Assistant", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=420):
                        chatbot = gr.Chatbot(
                            label="Conversation", show_label=False, elem_id="rag-chat", height=520, buttons=["copy"],
                            feedback_options=("Like", "Dislike"), group_consecutive_messages=False,
                            placeholder="**Bonjour !** Posez une question sur la politique industrielle des Hauts-de-France.",
                        )
                        with gr.Row():
                            question = gr.Textbox(placeholder="Votre question en français…", show_label=False,
                                                  lines=1, max_lines=6, scale=6, elem_id="rag-question", autofocus=True)
                            send = gr.Button("Envoyer", variant="primary", scale=1, min_width=100, elem_id="rag-send")
                        with gr.Row():
                            new_conv = gr.Button("Nouvelle conversation", size="sm", elem_id="rag-new")
                            vote_note = gr.Markdown("", elem_id="rag-vote-note")
                        gr.Examples(EXAMPLES, inputs=[question], label="Exemples de questions (un par document)")
                        with gr.Accordion("Paramètres", open=False, elem_id="rag-settings"):
                            docs = gr.CheckboxGroup(choices, value=all_ids, label="Documents interrogés")
                            mode = gr.Radio([(R.MODE_LABELS[m], m) for m in ("hybrid", "dense", "bm25")],
                                            value=settings.retrieval_mode, label="Mode de recherche")
                            k = gr.Slider(1, 20, value=min(settings.top_k, 20), step=1, label="Nombre de passages")
                            answerer_choices = [(R.ANSWERER_LABELS["extractive"], "extractive")]
                            if settings.llm_configured:
                                model_name = settings.llm_model_path.stem if settings.llm_model_path else settings.llm_model
                                answerer_choices.append((f"{R.ANSWERER_LABELS['llm']} ({model_name})", "llm"))
                            answerer = gr.Radio(answerer_choices, label="Rédaction de la réponse",
                                                value=settings.answerer if settings.llm_configured else "extractive",
                                                visible=settings.llm_configured)
                            if not settings.llm_configured:
                                gr.Markdown("Rédaction : extractive (phrases du corpus, hors ligne). Pour rédiger avec un LLM, "
                                            "définissez `RAG_LLM_BASE_URL` (serveur compatible OpenAI) ou "
                                            "`RAG_LLM_MODEL_PATH` (fichier .gguf local) et relancez.")
                    with gr.Column(scale=2, min_width=320):
                        gr.Markdown("### Sources")
                        turn_pick = gr.Dropdown(choices=[], value=None, label="Sources de la réponse",
                                                interactive=True, elem_id="rag-turn")
                        sources = gr.HTML(R.render_sources_html(None, app.documents), elem_id="rag-sources")
            with gr.Tab("Corpus", id="corpus"):
                corpus = corpus_tab.CorpusTab(app, settings).build()

        # Hidden components: the programmatic API (gradio_client) with plain, named parameters.
        with gr.Column(visible=False):
            api_question = gr.Textbox(label="question")
            api_history = gr.JSON(value=[], label="history")
            api_docs = gr.JSON(value=[], label="doc_ids")
            api_mode = gr.Textbox(value="", label="mode")
            # JSON, not Number: a Number rejects "abc" before the handler runs and the caller gets no message
            api_k = gr.JSON(value=str(settings.top_k), label="k")  # a JSON text: the component warns on a bare int
            api_answerer = gr.Textbox(value="", label="answerer")
            api_answer = gr.Textbox(label="answer")
            api_result = gr.JSON(label="result")
            api_liked = gr.Checkbox(value=True, label="liked")
            api_turn = gr.JSON(value="-1", label="turn")
            api_comment = gr.Textbox(value="", label="comment")
            api_record = gr.JSON(label="record")
            api_chat_btn = gr.Button("chat")
            api_fb_btn = gr.Button("feedback")

        chat_inputs = [question, chatbot, turns, docs, mode, k, answerer]
        chat_outputs = [chatbot, sources, turns, question, turn_pick]
        common = dict(concurrency_limit=settings.concurrency_limit, concurrency_id=CONCURRENCY_ID,
                      api_visibility="undocumented", show_progress="minimal")
        question.submit(app.respond, chat_inputs, chat_outputs, **common)
        send.click(app.respond, chat_inputs, chat_outputs, **common)
        new_conv.click(app.new_conversation, None, [chatbot, sources, turns, question, turn_pick, vote_note],
                       api_name="new_conversation", queue=False)
        # the chat's own trash icon must forget the conversation too, or follow-ups would use a hidden history
        chatbot.clear(app.new_conversation, None, [chatbot, sources, turns, question, turn_pick, vote_note],
                      api_visibility="undocumented", queue=False)
        turn_pick.input(app.show_turn, [turns, turn_pick], [sources], api_visibility="undocumented", queue=False)
        chatbot.select(app.select_message, [chatbot, turns], [sources, turn_pick], api_visibility="undocumented", queue=False)
        chatbot.like(app.like, [chatbot, turns], [vote_note], api_visibility="undocumented", queue=False)
        corpus.wire(demo, docs)
        api_chat_btn.click(app.api_chat, [api_question, api_history, api_docs, api_mode, api_k, api_answerer, turns],
                           [api_answer, api_result, turns], api_name="chat",
                           concurrency_limit=settings.concurrency_limit, concurrency_id=CONCURRENCY_ID)
        api_fb_btn.click(app.api_feedback, [api_liked, api_turn, api_comment, turns], [api_record],
                         api_name="feedback", queue=False)

    demo.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.max_queue)
    demo.rag_app = app  # for tests and benchmarks: the handlers and the assistant behind the page
    return demo


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Build the index if needed (progress in the terminal), load the assistant, then serve until Ctrl+C."""
    from rag.index.store import ensure_index

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if host:  # the address decides whether uploads are allowed by default (RAG_ALLOW_UPLOAD unset)
        settings = settings.model_copy(update={"host": host})
    t0 = time.perf_counter()
    ensure_index(settings)  # prints its progress to stderr; a no-op when the index is fresh
    from rag.assistant import Assistant

    assistant = Assistant(settings)
    if settings.llm_model_path is not None:  # start llama.cpp now: a bad model file fails here, not at the first question
        llm = assistant.llm()
        print(f"Local model {settings.llm_model_path.name} served by llama.cpp at {llm.settings.llm_base_url} "
              f"({settings.llm_threads} thread(s)).", file=sys.stderr, flush=True)
    demo = build_app(assistant, settings)
    demo.launch(prevent_thread_lock=True, **launch_kwargs(settings, host, port))
    print(f"Ready in {time.perf_counter() - t0:.1f} s: {demo.local_url} (feedback goes to {feedback_path(settings)}). "
          "Ctrl+C to stop.", file=sys.stderr, flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        demo.close()

