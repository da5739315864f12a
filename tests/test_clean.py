"""Cleaning repairs on corpus examples, with counter-examples that must be left alone."""

from rag.clean import clean_text
from rag.ingest import load_documents

from .conftest import CORPUS


def clean(text, **kw):
    return clean_text(text, **kw).text.strip()


def test_letter_spaced_words_are_rejoined_keeping_word_gaps():
    assert clean("L e t t r e  d ' i n f o r m a t i o n") == "Lettre d'information"


def test_ordinary_prose_with_short_words_is_untouched():
    for prose in ("Il y a à la fois des usines.", "J. F. Kennedy et X. Bertrand", "La route A 16 relie Calais à Dunkerque."):
        assert clean(prose) == prose


def test_doubled_glyphs_are_halved():
    assert clean("la ppaarroollee aa ééttéé ddoonnnnééee") == "la parole aa été donnée"


def test_hyphenation_at_line_end_is_joined():
    assert clean("un ar-\nticle de presse") == "un article de presse"
    assert clean("Hauts-de-France") == "Hauts-de-France"


def test_debris_lines_go_and_figures_stay():
    text = "Texte utile.\n11\nQQQQ QQQQ\n¼\n276 456\nemplois salariés privés\n18,9 %"
    assert clean(text) == "Texte utile.\n276 456\nemplois salariés privés\n18,9 %"


def test_repeated_paragraphs_are_kept_once():
    para = "La crise a été l'occasion de mettre en lumière la contribution du secteur industriel."
    assert clean(f"{para}\n\nAutre.\n\n{para}") == f"{para}\n\nAutre."


def test_paywall_boilerplate_marked_in_metadata_is_dropped():
    docs = {d.doc_id: d for d in load_documents(CORPUS)}
    doc = docs["mediacites-2025-defense-eldorado"]
    cleaned = clean(doc.text, boilerplate_start=doc.metadata["boilerplate_start"])
    assert "abonner" not in cleaned and "Asterodyn" in cleaned


def test_cleaning_is_idempotent_and_keeps_key_facts():
    docs = {d.doc_id: d for d in load_documents(CORPUS)}
    raw = docs["agence-hdf-2020-2040-prospective-industrie"].text
    once = clean_text(raw).text
    assert clean_text(once).text == once
    for fact in ("276 456", "24 045", "18,9 %", "180 ETI", "73 participants"):
        assert fact in once, fact


def test_no_chunk_keeps_long_runs_of_spaced_letters(index):
    import re

    offenders = [c.chunk_id for c in index.chunks if re.search(r"(?:\b\w ){5,}\w\b", c.text)]
    assert len(offenders) <= len(index.chunks) * 0.1
