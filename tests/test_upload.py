"""Adding and removing documents through the live app (gradio_client) and the command line.

Every test works on a private copy of the corpus with its own index (the embedding cache of the session
is reused, so only the new documents' text is embedded). Documents are real files made here: PDFs
written with reportlab (with running headers and page numbers), Word files with python-docx.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from rag.answer.prompts import REFUSAL

from .conftest import CORPUS, ROOT, launched_app
from .documents import HYDROVERT_PAGES, HYDROVERT_QUESTION, RUNNING_HEADER, make_docx, make_pdf, private_corpus

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus_settings(index_settings, tmp_path_factory):
    return private_corpus(tmp_path_factory.mktemp("upload"), index_settings.index_dir, CORPUS)


@pytest.fixture(scope="module")
def live(corpus_settings):
    from rag.index.store import open_index

    with launched_app(corpus_settings, open_index(corpus_settings)) as demo:
        yield demo


def client_of(demo, **kw):
    from gradio_client import Client

    return Client(demo.local_url, analytics_enabled=False, verbose=False, **kw)


@pytest.fixture()
def client(live):
    c = client_of(live)
    yield c
    c.close()


def add(client, path, title="", publisher="", date="", kind="", filename=""):
    from gradio_client import handle_file

    return client.predict(handle_file(str(path)), title, publisher, date, kind, filename, api_name="/add_document")


def ask(client, question):
    return client.predict(question, api_name="/chat")[1]


def statuses(client):
    return {d["doc_id"]: d for d in client.predict(api_name="/documents")}


def metadata(settings):
    return json.loads((settings.corpus_dir / "metadata.json").read_text(encoding="utf-8"))


def test_uploaded_pdf_is_cited_then_removed_and_refused(live, client, corpus_settings, tmp_path):
    from gradio_client import handle_file

    pdf = make_pdf(tmp_path / "Rapport Hydrovert (2026).pdf", HYDROVERT_PAGES)
    assert ask(client, HYDROVERT_QUESTION)["abstained"], "not in the corpus yet"

    job = client.submit(handle_file(str(pdf)), "", "Région Hauts-de-France", "2026-03", "rapport", "",
                        api_name="/add_document")
    seen = set()
    while not job.done():  # the progress bar's steps, as gradio_client reports them
        for p in job.status().progress_data or []:
            seen.add(p.desc)
        time.sleep(0.2)
    record = job.result()
    assert record["doc_id"] == "rapport-hydrovert-2026" and record["file"] == "rapport-hydrovert-2026.pdf"
    assert record["n_chunks"] >= 1 and record["embedded_chunks"] == record["n_chunks"] <= 3, "only new text embedded"
    assert record["n_documents"] == 6
    assert any("Indexation" in (d or "") for d in seen), seen

    listed = statuses(client)["rapport-hydrovert-2026"]
    assert listed["status"] == "indexed" and listed["publisher"] == "Région Hauts-de-France"
    assert listed["date"] == "2026-03" and listed["kind"] == "rapport"
    assert metadata(corpus_settings)["rapport-hydrovert-2026.pdf"]["publisher"] == "Région Hauts-de-France"

    result = ask(client, HYDROVERT_QUESTION)
    assert not result["abstained"] and "420" in result["answer"]
    cited = {c["doc_id"] for c in result["citations"]}
    assert cited == {"rapport-hydrovert-2026"}
    assert all(RUNNING_HEADER not in c["text"] for c in result["citations"]), "running header removed"

    removed = client.predict("rapport-hydrovert-2026", api_name="/remove_document")
    assert removed["removed"] and removed["n_documents"] == 5
    assert not (corpus_settings.corpus_dir / "rapport-hydrovert-2026.pdf").exists()
    assert "rapport-hydrovert-2026.pdf" not in metadata(corpus_settings)
    again = ask(client, HYDROVERT_QUESTION)
    assert again["abstained"] and again["answer"] == REFUSAL and again["citations"] == []


def test_questions_are_answered_from_the_old_index_while_a_document_is_indexed(live, client, tmp_path):
    from gradio_client import handle_file

    pdf = make_pdf(tmp_path / "hydrovert-bis.pdf", HYDROVERT_PAGES + [["Annexe : calendrier du chantier Hydrovert."]])
    job = client_of(live).submit(handle_file(str(pdf)), "", "", "", "", "", api_name="/add_document")
    answers, latencies = [], []
    while not job.done():
        t0 = time.perf_counter()
        answers.append(ask(client, "Combien de territoires se sont engagés dans la phase II de « Territoires d'industrie » ?"))
        latencies.append(time.perf_counter() - t0)
    record = job.result()
    assert record["doc_id"] == "hydrovert-bis", record
    assert len(answers) >= 2, "the chat kept answering during the build"
    assert all("18" in a["answer"] for a in answers)
    assert max(latencies) < 10, latencies
    assert "420" in ask(client, HYDROVERT_QUESTION)["answer"]  # the new index, right after the swap
    assert client.predict("hydrovert-bis", api_name="/remove_document")["removed"]


def test_refusals_say_why_and_change_nothing(live, client, corpus_settings, tmp_path):
    before = sorted(p.name for p in corpus_settings.corpus_dir.iterdir())
    fake = tmp_path / "rapport.pdf"
    fake.write_bytes(os.urandom(4000) + b"\x00" * 100)  # a binary renamed .pdf
    r = add(client, fake)
    assert r["error_code"] == "unknown_type" and "n'est ni un PDF" in r["error"] and "binaire" in r["error"]

    pdf = make_pdf(tmp_path / "ok.pdf", HYDROVERT_PAGES)
    r = add(client, pdf, filename="../../hors-corpus.pdf")
    assert r["error_code"] == "path_in_name" and "contient un chemin" in r["error"]
    assert not list(corpus_settings.corpus_dir.parent.rglob("hors-corpus*"))

    text_as_pdf = tmp_path / "note.pdf"
    text_as_pdf.write_text("Une simple note de texte, enregistrée avec la mauvaise extension.", encoding="utf-8")
    r = add(client, text_as_pdf)
    assert r["error_code"] == "type_mismatch" and "du texte" in r["error"]

    r = add(client, pdf, date="24/06/2025")
    assert r["error_code"] == "bad_date" and "AAAA-MM-JJ" in r["error"]

    r = add(client, CORPUS / "aletheia-2024-territoires-industrie.txt", filename="copie.txt")
    assert r["error_code"] == "duplicate_content"

    r = client.predict("../metadata", api_name="/remove_document")
    assert r["error_code"] == "unknown_document"
    assert sorted(p.name for p in corpus_settings.corpus_dir.iterdir()) == before
    assert ask(client, HYDROVERT_QUESTION)["abstained"]  # and the app keeps serving


def test_a_file_over_the_size_limit_never_reaches_the_corpus(corpus_settings, tmp_path):
    """Gradio refuses it at the upload (RAG_MAX_UPLOAD_MB is its max_file_size); `rag add` says so in one line."""
    from gradio_client import handle_file
    from rag.index.store import open_index

    small = corpus_settings.model_copy(update={"max_upload_mb": 0.05})
    big = make_pdf(tmp_path / "gros.pdf", HYDROVERT_PAGES, image_bytes=120_000)
    assert big.stat().st_size > 60_000
    with launched_app(small, open_index(small)) as demo:
        c = client_of(demo)
        with pytest.raises(Exception, match="maximum (allowed|file) size"):  # checked by the client, then the server
            c.predict(handle_file(str(big)), "", "", "", "", "", api_name="/add_document")
        c.close()
    assert not (corpus_settings.corpus_dir / "gros.pdf").exists()
    out = run_cli(corpus_settings, "add", str(big), env={"RAG_MAX_UPLOAD_MB": "0.05"})
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "over the 0.05 MB limit" in out.stderr and "RAG_MAX_UPLOAD_MB" in out.stderr


def test_two_uploads_at_once_are_both_indexed_and_the_index_stays_whole(live, corpus_settings, tmp_path):
    from gradio_client import handle_file
    from rag.index.store import open_index

    pdf = make_pdf(tmp_path / "hydrovert.pdf", HYDROVERT_PAGES)
    word = make_docx(tmp_path / "Pôle éolien.docx", "Le pôle éolien de Boulogne",
                     ["Le pôle éolien en mer de Boulogne-sur-Mer assemblera 62 nacelles par an à partir de 2028.",
                      "Le chantier Ventmarin a été confié à un groupement d'entreprises régionales."],
                     table=[["Site", "Emplois"], ["Boulogne-sur-Mer", "650"]])
    (tmp_path / "other").mkdir()
    same_name = make_pdf(tmp_path / "other" / "hydrovert.pdf", [["Un autre document Hydrovert."], ["Différent du premier."]])
    results: dict[str, dict] = {}

    def upload(key, path, **kw):
        c = client_of(live)
        results[key] = c.predict(handle_file(str(path)), "", kw.get("publisher", ""), "", "", "", api_name="/add_document")
        c.close()

    threads = [threading.Thread(target=upload, args=("pdf", pdf), kwargs={"publisher": "Région"}),
               threading.Thread(target=upload, args=("docx", word)),
               threading.Thread(target=upload, args=("same", same_name))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert results["docx"]["doc_id"] == "pole-eolien" and results["docx"]["n_chunks"] >= 1, results["docx"]
    # the two files named hydrovert.pdf: one is indexed, the other refused, never both written
    outcomes = sorted([results["pdf"].get("error_code", "ok"), results["same"].get("error_code", "ok")])
    assert outcomes == ["duplicate_name", "ok"], results

    index = open_index(corpus_settings)  # every file checked against the manifest's checksums
    assert {"hydrovert", "pole-eolien"} <= set(index.doc_ids) and len(index.doc_ids) == 7
    entries = metadata(corpus_settings)
    assert "hydrovert.pdf" in entries and "pole-eolien.docx" in entries
    assert len(entries) == 7, "metadata.json kept every earlier entry"
    c = client_of(live)
    result = ask(c, "Combien de nacelles le pôle éolien de Boulogne assemblera-t-il par an ?")
    assert "62" in result["answer"] and {x["doc_id"] for x in result["citations"]} == {"pole-eolien"}

    removed: dict[str, dict] = {}
    pair = [threading.Thread(target=lambda d=d: removed.setdefault(d, client_of(live).predict(d, api_name="/remove_document")))
            for d in ("hydrovert", "pole-eolien")]
    for t in pair:
        t.start()
    for t in pair:
        t.join(timeout=300)
    assert all(r.get("removed") for r in removed.values()), removed
    assert len(open_index(corpus_settings).doc_ids) == 5 and len(metadata(corpus_settings)) == 5
    c.close()


def test_uploads_are_off_unless_allowed(corpus_settings, tmp_path):
    from rag.index.store import open_index
    from rag.settings import Settings

    assert Settings(_env_file=None).uploads_allowed
    assert not Settings(_env_file=None, host="0.0.0.0").uploads_allowed
    assert Settings(_env_file=None, host="0.0.0.0", allow_upload=True).uploads_allowed
    off = corpus_settings.model_copy(update={"allow_upload": False})
    with launched_app(off, open_index(off)) as demo:
        labels = {c.get("props", {}).get("elem_id") for c in demo.config["components"]}
        assert "rag-upload-files" not in labels and "rag-upload-off" in labels
        c = client_of(demo)
        r = add(c, make_pdf(tmp_path / "x.pdf", HYDROVERT_PAGES))
        assert r["error_code"] == "disabled" and "RAG_ALLOW_UPLOAD" in r["error"]
        assert c.predict("aletheia-2024-territoires-industrie", api_name="/remove_document")["error_code"] == "disabled"
        c.close()


def test_with_auth_only_a_logged_in_user_uploads_and_is_recorded(corpus_settings, tmp_path):
    from rag.index.store import open_index

    guarded = corpus_settings.model_copy(update={"auth": "alice:secret"})
    with launched_app(guarded, open_index(guarded)) as demo:
        with pytest.raises(Exception):
            client_of(demo)  # no login, no app (Gradio's auth covers every route, uploads too)
        c = client_of(demo, auth=("alice", "secret"))
        record = add(c, make_pdf(tmp_path / "hydrovert-alice.pdf", HYDROVERT_PAGES), title="Rapport Hydrovert")
        assert record["title"] == "Rapport Hydrovert", record
        assert metadata(guarded)["hydrovert-alice.pdf"]["added_by"] == "alice"
        assert c.predict("hydrovert-alice", api_name="/remove_document")["removed"]
        c.close()


# --- the command line -----------------------------------------------------------------------------

def run_cli(settings, *args, env=None):
    full = {**os.environ, "RAG_CORPUS_DIR": str(settings.corpus_dir), "RAG_INDEX_DIR": str(settings.index_dir),
            **(env or {})}
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=600)


def test_rag_add_and_remove(corpus_settings, tmp_path):
    word = make_docx(tmp_path / "note.docx", "Note Hydrovert", ["L'usine Hydrovert de Valenciennes ouvrira en 2027."])
    out = run_cli(corpus_settings, "add", str(word), "--title", "Note sur Hydrovert", "--publisher", "Région",
                  "--date", "2026", "--kind", "note", "--quiet")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Added note (note.docx): ") and "embedded" in out.stdout
    assert metadata(corpus_settings)["note.docx"]["title"] == "Note sur Hydrovert"
    out = run_cli(corpus_settings, "add", str(word), "--name", "note.docx")
    assert out.returncode == 2 and "already exists" in out.stderr and out.stderr.count("\n") == 1
    binary = tmp_path / "programme.pdf"
    binary.write_bytes(b"\x7fELF" + os.urandom(2000))
    out = run_cli(corpus_settings, "add", str(binary))
    assert out.returncode == 2 and "neither a PDF" in out.stderr
    out = run_cli(corpus_settings, "add", str(word), "--name", "../evil.docx")
    assert out.returncode == 2 and "holds a path" in out.stderr
    out = run_cli(corpus_settings, "remove", "note", "--quiet")
    assert out.returncode == 0 and out.stdout.startswith("Removed note (note.docx deleted")
    out = run_cli(corpus_settings, "remove", "note")
    assert out.returncode == 2 and "Unknown document id 'note'" in out.stderr
    assert not (corpus_settings.corpus_dir / "note.docx").exists()
