"""The `rag` command: parses arguments, calls the package, prints. Errors become one line, never a traceback.

Every subcommand's arguments and printing live here; the package below only returns data. Heavy modules
(the embedding model, Gradio) are imported inside the handlers, so `rag --help` stays instant. It is
longer than the project's usual ~300 lines because it is the one place for all argparse and printing:
each command is a small `_add_<name>` / `_cmd_<name>` pair.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Callable

from rag.errors import InputError, RagError, SettingsError

EXIT_USAGE = 2  # bad input: argparse's own convention
EXIT_ERROR = 1
MODES = ("dense", "bm25", "hybrid")
ANSWERERS = ("extractive", "llm")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error on one line."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _settings():
    from rag.settings import load_settings

    return load_settings()


# --- rag index --------------------------------------------------------------------------------------

def _add_index(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rebuild", action="store_true", help="rebuild even when the index is up to date")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _cmd_index(args: argparse.Namespace) -> int:
    from rag.index.store import ensure_index, open_store

    settings = _settings()
    stats = ensure_index(settings, rebuild=args.rebuild, quiet=args.quiet)
    index = open_store(settings)
    if not args.quiet:
        if stats is None:
            print(f"Index is up to date: {index.manifest['n_chunks']} chunks from {index.manifest['n_documents']} documents in {index.path}")
        else:
            print(f"Indexed {stats['n_documents']} documents into {stats['n_chunks']} chunks and "
                  f"{stats.get('n_sentences', 0)} sentences ({stats['embedded']} chunks and "
                  f"{stats.get('embedded_sentences', 0)} sentences embedded, the rest reused) in {stats['seconds']:.1f} s")
    return 0


# --- rag retrieve -----------------------------------------------------------------------------------

def _add_search_options(p: argparse.ArgumentParser, k_help: str) -> None:
    p.add_argument("question", help="the question, in French (or English)")
    p.add_argument("-k", type=int, default=None, help=k_help)
    p.add_argument("--mode", default=None, choices=MODES, help="retrieval mode (default: RAG_RETRIEVAL_MODE)")
    p.add_argument("--doc", action="append", default=None, metavar="ID", help="only search this document id (repeatable)")


def _add_retrieve(p: argparse.ArgumentParser) -> None:
    _add_search_options(p, "number of passages (default: RAG_TOP_K)")
    p.add_argument("--json", action="store_true", help="print the JSON contract instead of text")


def _cmd_retrieve(args: argparse.Namespace) -> int:
    from rag.retrieval.retriever import validate_request

    settings = _settings()
    validate_request(settings, args.question, args.k, args.mode)  # fail fast, before loading the model
    from rag.index.store import load_index
    from rag.retrieval.retriever import Retriever

    retriever = Retriever(load_index(settings, quiet=False), settings)
    t0 = time.perf_counter()
    passages = retriever.search(args.question, k=args.k, mode=args.mode, doc_ids=args.doc)
    elapsed = (time.perf_counter() - t0) * 1000
    if args.json:
        print(json.dumps({"question": args.question, "passages": [p.to_json() for p in passages],
                          "timings_ms": {"retrieve": round(elapsed, 2)}}, ensure_ascii=False, indent=2))
        return 0
    for p in passages:
        print(f"[{p.rank}] {p.chunk.title} ({p.doc_id}) score={p.score:.3f}")
        print("    " + p.text.replace("\n", " ")[:400])
    print(f"({elapsed:.1f} ms)")
    return 0


# --- rag ask ----------------------------------------------------------------------------------------

def _add_ask(p: argparse.ArgumentParser) -> None:
    _add_search_options(p, "passages retrieved (default: RAG_TOP_K)")
    p.add_argument("--history", type=Path, default=None, help='JSON file: [["question", "answer"], ...], oldest first')
    p.add_argument("--answerer", default=None, choices=ANSWERERS, help="who writes the answer (default: RAG_ANSWERER)")
    p.add_argument("--json", action="store_true", help="print the JSON contract")


def _read_history(path: Path | None) -> list[tuple[str, str]] | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [(str(u), str(a)) for u, a in data]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError) as exc:
        raise InputError(f"--history {path}: expected a JSON list of [question, answer] pairs ({exc}).") from None


def _cmd_ask(args: argparse.Namespace) -> int:
    from rag.retrieval.retriever import validate_request

    settings = _settings()
    validate_request(settings, args.question, args.k, args.mode)  # fail fast, before loading the model
    history = _read_history(args.history)
    from rag.assistant import Assistant

    answer = Assistant(settings).ask(args.question, history, mode=args.mode, k=args.k, doc_ids=args.doc,
                                     answerer=args.answerer)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return 0
    if answer.notice:
        print(f"({answer.notice})\n")
    print(answer.answer)
    for c in answer.citations:
        print(f"\n[{c.n}] {c.title} ({c.doc_id})\n    « {c.quote} »")
    if answer.abstained and answer.passages:  # nothing quoted: where the reader may look instead
        from rag.ui.render import CLOSEST_PASSAGES  # as the app's sources panel says it

        print(f"\n{CLOSEST_PASSAGES} :")
        for p in answer.passages[:CLOSEST_SHOWN]:
            print(f"[{p.rank}] {p.chunk.title} ({p.doc_id})\n    {' '.join(p.text.split())[:300]}")
    return 0


CLOSEST_SHOWN = 3  # passages printed after a refusal


# --- rag eval ---------------------------------------------------------------------------------------

def _add_eval(p: argparse.ArgumentParser) -> None:
    from rag.evaluation.questions import DEFAULT_QUESTIONS

    p.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS,
                   help="question set, JSONL in the contract's format (default: the shipped set, "
                        "rag/evaluation/data/questions.jsonl)")
    p.add_argument("--out", type=Path, default=Path("eval-out"),
                   help="folder for results.jsonl, metrics.json, report.md and charts (default: eval-out)")
    p.add_argument("--mode", default=None, choices=MODES, help="retrieval mode (default: RAG_RETRIEVAL_MODE)")
    p.add_argument("--answerer", default=None, choices=ANSWERERS, help="who writes answers (default: RAG_ANSWERER)")
    p.add_argument("--compare", action="store_true",
                   help="also compare dense / bm25 / hybrid retrieval and the naive LangChain baseline")
    p.add_argument("--no-progress", action="store_true", help="do not show the progress bar")


_EVAL_SUMMARY = (
    ("answer.accuracy", "questions handled correctly"),
    ("answer.all_facts", "answerable questions with every expected fact"),
    ("answer.fact_recall", "expected facts found in answers"),
    ("retrieval.hit@5", "right passage in the top 5"),
    ("retrieval.mrr", "mean reciprocal rank"),
    ("citation.precision", "citations that support their sentence"),
    ("citation.recall", "answer sentences with a supporting citation"),
    ("abstention.recall", "unanswerable questions refused"),
    ("abstention.false_rate", "answerable questions wrongly refused"),
    ("latency.total.median_ms", "median time per question (ms)"),
)


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _cmd_eval(args: argparse.Namespace) -> int:
    from rag.evaluation.run import run_evaluation

    settings = _settings()
    result = run_evaluation(args.questions, args.out, settings, mode=args.mode, answerer=args.answerer,
                            compare=args.compare, progress=not args.no_progress)
    for err in result["load_errors"]:
        print(f"skipped {args.questions}: {err}", file=sys.stderr)
    m = result["metrics"]
    print(f"Evaluated {m['n.questions']} questions in {result['run']['seconds']} s "
          f"({m['n.errors']} failed, {len(result['load_errors'])} malformed lines skipped)")
    width = max(len(k) for k, _ in _EVAL_SUMMARY)
    for key, label in _EVAL_SUMMARY:
        print(f"  {key:<{width}}  {_fmt(m.get(key)):>7}  {label}")
    if m.get("followup.n"):
        print(f"Follow-ups vs standalone ({m['followup.n']} pairs): fact recall {_fmt(m.get('followup.fact_recall'))} "
              f"vs {_fmt(m.get('followup.standalone.fact_recall'))}, hit@5 {_fmt(m.get('followup.hit@5'))} "
              f"vs {_fmt(m.get('followup.standalone.hit@5'))}")
    if result["compare"]:
        print("Retrieval comparison (hit@5 / MRR / nDCG@10):")
        for name, sm in result["compare"]["systems"].items():
            print(f"  {name:<46} {_fmt(sm['hit@5'])} / {_fmt(sm['mrr'])} / {_fmt(sm['ndcg@10'])}")
    print("Written:")
    for path in result["paths"].values():
        print(f"  {path}")
    return 0


# --- rag clean --------------------------------------------------------------------------------------

def _add_clean(p: argparse.ArgumentParser) -> None:
    p.add_argument("doc", nargs="?", default=None, help="a document id (default: all documents)")
    p.add_argument("--report", action="store_true", help="print what each repair changed (the default action)")


def _cmd_clean(args: argparse.Namespace) -> int:
    from rag.ingest.clean_report import render_clean_report
    from rag.ingest.loaders import load_documents

    settings = _settings()
    docs = load_documents(settings.corpus_dir, settings.max_document_mb, pdf_engine=settings.pdf_engine)
    if args.doc and args.doc not in {d.doc_id for d in docs}:
        raise InputError(f"Unknown document id {args.doc!r}. Known ids: {', '.join(d.doc_id for d in docs)}.")
    print(render_clean_report(docs, doc_id=args.doc))
    return 0


# --- rag add / rag remove ---------------------------------------------------------------------------

def _add_add(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="a .pdf, .docx, .txt, .md or .html file (its type is checked on its content)")
    p.add_argument("--title", help="the document's title (default: from the file)")
    p.add_argument("--publisher", help="who published it")
    p.add_argument("--date", help="its date: YYYY, YYYY-MM or YYYY-MM-DD")
    p.add_argument("--kind", help="what it is (article, report, press release...)")
    p.add_argument("--name", help="file name in the corpus, which gives the document id (default: the file's name)")
    p.add_argument("--quiet", action="store_true", help="print nothing but the result and errors")


def _cmd_add(args: argparse.Namespace) -> int:
    from rag.corpus.manage import add_document

    record = add_document(_settings(), args.file, name=args.name, title=args.title, publisher=args.publisher,
                          date=args.date, kind=args.kind, quiet=args.quiet)
    if record.get("skipped"):
        print(f"Added {record['file']} to the corpus, but the index skipped it: {record['skipped']}. "
              f"Remove it with `rag remove {record['doc_id']}`.", file=sys.stderr)
        return EXIT_ERROR
    print(f"Added {record['doc_id']} ({record['file']}): {record['n_chunks']} chunks, {record['embedded_chunks']} "
          f"embedded, in {record['seconds']:.1f} s. The index holds {record['n_documents']} documents.")
    return 0


def _add_remove(p: argparse.ArgumentParser) -> None:
    p.add_argument("doc_id", metavar="DOC_ID", help="the document id (its file name without extension; see the Corpus tab)")
    p.add_argument("--quiet", action="store_true", help="print nothing but the result and errors")


def _cmd_remove(args: argparse.Namespace) -> int:
    from rag.corpus.manage import remove_document

    record = remove_document(_settings(), args.doc_id, quiet=args.quiet)
    print(f"Removed {record['doc_id']} ({record['file']} deleted from the corpus). "
          f"The index holds {record['n_documents']} documents.")
    return 0


# --- rag serve --------------------------------------------------------------------------------------

def _add_serve(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=None, help="address to bind (default: RAG_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default: RAG_PORT, 7860)")


def _cmd_serve(args: argparse.Namespace) -> int:
    from rag.ui.app import serve

    serve(_settings(), host=args.host, port=args.port)
    return 0


# --- rag llm-check ------------------------------------------------------------------------------------

def _add_llm_check(p: argparse.ArgumentParser) -> None:
    from rag.answer.llm_check import DEFAULT_QUESTION

    p.add_argument("question", nargs="?", default=DEFAULT_QUESTION, help="the question to send (default: one the corpus answers)")
    p.add_argument("-k", type=int, default=None, help="passages in the prompt (default: RAG_TOP_K)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def _cmd_llm_check(args: argparse.Namespace) -> int:
    from rag.answer.llm_check import run_llm_check
    from rag.retrieval.retriever import validate_request

    settings = _settings()
    validate_request(settings, args.question, args.k, None)
    if not settings.llm_configured:
        raise SettingsError("No LLM configured: set RAG_LLM_BASE_URL (an OpenAI-compatible server) or "
                            "RAG_LLM_MODEL_PATH (a local .gguf file).")
    r = run_llm_check(settings, args.question, args.k)
    if args.json:
        print(json.dumps(r, ensure_ascii=False, indent=2))
        return 0
    local = f" (local {r['local_model']}, {r['threads']} thread(s))" if r["local_model"] else ""
    print(f"LLM server: {r['server']}, model {r['model']!r}{local}")
    print(f"Question: {r['question']}")
    if not r["asked_model"]:
        print("The passages retrieved hold no evidence for this question, so the model was not asked: "
              "try another question.")
        return 0
    speed = "n/a" if r["tokens_per_s"] is None else f"{r['tokens_per_s']:.1f} tokens/s"
    print(f"Latency: first token {_seconds(r['first_token_s'])}, total {_seconds(r['total_s'])}; "
          f"{r['completion_tokens']} tokens generated (counted by the {r['tokens_counted_by']}, cap {r['max_tokens']}), "
          f"{speed} after the first token")
    if r["prompt_tokens"]:
        read = (f", {r['prompt_tokens_read']} read at {r['prompt_tokens_per_s']:.0f} tokens/s (the rest cached)"
                if r.get("prompt_tokens_per_s") else "")
        print(f"Prompt: {r['prompt_tokens']} tokens{read}")
    print(f"Ended by: {r['stop']} (finish_reason {r['finish_reason']})")
    print(f"Sentences: {r['claims']} written, {r['kept_sentences']} verified, {len(r['dropped_sentences'])} dropped; "
          f"citations removed: {r['removed_citations'] or 'none'}")
    verdict = (f"yes ({r['citations_kept']} kept)" if r["citations_survive"] else
               "no: every sentence was dropped, the answer is the refusal")
    print(f"Citations survive verification: {verdict}")
    print(f"Answer: {r['answer']}")
    return 0


COMMANDS: dict[str, tuple[str, Callable, Callable]] = {
    "index": ("build or update the index (only what changed is re-embedded)", _add_index, _cmd_index),
    "retrieve": ("print the passages retrieved for a question", _add_retrieve, _cmd_retrieve),
    "ask": ("answer a question with cited passages", _add_ask, _cmd_ask),
    "eval": ("run a question set and write results, metrics, a report and charts", _add_eval, _cmd_eval),
    "clean": ("report what text cleaning repairs in each document", _add_clean, _cmd_clean),
    "add": ("add a document to the corpus and index it", _add_add, _cmd_add),
    "remove": ("remove a document from the corpus and the index", _add_remove, _cmd_remove),
    "serve": ("launch the chat web app (builds the index first if needed)", _add_serve, _cmd_serve),
    "llm-check": ("send one question to the configured LLM: latency, tokens/s, citations kept", _add_llm_check,
                  _cmd_llm_check),
}


def build_parser(argv: list[str]) -> _Parser:
    """The parser; only the chosen subcommand's arguments are built."""
    parser = _Parser(prog="rag", description="Question answering over the Hauts-de-France industrial-policy corpus.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (help_text, add_args, _) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            add_args(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    try:
        return COMMANDS[args.command][2](args) or 0
    except (InputError, SettingsError) as exc:
        print(f"rag {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RagError as exc:
        print(f"rag {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
