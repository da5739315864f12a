"""Cutting generated text into claims, whole or streamed, and removing reasoning blocks (pure functions)."""

import pytest

from rag.answer.claims import ClaimSplitter, split_claims
from rag.answer.think_tags import ThinkStripper, strip_think

CASES = {
    "numbers stay whole": ("Les trois gigafactories représentent 2.800 emplois [1]. La part est de 18,9 % [2].",
                           [("Les trois gigafactories représentent 2.800 emplois.", [1]), ("La part est de 18,9 %.", [2])]),
    "abbreviations and initials": ("Selon M. Bertrand et J. Dupont, il faut env. 30 sites [1]. Fin [2].",
                                   [("Selon M. Bertrand et J. Dupont, il faut env. 30 sites.", [1]), ("Fin.", [2])]),
    "markers after the period": ("Phrase un. [1] Phrase deux [2][3].", [("Phrase un.", [1]), ("Phrase deux.", [2, 3])]),
    "last sentence without a period": ("Il y a 18 territoires [1]. Et 14 acteurs [2]",
                                       [("Il y a 18 territoires.", [1]), ("Et 14 acteurs", [2])]),
    "marker ending a sentence without a period": ("Elle mobilise 250 millions [1] Elle est régionale [2].",
                                                  [("Elle mobilise 250 millions", [1]), ("Elle est régionale.", [2])]),
    "line labels copied from the prompt": ("[1] Le Pass Drones est adopté.\n\n[2] Une subvention de 30 000 euros.",
                                           [("Le Pass Drones est adopté.", [1]), ("Une subvention de 30 000 euros.", [2])]),
    "list items": ("Les sites sont :\n- Méaulte [1]\n- Seclin [1]", [("Les sites sont :", []), ("Méaulte", [1]), ("Seclin", [1])]),
    "lower case goes on": ("Des drones, etc. et de la cybersécurité [1].", [("Des drones, etc. et de la cybersécurité.", [1])]),
    "marker lists": ("Deux sources le disent [1, 2]. Une autre [passage 3].", [("Deux sources le disent.", [1, 2]), ("Une autre.", [3])]),
}


@pytest.mark.parametrize("name", CASES)
def test_claims_are_cut_at_sentence_ends_with_their_markers(name):
    text, expected = CASES[name]
    assert split_claims(text) == expected


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("size", [1, 2, 5, 11])
def test_streamed_text_gives_the_same_claims_whatever_the_chunk_size(name, size):
    text, expected = CASES[name]
    splitter, got = ClaimSplitter(), []
    for i in range(0, len(text), size):
        got += splitter.feed(text[i:i + size])
    assert got + splitter.finish() == expected


def test_a_claim_is_released_only_once_the_next_sentence_has_begun():
    splitter = ClaimSplitter()
    assert splitter.feed("Il y a 2.") == []  # "2." may be "2.800"
    assert splitter.feed("800 emplois.") == []  # a marker may still follow the period
    assert splitter.feed(" [1]") == []
    assert splitter.feed(" E") == [("Il y a 2.800 emplois.", [1])]
    assert splitter.finish() == [("E", [])]


def test_think_blocks_are_removed_across_chunks_and_when_left_open():
    assert strip_think("<think>calcul</think>Réponse [1].") == "Réponse [1]."
    s = ThinkStripper()
    pieces = ["Avant <th", "ink>secret</th", "ink> après <", "b> et <THINK>jamais fermé"]
    assert "".join(s.feed(p) for p in pieces) + s.finish() == "Avant  après <b> et "
