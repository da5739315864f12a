"""The extractive answerer with the real model and index, and its pure parts.

Every question here was written for these tests (none comes from the held-out sets): a list returns every
item, a near-miss about a mentioned entity is refused, no padding unit is added, a follow-up with a
pronoun is resolved, an English question is answered from the French text, and the pieces (question
analysis, units, kinds, markers, sentence splitting) behave as documented.
"""

from dataclasses import replace

import numpy as np
import pytest

from rag.answer.abstention import refusal_reason
from rag.answer.compose import choose
from rag.answer.kinds import acronym_expansion, counted_near_number, folded, holds, names_another
from rag.answer.question import analyse_question
from rag.answer.scoring import Vocabulary, meets_constraints, question_terms, score_units
from rag.answer.units import display_text, footnote_terms, is_debris, units_of, with_marker
from rag.text.footnotes import footnote_calls
from rag.assistant import REFUSAL, Assistant
from rag.evaluation.metrics import answer_sentences
from rag.query.followup import standalone_question
from rag.settings import AnswerSettings
from rag.text.analysis import analyze, ranks_in
from rag.text.sentences import split_sentences


@pytest.fixture(scope="module")
def assistant(index, index_settings):
    return Assistant(index_settings, index=index)


def _grounded(a):
    """Every answer sentence carries a [n] whose quote is an exact span of its passage."""
    assert not a.abstained and a.citations, a.answer
    for sentence, markers in answer_sentences(a.answer):
        assert markers, f"sentence without citation: {sentence!r}"
    for c in a.citations:
        assert f"[{c.n}]" in a.answer
        assert c.text[c.start:c.end] == c.quote


# --- with the real model and index ------------------------------------------------------------------

def test_a_list_question_returns_every_item_of_the_list(assistant):
    a = assistant.ask("Quels engagements le partenariat signé aux Assises de la défense prévoit-il ?")
    _grounded(a)
    for item in ("BITD", "drones", "prises de contrôle étrangères", "cybersécurité", "innovation duale"):
        assert item in a.answer, item


def test_a_list_announced_with_its_count_is_completed_from_the_next_sentence(assistant):
    a = assistant.ask("Quels outils la deuxième phase met-elle à disposition des territoires labellisés ?")
    _grounded(a)
    for item in ("chefs de projets", "missions d’ingénierie", "Fonds Vert"):
        assert item in a.answer, item


@pytest.mark.parametrize("question", [
    "Combien de salariés emploie la PME Nacon ?",  # Nacon is named, its headcount is not
    "Quel est le chiffre d'affaires d'Asterodyn ?",  # Asterodyn is named, no turnover is given
    "Quel est le tarif des transports scolaires dans l'Oise ?",  # the Oise is named, school transport is not
])
def test_a_near_miss_about_a_mentioned_entity_is_refused(assistant, question):
    a = assistant.ask(question)
    assert a.abstained and a.answer == REFUSAL, a.answer


def test_a_fact_question_gets_one_unit_without_padding(assistant):
    a = assistant.ask("À combien s'élève le projet de centre de données porté par Data4 ?")
    _grounded(a)
    assert "5 milliards" in a.answer
    assert len(a.citations) == 1 and "Brookfield" not in a.answer  # the other data-centre project is not added


def test_a_follow_up_naming_a_new_subject_is_answered_about_that_subject(assistant):
    """"Et le datacenter de Valenciennes ?" after a question on the gigafactories' jobs asks for the data
    centre's jobs: its own name is required of the answer, common as the town is in the corpus's tables."""
    first = "Combien d'emplois les trois gigafactories créent-elles ?"
    history = [(first, assistant.ask(first).answer)]
    a = assistant.ask("Et le datacenter de Valenciennes ?", history)
    _grounded(a)
    assert "2.400 emplois" in a.answer and "2.800" not in a.answer, a.answer


def test_a_follow_up_with_a_pronoun_is_resolved_from_the_conversation(assistant):
    history = [("Quelle start-up du Pas-de-Calais a reçu la première subvention du Pass Drones ?",
                "La jeune start-up Asterodyn a reçu 30 000 euros [1].")]
    a = assistant.ask("Quelle vitesse ses drones atteignent-ils ?", history)
    _grounded(a)
    assert "400 kilomètres heure" in a.answer
    assert "Asterodyn" in a.standalone_question  # the pronoun's referent was carried over


def test_an_english_question_is_answered_from_the_french_text(assistant):
    a = assistant.ask("In which town did the regional defence conference take place in June 2025?")
    _grounded(a)
    assert "Chantilly" in a.answer


def test_a_question_outside_the_corpus_is_refused(assistant):
    for question in ("Quelle est la recette de la soupe à l'oignon ?", "Comment installer Python sur Windows ?"):
        assert assistant.ask(question).abstained, question


def test_stream_shows_text_before_the_final_answer(assistant):
    items = list(assistant.stream("Combien d'emplois permanents le datacenter près de Valenciennes doit-il créer ?"))
    texts = [i for i in items if isinstance(i, str)]
    assert texts and texts[-1] == items[-1].answer and "2.400" in items[-1].answer


# --- pure parts -------------------------------------------------------------------------------------

@pytest.mark.parametrize("question, kind, is_list", [
    ("Combien d'emplois représentent les usines ?", "figure", False),
    ("Quel montant la Région a-t-elle voté ?", "amount", False),
    ("Quand l'usine doit-elle ouvrir ?", "date", False),
    ("Qui pilote le programme ?", "agent", False),
    ("Dans quelle commune l'usine s'installe-t-elle ?", "place", False),
    ("Que signifie le sigle CCI ?", "definition", False),
    ("Pourquoi l'entreprise relocalise-t-elle ?", "cause", False),
    ("Quelles entreprises portent le projet ?", "agent", True),
    ("Quel atelier était prêt quand le confinement a commencé ?", None, False),  # the first interrogative rules
    ("How long did the survey take?", "duration", False),
    ("Qu'est-ce que la crise a rendu plus urgent ?", None, False),  # a clause follows: not a definition
    ("Combien coûte le nouveau viaduc ?", "amount", False),  # a verb of cost asks for a sum of money
    ("Quel est le salaire d'un technicien ?", "amount", False),  # a salary is a sum of money, not any figure
    ("Qui est Camille Durand ?", "identity", False),  # who she is (her role), not another name
    ("Qui est le directeur du port ?", "agent", False),  # a role: the person holding it is asked
    ("Quel est le nom de la commune retenue pour le dépôt ?", "place", False),  # "le nom de": the next noun says
    ("Quel est le nom du fondateur de l'atelier ?", "person", False),
    ("Quel est le nom du programme lancé en 2024 ?", "agent", False),  # a name, whatever it names
    ("Quel est le poids du tourisme dans l'économie locale ?", "figure", False),  # a weight is a measure
    ("What is the vacancy rate in the business parks?", "figure", False),  # English puts the head noun last
    ("What is the total budget of the bridge?", "amount", False),
    ("Which coastal town hosts the plant?", "place", False),
    ("Quel est son budget ?", "amount", False),  # a possessive determiner, like an article, before the noun
    ("Quelle est leur date de création ?", "date", False),
])
def test_question_analysis_finds_the_kind_of_answer(question, kind, is_list):
    q = analyse_question(question)
    assert (q.kind, q.is_list) == (kind, is_list)


def test_only_combien_de_x_counts_a_noun():
    """"combien de salariés" counts employees; in "combien coûte" or "combien emploie" a verb follows: nothing
    is counted, so no sentence has to repeat that word after its figure."""
    assert analyse_question("Combien de salariés compte l'usine ?").counted == "salar"
    assert analyse_question("How many people work there?").counted == "peopl"
    assert analyse_question("Combien coûte le nouveau viaduc ?").counted is None
    assert analyse_question("Combien emploie l'usine ?").counted is None


def test_who_is_a_named_person_is_answered_with_the_sentence_describing_them(assistant):
    """"Qui est <name> ?" asks what the person does: the sentence giving his role answers, where asking for
    another name than his own had refused."""
    a = assistant.ask("Qui est Olivier Lluansi ?")
    _grounded(a)
    assert "professeur du Cnam" in a.answer


def test_a_question_about_a_cost_is_answered_with_the_sum(assistant):
    a = assistant.ask("Combien coûte le projet de Data4 ?")
    _grounded(a)
    assert "5 milliards" in a.answer


def test_question_analysis_finds_focus_count_and_second_ask():
    q = analyse_question("Que désignent les « Zones d'activité » et combien en compte le Ministère des Armées ?")
    assert q.kind == "definition" and q.also == ("figure",)
    assert q.focus == ("Zones d'activité", "Ministère des Armées")
    assert analyse_question("Quels sont les trois ports cités ?").count == 3
    assert analyse_question("Which companies build the plant?").language == "en"


def test_kinds_are_detected_from_the_words():
    q = analyse_question("Combien de salariés compte l'usine ?")
    assert holds("figure", "L'usine compte 1 200 salariés.", q)
    assert not holds("figure", "Les modèles R4 et R5 sont produits ici.", q)  # "R4" is a name, not a quantity
    assert holds("amount", "Une enveloppe de cinq millions d'euros.", analyse_question("Quel budget ?"))
    assert holds("cause", "La demande est en baisse car les prix montent.", analyse_question("Pourquoi ?"))
    assert acronym_expansion("la SNCF (Société nationale des chemins de fer Français)", "SNCF")


def test_a_count_written_in_words_answers_how_many():
    """"quarante bus" answers "combien de bus", and a sentence counting something else does not."""
    from rag.answer.kinds import counted_near_number

    q = analyse_question("Combien de bus la nouvelle ligne met-elle en service ?")
    assert holds("figure", "La ligne met en service quarante bus électriques.", q)
    assert counted_near_number("La ligne met en service quarante bus électriques.", q)
    assert counted_near_number("Elle ajoute quatre-vingt-dix bus en 2030.", q)
    assert not counted_near_number("Réunion publique : 30 participants.", q)
    assert not counted_near_number("Un bus part toutes les heures.", q)  # "un" is an article here
    # an approximate number counts the noun after its "de"
    assert counted_near_number("Le réseau a reçu une quarantaine de bus d'occasion.", q)
    assert counted_near_number("Des centaines d'usagers et une soixantaine de bus.", q)
    assert not counted_near_number("Une centaine d'usagers attendent le bus.", q)


def test_units_merge_layout_fragments_group_list_items_and_point_back():
    text = ("Séance de lancement\n7 \"cafés de la prospective\"\n73 participants d'horizons variés\n\n"
            "Parmi les axes retenus :\n• Former les jeunes ;\n• Attirer des entreprises.\n\n"
            "La Région a voté ce plan. Cette décision démarre en 2026.")
    units = units_of(text, 1)
    texts = [u.text for u in units]
    assert texts[0] == "Séance de lancement 7 \"cafés de la prospective\" 73 participants d'horizons variés."
    lead, first, second = units[1], units[2], units[3]
    assert lead.lead and first.item and second.item and lead.group == first.group == second.group
    assert units[-1].prev is units[-2]  # "Cette décision" points at the sentence before
    for u in units:
        assert display_text(text[u.start:u.end]).rstrip(".") == u.text.rstrip(".")


def test_a_heading_line_is_not_glued_to_the_paragraph_under_it():
    """A short unfinished line above a full sentence is the article's intertitle: glued to the sentence, its
    figure would read as what the sentence says."""
    text = ("Un chantier à 80 millions\nTrois semaines plus tard, les élus se réunissent à Arras pour visiter "
            "le nouveau dépôt ferroviaire de la métropole.\n")
    texts = [u.text for u in units_of(text, 1)]
    assert texts[-1] == ("Trois semaines plus tard, les élus se réunissent à Arras pour visiter le nouveau dépôt "
                         "ferroviaire de la métropole."), texts
    assert all("80 millions" not in t or "Arras" not in t for t in texts), texts


def test_marker_goes_before_the_final_period_and_after_a_closing_quote():
    assert with_marker("Ils sont 18.", 2) == "Ils sont 18 [2]."
    assert with_marker('Il dit : "nous gagnerons."', 1) == 'Il dit : "nous gagnerons" [1].'
    assert with_marker("Pourquoi pas ?", 3) == "Pourquoi pas ? [3]"
    assert [n for _, n in answer_sentences(with_marker("Un.", 1) + " " + with_marker('Deux "trois."', 2))] == [[1], [2]]


def test_standalone_question_without_history_is_the_question():
    q = standalone_question("Que signifie ZAN ?", None)
    assert q.text == "Que signifie ZAN ?" and q.carried == ()


def test_follow_up_carries_the_question_word_and_drops_the_replaced_value():
    q = standalone_question("Et lors de la phase I ?", [("Combien de territoires se sont engagés dans la phase II ?",
                                                        "Pour sa phase II, 18 territoires [1]")])
    assert "combien" in q.carried and "territoires" in q.carried and "II" not in q.carried
    assert q.text.startswith("Et lors de la phase I ?") and "(" not in q.text


