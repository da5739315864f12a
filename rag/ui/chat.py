"""The chat's handlers: answering (streamed, with every failure turned into a French message), the
sources panel, votes, and the /chat and /feedback API; session state is a list of turns."""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

from rag.answer.streaming import DRAFTING_LABEL
from rag.errors import InputError, RagError
from rag.schema import Answer
from rag.settings import Settings
from rag.ui import render as R
from rag.ui.feedback import record_feedback

log = logging.getLogger("rag.app")

INTERNAL_ERROR = ("Désolé, une erreur interne a empêché de répondre à cette question. Elle a été enregistrée "
                  "dans le journal du serveur ; réessayez ou reformulez la question.")
NO_DOCUMENT = "Aucun document sélectionné : cochez au moins un document dans « Paramètres »."

def streaming_markdown(text: str, drafting: bool) -> str:
    """The chat text of an answer still streaming: its verified sentences, then "rédaction…" while the
    LLM writes the next one (the sentence itself appears only once verified)."""
    body = R.text_to_markdown(text)
    if not drafting:
        return body
    return f"{body}\n\n_{DRAFTING_LABEL}_" if body else f"_{DRAFTING_LABEL}_"


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


