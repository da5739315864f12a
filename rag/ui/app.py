"""The web app: a French chat over the corpus with cited, highlighted sources (Gradio wiring and launch;
the handlers are rag.ui.chat.ChatApp, the Corpus tab rag.ui.corpus_tab).

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

from rag.settings import Settings, load_settings
from rag.ui import corpus_tab
from rag.ui import render as R
from rag.ui.chat import ChatApp
from rag.ui.feedback import feedback_path

log = logging.getLogger("rag.app")

TITLE = "Assistant — politique industrielle des Hauts-de-France"
EXAMPLES = [  # one per document of the shipped corpus
    "Qu'est-ce que le « Pass Drones » adopté par le conseil régional ?",
    "Combien d'euros la task-force régionale pour la défense doit-elle mobiliser ?",
    "Combien de territoires se sont engagés dans la phase II de « Territoires d'industrie » ?",
    "De combien la région a-t-elle réduit les délais d'implantation des entreprises ?",
    "Combien de fiches variables le collège de prospective a-t-il élaborées ?",
]
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