def test_the_pronoun_en_makes_a_question_a_follow_up_and_the_preposition_does_not():
    history = [("Qu'est-ce que le Fonds Littoral ?", "Un fonds régional doté par la Région et la BPI [1].")]
    for question in ("Quelle commune en a bénéficié la première ?", "Qu'en dit la chambre de commerce ?",
                     "Combien y en a-t-il eu ?", "Combien elle en a reçu ?"):
        q = standalone_question(question, history)
        assert "Fonds" in q.carried and "Littoral" in q.carried, question
    for question in ("Quelles communes ont signé en 2024 ?", "Que fait la Région en Picardie pour les ports ?",
                     "Quelles villes vont en Belgique ?"):
        assert standalone_question(question, history).text == question


def test_an_object_pronoun_makes_a_question_a_follow_up_and_the_article_does_not():
    """"Qui la finance ?", "Qui l'a lancé ?": le/la/les/l' before the verb stand for what was said before; the
    same words before a noun are articles ("Quand l'usine ouvrira-t-elle ?" is a question of its own)."""
    history = [("Qu'est-ce que le Fonds Littoral ?", "Un fonds régional doté par la Région et la BPI [1].")]
    for question in ("Qui la finance aujourd'hui ?", "Qui l'a lancé au départ ?", "Qui les gère sur place ?",
                     "Pourquoi l'a-t-on créé si tard ?"):
        q = standalone_question(question, history)
        assert "Fonds" in q.carried and "Littoral" in q.carried, question
    for question in ("Depuis quand l'usine de Calais est ouverte au public ?", "Qui dirige la chambre de commerce régionale ?",
                     "Quelles usines se trouvent dans l'est de la région ?"):
        assert standalone_question(question, history).text == question, question


def test_an_ordinal_without_its_noun_carries_that_item_of_the_listed_answer_only():
    history = [("Quels ports de la côte sont cités ?",
                "Il y en a trois : Dunkerque, avec son terminal méthanier ; Calais, port de voyageurs ; "
                "et Boulogne-sur-Mer, port de pêche [1].")]
    first = standalone_question("Qui gère le premier ?", history)
    assert "Dunkerque" in first.carried and not {"Calais", "Boulogne"} & set(first.carried)
    assert "ports" in first.carried  # the topic of the previous question still comes along
    last = standalone_question("Et le dernier, il emploie combien de personnes ?", history)
    assert "Boulogne" in last.carried and "Dunkerque" not in last.carried
    beyond = standalone_question("Qui gère le cinquième ?", history)  # no fifth item: every name, as for a pronoun
    assert {"Dunkerque", "Calais", "Boulogne"} <= set(beyond.carried)
    assert standalone_question("Qui gère le premier port ?", history).text == "Qui gère le premier port ?"


def test_a_capitalised_word_opening_the_previous_answer_is_not_taken_for_a_name():
    history = [("Qu'a proposé l'institut pour relancer l'industrie ?",
                "Créer une douzaine de zones prioritaires. Stellantis et Xavier Bertrand s'en réjouissent.")]
    q = standalone_question("Qui critique cette idée ?", history)
    assert "Créer" not in q.carried
    assert "Stellantis" in q.carried and "Xavier Bertrand" in q.carried


def test_debris_detection():
    assert is_debris("FRANCAISE DE MECANIQUE Lens 29.10Z Construction de véhicules automobiles 1 000 à 1 999 salariés "
                     "LES FACTEURS DE CHANGEMENT.")
    assert not is_debris("Ces trois gigafactories représentent 2.800 emplois, détaille Xavier Bertrand.")


@pytest.mark.parametrize("text, expected", [
    ('donnant naissance à une "vallée de la batterie". "J\'ai décidé d\'investir", dit-il.',
     ['donnant naissance à une "vallée de la batterie".', '"J\'ai décidé d\'investir", dit-il.']),
    ("il y a une place à prendre.\u202f» Le président parle.", ["il y a une place à prendre.\u202f»", "Le président parle."]),
    ("« Les Hauts-de-France sont dynamiques. Ici, l'industrie mobilise », se réjouit-il. Il part.",
     ["« Les Hauts-de-France sont dynamiques. Ici, l'industrie mobilise », se réjouit-il.", "Il part."]),
    ("M. Dupont a payé 2.800 euros. Puis il est parti.", ["M. Dupont a payé 2.800 euros.", "Puis il est parti."]),
    ("lors du deuxième atelier prospectif (Saint-Michel) organisé avec la\nMaison des entreprises du territoire.",
     ["lors du deuxième atelier prospectif (Saint-Michel) organisé avec la\nMaison des entreprises du territoire."]),
    # a short line is a heading before a capital only when it could end there: not on "de", "la" or a comma
    ("Réunion préparée avec la\nChambre des métiers de\nLaon\nCalendrier\nLes dates suivent.",
     ["Réunion préparée avec la\nChambre des métiers de\nLaon", "Calendrier", "Les dates suivent."]),
])
def test_sentence_splitter(text, expected):
    spans = split_sentences(text)
    assert [s.text for s in spans] == expected
    assert all(text[s.start:s.end] == s.text for s in spans)


def test_the_llm_is_guided_by_the_same_analysis_and_units(assistant):
    from rag.answer.guidance import llm_guidance

    question = "Quel montant la task-force régionale pour la défense doit-elle mobiliser ?"
    passages = assistant.retriever.search(question)
    analysis = assistant.extractive.analyse(question, passages)
    guidance = llm_guidance(analysis, assistant.settings.answer)
    assert "La question demande un montant." in guidance
    assert "250 millions" in guidance and "[1] «" in guidance  # the unit the extractive answer quotes, with its [n]
    from rag.answer.prompts import default_prompts

    assert guidance in default_prompts().render_answer(question, [p.text for p in passages], guidance)


def _scored(question: str, passages: list[str], words: str = "", cosine: float = 0.0, documents: list[str] | None = None):
    """(question analysis, its terms, the passages' units scored best first, vocabulary, weights) for invented
    passages, as the answerer scores them; every similarity is `cosine`, so the words decide. The vocabulary
    is the passages' words plus `words` (words of the questions the corpus should know). Each passage is a
    document of its own unless `documents` gives the whole document of each."""
    w = AnswerSettings()
    vocab = Vocabulary({t: 1 for t in analyze(" ".join(passages) + " " + words)}, 50)
    q, qt = analyse_question(question), question_terms(question, frozenset(), vocab, w)
    whole = documents or passages
    # as the answerer does: a footnote unit carries the word its call mark follows in the document
    units = [replace(u, document=folded(whole[n - 1]), terms=u.terms | footnote_terms(footnote_calls(whole[n - 1]), u.text))
             for n, text in enumerate(passages, start=1) for u in units_of(text, n)]
    n = len(passages)
    ranked = score_units(q, qt, units, np.full(len(units), cosine), list(range(1, n + 1)), [cosine] * n, w)
    return q, qt, ranked, vocab, w


def test_the_class_noun_after_quel_is_met_by_the_answer_itself():
    """"Dans quelle ville...": a sentence naming the plant and its town answers what is asked about the plant
    without repeating "ville"; so does a sum for "quel montant / quel budget"; a measured noun ("Quel taux...")
    still has to be in the sentence."""
    text = "L'usine Lumotec est installée à Roubaix depuis 2012. Son budget de recherche atteint 4 millions d'euros."

    def property_of(question: str, unit_start: str) -> float:
        ranked = _scored(question, [text], "ville usine recrute montant taux")[2]
        return next(u for u in ranked if u.text.startswith(unit_start)).extras["property"]

    assert analyse_question("Dans quelle ville se trouve l'usine Lumotec ?").noun == "ville"
    assert property_of("Dans quelle ville se trouve l'usine Lumotec ?", "L'usine") == 1.0
    # the town is no answer to another property of the plant: its words are still required
    assert property_of("Dans quelle ville l'usine Lumotec recrute-t-elle ?", "L'usine") < 1.0
    # a sum of money is the amount or the budget asked, written so or not
    assert property_of("Quel montant l'usine Lumotec consacre-t-elle à la recherche ?", "Son budget") == 1.0
    assert property_of("Quel budget l'usine Lumotec consacre-t-elle à la recherche ?", "Son budget") == 1.0
    # a rate is named where it is given: a sum is no rate
    assert property_of("Quel taux de recherche l'usine Lumotec affiche-t-elle ?", "Son budget") < 1.0


def test_a_measurement_is_the_physical_quantity_asked():
    """"Quelle vitesse atteignent les drones de Kelvio ?": a figure with its unit ("300 kilomètres heure") is
    the speed asked, though the sentence never says "vitesse"; a sum of money about the same drones is not."""
    speed = "La start-up Kelvio produit des drones très rapides (jusqu'à 300 kilomètres heure) à Lorvan."
    money = "Les drones de Kelvio ont reçu une subvention de 30 000 euros de la région."
    q, qt, ranked, vocab, w = _scored("Quelle vitesse atteignent les drones de Kelvio ?", [speed, money], "vitesse",
                                      cosine=0.9)
    assert q.measured
    by_text = {u.text: u for u in ranked}
    assert by_text[speed].extras["property"] > 0.5 and by_text[money].extras["property"] == 0.0
    assert refusal_reason(q, qt, ranked, vocab, w) is None
    assert choose(q, qt, ranked, w)[0].text == speed


def test_an_adjective_before_the_noun_does_not_hide_it():
    """The short adjectives French puts before a noun (gros, bon, jeune...) are skipped to find the head noun."""
    assert analyse_question("Quel gros industriel s'est implanté à Arras ?").noun == "industriel"
    assert analyse_question("Quel gros industriel s'est implanté à Arras ?").kind == "agent"
    assert analyse_question("Quelle jeune entreprise a levé des fonds ?").noun == "entreprise"


def test_an_english_question_is_judged_on_the_scale_of_the_same_question_in_french(assistant):
    """The model scores an English question lower against the French text than its French translation; the
    measured gap brings the English question's evidence to the French one's (questions written for this test)."""
    from dataclasses import replace

    from rag.answer.language_gap import NONE
    from rag.query.followup import Query

    gap = assistant.extractive.language_gap
    assert 0.01 < gap.sentence < 0.15 and 0.01 < gap.chunk < 0.15, gap
    pairs = [("Combien de fiches variables le collège de prospective a-t-il élaborées ?", "How many variable sheets did the foresight college draw up?"),
             ("Quand l'usine de batteries de Douvrin a-t-elle été inaugurée ?", "When was the battery plant in Douvrin opened?"),
             ("Qui préside la région Hauts-de-France ?", "Who chairs the Hauts-de-France region?")]
    with_gap, without = [], []
    for french, english in pairs:
        evidence = []
        for q in (french, english):
            passages, _ = assistant.retriever.search_named(q)
            evidence.append(assistant.extractive.prepare(Query(q, q), passages))
        fr, en = evidence
        assert fr.gap == NONE and en.gap == gap  # only the question not in the corpus's language is shifted
        best = assistant.extractive.decide(fr).ranked[0].evidence
        with_gap.append(abs(assistant.extractive.decide(en).ranked[0].evidence - best))
        without.append(abs(assistant.extractive.decide(replace(en, gap=NONE)).ranked[0].evidence - best))
    assert sum(with_gap) < sum(without), (with_gap, without)


def test_a_hyphenated_name_in_an_english_question_stays_a_name():
    """English capitalises common words ("the Council"), which are not names to look for; "Mill-Bridge" is one."""
    assert analyse_question("How many people work at the Mill-Bridge site?").focus == ("Mill-Bridge",)
    assert analyse_question("Which reports did the Council publish?").focus == ()


def test_a_list_announced_with_its_count_is_completed_even_when_another_sentence_comes_first():
    """"quatre leviers : A, B. Mais aussi C. Et enfin D.": the announcing sentence goes on in the next ones,
    also when the best unit is another sentence (the one naming the phase asked about)."""
    text = ("En 2025, la Métropole de Lorvan lance la deuxième phase de son plan vélo. "
            "Pour la financer, quatre leviers sont prévus : une taxe locale, un emprunt vert. "
            "Mais aussi des fonds européens. Et enfin le mécénat des entreprises. La concertation dure six mois.")
    q, qt, ranked, _, w = _scored("Quels leviers financent la deuxième phase du plan vélo de Lorvan ?", [text])
    assert ranked[0].text.startswith("En 2025")  # the phase's sentence scores best
    chosen = [u.text for u in choose(q, qt, ranked, w)]
    assert "Mais aussi des fonds européens." in chosen and "Et enfin le mécénat des entreprises." in chosen, chosen
    assert "La concertation dure six mois." not in chosen  # no more than the four announced


