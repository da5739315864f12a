"""The `rag` command: parses arguments, calls the package, prints. Errors become one line, never a traceback."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from typing import Callable

from .errors import InputError, RagError, SettingsError

EXIT_USAGE = 2  # bad input: argparse's own convention
EXIT_ERROR = 1


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error on one line."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _settings(args: argparse.Namespace):
    from .settings import load_settings

    return load_settings()


# --- rag index --------------------------------------------------------------------------------------

def _add_index(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rebuild", action="store_true", help="rebuild even when the index is up to date")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _cmd_index(args: argparse.Namespace) -> int:
    from .index import ensure_index, open_index

    settings = _settings(args)
    stats = ensure_index(settings, rebuild=args.rebuild, quiet=args.quiet)
    index = open_index(settings)
    if not args.quiet:
        if stats is None:
            print(f"Index is up to date: {index.manifest['n_chunks']} chunks from {index.manifest['n_documents']} documents in {index.path}")
        else:
            print(f"Indexed {stats['n_documents']} documents into {stats['n_chunks']} chunks and "
                  f"{stats.get('n_sentences', 0)} sentences ({stats['embedded']} chunks and "
                  f"{stats.get('embedded_sentences', 0)} sentences embedded, the rest reused) in {stats['seconds']:.1f} s")
    return 0


# --- rag retrieve -----------------------------------------------------------------------------------

def _add_retrieve(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", help="the question, in French")
    p.add_argument("-k", type=int, default=None, help="number of passages (default: RAG_TOP_K)")
    p.add_argument("--mode", default=None, help="dense | bm25 | hybrid (default: RAG_RETRIEVAL_MODE)")
    p.add_argument("--doc", action="append", default=None, metavar="ID", help="only search this document id (repeatable)")
    p.add_argument("--json", action="store_true", help="print the JSON contract instead of text")


def _cmd_retrieve(args: argparse.Namespace) -> int:
    from .retrieval import validate_request

    settings = _settings(args)
    validate_request(settings, args.question, args.k, args.mode)  # fail fast, before loading the model
    from .index import load_index
    from .retrieval import Retriever

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


# --- rag clean --------------------------------------------------------------------------------------

def _add_clean(p: argparse.ArgumentParser) -> None:
    p.add_argument("doc", nargs="?", default=None, help="a document id (default: all documents)")
    p.add_argument("--report", action="store_true", help="print what each repair changed (the default action)")


def _cmd_clean(args: argparse.Namespace) -> int:
    from .clean_report import render_report
    from .ingest import load_documents

    settings = _settings(args)
    docs = load_documents(settings.corpus_dir)
    if args.doc and args.doc not in {d.doc_id for d in docs}:
        raise InputError(f"Unknown document id {args.doc!r}. Known ids: {', '.join(d.doc_id for d in docs)}.")
    print(render_report(docs, doc_id=args.doc))
    return 0


# --- rag serve --------------------------------------------------------------------------------------

def _add_serve(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=None, help="address to bind (default: RAG_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default: RAG_PORT, 7860)")


def _cmd_serve(args: argparse.Namespace) -> int:
    """Run app.py's main: the UI wiring lives at the top of the repository, beside the package."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "app.py"
    if not path.is_file():
        raise RagError(f"{path} is missing: `rag serve` runs the app.py of a source checkout (see README).")
    spec = importlib.util.spec_from_file_location("rag_app", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(host=args.host, port=args.port)
    return 0


def _delegate(module: str, add: str, cmd: str) -> tuple[Callable, Callable]:
    """Arguments and handler of a subcommand that lives in its own module (imported only when used)."""
    import importlib

    def add_args(p):
        getattr(importlib.import_module(module, __package__), add)(p)

    def run(args):
        return getattr(importlib.import_module(module, __package__), cmd)(args)

    return add_args, run


COMMANDS: dict[str, tuple[str, Callable, Callable]] = {
    "index": ("build or update the index (only what changed is re-embedded)", _add_index, _cmd_index),
    "retrieve": ("print the passages retrieved for a question", _add_retrieve, _cmd_retrieve),
    "ask": ("answer a question with cited passages", *_delegate(".chain", "add_ask_arguments", "cmd_ask")),
    "eval": ("run a question set and write results, metrics, a report and charts",
             *_delegate(".evaluation", "add_eval_arguments", "cmd_eval")),
    "clean": ("report what text cleaning repairs in each document", _add_clean, _cmd_clean),
    "serve": ("launch the chat web app (builds the index first if needed)", _add_serve, _cmd_serve),
}


def build_parser(argv: list[str]) -> _Parser:
    """The parser; only the chosen subcommand's module is imported."""
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
