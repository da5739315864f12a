"""Two real app processes (`rag serve`) sharing one PostgreSQL index: both answer; one restarts on a changed
corpus and re-indexes while the other keeps answering, then both answer from the new index."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT, free_port, postgres_settings
from .test_postgres_cli import NEW_DOC, env_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
pytest.importorskip("psycopg", reason="psycopg is not installed: bash scripts/setup.sh installs the postgres extra")

QUESTION = "Combien de territoires se sont engagés dans la phase II de « Territoires d'industrie » ?"
NEW_QUESTION = "Combien de trains par semaine le terminal ferroviaire de fret du port de Dunkerque peut-il traiter ?"


class App:
    """A `rag serve` process; its stderr (build progress, "Ready in") goes to a file."""

    def __init__(self, settings, log: Path):
        self.port, self.log = free_port(), log
        self.proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(self.port)], cwd=ROOT,
                                     env=env_for(settings), stdout=subprocess.DEVNULL, stderr=log.open("w"))
        self.url = f"http://127.0.0.1:{self.port}/"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while "Ready in" not in self.output():
            assert self.proc.poll() is None, f"rag serve exited: {self.output()[-2000:]}"
            assert time.monotonic() < deadline, f"rag serve not ready: {self.output()[-2000:]}"
            time.sleep(0.5)
        urllib.request.urlopen(self.url, timeout=30).read()

    def ask(self, question: str) -> dict:
        from gradio_client import Client

        client = Client(self.url, analytics_enabled=False, verbose=False)
        try:
            return client.predict(question, api_name="/chat")[1]
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)


def test_two_apps_share_one_index_and_one_reindexes_while_the_other_answers(postgres, corpus_copy, tmp_path):
    settings = [postgres_settings(tmp_path / f"index-{name}", postgres.url, "rag_shared", corpus_dir=corpus_copy)
                for name in ("a", "b")]
    apps = [App(s, tmp_path / f"app-{i}.log") for i, s in enumerate(settings)]  # started together: one builds, one waits
    try:
        for app in apps:
            app.wait_ready()
        first = [app.ask(QUESTION) for app in apps]
        assert all(not r["abstained"] and "18" in r["answer"] for r in first), first
        assert first[0]["answer"] == first[1]["answer"]
        assert sum("Index written to PostgreSQL" in app.output() for app in apps) == 1  # built once, for both

        # App A restarts on a corpus with a new document and re-indexes it; app B answers meanwhile.
        (corpus_copy / "dunkerque-terminal-ferroviaire.txt").write_text(NEW_DOC, encoding="utf-8")
        apps[0].stop()
        apps[0] = App(settings[0], tmp_path / "app-0-restarted.log")
        during, errors, done = [], [], threading.Event()

        def keep_asking():
            while not done.is_set():
                try:
                    before = apps[0].output()
                    answer = apps[1].ask(QUESTION)
                    during.append((before, answer, apps[0].output()))
                except Exception as exc:  # noqa: BLE001 - reported below
                    errors.append(repr(exc))

        asker = threading.Thread(target=keep_asking)
        asker.start()
        try:
            apps[0].wait_ready()
        finally:
            done.set()
            asker.join(120)
        assert not errors, errors
        assert "Index written to PostgreSQL" in apps[0].output(), apps[0].output()[-2000:]
        # an ask overlapped A's build when it started before the build ended and ended after it began (a slow
        # ask on a loaded machine can span the whole build)
        while_building = [r for before, r, after in during if "Index written" not in before and "Reading" in after]
        assert while_building, "app B was not asked anything while app A was re-indexing"
        assert all(not r["abstained"] and "18" in r["answer"] for _, r, _ in during)

        for app in apps:  # both answer from the new index: B follows it without a restart
            result = app.ask(NEW_QUESTION)
            assert not result["abstained"] and "quarante" in result["answer"], result["answer"]
            assert any(c["doc_id"] == "dunkerque-terminal-ferroviaire" for c in result["citations"])
    finally:
        for app in apps:
            app.stop()