def test_a_year_introduced_by_a_preposition_of_time_is_no_quantity():
    """"menacée en 2021" dates the sentence: it does not answer "combien de salariés"; a count beside a date does."""
    q = analyse_question("Combien de salariés travaillent dans la fonderie de Marvelle ?")
    assert not holds("figure", "La fonderie de Marvelle, menacée en 2021, a été reprise par un groupe belge.", q)
    assert holds("figure", "La fonderie emploie 1 200 salariés depuis 2019.", q)
    assert holds("date", "La fonderie, menacée en 2021, a été reprise.", analyse_question("Quand la fonderie a-t-elle été menacée ?"))


def test_a_list_about_something_else_does_not_replace_the_sentence_that_answers():
    """A bullet list of business parks is no answer to "which companies are behind this plant": the sentence
    naming them is quoted, the list from a passage that never names the plant is not."""
    plant = "L'usine Solvane d'Arvel, portée par Norfer, Calix et Videm, a ouvert en 2023."
    parks = "Les parcs d'activités de la région :\n• Parc des Saules ;\n• Parc du Moulin ;\n• Zone des Étangs."
    q, qt, ranked, _, w = _scored("Quelles entreprises portent l'usine Solvane d'Arvel ?", [plant, parks], "entreprises")
    chosen = [u.text for u in choose(q, qt, ranked, w)]
    assert chosen == [plant], chosen


def test_a_table_row_naming_a_place_answers_what_it_holds_and_nothing_else():
    """A table row is layout debris, yet it names the plant of a town: it answers "which company in X", not
    "what is X's industrial policy" (rows and map labels are no evidence about a topic)."""
    row = "MARVELLE FONDERIES ARVEL Arvel 24.10Z Sidérurgie 1 000 à 1 999 salariés."

    def refusal(question: str) -> str | None:
        # similarities set high: only the focus check can refuse
        q, qt, ranked, vocab, w = _scored(question, [row], "entreprise implantée politique industrielle", cosine=0.95)
        assert all(u.debris for u in ranked)
        return refusal_reason(q, qt, ranked, vocab, w)

    assert refusal("Quelle entreprise de sidérurgie est implantée à Arvel ?") is None
    assert refusal("Quelle est la politique industrielle d'Arvel ?") == "focus-unsupported"


def test_a_figure_counts_the_noun_phrase_right_after_it():
    """"combien d'ateliers": in "12 salariés des ateliers" the figure counts employees; "35 ateliers" and
    "35 ateliers textiles" count workshops, so does "8 millions d'euros d'aides" count aid for "combien d'aides"."""
    from rag.answer.kinds import counted_near_number

    q = analyse_question("Combien d'ateliers la coopérative de Lorvan gère-t-elle ?")
    assert not counted_near_number("La coopérative emploie 12 salariés des ateliers de tissage.", q)
    assert counted_near_number("La coopérative gère 35 ateliers.", q)
    assert counted_near_number("La coopérative gère 35 nouveaux ateliers textiles.", q)
    assert counted_near_number("Elle a reçu 8 millions d'euros d'aides.", analyse_question("Combien d'aides a-t-elle reçu ?"))
    assert not counted_near_number("Les ateliers font 18 % des emplois.", q)


def test_the_unit_counting_the_asked_noun_answers_how_many():
    """A close sentence with another figure does not take the place of the one counting what is asked."""
    text = ("La coopérative de Lorvan, fondée par 12 salariés des ateliers de tissage, fête ses dix ans. "
            "La coopérative gère aujourd'hui 35 ateliers.")
    q, qt, ranked, _, w = _scored("Combien d'ateliers la coopérative de Lorvan gère-t-elle ?", [text])
    assert [u.text for u in choose(q, qt, ranked, w)] == ["La coopérative gère aujourd'hui 35 ateliers."]


def test_two_questions_of_the_same_kind_get_a_datum_each():
    """"combien… et combien… ?" asks two figures: the sentence giving the second one is added, and a sentence
    repeating the first figure is not."""
    text = ("Le salon de Lorvan a réuni 120 exposants cette année. Le salon de Lorvan compte 120 exposants. "
            "Ses organisateurs y ont compté 4 000 visiteurs.")
    q, qt, ranked, _, w = _scored("Combien d'exposants le salon de Lorvan a-t-il réunis, et combien de visiteurs ?", [text])
    assert q.also == ("figure",)
    chosen = [u.text for u in choose(q, qt, ranked, w)]
    assert any("120 exposants" in c for c in chosen) and any("4 000 visiteurs" in c for c in chosen), chosen
    assert len(chosen) == 2, chosen
    assert analyse_question("C'est une grosse usine ? Combien de salariés y travaillent ?").kind == "figure"
    assert analyse_question("How many plants, and how many jobs?").also == ("figure",)


def test_a_list_question_takes_the_sentence_enumerating_the_asked_class():
    """"Quelles entreprises…": a sentence naming companies in brackets after the word is items of the answer,
    though it shares few words with the question."""
    from rag.answer.kinds import enumerates

    text = ("Le cabinet Orvel a présenté l'étude sur la robotisation des PME du textile à Lorvan. "
            "Il s'appuie sur des entretiens avec des entreprises (Tissor, Filam, Lainex).")
    q, qt, ranked, _, w = _scored("Quelles entreprises ont été interrogées pour l'étude du cabinet Orvel sur la robotisation ?",
                                  [text], cosine=0.5)
    chosen = " ".join(u.text for u in choose(q, qt, ranked, w))
    assert "Tissor, Filam, Lainex" in chosen, chosen
    assert enumerates("trois ports : Dunkerque, Calais et Boulogne", "port")
    assert not enumerates("les entreprises sont nombreuses (voir page 3)", "entreprise")


def test_a_long_sentence_is_cut_around_what_answers_keeping_its_complement_and_enumeration():
    """"Que propose X ?": the clause after the one naming X and the verb is what is proposed, and the items
    of an enumeration in "de" stay together; an aside at the other end is cut."""
    from rag.answer.compose import quoted_text

    sentence = ("Inspiré de ce qui se fait à Lorvan (qui cumule plus de deux cents ateliers textiles répartis sur "
                "toute la vallée depuis les années soixante), le cabinet Orvel a proposé, dans une note, de créer "
                "des pôles de tissage autour de l'accès au foncier, du soutien à la formation, d'aides fiscales et "
                "de prêts bonifiés, avec un guichet unique ouvert aux petites entreprises de la vallée et des "
                "communes voisines.")
    q, qt, ranked, _, w = _scored("Que propose le cabinet Orvel ?", [sentence])
    shown = quoted_text(ranked[0], q, qt, 45)
    assert "de créer des pôles de tissage" in shown, shown
    assert "d'aides fiscales et de prêts bonifiés" in shown, shown
    assert len(shown.split()) < ranked[0].words

    # the relative clauses describing the same antecedent stay: "qui fabrique…", a bracket, "et qui entend…"
    sentence = ("Une aide de 20 000 euros sur un programme de 300 000 euros est versée à la jeune entreprise "
                "lorvanaise Kelvio, qui fabrique « les turbines les plus légères du marché » (moins de deux kilos), "
                "et qui « entend se tourner vers les usages maritimes », en ouvrant un second atelier près du port "
                "de Lorvan avant la fin de l'année prochaine.")
    q, qt, ranked, _, w = _scored("Que fait l'entreprise Kelvio ?", [sentence])
    shown = quoted_text(ranked[0], q, qt, 45)
    assert "qui fabrique" in shown and "usages maritimes" in shown, shown


def test_a_description_or_cause_is_answered_by_the_best_unit_not_the_first_with_a_marker():
    """A "pourquoi" question: a sentence holding "car" about something else does not go before the sentence
    that answers the question in its own words."""
    texts = ["La fonderie de Marvelle ferme son second atelier, devenu trop coûteux à chauffer.",
             "Les prix montent car la demande baisse."]
    q, qt, ranked, _, w = _scored("Pourquoi la fonderie de Marvelle ferme-t-elle son second atelier ?", texts)
    assert q.kind == "cause" and ranked[1].holds and not ranked[0].holds
    assert [u.text for u in choose(q, qt, ranked, w)][0].startswith("La fonderie de Marvelle ferme"), [u.text for u in ranked]


def test_a_sum_of_money_or_a_measurement_is_no_count_of_things():
    """"Combien d'emplois…" is not answered by "400 000 euros" or "400 kilomètres heure"; "combien de
    kilomètres" is answered by a distance, "combien d'emplois" by a count of jobs."""
    jobs = analyse_question("Combien d'emplois la start-up Volantis va-t-elle créer ?")
    assert not holds("figure", "Volantis a reçu une aide de 400 000 euros.", jobs)
    assert not holds("figure", "Ses drones volent à 400 kilomètres heure.", jobs)
    assert holds("figure", "Volantis créera 40 emplois à Arvel.", jobs)
    assert holds("figure", "La ligne fait 12 kilomètres.", analyse_question("Combien de kilomètres fait la ligne ?"))



def test_the_second_thing_asked_is_taken_from_the_sentence_right_after_the_first():
    """"Que désignent X et combien en compte-t-on ?": the sentence after the definition gives the count,
    though it shares no word with the question and the definition holds a number of its own (a reference)."""
    text = ("Les « pôles relais » désignent des communes capables d'animer un réseau local (cf. axe 2 du schéma "
            "régional). On en dénombre 9, réparties sur le territoire. La carte du réseau a été publiée au printemps.")
    q, qt, ranked, _, w = _scored("Que désignent les « pôles relais » et combien en compte-t-on ?", [text])
    assert q.kind == "definition" and q.also == ("figure",)
    chosen = [u.text for u in choose(q, qt, ranked, w)]
    assert chosen[0].startswith("Les « pôles relais » désignent") and "On en dénombre 9, réparties sur le territoire." in chosen, chosen
    assert not any("printemps" in c for c in chosen), chosen
    # a next sentence that does not point back is no continuation, even when it gives a figure
    text = ("Les « pôles relais » désignent des communes capables d'animer un réseau local. "
            "Deux cartes du réseau ont été publiées au printemps.")
    q, qt, ranked, _, w = _scored("Que désignent les « pôles relais » et combien en compte-t-on ?", [text], cosine=0.0)
    assert [u.text for u in choose(q, qt, ranked, w)] == ["Les « pôles relais » désignent des communes capables d'animer un réseau local."]


def test_a_list_without_the_asked_datum_does_not_replace_the_unit_giving_it():
    """"Quelles aides…" asks for sums: a bullet list of the plan's axes, without a sum, does not take the place
    of the sentence giving the aid."""
    aid = "Une prime de 200 euros par foyer complète le plan."
    text = ("Les aides votées par la Métropole de Lorvan pour les vélos :\n• Pistes cyclables ;\n"
            "• Stationnement sécurisé ;\n• Ateliers de réparation.\n\n" + aid)
    q, qt, ranked, _, w = _scored("Quelles aides la Métropole de Lorvan a-t-elle votées pour les vélos ?", [text])
    assert q.kind == "amount" and q.is_list
    chosen = [u.text for u in choose(q, qt, ranked, w)]
    assert chosen[0] == aid, chosen


def test_rows_of_a_table_are_units_of_their_own():
    """Table lines with the same run of figures are rows, each quotable alone; a label and its figure on two
    lines still make one unit."""
    table = ("LUMOTEC SA Roubaix 26.11Z Fabrication de composants 500 à 999 salariés\n"
             "FONDERIES ARVEL Arvel 24.10Z Sidérurgie 1 000 à 1 999 salariés\n")
    rows = [u.text for u in units_of(table, 1)]
    assert rows == ["LUMOTEC SA Roubaix 26.11Z Fabrication de composants 500 à 999 salariés.",
                    "FONDERIES ARVEL Arvel 24.10Z Sidérurgie 1 000 à 1 999 salariés."], rows
    assert [u.text for u in units_of("24 045\nétablissements\n", 1)] == ["24 045 établissements."]


def test_a_table_row_is_read_and_shown_with_its_column_headers():
    """A row ("Textile 3,1% -12,4 -2,0") says what its figures measure only through the headers above the first
    row: it answers a question worded like the headers, the headers are quoted before it, and the headers
    themselves (years, ordinals) are no datum."""
    table = ("Les filières de Lorvan ont été suivies pendant toute la période.\n\n"
             "Secteur Part de l'emploi\n1er semestre 2021 2e semestre 2021\nRecul des commandes en points\n\n"
             "Textile 3,1% -12,4 -2,0\n\nChimie 6,8% -4,5 -1,1\n\nAéronautique 2,2% -18,3 -7,5\n")
    q, qt, ranked, _, w = _scored("De combien les commandes du textile ont-elles reculé au 1er semestre 2021 ?", [table])
    row = next(u for u in ranked if u.text.startswith("Textile"))
    assert row.prev is not None and row.prev.text.startswith("Secteur Part de l'emploi") and "Recul des commandes" in row.prev.text
    assert ranked[0] is row, [u.text for u in ranked[:3]]
    assert not any(u.holds for u in ranked if u.text.startswith("Secteur")), "a header holds no datum"
    chosen = [u.text for u in choose(q, qt, ranked, w)]
    assert chosen[:2] == [row.prev.text, row.text], chosen
    # the header's span is verbatim: the sources panel highlights it
    assert table[row.prev.start:row.prev.end].startswith("Secteur") and table[row.prev.end - 9:row.prev.end] == "en points"


