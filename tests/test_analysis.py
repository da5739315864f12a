"""French analysis used by BM25: elisions, accents, stopwords, stemming."""

import pytest

from rag.text.analysis import analyze, fold_accents


def test_elisions_are_stripped():
    assert analyze("l'industrie") == analyze("industrie")
    assert analyze("d’emplois") == analyze("emplois")
    assert analyze("qu'il investit") == analyze("il investit")
    assert analyze("jusqu'à 2028") == analyze("à 2028")


def test_accents_do_not_matter():
    assert analyze("region") == analyze("région")
    assert analyze("REGION") == analyze("Région")
    assert fold_accents("Barœul") == "Baroeul"


def test_inflections_share_a_stem():
    assert analyze("emplois") == analyze("emploi")
    assert analyze("régionales") == analyze("régional")
    assert analyze("industrielles") == analyze("industriel")
    assert analyze("entreprises") == analyze("entreprise")


def test_stopwords_and_question_words_carry_no_weight():
    assert analyze("Combien de la les des ?") == []
    assert analyze("Quel est le budget ?") == analyze("budget")
    assert analyze("selon la Région, pendant la crise") == analyze("Région crise")


def test_figures_are_kept():
    assert "2028" in analyze("d'ici 2028")
    assert analyze("2.800 emplois")[:2] == ["2", "800"]


@pytest.mark.parametrize("query, text", [
    ("la deuxième phase", "la phase II du programme"),
    ("la première lettre d'information", "Lettre d'information n°1"),
    ("le premier employeur", "1er employeur en région"),
    ("the third phase", "troisième phase"),
])
def test_ordinals_and_roman_numerals_match_their_number(query, text):
    q = [t for t in analyze(query) if t.isdigit()]
    assert q and set(q) <= set(analyze(text))
