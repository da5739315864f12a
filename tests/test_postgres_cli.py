"""The `rag` command on the PostgreSQL store (RAG_STORE=postgres), as a user runs it, against a real server:
index, retrieve and ask like the files store, incremental re-indexing, a killed build, one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from .conftest import ROOT, free_port, postgres_settings

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed: bash scripts/setup.sh installs the postgres extra")

NEW_DOC = """Un terminal ferroviaire pour le port de Dunkerque

Le Grand Port Maritime de Dunkerque inaugure un terminal ferroviaire de fret capable de traiter quarante trains
par semaine. Le chantier a coûté dix-huit millions d'euros, financés par la Région, l'État et le port.
"""


def env_for(settings, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update({"RAG_INDEX_DIR": str(settings.index_dir), "RAG_CORPUS_DIR": str(settings.corpus_dir), "RAG_STORE": settings.store})
    if settings.store == "postgres":
        env.update({"RAG_DATABASE_URL": settings.database_url.get_secret_value(), "RAG_DATABASE_SCHEMA": settings.database_schema})
    return {**env, **extra}


def run_rag(args, settings, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], cwd=ROOT, env=env_for(settings, **extra),
                          capture_output=True, text=True, timeout=600)


def retrieved(args, settings) -> list[str]:
    out = run_rag(["retrieve", *args, "--json"], settings)
    assert out.returncode == 0, out.stderr
    return [p["chunk_id"] for p in json.loads(out.stdout)["passages"]]


def test_retrieve_and_ask_give_what_the_files_store_gives(pg_index_settings, index_settings):
    out = run_rag(["index"], pg_index_settings)
    assert out.returncode == 0 and "up to date" in out.stdout and "PostgreSQL" in out.stdout, out.stdout + out.stderr
    for args in (["Combien d'emplois représentent les gigafactories ?", "-k", "5"],
                 ["drones", "--doc", "mediacites-2025-defense-eldorado", "--mode", "bm25"],
                 ["Selon la lettre de 2021, que désigne le ZAN ?", "--mode", "dense", "-k", "3"]):
        assert retrieved(args, pg_index_settings) == retrieved(args, index_settings), args
    question = "Quel montant la task-force régionale doit-elle mobiliser ?"
    answers = [json.loads(run_rag(["ask", question, "--json"], s).stdout) for s in (pg_index_settings, index_settings)]
    assert answers[0]["answer"] == answers[1]["answer"] and not answers[0]["abstained"]
    assert [c["quote"] for c in answers[0]["citations"]] == [c["quote"] for c in answers[1]["citations"]]


def test_reindex_embeds_only_new_text_and_reuses_the_vectors_in_the_database(postgres, corpus_copy, tmp_path):
    settings = postgres_settings(tmp_path / "index", postgres.url, "rag_incremental", corpus_dir=corpus_copy)
    first = run_rag(["index"], settings)
    assert first.returncode == 0, first.stderr
    (corpus_copy / "dunkerque-terminal-ferroviaire.txt").write_text(NEW_DOC, encoding="utf-8")
    second = run_rag(["index"], settings)
    assert second.returncode == 0, second.stderr
    embedded = json.loads(run_rag(["index", "--quiet"], settings).stdout or "null")  # up to date: prints nothing
    assert embedded is None
    chunks = int(second.stdout.split("sentences (")[1].split(" chunks")[0])
    assert 0 < chunks <= 2, second.stdout  # only the new document's chunk(s)
    assert any("terminal ferroviaire" in p for p in [json.loads(run_rag(["retrieve", "terminal ferroviaire de fret", "--json"],
                                                                        settings).stdout)["passages"][0]["text"]])
    # Another machine (no local embedding cache) rebuilding the same corpus embeds nothing: the database has it all.
    elsewhere = settings.model_copy(update={"index_dir": tmp_path / "elsewhere"})
    rebuilt = run_rag(["index", "--rebuild"], elsewhere)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "(0 chunks and 0 sentences embedded" in rebuilt.stdout and "Reusing" in rebuilt.stderr, rebuilt.stdout + rebuilt.stderr


def test_add_and_remove_a_document_on_the_postgres_store(postgres, corpus_copy, tmp_path):
    """`rag add` then `rag remove`, as a user runs them with RAG_STORE=postgres, and a running app's assistant
    (rag.corpus.live) following both: the new document is answered from, then refused once removed."""
    from rag.assistant import Assistant
    from rag.corpus.indexing import build_in_child
    from rag.corpus.live import LiveAssistant

    settings = postgres_settings(tmp_path / "index", postgres.url, "rag_add_remove", corpus_dir=corpus_copy)
    assert run_rag(["index", "--quiet"], settings).returncode == 0
    live = LiveAssistant(Assistant(settings))
    question = "Combien de trains par semaine le terminal ferroviaire de fret du port de Dunkerque peut-il traiter ?"
    assert live.current.assistant.ask(question).abstained

    new_file = tmp_path / "terminal.txt"
    new_file.write_text(NEW_DOC, encoding="utf-8")
    added = run_rag(["add", str(new_file), "--name", "dunkerque-terminal.txt", "--quiet"], settings)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("Added dunkerque-terminal (dunkerque-terminal.txt): 1 chunks"), added.stdout
    assert "The index holds 6 documents" in added.stdout
    assert live.behind_disk()  # the app sees the new generation and swaps in an assistant over it
    snapshot = live.reload()
    assert "dunkerque-terminal" in snapshot.by_id
    answer = snapshot.assistant.ask(question)
    assert not answer.abstained and "quarante" in answer.answer and answer.citations[0].doc_id == "dunkerque-terminal"

    removed = run_rag(["remove", "dunkerque-terminal", "--quiet"], settings)
    assert removed.returncode == 0 and "The index holds 5 documents" in removed.stdout, removed.stdout + removed.stderr
    snapshot = live.reload()
    assert "dunkerque-terminal" not in snapshot.by_id and snapshot.assistant.ask(question).abstained
    # the app's own indexing runs in a child process: it gets the database URL, which settings mask
    assert build_in_child(settings) is None  # up to date: nothing to build, and no "****" URL to fail on


def test_a_killed_build_leaves_the_previous_index_serving(postgres, pg_index_settings, tmp_path):
    """The build is held at its very end (the test keeps a lock on the pointer row's table), killed, then let go:
    readers are served throughout, the old index stays current and the killed generation leaves nothing."""
    settings = postgres_settings(tmp_path / "index", postgres.url, "rag_killed")
    assert run_rag(["index"], settings).returncode == 0
    question = ["Combien de territoires sont engagés dans la phase II ?", "-k", "3"]
    before = retrieved(question, settings)
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        gen = conn.execute("SELECT gen FROM rag_killed.current").fetchone()[0]
        conn.execute("BEGIN; LOCK TABLE rag_killed.current IN SHARE MODE")
        build = subprocess.Popen([sys.executable, "-m", "rag.cli", "index", "--rebuild", "--quiet"], cwd=ROOT, env=env_for(settings),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 300
            waiting = "SELECT pid FROM pg_locks WHERE NOT granted AND relation = 'rag_killed.current'::regclass"
            while not (blocked := conn.execute(waiting).fetchall()):
                assert build.poll() is None and time.monotonic() < deadline, "the build never reached the pointer row"
                time.sleep(0.2)
            assert retrieved(question, settings) == before  # served while the build waits, whole and unfinished
            build.send_signal(signal.SIGKILL)
            build.wait(30)
        finally:
            conn.execute("COMMIT")  # let the orphaned server session go on: its transaction is never committed
            build.kill()
        deadline = time.monotonic() + 60
        while conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [blocked[0][0]]).fetchone()[0]:
            assert time.monotonic() < deadline, "the killed build's session did not end"
            time.sleep(0.2)
        assert conn.execute("SELECT gen FROM rag_killed.current").fetchone()[0] == gen
        assert conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rag_killed_g%'").fetchall() == [(f"rag_killed_g{gen}",)]
    assert retrieved(question, settings) == before
    again = run_rag(["index", "--rebuild"], settings)  # the build lock went with the killed session
    assert again.returncode == 0 and f"(generation {gen + 1})" in again.stderr, again.stderr  # the killed one left no trace
    assert retrieved(question, settings) == before


def test_an_unreachable_database_is_one_line_naming_the_setting(pg_index_settings):
    out = run_rag(["retrieve", "drones"], pg_index_settings, RAG_DATABASE_URL=f"postgresql://rag:secret@127.0.0.1:{free_port()}/rag",
                  RAG_DATABASE_CONNECT_TIMEOUT="3")
    assert out.returncode == 1 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "unreachable" in lines[0] and "RAG_DATABASE_URL" in lines[0] and "secret" not in lines[0], out.stderr


def test_the_postgres_store_without_a_url_is_a_settings_error(index_settings):
    out = run_rag(["retrieve", "drones"], index_settings, RAG_STORE="postgres")
    assert out.returncode == 2 and "RAG_DATABASE_URL" in out.stderr and len(out.stderr.strip().splitlines()) == 1