def test_a_year_span_written_after_a_name_is_part_of_the_name_not_a_constraint():
    """"l'Observatoire Lorvan 2021-2027" is one name: its years are no date the answer must hold, nor what is
    asked about it; a credit line naming the observatory does not answer who runs it."""
    q = analyse_question("Qui dirige l'Observatoire Lorvan 2021-2027 ?")
    assert q.focus == ("Observatoire Lorvan 2021-2027",) and not q.years
    assert analyse_question("Combien d'emplois à Lorvan en 2027 ?").years == {"2027"}
    credit = "Réalisation : Observatoire Lorvan 2021-2027, traitement des données du Recensement."
    q, qt, ranked, vocab, w = _scored("Qui dirige l'Observatoire Lorvan 2021-2027 ?", [credit], "dirige", cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) is not None
    answer = "L'Observatoire Lorvan 2021-2027 est dirigé par Anne Morel, économiste."
    q, qt, ranked, vocab, w = _scored("Qui dirige l'Observatoire Lorvan 2021-2027 ?", [credit + " " + answer], cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) is None and ranked[0].text == answer


def test_a_line_that_only_restates_the_question_is_never_quoted():
    """A title line made of the question's own words ("Les missions de l'Office Varenne") tells the reader
    nothing: the sentence after it, which says what the missions are, is quoted instead."""
    title = "Les missions de l'Office Varenne"
    body = "L'Office Varenne accompagne les PME dans leurs projets d'exportation et finance leurs salons."
    ranked = _scored("Quelles sont les missions de l'Office Varenne ?", [f"{title}\n\n{body}"], cosine=0.9)[2]
    assert [u.text for u in ranked] == [body]


def test_a_credit_line_under_a_map_answers_only_a_question_about_credits():
    """"Réalisation : Office Varenne" under a map names who drew it, not what the office does: only the
    sentence saying what it does is a candidate; a question about who drew the map still gets the credit."""
    credit = "Réalisation : Office Varenne, atelier de cartographie"
    body = "L'Office Varenne accompagne les exportateurs régionaux dans leurs salons à l'étranger."
    ranked = _scored("Quel rôle joue l'Office Varenne pour les exportateurs ?", [f"{credit}\n\n{body}"],
                     cosine=0.9)[2]
    assert [u.text for u in ranked] == [body]
    ranked = _scored("Qui a réalisé la carte ?", [f"{credit}\n\n{body}"], "carte", cosine=0.9)[2]
    assert any(u.text.startswith("Réalisation") for u in ranked)
    assert units_of(credit, 1)[0].credit
    assert not units_of("Sources d'énergie : la Région finance trois parcs éoliens.", 1)[0].credit
    # a map's scale bar glued before the credit, and a cartography credit, are credit lines too
    assert units_of("0 50 Km´Réalisation : Office Varenne, atelier de cartographie", 1)[0].credit
    assert units_of("20 km cartographie: Office Varenne - carte n°12", 1)[0].credit
    assert not units_of("Les 20 km de côte de Lorvan attirent les touristes.", 1)[0].credit


def test_a_lone_asterisk_line_is_a_footnote_not_a_list_item():
    """"* Les parcs Lorvan sont…" under an article explains the call mark "Lorvan*": a footnote, which a list
    question must not take for the list; asterisks opening consecutive lines still mark a list."""
    text = ("Trois outils aident les parcs : des chefs de projet, une aide au foncier et un fonds.\n\n"
            "* Les parcs Lorvan sont des zones d'activité labellisées par la Région depuis 2019.")
    footnote = next(u for u in units_of(text, 1) if "zones d'activité" in u.text)
    assert not footnote.item and footnote.group is None
    items = units_of("Parmi les axes retenus :\n* Former les jeunes ;\n* Attirer des entreprises.", 1)
    assert [u.item for u in items] == [False, True, True]


def test_a_count_of_a_noun_the_corpus_uses_must_be_written_with_it():
    """"Combien de drones… ?": when the corpus writes "drones" somewhere, a figure of a passage that never does
    ("18 navires") counts something else, and the question is refused; when the corpus never uses the asked
    word ("patrons"), its own word for it ("entrepreneurs") may stand."""
    passage = "Le port de Lorvan accueille 18 navires par jour depuis la réouverture du bassin."
    q, qt, ranked, vocab, w = _scored("Combien de drones le port de Lorvan accueille-t-il par jour ?", [passage],
                                      "drones livrés par la filière", cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) == "no-answer-of-kind"
    speech = "Le président de Lorvan parle devant une vingtaine d'entrepreneurs réunis au port."
    q, qt, ranked, vocab, w = _scored("Combien de patrons écoutaient le président de Lorvan au port ?", [speech],
                                      cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) is None
    assert analyse_question("Combien de temps faut-il pour construire le port ?").counted is None


def test_a_physical_quantity_is_answered_by_a_figure_with_its_unit():
    """"Quelle capacité…", "What speed…": a figure with its unit of measure answers ("16 GWh", "80 km"); a count
    of projects or a model number does not, so the question about a plant whose capacity is not given is
    refused instead of quoting "Deux autres projets suivront"."""
    q = analyse_question("Quelle est la capacité de l'usine de Lorvan ?")
    assert q.kind == "figure" and q.measured
    assert holds("figure", "L'usine de Lorvan produira 16 GWh de batteries par an.", q)
    assert not holds("figure", "Deux autres projets suivront, dont l'usine de Lorvan (modèle R5).", q)
    assert not holds("figure", "L'usine de Lorvan emploie 1 200 salariés.", q)
    assert not holds("figure", "L'usine de Lorvan a coûté 20 milliards d'euros.", q)  # a sum is no capacity
    assert analyse_question("What speed can the Lorvan drones reach?").measured
    assert not analyse_question("Quel est le nombre de salariés de l'usine ?").measured


def test_a_further_unit_about_another_subject_is_not_added():
    """"Quel rôle jouera X ?": a sentence on the role of technologies, from a document that never names X,
    shares the question's words but is padding; a sentence of X's own document is not."""
    agency = "L'agence Vireo Invest sera mise à contribution pour attirer des investisseurs."
    other = "Les technologies de demain joueront un rôle décisif pour les usines."
    q, qt, ranked, _, w = _scored("Quel rôle jouera l'agence Vireo Invest ?", [agency, other], cosine=0.9)
    assert [u.text for u in choose(q, qt, ranked, w)] == [agency]
    # the same sentence in the agency's own document speaks of its subject ("elle", "l'agence") and may complete
    article = agency + " Le conseil a voté son budget. " + other
    q, qt, ranked, _, w = _scored("Quel rôle jouera l'agence Vireo Invest ?", [agency, other], cosine=0.9,
                                  documents=[article, article])
    assert [u.text for u in choose(q, qt, ranked, w)] == [agency, other]


def test_a_sentence_enumerating_the_asked_items_is_not_replaced_by_another_list():
    """"Avec quels partenaires…": the sentence naming the partners is the list asked for; a bullet list of the
    charter's axes, whose items hold names too but match the question less, does not take its place."""
    signed = "Temps fort : la signature d'une charte entre la Ville de Lorvan, la CCI Lorvan et le Syndicat des Eaux."
    goals = ("Cette charte engage la Ville de Lorvan sur dix ans. Parmi les axes de la charte :\n• Soutien aux PME du "
             "Syndicat Hydro ;\n• Programme Lorvan Eau 2030 ;\n• Formation des agents de la Ville.")
    q, qt, ranked, _, w = _scored("Avec quels partenaires la Ville de Lorvan a-t-elle signé une charte ?",
                                  [signed + "\n\n" + goals], "partenaires", cosine=0.9)
    assert q.is_list
    chosen = [u.text for u in choose(q, qt, ranked, w)]
    assert chosen[0] == signed and not any("Programme" in c for c in chosen), chosen


def test_a_cause_about_something_else_does_not_go_first():
    """"Pourquoi X relocalise-t-elle ?": a sentence giving a cause ("du fait de") of relocation in general, in a
    document that never names X, does not go before X's own words, which hold no cause marker."""
    own = "La société Kerlan veut relocaliser sa production près d'Arvel. « Nous dépendions trop de l'Asie », dit sa directrice."
    general = "Si la relocalisation de la production progresse, c'est du fait de la crise sanitaire."
    q, qt, ranked, _, w = _scored("Pourquoi la société Kerlan veut-elle relocaliser sa production ?", [own, general],
                                  cosine=0.9)
    assert q.kind == "cause"
    chosen = [u.text for u in choose(q, qt, ranked, w)]
    assert chosen[0].startswith("La société Kerlan"), chosen


def test_a_name_the_corpus_uses_everywhere_need_not_be_in_the_passage():
    """"Quand la Région a-t-elle voté le plan Vélo Lorvan ?": "Région" is in most chunks of a regional corpus,
    so a passage saying "le conseil régional" answers; the plan's own name is still required."""
    text = "En mars, le conseil régional a voté le plan Vélo Lorvan."
    question = "Quand la Région a-t-elle voté le plan Vélo Lorvan ?"
    w = AnswerSettings()
    vocab = Vocabulary({**{t: 1 for t in analyze(text)}, "region": 40}, 50)
    assert vocab.common_name("Région", w.rare_name_df) and not vocab.common_name("Vélo Lorvan", w.rare_name_df)
    q, qt = analyse_question(question), question_terms(question, frozenset(), vocab, w)
    assert set(q.focus) >= {"Région", "Vélo Lorvan"}

    def refusal(common):
        units = units_of(text, 1)
        ranked = score_units(q, qt, units, np.full(len(units), 0.9), [1], [0.9], w, common_names=common)
        return refusal_reason(q, qt, ranked, vocab, w)

    assert refusal(frozenset({"Région"})) is None
    assert refusal(frozenset()) == "no-answer-of-kind"  # before: every name had to be in the passage


def test_a_number_counting_the_pronoun_en_counts_what_the_sentence_before_names():
    """"On en dénombre 9" counts the relay hubs the sentence before defines: it answers "combien de pôles",
    though "pôles" is not written after the 9; a figure with "en" after a sentence on something else does not."""
    text = ("Les « pôles relais » désignent des communes capables d'animer un réseau local. "
            "On en dénombre 9, réparties sur le territoire.")
    q, qt, ranked, vocab, w = _scored("Combien de pôles relais compte le schéma régional ?", [text], "schéma régional", cosine=0.9)
    assert q.counted and refusal_reason(q, qt, ranked, vocab, w) is None
    assert any("On en dénombre 9" in u.text for u in choose(q, qt, ranked, w))
    other = ("Les « pôles relais » désignent des communes capables d'animer un réseau local. La carte des ateliers est "
             "publiée. On en dénombre 9, répartis sur le territoire.")
    q, qt, ranked, vocab, w = _scored("Combien de pôles relais compte le schéma régional ?", [other], "schéma régional", cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) == "no-answer-of-kind"


def test_of_a_sentence_and_its_damaged_copy_the_clean_one_is_quoted():
    """A damaged PDF repeats a page with garbled words: the clean copy is quoted, in the damaged copy's place;
    a damaged sentence saying more than any clean one (its figures) is kept."""
    damaged = "Interview : la fiilliièèrree bois devra s'appuyer sur la forêt (Jeanne MORVAL, Agence de Lorvan)."
    clean = "Interview : « La filière bois devra davantage s'appuyer sur la forêt locale » (Jeanne MORVAL, Agence de Lorvan)."
    q, qt, ranked, _, w = _scored("Qui dit que la filière bois devra s'appuyer sur la forêt ?", [damaged, clean], cosine=0.9)
    quoted = [u.text for u in choose(q, qt, ranked, w)]
    assert quoted == [clean], quoted
    assert not any("fiilliièèrree" in u.text for u in ranked)
    richer = "Interview : la fiilliièèrree bois devra s'appuyer sur la forêt, 40 scieries (Jeanne MORVAL, Agence de Lorvan)."
    q, qt, ranked, _, w = _scored("Qui dit que la filière bois devra s'appuyer sur la forêt ?", [richer, clean], cosine=0.9)
    assert any("40 scieries" in u.text for u in ranked)


def test_a_person_asked_by_a_role_must_be_named_with_that_role():
    """"Quel est le nom du directeur de la scierie Morval ?" is not answered by another name near the sawmill;
    the director named as such answers; "quel élu…" (a role without its "de …") is met by any person."""
    others = "La scierie Morval, reprise par Jean Durand et Paul Lemaire, emploie 40 salariés à Lorvan."
    director = "Marie Caron, directrice de la scierie Morval, veut doubler la production."
    question = "Quel est le nom du directeur de la scierie Morval ?"
    q = analyse_question(question)
    assert q.kind == "person" and q.role
    assert not holds("person", others, q)
    q, qt, ranked, vocab, w = _scored(question, [others], "directeur", cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) == "no-answer-of-kind"
    assert holds("person", director, q)  # the feminine of the role is the role
    assert holds("person", "Jean Durand, directeur de la scierie Morval, veut doubler la production.", q)
    assert not analyse_question("Quel élu a défendu la scierie Morval ?").role
    assert holds("person", others, analyse_question("Quel élu a défendu la scierie Morval ?"))


