"""The web app: its renderers on real retrieved passages, then a live server queried with gradio_client.

The live tests launch the real app (real index, real Assistant) on a free port of 127.0.0.1 and talk
to it through the named API endpoints (/chat, /feedback) exactly as an outside script would.
One `gradio_client.Client` is one browser-like session: the follow-up test relies on that.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from rag.ui import render as R
from rag.schema import Answer, Citation
from rag.text.sentences import split_sentences

from .conftest import free_port, launched_app

QUESTION = "Combien de territoires se sont engagés dans la phase II de « Territoires d'industrie » ?"
ALETHEIA = "aletheia-2024-territoires-industrie"
REGION = "region-hdf-2025-assises-defense"
TASK_FORCE = "Combien d'euros la task-force régionale pour la défense doit-elle mobiliser ?"
SOURCES = R.SOURCES_TITLE
OUT_OF_SCOPE = "Quelle est la recette de la tarte Tatin aux pommes caramélisées ?"


def citation_for(passage, words: str, n: int = 1) -> Citation:
    """A citation of `passage` quoting its first sentence that contains `words` (as the chain builds them)."""
    sentence = next(s for s in split_sentences(passage.text) if words.lower() in s.text.lower())
    return Citation(n=n, doc_id=passage.doc_id, title=passage.chunk.title, chunk_id=passage.chunk_id,
                    text=passage.text, quote=sentence.text, start=sentence.start, end=sentence.end,
                    rank=passage.rank, score=passage.score)


# --- renderers on real passages (fast) -----------------------------------------------------------

@pytest.fixture(scope="module")
def drone_answer(retriever):
    passages = retriever.search("Pass Drones conseil régional", k=5)
    cited = next(p for p in passages if "Pass Drones" in p.text)
    c = citation_for(cited, "Pass Drones")
    return Answer(question="Qu'est-ce que le Pass Drones ?", standalone_question="Qu'est-ce que le Pass Drones ?",
                  answer=f"{c.quote} [1]", abstained=False, citations=[c], passages=passages,
                  timings_ms={"total": 12.0})


@pytest.fixture(scope="module")
def documents(index):
    return {d["doc_id"]: d for d in index.documents()}


def test_sources_panel_highlights_the_supporting_sentence_with_document_details(drone_answer, documents):
    html = R.render_sources_html(drone_answer, documents, turn=1)
    c = drone_answer.citations[0]
    meta = documents[c.doc_id]
    assert f"<mark class='rag-quote'>{R.esc(c.quote)}</mark>" in html
    assert R.esc(c.title) in html and R.esc(meta["publisher"]) in html and R.esc(meta["date"]) in html
    assert f"rang {c.rank}" in html and R.format_score(c.score) in html
    # the passages that were retrieved but not cited are there, folded
    others = [p for p in drone_answer.passages if p.chunk_id != c.chunk_id]
    assert f"Autres passages retrouvés ({len(others)})" in html
    assert html.index("<details") > html.index("rag-quote")


def test_a_refusal_shows_the_closest_passages_open_for_the_reader_to_judge(drone_answer, documents):
    refused = dataclasses.replace(drone_answer, answer="", abstained=True, citations=[])
    html = R.render_sources_html(refused, documents, turn=2)
    assert R.REFUSAL_TITLE in html
    assert f"<details class='rag-others' open><summary>Passages les plus proches, à lire vous-même " \
           f"({len(refused.passages)})</summary>" in html
    assert html.count("<article") == len(refused.passages)


def test_two_quotes_from_one_passage_show_it_once_with_both_highlighted(retriever, documents):
    """A passage that supports two sentences of the answer appears once, numbered [1][2], both quotes marked."""
    passage = next(p for p in retriever.search("Assises défense Chantilly lettre d'engagement partenariat", k=5)
                   if len(split_sentences(p.text)) >= 3)
    first, second = split_sentences(passage.text)[:2]
    c1, c2 = citation_for(passage, first.text[:30], n=1), citation_for(passage, second.text[:30], n=2)
    answer = Answer(question="q", standalone_question="q", answer=f"{c1.quote} [1] {c2.quote} [2]", abstained=False,
                    citations=[c1, c2], passages=[passage])
    html = R.render_sources_html(answer, documents)
    assert html.count("<article class='rag-source rag-cited'") == 1 and "Passages cités (1)" in html
    assert "<span class='rag-n'>[1][2]</span>" in html
    assert html.count("<mark class='rag-quote'>") == 2
    assert R.esc(c1.quote) in html and R.esc(c2.quote) in html
    assert R.sources_title(answer).endswith("(1 passage cité)")
    md = R.render_sources_markdown(answer, documents)
    assert md.count("**[1][2]") == 1 and md.count("\n> ") == 2


def test_document_text_is_escaped_in_every_rendering(drone_answer, documents):
    attack = "<script>alert('x')</script><img src=x onerror=alert(1)> **gras** [lien](http://exemple.fr)"
    c = drone_answer.citations[0]
    bad_chunk = dataclasses.replace(drone_answer.passages[0].chunk, text=drone_answer.passages[0].text + attack,
                                    title="Titre <b>piégé</b>")
    bad_passage = dataclasses.replace(drone_answer.passages[0], chunk=bad_chunk)
    bad_citation = dataclasses.replace(c, text=c.text + attack, quote=c.quote + attack, title="Titre <b>piégé</b>", end=c.end + len(attack))
    answer = dataclasses.replace(drone_answer, citations=[bad_citation], passages=[bad_passage], question="<i>q</i>")
    html = R.render_sources_html(answer, documents)
    for raw in ("<script", "<img", "<b>", "<i>"):
        assert raw not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;piégé&lt;/b&gt;" in html
    md = R.render_sources_markdown(answer, documents)
    assert "<script" not in md and "<img" not in md
    assert "\\*\\*gras\\*\\*" in md and "\\[lien\\]" in md  # no bold, no link


def test_refusal_is_rendered_as_a_refusal_not_an_error(drone_answer, documents):
    refused = dataclasses.replace(drone_answer, abstained=True, citations=[],
                                  answer="Je ne trouve pas la réponse dans les documents.")
    assert R.render_answer_markdown(refused).startswith(f"**{R.REFUSAL_TITLE}.**")
    assert "rag-refusal" in R.render_sources_html(refused, documents)


def test_history_accepts_pairs_api_messages_and_browser_messages():
    browser = [
        {"role": "user", "content": [{"type": "text", "text": "Question 1"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Réponse 1 [1]"}]},
        {"role": "assistant", "content": "sources…", "metadata": {"title": "Sources (1 passage cité)"}},
        {"role": "user", "content": "Question 2"},
        {"role": "assistant", "content": "Réponse 2"},
    ]
    expected = [("Question 1", "Réponse 1 [1]"), ("Question 2", "Réponse 2")]
    assert R.normalize_history(browser) == expected
    assert R.normalize_history([list(p) for p in expected]) == expected
    assert R.turn_of_message(browser, 2) == 0 and R.turn_of_message(browser, 4) == 1


def test_input_problems_are_explained_in_french():
    assert "vide" in R.question_problem("   ", 100)
    assert "trop longue" in R.question_problem("x" * 101, 100)
    assert R.question_problem("Une vraie question ?", 100) is None


def test_votes_from_many_sessions_at_once_are_whole_lines(drone_answer, index_settings, tmp_path):
    from rag.ui.feedback import read_feedback, record_feedback

    settings = index_settings.model_copy(update={"feedback_dir": tmp_path / "votes"})
    threads = [threading.Thread(target=record_feedback, args=(settings,),
                                kwargs={"liked": i % 2 == 0, "answer": drone_answer, "options": {"k": 5}})
               for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = read_feedback(settings)
    assert len(records) == 40 and len({r["id"] for r in records}) == 40
    assert {r["rating"] for r in records} == {"up", "down"}
    assert all(r["citations"][0]["quote"] == drone_answer.citations[0].quote for r in records)


# --- the live app ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app_settings(index_settings, tmp_path_factory):
    return index_settings.model_copy(update={"feedback_dir": tmp_path_factory.mktemp("feedback")})


@pytest.fixture(scope="module")
def live_app(app_settings, index):
    with launched_app(app_settings, index) as demo:
        yield demo


def new_client(demo):
    from gradio_client import Client

    return Client(demo.local_url, analytics_enabled=False, verbose=False)


@pytest.fixture()
def client(live_app):
    c = new_client(live_app)
    yield c
    c.close()


def chat(client, question, **kw):
    """All streamed (answer_text, result) updates of one /chat call."""
    return list(client.submit(question, api_name="/chat", **kw))


def test_answer_streams_in_with_citations(client):
    updates = chat(client, QUESTION)
    assert len(updates) >= 3, "the answer should arrive in several streamed updates"
    texts = [u[0] for u in updates]
    assert all(u[1] is None for u in updates[:-1])  # the record only comes with the last update
    assert any(len(a) < len(texts[-1]) for a in texts[:-1] if a), "earlier updates are partial answers"
    result = updates[-1][1]
    assert not result["abstained"] and result["citations"]
    assert "18" in result["answer"]
    assert any(c["doc_id"] == ALETHEIA for c in result["citations"])
    for c in result["citations"]:
        assert f"[{c['n']}]" in result["answer"]
        assert c["quote"] and c["quote"] in c["text"]


def test_follow_up_is_resolved_from_the_session_history(live_app, client):
    first = chat(client, QUESTION)[-1][1]
    assert "18" in first["answer"]
    follow = chat(client, "Et combien y en avait-il lors de la phase I ?")[-1][1]
    assert follow["turn"] == 2
    assert follow["standalone_question"] != follow["question"]  # the history was used to rewrite it
    assert not follow["abstained"] and "14" in follow["answer"]
    assert any(c["doc_id"] == ALETHEIA for c in follow["citations"])
    # another session does not share this conversation
    other = new_client(live_app)
    try:
        alone = chat(other, "Et combien y en avait-il lors de la phase I ?")[-1][1]
        assert alone["turn"] == 1 and alone["standalone_question"] == alone["question"]
    finally:
        other.close()


def test_explicit_history_is_used_too(client):
    history = [[QUESTION, "Pour la phase II, ils sont 18 à avoir souhaité s'engager ou se réengager. [1]"]]
    result = chat(client, "Et lors de la phase I ?", history=history)[-1][1]
    assert result["standalone_question"] != result["question"] and "14" in result["answer"]


def test_document_filter_restricts_the_passages(client):
    result = chat(client, "Quels sont les projets industriels de la région ?", doc_ids=[REGION], k=8)[-1][1]
    assert result["passages"], "the filtered search should still find passages"
    assert {p["doc_id"] for p in result["passages"]} == {REGION}
    assert {c["doc_id"] for c in result["citations"]} <= {REGION}


def test_feedback_lands_in_the_jsonl_file(client, app_settings):
    from rag.ui.feedback import feedback_path

    answer = chat(client, QUESTION, mode="bm25", k=3)[-1][1]
    record = client.predict(False, -1, "la réponse est incomplète", api_name="/feedback")
    assert record["rating"] == "down"
    lines = feedback_path(app_settings).read_text(encoding="utf-8").splitlines()
    stored = json.loads(lines[-1])
    assert stored["id"] == record["id"]
    assert stored["question"] == QUESTION and stored["answer"] == answer["answer"]
    assert [c["chunk_id"] for c in stored["citations"]] == [c["chunk_id"] for c in answer["citations"]]
    assert stored["settings"]["mode"] == "bm25" and stored["settings"]["k"] == 3
    assert stored["comment"] == "la réponse est incomplète"


def test_feedback_without_an_answer_is_refused_in_french(client):
    record = client.predict(True, -1, "", api_name="/feedback")
    assert "posez d'abord une question" in record["error"]


def test_out_of_scope_question_is_refused(client):
    from rag.answer.prompts import REFUSAL

    text, result = chat(client, OUT_OF_SCOPE)[-1]
    assert "error" not in result, "a refusal is an answer, not an error"
    assert result["abstained"] and result["answer"] == REFUSAL and text == REFUSAL
    assert result["citations"] == []


def test_arguments_of_the_wrong_type_get_a_french_message_in_the_result(client):
    """gradio_client callers get result["error"] in French for any argument they get wrong, never a bare
    exception without a message."""
    for kw, words in (({"k": "abc"}, "Nombre de passages invalide"), ({"k": [3]}, "Nombre de passages invalide"),
                      ({"k": 2.5}, "Nombre de passages invalide"), ({"doc_ids": 5}, "doc_ids doit être une liste"),
                      ({"doc_ids": [["x"]]}, "doc_ids doit être une liste"), ({"mode": 3}, "Mode de recherche inconnu"),
                      ({"history": "abc"}, "history doit être une liste")):
        text, result = chat(client, QUESTION, **kw)[-1]
        assert result["error_type"] == "input" and words in result["error"] and text == result["error"], kw
    for args, words in ((("oui", -1, ""), "liked doit valoir true"), ((True, "abc", ""), "turn doit être")):
        record = client.predict(*args, api_name="/feedback")
        assert words in record["error"], args
    assert chat(client, QUESTION, k="3")[-1][1]["citations"]  # a number written as text is fine, and it still answers


def test_one_document_id_given_as_a_string_is_one_document(client):
    result = chat(client, "Quels sont les projets industriels de la région ?", doc_ids=REGION, k=8)[-1][1]
    assert "error" not in result, result.get("error")
    assert result["passages"] and {p["doc_id"] for p in result["passages"]} == {REGION}


def test_bad_questions_get_a_french_message_and_the_app_keeps_serving(client, app_settings):
    text, result = chat(client, "   ")[-1]
    assert result["error_type"] == "input" and "vide" in text
    text, result = chat(client, "pourquoi " * app_settings.max_question_chars)[-1]
    assert result["error_type"] == "input" and "trop longue" in text
    text, result = chat(client, QUESTION, doc_ids=["document-inconnu"])[-1]
    assert result["error_type"] == "input" and "document-inconnu" in text
    assert chat(client, QUESTION)[-1][1]["citations"]  # still answering


def test_earlier_citations_stay_attached_to_their_answer(live_app):
    """The chat box handler, as the browser drives it: after a second question on another document,
    the first answer still carries its own folded sources right under it, and the panel can show
    them again (picked from the list or by clicking the answer)."""
    import gradio as gr

    app = live_app.rag_app
    messages, turns = [], []
    controls = (list(app.documents), "hybrid", 5, "extractive")
    # two questions whose answers sit in different documents, with no doubt about which
    for q in (QUESTION, TASK_FORCE):
        for messages, panel, turns, *_ in app.respond(q, messages, turns, *controls):
            pass
    first, second = turns[0]["answer"], turns[1]["answer"]
    assert ALETHEIA in {c.doc_id for c in first.citations}
    assert REGION in {c.doc_id for c in second.citations}
    # the chat: question, answer, its folded sources; then the same for the second question
    assert [m["role"] for m in messages] == ["user", "assistant", "assistant"] * 2
    for msg, answer in ((messages[2], first), (messages[5], second)):
        assert msg["metadata"]["title"] == R.sources_title(answer) and SOURCES in msg["metadata"]["title"]
        assert msg["content"] == R.render_sources_markdown(answer, app.documents)
    first_sources = messages[2]["content"]
    assert R.escape_markdown(first.citations[0].quote) in first_sources
    for c in second.citations:
        if c.chunk_id not in {f.chunk_id for f in first.citations}:
            assert R.escape_markdown(c.quote) not in first_sources, "a later citation leaked into an earlier answer"
    # the panel shows the latest answer; going back to answer 1 shows answer 1's sources only
    assert "Question 2" in panel and R.esc(second.citations[0].quote) in panel
    earlier = app.show_turn(turns, 0)
    assert "Question 1" in earlier and R.esc(first.citations[0].quote) in earlier
    assert R.esc(second.citations[0].quote) not in earlier
    clicked, picked = app.select_message(messages, turns, gr.SelectData(None, {"index": 1, "value": messages[1]["content"]}))
    assert picked == 0 and clicked == earlier


@pytest.mark.slow
def test_eight_clients_asking_five_questions_each_all_get_answers(live_app):
    questions = [
        "Qu'est-ce que le « Pass Drones » adopté par le conseil régional ?",
        "Combien d'euros la task-force régionale pour la défense doit-elle mobiliser ?",
        QUESTION,
        "De combien la région a-t-elle réduit les délais d'implantation des entreprises ?",
        "Combien de fiches variables le collège de prospective a-t-il élaborées ?",
    ]
    results: dict[int, list] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def user(i: int):
        try:
            c = new_client(live_app)
            start.wait()
            results[i] = [c.predict(q, api_name="/chat")[1] for q in questions]
            c.close()
        except BaseException as exc:  # reported below with the thread's number
            errors.append(exc)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=user, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert len(results) == 8
    for answers in results.values():
        assert len(answers) == 5
        assert all(isinstance(r, dict) and "error" not in r and r["answer"] for r in answers)
    print(f"40 answers to 8 concurrent clients in {time.perf_counter() - t0:.1f} s")


def test_no_file_of_the_corpus_is_served_under_any_file_url(live_app, app_settings):
    """Corpus files reach people only through the app's own views: a corpus page holding <script>, served
    inline by Gradio, would run on the app's origin, and metadata.json would be downloadable. Every URL
    form Gradio 6 serves files under (gradio/routes.py: /gradio_api/file=, its deprecated /gradio_api/file/,
    absolute, relative and percent-encoded paths, GET and HEAD) is refused."""
    import urllib.parse

    base = live_app.local_url.rstrip("/")
    corpus = app_settings.corpus_dir
    targets = [next(corpus.glob("*.txt")), corpus / "metadata.json", app_settings.index_dir / "current" / "manifest.json"]

    def fetch(url: str, method: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    for target in targets:
        content = target.read_bytes()[:60]
        relative = target.relative_to(corpus.parent) if target.is_relative_to(corpus.parent) else target
        paths = [str(target), urllib.parse.quote(str(target)), str(relative)]
        urls = [f"{base}/gradio_api/file={p}" for p in paths] + [f"{base}/gradio_api/file/{p}" for p in paths]
        urls += [f"{base}/file={target}", f"{base}/file/{target}"]
        for url in urls:
            for method in ("GET", "HEAD"):
                code, body = fetch(url, method)
                assert code in (403, 404, 405), (url, method, code)
                assert content not in body, (url, method)
    assert fetch(f"{base}/gradio_api/file=/etc/passwd", "GET")[0] in (403, 404)


def test_launch_is_private_offline_and_bounded(live_app, app_settings):
    from rag.ui import app as webapp

    kw = webapp.launch_kwargs(app_settings)
    assert kw["server_name"] == "127.0.0.1" and kw["share"] is False and kw["enable_monitoring"] is False
    assert live_app.local_url.startswith("http://127.0.0.1:")
    assert live_app.analytics_enabled is False
    assert live_app._queue.max_size == app_settings.max_queue
    user_auth = webapp.launch_kwargs(app_settings.model_copy(update={"auth": "alice:secret"}))["auth"]
    assert user_auth == ("alice", "secret")


def test_llm_choice_only_shows_when_an_llm_is_configured(live_app, app_settings):
    from rag.ui import app as webapp

    def answerer_radio(demo):
        return next(c for c in demo.config["components"] if c.get("props", {}).get("label") == "Rédaction de la réponse")

    assert answerer_radio(live_app)["props"]["visible"] is False
    with_llm = app_settings.model_copy(update={"llm_base_url": "http://127.0.0.1:9/v1"})
    demo = webapp.build_app(live_app.rag_app.assistant, with_llm)
    radio = answerer_radio(demo)
    assert radio["props"]["visible"] is True
    assert [c[1] for c in radio["props"]["choices"]] == ["extractive", "llm"]


def test_corpus_view_lists_documents_and_reads_a_whole_one(live_app, index):
    app = live_app.rag_app
    counts = {d["doc_id"]: d["n_chunks"] for d in app.doc_list}
    assert len(counts) == 5 and sum(counts.values()) == len(index.chunks)
    from rag.ui.corpus_view import render_table, status_rows

    table = render_table(status_rows(app, []))
    for d in app.doc_list:
        assert R.esc(d["title"]) in table and R.esc(d["publisher"]) in table
        assert f"<td class='rag-num'>{d['n_chunks']}</td>" in table
    header, text = app.read_document(REGION)
    assert "Région Hauts" in header and text == index.document_text(REGION)
    assert "Chantilly" in text


def test_a_failing_llm_server_gives_a_french_notice_and_the_app_keeps_serving(app_settings, index):
    """The configured LLM server is down (nothing listens on the port): the chat still answers, from the
    corpus, and says in French why; the next question is answered as usual."""
    from rag.ui import app as webapp
    from rag.assistant import Assistant

    with_llm = app_settings.model_copy(update={"llm_base_url": f"http://127.0.0.1:{free_port()}/v1", "llm_timeout": 5})
    chat_app = webapp.build_app(Assistant(with_llm, index=index), with_llm).rag_app
    controls = (list(chat_app.documents), "hybrid", 5, "llm")
    messages, turns = [], []
    for messages, panel, turns, *_ in chat_app.respond(QUESTION, messages, turns, *controls):
        pass
    answer_text = messages[1]["content"]
    assert "Le serveur LLM n'a pas répondu" in answer_text and "réponse extractive" in answer_text
    assert "18" in answer_text and turns[0]["answer"].citations and turns[0]["error"] is None
    for messages, panel, turns, *_ in chat_app.respond(TASK_FORCE, messages, turns, *controls):
        pass
    assert turns[1]["answer"] is not None and "Question 2" in panel


def test_sources_panel_says_which_document_the_question_named(drone_answer, documents):
    named = dataclasses.replace(drone_answer, source_doc_id=REGION)
    html = R.render_sources_html(named, documents)
    assert "Document cité dans la question" in html and R.esc(documents[REGION]["title"]) in html
    assert "Document cité dans la question" not in R.render_sources_html(drone_answer, documents)


def test_corpus_tab_lists_skipped_files_with_their_reason_and_links_only_web_addresses(index_settings, corpus_copy, tmp_path):
    """The page a browser loads (/config, as served): files that were not indexed are listed with their
    reason, their names escaped; a 'javascript:' source_url is shown as text, never as a link."""
    import shutil

    from rag.index.store import ensure_index, open_index

    from .conftest import make_settings

    shutil.copy(shutil.which("ls"), corpus_copy / "programme <script>.txt")
    meta = json.loads((corpus_copy / "metadata.json").read_text(encoding="utf-8"))
    meta[f"{REGION}.txt"]["source_url"] = "javascript:alert(document.domain)"
    meta[f"{ALETHEIA}.txt"]["source_url"] = "https://www.hautsdefrance.fr/territoires-industrie/"
    (corpus_copy / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    shutil.copytree(index_settings.index_dir / "cache", tmp_path / "idx" / "cache")
    settings = make_settings(tmp_path / "idx", corpus_dir=corpus_copy)
    ensure_index(settings, quiet=True)
    with launched_app(settings, open_index(settings)) as demo:
        with urllib.request.urlopen(f"{demo.local_url.rstrip('/')}/config", timeout=10) as r:
            config = json.loads(r.read())
    corpus_html = next(c["props"]["value"] for c in config["components"] if c.get("props", {}).get("elem_id") == "rag-corpus")
    skipped_row = next(row for row in corpus_html.split("<tr")[1:] if "data-status='skipped'" in row)
    assert "programme &lt;script&gt;" in skipped_row and "<script>" not in corpus_html
    assert R.esc(R.SKIP_REASONS["not_text"]) in skipped_row
    assert "href='javascript:" not in corpus_html and "<code>javascript:alert(document.domain)</code>" in corpus_html
    assert "href='https://www.hautsdefrance.fr/territoires-industrie/'" in corpus_html
