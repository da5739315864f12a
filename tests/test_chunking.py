"""Chunking invariants on the real (cleaned) corpus with the real embedding model's tokenizer."""

import re

import pytest

from rag.ingest.chunking import chunk_document
from rag.ingest.loaders import load_documents
from rag.index.build import prepare_text
from rag.text.sentences import split_sentences
from rag.text.tokens import count_tokens

from .conftest import CORPUS


@pytest.fixture(scope="module")
def documents(index_settings):
    return [(d, prepare_text(d, index_settings)) for d in load_documents(CORPUS)]


def test_chunks_fit_the_embedding_window(index, embedder):
    assert len(index.chunks) > 50
    for c in index.chunks:
        assert embedder.count_tokens(c.text) <= embedder.max_tokens, c.chunk_id


def test_chunks_stay_near_the_token_budget(index, index_settings):
    sizes = [c.n_tokens for c in index.chunks]
    assert max(sizes) <= index_settings.chunk_size * 1.25
    assert sum(sizes) / len(sizes) >= index_settings.chunk_size * 0.4  # not fragmented into crumbs


def test_chunk_text_is_the_document_slice_and_nothing_is_lost(index):
    for doc in index.docs:
        text = doc["text"]
        chunks = [c for c in index.chunks if c.doc_id == doc["doc_id"]]
        covered = bytearray(len(text))
        for c in chunks:
            assert text[c.start:c.end] == c.text
            covered[c.start:c.end] = b"\x01" * (c.end - c.start)
        lost = "".join(ch for i, ch in enumerate(text) if not covered[i] and not ch.isspace())
        assert lost == "", f"{doc['doc_id']} lost {lost[:80]!r}"


def test_chunks_end_at_sentence_ends(index, documents):
    ends = {d.doc_id: {s.end for s in split_sentences(t)} for d, t in documents}
    ends_ok = total = 0
    for c in index.chunks:
        total += 1
        ends_ok += c.end in ends[c.doc_id]
    # the only exceptions are sentences longer than a whole chunk, cut at word boundaries
    assert ends_ok / total >= 0.97


def test_ids_are_stable_and_content_addressed(documents, index_settings, embedder):
    doc, text = next((d, t) for d, t in documents if d.doc_id.startswith("elus-locaux"))
    kwargs = dict(chunk_size=index_settings.chunk_size, chunk_overlap=index_settings.chunk_overlap,
                  window_tokens=embedder.count_tokens, window=embedder.max_tokens)
    first = chunk_document(doc.doc_id, doc.title, text, **kwargs)
    again = chunk_document(doc.doc_id, doc.title, text, **kwargs)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    # editing the last paragraph leaves the ids of the chunks before it unchanged
    edited = text + "\n\nUn paragraphe ajouté à la fin du document pour le test."
    after = chunk_document(doc.doc_id, doc.title, edited, **kwargs)
    assert [c.chunk_id for c in after][: len(first) - 1] == [c.chunk_id for c in first][: len(first) - 1]
    assert len({c.chunk_id for c in first}) == len(first)


def test_consecutive_chunks_share_whole_sentences():
    text = " ".join(f"La phrase numéro {i} parle de l'usine {i}." for i in range(60))
    chunks = chunk_document("d", "t", text, chunk_size=80, chunk_overlap=30)
    assert len(chunks) > 5
    for a, b in zip(chunks, chunks[1:]):
        shared = text[b.start:a.end]
        assert b.start < a.end and shared.strip().endswith(".")  # the overlap is made of whole sentences
        assert 10 <= count_tokens(shared) <= 30


def test_a_sentence_longer_than_a_chunk_is_split_at_words():
    sentence = "Les " + " ".join(f"entreprises{i}" for i in range(300)) + "."
    chunks = chunk_document("d", "t", sentence, chunk_size=64, chunk_overlap=8)
    assert len(chunks) > 3
    assert all(c.n_tokens <= 64 for c in chunks)
    assert all(not re.search(r"\w$", c.text) or sentence[c.end:c.end + 1] in (" ", ".", "") for c in chunks)


def test_headings_are_attached(index):
    with_heading = [c for c in index.chunks if c.heading]
    assert with_heading, "no chunk carries its section heading"
    c = next(c for c in index.chunks if c.doc_id.startswith("elus-locaux") and "gigafactories représentent" in c.text)
    assert c.heading in ("Le pari des gigafactories", "Des acteurs principalement asiatiques")


def test_tiktoken_loads_offline_from_the_bundled_file(tmp_path):
    # An empty cache dir and no network: the bundled cl100k_base must still load (no download attempt).
    import subprocess
    import sys

    code = "from rag.text.tokens import count_tokens; print(count_tokens('La région Hauts-de-France'))"
    env = {"TIKTOKEN_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == count_tokens("La région Hauts-de-France") > 3