def test_who_is_a_person_is_answered_by_the_sentence_giving_their_role_in_english_too():
    """"Who is X?" / "Qui est X ?": of two sentences naming the person, the one saying their role answers."""
    visit = "Jeanne Morval a visité l'usine de Lorvan en mai."
    role = "Jeanne Morval, directrice de l'agence Lorvan Invest, a présenté le plan."
    for question in ("Who is Jeanne Morval?", "Qui est Jeanne Morval ?"):
        q, qt, ranked, _, w = _scored(question, [visit, role], cosine=0.9)
        assert q.kind == "identity"
        assert choose(q, qt, ranked, w)[0].text == role, question


def test_a_named_sum_is_answered_only_where_the_text_names_it():
    """"Quel est le salaire moyen dans les scieries ?" is not answered by the sawmills' investment; "le montant
    investi" or "le budget" is met by any sum about the subject."""
    invested = "La Région a investi 12 millions d'euros dans les scieries de Lorvan."
    q, qt, ranked, vocab, w = _scored("Quel est le salaire moyen dans les scieries de Lorvan ?", [invested], "salaire moyen", cosine=0.9)
    assert q.kind == "amount" and q.named_amount
    assert refusal_reason(q, qt, ranked, vocab, w) == "no-answer-of-kind"
    assert holds("amount", "Le salaire moyen y atteint 2 100 euros par mois.", q)
    budget = analyse_question("Quel est le budget des scieries de Lorvan ?")
    assert not budget.named_amount and holds("amount", invested, budget)


def test_a_french_name_in_an_english_question_stays_a_name():
    """English capitalises common words ("the Agency's maps"); a run of words more frequent in French than in
    English ("Pierre Olivier") is a French name all the same, even when English uses the words too."""
    assert analyse_question("Who is Pierre Olivier?").focus == ("Pierre Olivier",)
    assert analyse_question("What do the Agency's Maps show?").focus == ()


def test_a_list_question_starts_from_the_sentence_enumerating_the_asked_class():
    """"Quels sont les principaux atouts de Lorvan selon Jeanne Morval ?": the sentence "Les principaux atouts :
    A, B et C" is the list asked for and goes first, before a sentence that only names her and the town."""
    text = ("Jeanne Morval a présenté les atouts de Lorvan devant les élus. Les principaux atouts : « un port en "
            "eau profonde, du foncier disponible et une main-d'œuvre formée », détaille-t-elle.")
    q, qt, ranked, _, w = _scored("Quels sont les principaux atouts de Lorvan selon Jeanne Morval ?", [text], cosine=0.9)
    assert q.is_list
    assert choose(q, qt, ranked, w)[0].text.startswith("Les principaux atouts"), [u.text for u in ranked]


def test_a_place_named_only_on_a_map_label_gets_no_description():
    """"Quelle est la politique industrielle de la Bretagne ?": a map label "Bretagne Normandie" is no
    sentence about Bretagne's policy: refused. A label may still spell out an acronym asked about."""
    texts = ["Bretagne Normandie", "La politique industrielle de la Région mise sur les batteries et les drones."]
    q, qt, ranked, vocab, w = _scored("Quelle est la politique industrielle de la Bretagne ?", texts, cosine=0.9)
    assert q.kind is None and q.focus == ("Bretagne",)
    assert refusal_reason(q, qt, ranked, vocab, w) == "focus-unsupported"
    sentence = ["La Bretagne mise sur une politique industrielle tournée vers la mer.", *texts[1:]]
    q, qt, ranked, vocab, w = _scored("Quelle est la politique industrielle de la Bretagne ?", sentence, cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) is None


def test_a_message_of_courtesy_only_asks_nothing_of_the_documents(assistant):
    """"Merci beaucoup !" is not answered with a sentence holding "merci" or "beaucoup"; courtesy words in a
    question do not count as its topic."""
    for message in ("Merci beaucoup !", "Bonjour", "Thanks a lot!"):
        a = assistant.ask(message)
        assert a.abstained and a.answer == REFUSAL, (message, a.answer)
        assert a.passages == []  # nothing searched: no "closest passages" to read after a thank-you
    a = assistant.ask("Bonjour, combien la task-force régionale doit-elle mobiliser pour la défense ?")
    assert not a.abstained and "250 millions" in a.answer


def test_rows_with_the_asked_figures_are_those_of_the_place_asked():
    """"Quelles entreprises de plus de 1000 salariés sont à Lorvan ?": of the rows with 1 000 employees, those of
    Lorvan; a row of another town is no answer."""
    table = ("BOIS MORVAL SA Lorvan 16.10A Sciage du bois 1 000 à 1 999 salariés\n\n"
             "VERRERIE CARON Arvel 23.13Z Fabrication de verre creux 1 000 à 1 999 salariés\n\n"
             "ACIERIE DUVAL Lorvan 24.10Z Sidérurgie 1 000 à 1 999 salariés\n")
    q, qt, ranked, _, w = _scored("Quelles entreprises de plus de 1000 salariés sont à Lorvan ?", [table], cosine=0.9)
    chosen = [u.text for u in choose(q, qt, ranked, w)]
    assert len(chosen) == 2 and all("Lorvan" in c for c in chosen), chosen


def test_an_acronym_written_out_or_a_name_qualifying_the_answer_class_is_no_unknown_name():
    """"EDF" is known when a passage writes "Électricité de France" (every word of a capitalised name gives its
    initial); "la Somme" in "Dans quelle commune de la Somme…" narrows the answer, it is not what is asked
    about, so a corpus that never names the département still answers with the commune."""
    from rag.answer.kinds import acronym_expansion
    from rag.answer.scoring import qualifies_answer_class

    assert acronym_expansion("ELECTRICITE DE FRANCE Dunkerque 35.11Z Production d'électricité", "EDF")
    assert acronym_expansion("La centrale d'Électricité de France emploie 1 200 personnes.", "EDF")
    assert not acronym_expansion("Elle nourrit des grandes ambitions pour la région.", "DGA")
    q = analyse_question("Dans quelle commune de la Somme le programme a-t-il rapproché écoles et industriels ?")
    assert q.kind == "place" and qualifies_answer_class(q, "Somme")
    assert not qualifies_answer_class(analyse_question("Quelle est la politique industrielle de la Bretagne ?"), "Bretagne")
    text = ["À Mers-les-Bains, le programme a rapproché les écoles et les industriels du verre."]
    q, qt, ranked, vocab, w = _scored("Dans quelle commune de la Somme le programme a-t-il rapproché écoles et industriels ?",
                                      text, cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) is None
    text = ["La centrale d'Électricité de France à Gravelines emploie 1 200 personnes."]
    q, qt, ranked, vocab, w = _scored("Combien de personnes EDF emploie-t-elle à Gravelines ?", text, cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) != "unknown-name"


def test_celui_de_a_new_name_replaces_the_previous_names_and_keeps_the_question():
    """"Et celui de Brivane ?" after "Quel est le budget du projet de Vireo ?": the demonstrative stands for
    "le budget du projet", and Brivane takes Vireo's place: Vireo is not carried, the budget is."""
    history = [("Quel est le budget du projet de Vireo ?", "Le projet de Vireo coûte 5 millions d'euros [1].")]
    q = standalone_question("Et celui de Brivane ?", history)
    assert "budget" in q.carried and "projet" in q.carried
    assert "Vireo" not in q.carried and "Vireo" not in q.text
    # without the demonstrative, the previous names stay (a constraint may be added: "Et en 2024 ?")
    assert "Vireo" in standalone_question("Et en 2024 ?", history).carried


def test_a_budget_or_a_cost_is_met_by_a_sum_about_the_subject():
    """"Quel est le budget total de Vélo Lorvan ?" / "Combien coûte-t-il ?": "ce plan à 300 000 euros", in
    the sentence after the one naming the plan, is the budget, though neither "budget" nor "coût" is written."""
    text = ("En mars, le conseil régional a adopté le plan Vélo Lorvan, un programme pour les pistes cyclables. "
            "Une première aide – 20 000 euros – de ce plan à 300 000 euros est accordée à la start-up Cyclix.")
    for question in ("Quel est le budget total de Vélo Lorvan ?", "Combien coûte Vélo Lorvan au total ?"):
        q, qt, ranked, vocab, w = _scored(question, [text], "budget total coût", cosine=0.9)
        assert q.kind == "amount" and not q.named_amount
        assert refusal_reason(q, qt, ranked, vocab, w) is None, question
        assert any("300 000 euros" in u.text for u in choose(q, qt, ranked, w))


def test_who_heads_something_needs_the_role_right_before_it():
    """"Qui dirige l'entreprise Kerlan ?" is not answered by Kerlan's marketing director (a role of a part of
    it) and is refused when the text names no head; the head named as such answers, and so does the head of a
    body the question describes without a name; a vice-president does not preside."""
    marketing = "« Nous exportons peu », explique Paul Morel, directeur du marketing de Kerlan."
    q, qt, ranked, vocab, w = _scored("Qui dirige l'entreprise Kerlan ?", [marketing], "dirige entreprise", cosine=0.9)
    assert q.head_roles and refusal_reason(q, qt, ranked, vocab, w) == "no-answer-of-kind"
    assert holds("agent", "Anne Vidal, directrice de Kerlan, a signé le contrat.", q)
    assert holds("agent", "Anne Vidal, PDG de l'entreprise Kerlan, a signé le contrat.", q)
    described = analyse_question("Qui dirige la société d'études qui a rédigé le rapport ?")
    assert holds("agent", "par Claire Dumont, dirigeante de la société d'études CMP", described)
    presides = analyse_question("Qui préside la Région Lorvanie ?")
    assert not holds("agent", "Jean Roux, vice-président de la Région Lorvanie, a parlé.", presides)
    assert holds("agent", "Marc Petit, président de la région Lorvanie, a parlé.", presides)
    assert not holds("agent", "Le président de la région Lorvanie a parlé.", presides)  # the role, but no name


def test_a_further_unit_bringing_only_another_form_of_a_word_is_padding():
    """"Quel est le premier employeur industriel de la région ?": after "L'industrie textile, 1er employeur en
    région", a sentence whose only new word is "industriels" brings nothing ("industriel" is "industrie")."""
    first = "L'industrie textile 1er employeur en région avec 1 emploi sur 5."
    other = "Ce programme rassemble les élus et les industriels de la région autour de projets communs."
    q, qt, ranked, _, w = _scored("Quel est le premier employeur industriel de la région ?", [first, other], cosine=0.9)
    assert [u.text for u in choose(q, qt, ranked, w)] == [first]


def test_the_term_a_definition_question_asks_about_is_its_focus():
    """"Qu'est-ce que la mobilité douce ?": the term is what the answer must be about, so a sentence holding a
    definition marker ("C'est…") about something else does not go before the one explaining the term; a
    pointer ("Que signifie ce sigle ?") is no term."""
    q = analyse_question("Qu'est-ce que la mobilité douce ?")
    assert q.kind == "definition" and q.focus == ("mobilité douce",)
    assert analyse_question("Que signifie ce sigle ?").focus == ()
    texts = ["C'est dans les quartiers que se diffuse la mobilité des habitants de Lorvan.",
             "Soutien à la mobilité douce, piétonne et cycliste, via le plan Lorvan."]
    q, qt, ranked, _, w = _scored("Qu'est-ce que la mobilité douce ?", texts, cosine=0.9)
    assert choose(q, qt, ranked, w)[0].text == texts[1], [u.text for u in ranked]


def test_an_ordinal_asks_for_that_rank_of_what_it_qualifies():
    """"la première phase" is "la phase I" of the text, even when the text counts with another noun: the
    sentence about phase II counting the asked noun answers another question. A quantity is no rank, and a
    plural ordinal ("les premiers résultats") ranks nothing."""
    phase_two = "Pour sa phase II, 22 sites ont rejoint le plan Lorvan."
    phase_one = "Lors de la phase I (2018-22), 12 communes ont participé au plan Lorvan."
    q, qt, ranked, _, w = _scored("Combien de sites ont participé à la première phase du plan Lorvan ?",
                                  [phase_two, phase_one], cosine=0.9)
    assert q.ordinals == {("phas", 1)}
    assert choose(q, qt, ranked, w)[0].text == phase_one
    assert ranks_in("Lettre d'information n°2, avec 2.400 abonnés") == {("lettr", 2), ("inform", 2)}
    assert analyse_question("Quels sont les premiers résultats du plan ?").ordinals == frozenset()


def test_who_does_something_is_answered_by_the_passive_of_the_verb():
    """"Qui porte l'usine Kerlan ?": the sentence saying "portée par …" answers it, not the one naming someone
    near the plant; and the passive names an agent even where it is no capitalised name ("lancé par l'État")."""
    near = "« L'usine Kerlan, nous la portons à bout de bras », se félicite Xavier Morel, maire de Lorvan."
    agent = "Elle est portée par Stellantis et Verco depuis 2021."
    q, qt, ranked, _, w = _scored("Qui porte l'usine Kerlan ?", [f"{near} {agent}"], cosine=0.9)
    assert q.acting_verb == "porte"
    assert agent in [u.text for u in choose(q, qt, ranked, w)]  # after the sentence "Elle" points back to
    launched = analyse_question("Qui a lancé le plan Lorvan ?")
    assert launched.acting_verb == "lance"
    assert holds("agent", "Ce plan national, lancé par l’État il y a six ans, aide les communes.", launched)
    assert analyse_question("Qui est le maire de Lorvan ?").acting_verb == ""


def test_a_feminine_passive_participle_says_the_verb_asked():
    """"Qui porte l'usine Kerlan ?": "portée par Norfer" says what is asked of the plant, although the folded
    feminine participle ("portee") is not stemmed as the question's "porte"; so the question is answered,
    not refused for lack of an answer about the plant."""
    text = "Il s'agissait de l'usine Kerlan à Lorvan, portée par Norfer, Calix et Videm, inaugurée en mai 2023."
    # the corpus also says "port" (a harbour), so the question's "porte" is read as that stem
    q, qt, ranked, vocab, w = _scored("Qui porte l'usine Kerlan ?", [text], "ports", cosine=0.9)
    assert ranked[0].extras["property"] == 1.0
    assert refusal_reason(q, qt, ranked, vocab, w) is None


def test_a_list_asked_with_its_count_is_met_by_a_sentence_enumerating_that_many():
    """"Quels sont les quatre chantiers… ?": the sentence enumerating four short phrases ("la mobilité, le
    logement, l'emploi et la santé") is the list asked, even though it never says "chantiers"; the number is
    no head noun ("les quatre chantiers" asks for chantiers)."""
    assert analyse_question("Quels sont les quatre chantiers prioritaires du plan Lorvan ?").noun == "chantier"
    text = ("Le plan Lorvan entre dans sa seconde période avec de nouveaux chantiers prioritaires. "
            "« Nous voulons avancer sur la mobilité, le logement, l'emploi et la santé », dit la maire. "
            "Le budget du plan reste stable. Les élus se réunissent chaque trimestre.")
    q, qt, ranked, _, w = _scored("Quels sont les quatre chantiers prioritaires du plan Lorvan ?", [text], cosine=0.9)
    assert [u.text for u in choose(q, qt, ranked, w)] == [
        "« Nous voulons avancer sur la mobilité, le logement, l'emploi et la santé », dit la maire."]


def test_how_long_since_asks_for_the_time_elapsed_not_for_how_long_something_took():
    """"Depuis combien de temps…" is answered by "il y a huit ans" or "depuis 2017", not by "en deux mois";
    "En combien de temps…" still is."""
    since = analyse_question("Depuis combien de temps le plan Lorvan existe-t-il ?")
    assert since.kind == "duration" and since.elapsed
    assert not holds("duration", "Le cabinet a rencontré, en deux mois, trente industriels du plan Lorvan.", since)
    assert holds("duration", "Ce plan, lancé il y a huit ans, aide les communes.", since)
    assert holds("duration", "Le plan Lorvan existe depuis 2017.", since)
    assert holds("duration", "Le programme a été lancé il y a un an.", since)  # a singular unit of time too
    assert holds("duration", "La visite dure 40 minutes.", analyse_question("Combien de temps dure la visite ?"))
    took = analyse_question("En combien de temps le cabinet a-t-il rencontré les industriels ?")
    assert not took.elapsed and holds("duration", "Le cabinet a rencontré, en deux mois, trente industriels.", took)


def test_an_english_auxiliary_after_what_is_no_plural_noun():
    """"What does X stand for?" asks what X means, not for a list of "does"; "What does X make?" asks for a
    description, not a meaning; "Which ports…" is still a list."""
    stands = analyse_question("What does LRV stand for?")
    assert stands.kind == "definition" and not stands.is_list and stands.noun is None
    assert analyse_question("What does Kerlan make in Lorvan?").kind is None
    assert analyse_question("Which ports does the plan name?").is_list


def test_a_footnote_speaks_of_the_word_its_call_mark_follows():
    """"comme avec Korvel*" and, at the end, "* La jeune pousse … a levé 80 millions d'euros": the footnote is
    about Korvel though it never names it, so it answers a question about Korvel's fund-raising. A call mark
    shared by two footnotes is ambiguous and links nothing."""
    article = ("Le maire salue les usines du port. « On ne gagne pas toujours, comme avec Korvel*, mais on essaie. »\n"
               "Le port accueillera deux usines en 2026.\n"
               "* La jeune pousse spécialisée dans les algues a été liquidée après avoir levé 80 millions d'euros.")
    assert footnote_calls(article) == {"La jeune pousse spécialisée dans les alg": "Korvel"}
    assert footnote_calls(article + "\n* Une autre note.") == {}
    passages = article.split("\n")
    q, qt, ranked, vocab, w = _scored("Combien d'argent Korvel avait-il levé ?", passages, cosine=0.9,
                                      documents=[article] * len(passages))
    assert refusal_reason(q, qt, ranked, vocab, w) is None
    assert choose(q, qt, ranked, w)[0].text.startswith("La jeune pousse")


def test_a_quotation_mark_between_a_number_and_its_noun_does_not_hide_the_count():
    """'une douzaine de "pôles d'excellence"' counts pôles: the opening quotation mark is no punctuation ending
    the phrase, so "Combien de pôles…" is answered, not refused as giving no count of pôles."""
    q = analyse_question("Combien de pôles la métropole de Lorvan veut-elle créer ?")
    assert counted_near_number('La métropole de Lorvan veut créer une douzaine de "pôles d\'excellence" d\'ici 2030.', q)
    assert counted_near_number("La métropole de Lorvan veut créer une douzaine de « pôles d'excellence ».", q)
    assert not counted_near_number('La métropole de Lorvan veut créer une douzaine de "zones" et des pôles.', q)


def test_a_fraction_in_words_answers_a_question_that_gives_a_number():
    """"Quelle part des 40 millions ira au port de Lorvan ?": "dont le quart pour le port" gives a new figure in
    words, though the question already has a number; repeating "40 millions" alone gives none."""
    q = analyse_question("Quelle part des 40 millions ira au port de Lorvan ?")
    assert q.kind == "figure" and q.numbers
    assert holds("figure", "La Région annonce 40 millions d'euros, dont le quart pour le port de Lorvan.", q)
    assert not holds("figure", "La Région annonce 40 millions d'euros pour le port de Lorvan.", q)


def test_a_sentence_spelling_out_an_acronym_supports_it_as_the_focus():
    """"Qu'a présenté Korvel au Salon de la RV ?": the sentence saying "au Salon de la réalité virtuelle" speaks
    of the RV the question names, so the focus is supported and the question is answered; so for "Forum de
    l'AV", read as two names, the acronym alone one of them."""
    for question, text in [
            ("Qu'a présenté Korvel au Salon de la RV ?",
             "Korvel a présenté son plan d'usine au Salon de la réalité virtuelle de Nantes."),
            ("Qu'a présenté Korvel au Forum de l'AV ?",
             "Korvel a présenté son plan d'usine au Forum de l'aviation verte de Nantes.")]:
        q, qt, ranked, vocab, w = _scored(question, [text], "rv av", cosine=0.9)
        assert any(name in q.focus for name in ("Salon de la RV", "AV")), q.focus
        assert refusal_reason(q, qt, ranked, vocab, w) is None, question


def test_a_cause_marker_does_not_lift_a_sentence_far_from_the_question():
    """"Pourquoi les ventes de Korvel pourraient-elles reculer ?": the sentence saying so ("ces ventes pourraient
    reculer, alors que les taxes restent élevées") answers, not a sentence far from the question that merely
    holds a causal marker ("entraîne"); a marker still decides between close candidates."""
    answer = "Mais ces ventes pourraient bien reculer, alors que les taxes à l'export restent élevées."
    other = "Chez Korvel, la crise entraîne des bifurcations dans l'industrie."
    q, qt, ranked, _, w = _scored("Pourquoi les ventes de Korvel pourraient-elles reculer ?", [other, answer])
    assert q.kind == "cause"
    assert choose(q, qt, ranked, w)[0].text == answer


def test_a_definition_from_headings_only_is_refused():
    """"Qu'est-ce qu'une fiche-action ?" over a report whose only mentions are headings ("MOBILITÉ FICHES-
    ACTIONS", "EMPLOI FICHES-ACTIONS") is refused: a heading names the term, it does not define it; a sentence
    saying what it is answers."""
    headings = "MOBILITÉ FICHES-ACTIONS\n\nEMPLOI FICHES-ACTIONS\n\nLOGEMENT FICHES-ACTIONS"
    q, qt, ranked, vocab, w = _scored("Qu'est-ce qu'une fiche-action ?", [headings], cosine=0.9)
    assert q.kind == "definition" and refusal_reason(q, qt, ranked, vocab, w) == "no-sentence"
    sentence = "Une fiche-action décrit une mesure du plan, son budget et son calendrier."
    q, qt, ranked, vocab, w = _scored("Qu'est-ce qu'une fiche-action ?", [headings, sentence], cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) is None


def test_a_passage_about_one_phase_puts_its_sentences_under_that_phase():
    """"Quels outils… pour la phase II ?": in a section opening on "la deuxième phase" and naming no other, the
    sentence listing the tools is under phase II though it does not repeat it; asked for phase I, those tools
    are no answer (a passage naming both phases scopes nothing)."""
    section = ("Lancée en 2024, la deuxième phase du plan Lorvan change de méthode. Les élus du plan se réunissent "
               "chaque mois. Trois outils sont proposés aux communes : des chefs de projets, des missions d'ingénierie.")
    other = "Lors de la phase I, 14 communes ont rejoint le plan Lorvan."
    tools = "Trois outils sont proposés aux communes : des chefs de projets, des missions d'ingénierie."
    q, qt, ranked, _, w = _scored("Quels outils sont proposés aux communes pour la phase II du plan Lorvan ?", [section, other])
    unit = next(u for u in ranked if u.text == tools)
    assert unit.passage_ranks == {2} and meets_constraints(unit, q)
    assert tools in [u.text for u in choose(q, qt, ranked, w)]
    q, qt, ranked, _, w = _scored("Quels outils sont proposés aux communes pour la phase I du plan Lorvan ?", [section, other],
                                  cosine=0.9)
    assert tools not in [u.text for u in choose(q, qt, ranked, w)]
    both = units_of("La phase I a réuni 14 communes. La phase II en réunit 18. Trois outils sont proposés.", 1)
    assert both[-1].passage_ranks == {1, 2}


def test_a_follow_up_asking_que_keeps_its_own_kind_and_pads_with_nothing_about_others():
    """"Que fabrique-t-elle ?" after "Pour quelle entreprise travaille-t-il ?" asks for a thing: it takes no
    "quelle entreprise" from the conversation (it had been read as asking for a company's name); and a
    further unit must speak of one of the names the conversation carried (a table row about another company's
    "fabrication" is padding)."""
    from rag.answer.extractive import _analyse

    history = [("Pour quelle entreprise travaille Paul Morel ?", "Paul Morel, directeur du marketing de Kerlan [1].")]
    query = standalone_question("Que fabrique-t-elle ?", history)
    assert "quelle" not in query.carried and "Kerlan" in query.carried
    q = _analyse(query)
    assert q.kind is None and q.focus_carried
    kerlan = "Kerlan, concepteur de manettes de jeux, relocalise sa production à Douai."
    row = "VERRIERES DU NORD Arques 23.13Z Fabrication de verre creux 1 000 à 1 999 salariés."
    w = AnswerSettings()
    vocab = Vocabulary({t: 1 for t in analyze(kerlan + " " + row)}, 50)
    qt = question_terms(query.text, frozenset(analyze(" ".join(query.carried))), vocab, w)
    units = [replace(u, document=folded(text)) for n, text in enumerate([kerlan, row], start=1) for u in units_of(text, n)]
    ranked = score_units(q, qt, units, np.full(len(units), 0.9), [1, 2], [0.9, 0.9], w)
    assert [u.text for u in choose(q, qt, ranked, w)] == [kerlan]


def test_a_share_of_an_unnamed_whole_is_a_share_of_what_the_conversation_was_about():
    """"Quelle part pour le port ?" after a question on a 40-million plan: the share's whole is the plan, so
    the question carries the conversation's words; "Quelle part des 40 millions…" names its whole, and the
    verb "part" is no share."""
    history = [("Quel est le montant du plan Lorvan ?", "La Région annonce 40 millions d'euros, dont le quart pour le port [1].")]
    query = standalone_question("Quelle part pour le port ?", history)
    assert "Lorvan" in query.carried and "montant" in query.carried
    assert standalone_question("Quelle part des 40 millions ira au port ?", history).carried == ()
    assert standalone_question("Quand part le premier bateau du port ?", history).carried == ()


def test_a_sentence_is_quoted_once_even_when_it_is_both_chosen_and_an_antecedent():
    """"Cette PME souhaitait relocaliser…" chosen, and also the sentence that "cette relocalisation" points back
    to: it is quoted once, before the sentence pointing back (scoring works on copies of the units, so the
    antecedent is a copy of the chosen sentence, not the same object)."""
    from rag.answer.compose import _with_antecedents

    text = ("Cette PME souhaitait relocaliser une partie de sa production du côté de Lorvan. « Nous dépendions "
            "beaucoup de l'Asie », pointe Paul Morel, directeur de Kerlan qui facilite cette relocalisation.")
    first, second = units_of(text, 1)
    assert second.prev is first
    q, qt, *_ = _scored("Pourquoi Kerlan voulait-elle relocaliser sa production ?", [text])
    scored = [replace(second, score=1.0), replace(first, score=0.9)]
    shown = _with_antecedents(scored, qt)
    assert [u.text for u in shown] == [first.text, second.text]


def test_a_rare_name_the_corpus_writes_keeps_a_paraphrased_question_in_scope():
    """Most words of "Quel industriel fabriquera les accumulateurs des citadines K7 et K9 de la marque au
    losange ?" are unknown to the corpus, but "K7 et K9" is written in one passage: the topic is there, so the
    question is not refused as out of vocabulary; a capitalised common word ("Génération") is no such name."""
    text = ("Deux usines suivront, dont celle de Norvolt à Lorvan, qui doit produire les batteries des véhicules "
            "Orel (modèles K7 et K9). Les jeunes générations rejoignent l'industrie.")
    question = "Quel industriel fabriquera les accumulateurs des citadines K7 et K9 de la marque au losange ?"
    q, qt, ranked, vocab, w = _scored(question, [text], cosine=0.9)
    assert 1.0 - qt.known_share >= w.out_of_vocabulary  # mostly words the corpus never uses
    assert refusal_reason(q, qt, ranked, vocab, w) != "out-of-vocabulary"
    q, qt, ranked, vocab, w = _scored("Comment un apprenti obtient-il la carte Génération Lorvanaise de transport ?",
                                      [text], cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) is not None


def test_a_property_asked_only_in_words_the_corpus_never_uses_is_a_near_miss():
    """"Où se trouve le siège de Norvolt ?": the corpus speaks of Norvolt, never of a "siège", so a place near
    Norvolt's name is no answer; "Où est basée Norvolt ?" asks in words the corpus uses and is answered."""
    text = "Le projet a été présenté à Lorvan par Norvolt, basée à Arles, en février dernier."
    q, qt, ranked, vocab, w = _scored("Où se trouve le siège de Norvolt ?", [text], cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) == "unknown-property"
    q, qt, ranked, vocab, w = _scored("Où est basée Norvolt ?", [text], cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) is None


def test_a_summing_up_sentence_takes_the_items_given_before_it():
    """"Ces trois usines représentent 900 emplois" sums up the plants named in the sentences before it: asked
    "Quelles sont les trois usines de Lorvan ?", those sentences are the list, not the sentences after it nor
    another sentence that happens to name three places."""
    text = ("La première usine, celle de Norvolt à Arles, a ouvert en 2023. Deux autres suivront : celle de Kelvio "
            "à Brest et celle d'Orel à Sète. « Ces trois usines de Lorvan représentent 900 emplois », dit le maire. "
            "Le pari reste risqué. La concurrence est forte.")
    other = "Sur le territoire du Hainaut, du Douaisis et du Cambraisis, un cabinet a rencontré trois industriels de Lorvan."
    q, qt, ranked, _, w = _scored("Quelles sont les trois usines de Lorvan ?", [text, other], cosine=0.9)
    chosen = [u.text for u in choose(q, qt, ranked, w)]
    assert chosen[:2] == ["La première usine, celle de Norvolt à Arles, a ouvert en 2023.",
                          "Deux autres suivront : celle de Kelvio à Brest et celle d'Orel à Sète."], chosen
    assert other not in chosen and "Le pari reste risqué." not in chosen


def test_a_list_is_not_padded_by_a_sentence_whose_only_new_word_is_the_asked_class():
    """"Quelles entreprises portent l'usine Norvolt ?": after the sentence naming them, a sentence that only
    says "entreprises" again is padding; a sentence naming the class and enumerating its members after a colon
    is a list even with brackets in its items ("Ports : Lorvan (59), Arles (62)")."""
    answer = "Il s'agissait de l'usine Norvolt à Arles, portée par Kelvio, Orel et Varenne, inaugurée en 2023."
    other = "Cap sur les données : « Aucun pôle n'est complet », pointe la rue Cambon, saluant les contrats des entreprises."
    q, qt, ranked, _, w = _scored("Quelles entreprises portent l'usine Norvolt ?", [answer, other], cosine=0.9,
                                  documents=[f"{answer} {other}"] * 2)
    assert [u.text for u in choose(q, qt, ranked, w)] == [answer]
    from rag.answer.kinds import enumerates

    assert enumerates("Ports stratégiques : Lorvan (59), Arles (62), Sète (34) ; sites : Brest (29)", "port")


def test_an_imperative_list_question_names_the_class_it_lists():
    """"Citez les ports de Lorvanie" lists ports: the noun after the imperative's article is the class, so a
    sentence naming the class and enumerating it ("Ports : Lorvan (59), Arles (62)") starts the answer rather
    than a bullet list of something else."""
    q = analyse_question("Citez les sites aéronautiques de Lorvanie.")
    assert q.is_list and q.noun == "site"
    assert analyse_question("Listez les entreprises accompagnées par le plan.").noun == "entreprise"


def test_a_numbered_part_says_which_count_is_asked_when_no_unit_of_it_counts_the_noun():
    """"Combien de sites ont participé à la phase I du plan Lorvan ?": the text counts phase I in "communes" and
    phase II in "sites"; phase I's count answers (not refused for want of "sites", nor replaced by phase II's).
    A unit merely saying "première" of something else is no unit of phase I."""
    phase_one = "Lors de la phase I (2018-22), 12 communes ont participé au plan Lorvan."
    phase_two = "Pour sa phase II, 22 sites ont rejoint le plan Lorvan."
    q, qt, ranked, vocab, w = _scored("Combien de sites ont participé à la phase I du plan Lorvan ?", [phase_two, phase_one],
                                      cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) is None
    assert choose(q, qt, ranked, w)[0].text == phase_one
    grant = "Une première subvention de 30 000 euros a été versée à Norvolt pour ses drones du plan Lorvan."
    q, qt, ranked, vocab, w = _scored("Combien de drones ont été financés pendant la phase I du plan Lorvan ?",
                                      [grant, phase_two], cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) is not None


def test_a_question_coordinating_two_complements_gets_a_datum_for_each():
    """"Quels montants Lorvan consacre-t-elle pour le port et pour les écoles ?": the sum for the port, then
    the sum for the schools from another passage; not a second sum about the port."""
    port = "Lorvan consacre 40 millions d'euros à son port, dont 10 millions d'euros pour les quais du port."
    schools = "Pour les écoles, la ville de Lorvan a voté un budget de 12 millions d'euros."
    for question in ("Quels montants Lorvan consacre-t-elle pour le port et pour les écoles ?",
                     "Quel montant Lorvan consacre-t-elle au port et aux écoles ?"):
        q, qt, ranked, _, w = _scored(question, [port, schools], cosine=0.9)
        assert [u.text for u in choose(q, qt, ranked, w)] == [port, schools], question


def test_a_list_of_a_class_in_common_nouns_holds_what_a_list_question_asks():
    """"Auprès de quels acteurs la mission a-t-elle mené des entretiens ?": "auprès d'acteurs variés
    (communes, laboratoires, syndicats professionnels)" names the class and its members, which are common
    nouns, not names: it answers, ahead of a line of names that merely mentions interviews."""
    answer = ("Faute d'ateliers, la mission a mené des entretiens auprès d'acteurs variés (communes, laboratoires, "
              "syndicats professionnels).")
    names = "Entretiens : « Lorvan avance » (Paul MOREL, Agence de Lorvan) et « Un port agile » (Anne VIDAL, Port d'Arles)."
    q, qt, ranked, _, w = _scored("Auprès de quels acteurs la mission a-t-elle mené des entretiens ?", [names, answer],
                                  cosine=0.9)
    assert q.is_list and q.kind == "agent"
    assert choose(q, qt, ranked, w)[0].text == answer


def test_a_line_ending_on_a_conjunction_goes_on_in_the_next_paragraph():
    """"Merci à Anne Morel, membre du groupe et" / "directrice de l'agence de Lorvan," is one sentence split by
    the layout: the unit holds both lines, so "Qui est Anne Morel ?" gets her role; a line ending on a full
    word does not take the next paragraph."""
    text = ("Merci à Anne Morel, membre du groupe et\n\ndirectrice de l'agence de développement de Lorvan,\n\n"
            "pour cette première contribution.")
    assert units_of(text, 1)[0].text.startswith("Merci à Anne Morel, membre du groupe et directrice de l'agence")
    assert len(units_of("Le plan avance bien\n\nLes élus votent demain.", 1)) == 2


def test_a_group_total_does_not_answer_for_one_member_of_the_group():
    """"Combien d'emplois compte l'usine Kelvio ?" is not answered by "Ces trois usines représentent 900 emplois"
    (the group's total); a question about the group is, and so is a figure of Kelvio's own."""
    group = "« Ces trois usines représentent 900 emplois », dit le maire de Lorvan, qui cite Kelvio, Orel et Norvolt."
    one = analyse_question("Combien d'emplois compte l'usine Kelvio ?")
    assert not holds("figure", group, one)
    assert holds("figure", "L'usine Kelvio compte 300 emplois.", one)
    assert holds("figure", group, analyse_question("Combien d'emplois représentent les trois usines de Lorvan ?"))


def test_a_sentence_about_another_instance_of_the_asked_noun_does_not_answer():
    """"Combien de salariés compte l'usine Kelvio ?": "L'usine Orel emploie 300 salariés" speaks of another
    plant and is no answer (a near-miss); a sentence naming Kelvio does answer, and so does one whose name is
    the asked one's own words ("la responsable RH de Kerlan": "responsable RH au sein de la verrerie Kerlan")."""
    q = analyse_question("Combien de salariés compte l'usine Kelvio ?")
    assert names_another("L'usine Orel emploie 300 salariés à Lorvan.", q)
    assert not names_another("L'usine Kelvio emploie 300 salariés à Lorvan.", q)
    assert not names_another("Elle emploie 300 salariés.", q)
    rh = analyse_question("Avec qui la responsable RH de Kerlan veut-elle travailler ?")
    assert not names_another("« Avec les parents », explique Anne Morel, responsable RH au sein de la verrerie Kerlan.", rh)
    q, qt, ranked, vocab, w = _scored("Combien de salariés compte l'usine Kelvio ?",
                                      ["Kelvio fabrique des turbines à Lorvan depuis 2019. L'usine Orel emploie 300 salariés à Lorvan."],
                                      cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) == "no-answer-of-kind"


def test_what_is_a_name_asks_for_its_definition_and_a_heading_defines_nothing():
    """"What is LRV?" / "Quelle est la LRV ?" ask what the name means (it is no class noun); for a definition,
    a heading naming the term ("L'ACTUALITÉ DU PLAN LORVAN") does not go before a sentence about it."""
    for question in ("What is LRV?", "Quelle est la LRV ?"):
        q = analyse_question(question)
        assert q.kind == "definition" and q.noun is None and q.focus == ("LRV",), question
    texts = ["L'ACTUALITÉ DU PLAN LORVAN", "Le plan Lorvan aide les communes à rénover leurs écoles depuis 2019."]
    q, qt, ranked, _, w = _scored("Qu'est-ce que le plan Lorvan ?", texts, cosine=0.9)
    assert choose(q, qt, ranked, w)[0].text == texts[1]


def test_the_noun_describing_the_named_one_is_not_what_is_asked_about_it():
    """"Où se trouve l'usine Kelvio ?" asks for a place only: "la gigafactory Kelvio, basée à Arles" answers
    though it never says "usine"; "Où est installée la gigafactory de Kelvio ?" too (the participle of a verb of
    location frames the question); "Combien de personnes travaillent dans l'usine Kelvio ?" still needs its own
    words (a sentence naming Kelvio with a date is no answer)."""
    text = "Deux projets suivront : la gigafactory Kelvio, basée à Arles, inaugurée le 11 décembre 2025."
    for question in ("Où se trouve l'usine Kelvio ?", "Où est installée la gigafactory de Kelvio ?"):
        q, qt, ranked, vocab, w = _scored(question, [text], "usine", cosine=0.9)
        assert refusal_reason(q, qt, ranked, vocab, w) is None, question
    q, qt, ranked, vocab, w = _scored("Combien de personnes travaillent dans l'usine Kelvio ?", [text],
                                      "usine personnes travaillent", cosine=0.9)
    assert refusal_reason(q, qt, ranked, vocab, w) is not None


def test_et_and_a_new_name_asks_the_same_question_about_it():
    """"Et Anne Morel ?" after "Qui est Paul Morel ?" asks who Anne Morel is: "qui est" is carried, Paul Morel
    (and the names of the previous answer) are not, and the kind is the identity asked."""
    from rag.answer.extractive import _analyse

    history = [("Qui est Paul Lenoir ?", "« Nous exportons peu », dit Paul Lenoir, directeur du marketing de Kerlan [1].")]
    query = standalone_question("Et Anne Morel ?", history)
    assert query.carried == ("qui est",)
    q = _analyse(query)
    assert q.kind == "identity" and q.focus == ("Anne Morel",)


def test_a_share_is_answered_by_a_percentage_or_a_fraction():
    """"Quelle part pour le port ?" / "Quel pourcentage…" ask for a share: "dont la moitié pour le port", "18,9 %"
    or "1 emploi sur 6" answer; a sentence whose only number is a date does not."""
    q = analyse_question("Quelle part pour le port de Lorvan ?")
    assert q.share
    assert holds("figure", "La Région annonce 40 millions d'euros, dont la moitié pour le port de Lorvan.", q)
    assert holds("figure", "Le port pèse 18,9 % de l'emploi de Lorvan.", q)
    assert holds("figure", "À Lorvan, 1 emploi sur 6 dépend du port.", q)
    assert not holds("figure", "Le projet du port de Lorvan a été dévoilé en février 2025.", q)


def test_a_prepositional_locution_is_no_topic_of_the_question():
    """"À partir de quand ?" after a question on a plant's jobs asks when, about the plant: "partir" in "à partir
    de" is no content word of its own, so the conversation's words are carried; "Au sein de quelle entreprise
    travaille Paul Morel ?" names its own topic."""
    history = [("Combien d'emplois pour l'usine Kelvio ?", "L'usine Kelvio ouvrira à partir de 2027 avec 300 emplois [1].")]
    assert "Kelvio" in standalone_question("À partir de quand ?", history).carried
    assert standalone_question("Au sein de quelle entreprise travaille Paul Morel ?", history).carried == ()


def test_the_noun_of_the_interrogative_phrase_is_no_topic_of_the_question():
    """"En combien de temps ?" after "Combien d'industriels le cabinet Morel a-t-il rencontrés ?" asks about the
    same meetings: "temps", like "ville" in "Dans quelle ville ?" or "montant" in "Quel est le montant ?", says
    what kind of answer is asked, not about what; the conversation's words are carried. A question naming its
    own topic besides ("Quelle entreprise dirige Kelvio ?") stands alone."""
    history = [("Combien d'industriels le cabinet Morel a-t-il rencontrés ?",
                "Le cabinet Morel a, en trois mois, rencontré une cinquantaine d'industriels [1].")]
    for question in ("En combien de temps ?", "Dans quelle ville ?", "Quel est le montant ?", "How many jobs?"):
        assert "Morel" in standalone_question(question, history).carried, question
    assert standalone_question("Quelle entreprise dirige Kelvio ?", history).carried == ()
    assert standalone_question("Quelles sont les entreprises accompagnées ?", history).carried == ()


def test_an_institution_noun_asks_for_an_organisation():
    """"Quel tribunal doit statuer sur Lorvix ?" asks for an organisation, as "quelle entreprise" does: the
    sentence naming the court answers alone (a question of no kind got the two best sentences and a third
    one about something else)."""
    assert analyse_question("Quel tribunal doit statuer sur Lorvix ?").kind == "agent"
    assert analyse_question("Quel ministère finance le plan ?").kind == "agent"
    context = "Le verrier Lorvix a été placé en redressement judiciaire au début du mois, sur fond de flambée des coûts."
    court = "Les candidats à la reprise de Lorvix ont jusqu'au 28 janvier, le tribunal de commerce de Lille devant statuer en mars."
    other = "Deux autres projets suivront : la gigafactory Kelvio, basée à Lambres, doit produire des batteries."
    q, qt, ranked, _, w = _scored("Quel tribunal doit statuer sur Lorvix ?", [f"{context} {court}", other], cosine=0.9)
    assert [u.text for u in choose(q, qt, ranked, w)] == [court]


def test_a_demonstrative_pronoun_opening_a_sentence_points_back():
    """"Celui que Paul Morel qualifie de « bâtisseur »…" speaks of the person the sentence before named: that
    sentence is its antecedent, quoted before it, so the answer says who "celui" is."""
    text = ("L'idée est aussi reprise par Anne Varel, qui s'y consacre depuis des mois. "
            "Celui que Paul Morel, vice-président du club, qualifie de « bâtisseur », a multiplié les annonces.")
    units = units_of(text, 1)
    assert units[1].prev is not None and units[1].prev.text.startswith("L'idée")


def test_a_sentence_enumerating_the_asked_class_is_not_padded_by_other_question_words():
    """"Quels sont les sites aéronautiques cités par la Région ?": the sentence "sites aéronautiques : Arvel (80),
    Lorvan (59)" is the list; a sentence that only matches the question's other words ("la Région", "Cités"
    in a name) adds no item and is not quoted after it."""
    assets = "Ports : Brest (29), Sète (34) ; sites aéronautiques de pointe : Arvel (80), Lorvan (59) ; expertise en robotique."
    other = "Temps fort : la signature d'une lettre entre l'État, la Région et Villes & Cités."
    intro = "La Région entend valoriser ses atouts."
    q, qt, ranked, _, w = _scored("Quels sont les sites aéronautiques cités par la Région ?", [f"{intro} {assets}", other],
                                  cosine=0.9)
    assert [u.text for u in choose(q, qt, ranked, w)] == [assets]


def test_a_number_before_a_multiplier_or_a_currency_is_no_count_of_items():
    """"Which company carries the 5 billion euro project?" asks for one company, not five items; "les trois
    ports" still asks for three."""
    one = analyse_question("Which company carries the 5 billion euro project?")
    assert one.count is None and not one.is_list
    assert analyse_question("Quels sont les trois ports cités ?").count == 3
    assert analyse_question("Quelle part des 20 milliards va au port ?").count is None


def test_a_sum_asked_by_its_magnitude_or_as_money_is_met_by_any_sum_about_the_subject():
    """"Combien de milliards Lorvan a-t-elle attirés ?" asks for a sum (a magnitude with no noun counts money),
    "combien de millions d'habitants" counts inhabitants; "Combien d'argent Kelvio met-il dans l'usine ?" is
    answered by the sentence giving Kelvio's sum, whose evidence counts "argent" as met by the sum itself."""
    billions = analyse_question("Combien de milliards Lorvan a-t-elle attirés pour décarboner ?")
    assert billions.kind == "amount" and billions.counted is None
    assert analyse_question("Combien de millions d'habitants compte Lorvan ?").counted == analyze("habitants")[0]
    text = ("Un mégaprojet a été dévoilé en février par Kelvio. Le fonds annonce 20 milliards d'euros d'ici 2030, "
            "dont la moitié pour la future usine.")
    question = "Combien d'argent Kelvio met-il dans l'usine ?"
    q, qt, ranked, vocab, w = _scored(question, [text], "argent met", cosine=0.8)
    sums = next(u for u in ranked if "milliards" in u.text)
    assert sums.coverage >= qt.weights[analyze("argent")[0]] / sum(qt.weights.values())
    assert refusal_reason(q, qt, ranked, vocab, w) is None


def test_names_typed_in_lower_case_are_read_as_the_passages_write_them():
    """"kelvio ça fabrique quoi", "c'est quoi le pass lorvan": the names the passages write with capitals
    ("Kelvio", "Pass Lorvan") are the question's focus, even at its start; a capital opening a sentence
    ("Parmi") or a word the passage also writes in lower case ("drones") makes no name."""
    from rag.answer.casing import with_names_capitalised
    from rag.answer.question import question_focus

    passage = ("En juin, la région adopte le “Pass Lorvan”, un programme pour les drones. Parmi les quatre "
               "entreprises accompagnées se trouve Kelvio, concepteur de manettes. Les drones volent vite.")
    assert with_names_capitalised("kelvio ça fabrique quoi", [passage]) == "Kelvio ça fabrique quoi"
    assert with_names_capitalised("c'est quoi le pass lorvan", [passage]) == "c'est quoi le Pass Lorvan"
    assert with_names_capitalised("parmi les drones lesquels", [passage]) == "parmi les drones lesquels"
    assert question_focus("Kelvio ça fabrique quoi") == ("Kelvio",)
    assert question_focus("Combien d'emplois ?") == ()


def test_a_verb_of_receiving_money_asks_for_a_sum_met_by_any_sum_the_subject_is_granted():
    """"Combien a reçu Kelvio ?" asks for a sum, and "une subvention de 30 000 euros est accordée à Kelvio"
    gives it, though it never says "reçu"; "combien d'entreprises ont reçu…" still counts companies."""
    q = analyse_question("Combien a reçu Kelvio ?")
    assert q.kind == "amount"
    assert analyse_question("Combien d'entreprises ont reçu une aide ?").kind == "figure"
    text = "Une première subvention de 30 000 euros est accordée à la jeune start-up Kelvio, installée à Lorvan."
    q, qt, ranked, vocab, w = _scored("Combien a reçu Kelvio ?", [text], "reçu", cosine=0.9)
    assert ranked[0].extras["property"] == 1.0
    assert refusal_reason(q, qt, ranked, vocab, w) is None


def test_a_definite_description_of_an_actor_points_back_to_the_one_named_before():
    """"Le fonds norvégien a annoncé 12 milliards…" speaks of the fund the sentence before names: "Quel fonds a
    annoncé 12 milliards ?" is answered by both, the naming sentence first. "La start-up Kelvio…" names its
    own; a footnote opening on "La start-up…" speaks of its call mark's word, not of the line before."""
    text = ("Un mégaprojet a été dévoilé en mars au salon de Lorvan par Varnholt. Le fonds norvégien a ainsi "
            "annoncé 12 milliards d'euros d'ici 2030, dont la moitié pour le port.")
    units = units_of(text, 1)
    assert units[1].prev is not None and "Varnholt" in units[1].prev.text
    assert units_of("Un projet est annoncé. La start-up Kelvio a levé 3 millions.", 1)[1].prev is None
    assert units_of("Un projet est annoncé.\n* La start-up a levé 3 millions.", 1)[-1].prev is None
    q, qt, ranked, _, w = _scored("Quel fonds a annoncé 12 milliards ?", [text], cosine=0.9)
    assert [u.text for u in choose(q, qt, ranked, w)] == [units[0].text, units[1].text]


def test_a_list_answered_by_a_table_row_takes_the_other_rows_naming_what_the_question_names():
    """"Quelles entreprises sont citées comme grands employeurs à Arvel ?": every row of the table naming Arvel
    is an item (rows are no sentences, so they had never been added after the first); a row of Lorvan is not."""
    table = ("KELVIO MOTORS Arvel 29.10Z Construction de véhicules automobiles 2 000 à 4 999 salariés\n"
             "NORFER SA Lorvan 24.10Z Sidérurgie 1 000 à 1 999 salariés\n"
             "CALIX VERRE Arvel 23.13Z Fabrication de verre creux 1 000 à 1 999 salariés\n"
             "VIDEM RAIL Arvel 30.20Z Construction de locomotives 1 000 à 1 999 salariés")
    q, qt, ranked, _, w = _scored("Quelles entreprises sont citées comme grands employeurs à Arvel ?", [table],
                                  "employeurs", cosine=0.9)
    chosen = [u.text for u in choose(q, qt, ranked, w)]
    assert len(chosen) == 3 and all("Arvel" in t for t in chosen), chosen


def test_a_list_asked_with_its_count_is_met_by_a_sentence_enumerating_the_class():
    """"Quels sont les deux ports de l'Arvelais cités ?": the sentence "Ports : Brest (29), Sète (34), Arles
    (13) ; …" is the list, however many members it gives; no other sentence is added to reach two items."""
    assets = "Ports stratégiques : Brest (29), Sète (34), Arles (13) ; sites de pointe : Lorvan (80) ; expertise en robotique."
    other = "Deux autres projets suivront : l'usine Kelvio, basée à Lambres (Nord), et celle de Norfer, à Arles."
    intro = "La Région de l'Arvelais entend valoriser ses atouts."
    q, qt, ranked, _, w = _scored("Quels sont les deux ports de l'Arvelais cités ?", [f"{intro} {assets}", other],
                                  cosine=0.9)
    assert q.count == 2
    assert [u.text for u in choose(q, qt, ranked, w)] == [assets]
