"""The extractive answerer with the real model and index: question types, context, refusals, follow-ups,
English questions and streaming; plus its pure parts (units, question types, follow-up rewriting)."""

import time

import pytest

from rag.answer.extractive import display_text, is_debris, question_type, units_of, with_marker
from rag.assistant import REFUSAL, Assistant
from rag.query.english import is_english, to_french_query
from rag.query.followup import standalone_question
from rag.evaluation.metrics import answer_sentences
from rag.text.sentences import split_sentences

PHASE_II = "Combien de territoires se sont engagés dans la phase II de Territoires d'industrie ?"


@pytest.fixture(scope="module")
def assistant(index, index_settings):
    return Assistant(index_settings, index=index)


def _check_grounded(a):
    """Every answer sentence carries a [n] whose quote is the exact span of its passage."""
    assert not a.abstained and a.citations
    for sentence, markers in answer_sentences(a.answer):
        assert markers, f"sentence without citation: {sentence!r}"
    for c in a.citations:
        assert f"[{c.n}]" in a.answer
        assert c.text[c.start:c.end] == c.quote
        assert with_marker(display_text(c.quote), c.n) in a.answer  # the quote, verbatim, carries its [n]


# --- with the real model and index ------------------------------------------------------------------

def test_figure_question_gets_the_figure_with_its_source(assistant):
    a = assistant.ask("Combien d'emplois permanents le datacenter près de Valenciennes doit-il créer ?")
    _check_grounded(a)
    assert "2.400" in a.answer


def test_money_question_gets_a_sum_of_money(assistant):
    a = assistant.ask("Quel montant la Région a-t-elle investi dans la première gigafactory ?")
    _check_grounded(a)
    assert "euros" in a.answer or "€" in a.answer


def test_acronym_is_expanded_from_the_text(assistant):
    a = assistant.ask("Que signifie ZAN ?")
    _check_grounded(a)
    assert "zéro artificialisation nette" in a.answer


def test_sentence_opening_on_an_anaphor_comes_with_the_sentence_it_refers_to(assistant):
    a = assistant.ask("Quelle entreprise de manettes de jeux vidéo souhaite relocaliser une partie de sa production près de Douai ?")
    _check_grounded(a)
    assert "Nacon" in a.answer  # said in the sentence before "Cette PME souhaitait relocaliser..."
    assert a.answer.index("Nacon") < a.answer.index("Cette PME")


@pytest.mark.parametrize("question", [
    "Quelle est la politique industrielle de la région Occitanie ?",  # only a map label names Occitanie
    "Comment installer Python sur Windows ?",  # names the corpus never mentions
    "Quelle est la recette de la flamiche aux poireaux ?",  # words the corpus never uses
    "Combien d'emplois compte l'usine Verkor de Bourbourg à elle seule ?",  # the figure is not given
    "Quel est le montant de l'investissement de la gigafactory AESC à Lambres-lez-Douai ?",  # no sum of money given
])
def test_questions_the_documents_do_not_answer_are_refused(assistant, question):
    a = assistant.ask(question)
    assert a.abstained and a.answer == REFUSAL and not a.citations
    assert a.passages, "the passages searched are still returned, for transparency"


@pytest.mark.parametrize("question", [
    "Quel est le rôle de la région dans la filière photovoltaïque ?",  # "photovoltaïque": never in the corpus
    "Que fait la région pour développer le tourisme ?",  # only framing words ("région") are in the corpus
    "Comment la région soutient-elle la filière hydrogène ?",
])
def test_question_whose_topic_the_corpus_never_mentions_is_refused(assistant, question):
    a = assistant.ask(question)
    assert a.abstained and a.answer == REFUSAL and not a.citations


@pytest.mark.parametrize("question, expected", [
    # words absent from the corpus ("accumulateurs", "citadines") around present ones: a paraphrase, answered
    ("Quelle société produira les accumulateurs des citadines R4 et R5 du constructeur au losange ?", "AESC"),
    # "participent" is a verb form the corpus does not use, "participer" it does
    ("Combien de territoires des Hauts-de-France participent à la phase II de Territoires d'industrie ?", "18"),
])
def test_paraphrased_question_is_still_answered(assistant, question, expected):
    a = assistant.ask(question)
    _check_grounded(a)
    assert expected in a.answer


def test_table_debris_is_not_quoted_as_an_answer(assistant):
    # "quel est le salaire moyen" asks for a figure; the corpus gives none, only table rows about the sector
    a = assistant.ask("Quel est le salaire moyen des ouvriers dans l'industrie automobile ?")
    for sentence, _ in answer_sentences(a.answer):
        assert not is_debris(sentence), sentence
    assert "29.10Z" not in a.answer and "moyenne France" not in a.answer


def test_a_table_row_that_answers_is_still_quoted(assistant):
    a = assistant.ask("Dans quelle ville se trouve l'usine Toyota Motor Manufacturing France ?")
    assert not a.abstained and a.citations
    assert "Valenciennes" in a.citations[0].quote


@pytest.mark.parametrize("question, expected", [
    ("Qui préside la région Hauts-de-France ?", "Xavier Bertrand"),  # "préside" matched in "président"
    ("Quand l'usine ACC a-t-elle été inaugurée ?", "mai 2023"),  # without the long quote before "Il s'agissait..."
])
def test_short_factual_question_gets_a_short_answer(assistant, question, expected):
    a = assistant.ask(question)
    _check_grounded(a)
    sentences = answer_sentences(a.answer)
    assert len(sentences) == 1, a.answer  # no filler sentence after the one that answers
    assert expected in a.answer


def test_follow_up_replaces_the_previous_value(assistant):
    first = assistant.ask(PHASE_II)
    assert "18" in first.answer
    a = assistant.ask("Et lors de la phase I ?", [(PHASE_II, first.answer)])
    assert a.standalone_question.startswith("Et lors de la phase I ?")
    assert "II" not in a.standalone_question.split("?", 1)[1]  # the old value does not outvote the new one
    _check_grounded(a)
    assert "14" in a.answer


def test_a_new_self_contained_question_is_not_pulled_towards_the_previous_topic(assistant):
    """In one conversation, after a question on the defence ports, a question naming its own topic (the Cour
    des comptes on innovation poles) is answered on that topic, exactly as when asked alone."""
    question = "Quelle est la position de la Cour des comptes sur les pôles d'innovation ?"
    history = [("Quels ports des Hauts-de-France sont cités comme atouts pour la défense ?",
                "Ports stratégiques : Dunkerque (59), Calais (62), Boulogne-sur-Mer (62) [1].")]
    alone, in_conversation = assistant.ask(question), assistant.ask(question, history)
    assert in_conversation.standalone_question == question
    assert in_conversation.answer == alone.answer and "Cour" in in_conversation.answer
    _check_grounded(in_conversation)


def test_follow_up_with_a_pronoun_uses_the_previous_answer(assistant):
    history = [("Qui a inauguré la rubrique « Les territoires face à la crise » ?",
                "Bénédicte Brienne, directrice de l'agence de développement économique SOFIE, pour le pays de Saint-Omer.")]
    a = assistant.ask("Que signifie ce sigle ?", history)
    assert "SOFIE" in a.standalone_question
    _check_grounded(a)
    assert "Saint-Omer Flandre Interface" in a.answer


def test_english_question_is_answered_from_the_french_text(assistant):
    a = assistant.ask("Which companies are behind the ACC battery gigafactory in Douvrin?")
    _check_grounded(a)
    assert "Stellantis" in a.answer and "TotalEnergies" in a.answer


def test_stream_shows_the_first_sentence_before_the_final_answer(assistant):
    assistant.ask(PHASE_II)  # warm: the model and the query cache
    t0 = time.perf_counter()
    stream = assistant.stream(PHASE_II)
    first = next(stream)
    first_ms = (time.perf_counter() - t0) * 1000
    rest = list(stream)
    texts = [first] + [i for i in rest if isinstance(i, str)]
    final = rest[-1]
    assert isinstance(first, str) and first and first_ms < 1000
    assert all(b.startswith(a) for a, b in zip(texts, texts[1:])) and len(texts) >= 3
    assert final.answer == texts[-1] and not final.abstained


def test_refusal_streams_the_refusal_phrase(assistant):
    items = list(assistant.stream("Qui a gagné la Coupe du monde de football 2022 ?"))
    assert items[-2] == REFUSAL and items[-1].abstained


# --- pure parts --------------------------------------------------------------------------------------

@pytest.mark.parametrize("question, expected", [
    ("Combien d'emplois représentent les gigafactories ?", "figure"),
    ("Quel montant la task-force doit-elle mobiliser ?", "figure"),
    ("Quand le datacenter doit-il entrer en service ?", "date"),
    ("Qui critique cette idée ?", "person"),
    ("Où se trouve l'usine ACC ?", "place"),
    ("Que signifie le sigle DGA ?", "definition"),
    ("Pourquoi Nacon relocalise-t-elle ?", "why"),
    ("Quelle entreprise fabrique des manettes ?", "entity"),
    ("How long did the consultancy take?", "duration"),
    ("Sur quoi la phase II met-elle l'accent ?", None),
])
def test_question_type(question, expected):
    assert question_type(question) == expected


def test_layout_fragments_are_merged_and_closed_but_sentences_stay_apart():
    text = ("Séance de lancement\n7 \"cafés de la prospective\"\n73 participants d'horizons variés\n\n"
            "La Région a voté le programme. Il démarre en septembre 2026 sur tout le territoire.")
    units = units_of(text, 1)
    assert units[0].text == "Séance de lancement 7 \"cafés de la prospective\" 73 participants d'horizons variés."
    assert [u.text for u in units[1:]] == ["La Région a voté le programme.", "Il démarre en septembre 2026 sur tout le territoire."]
    assert units[2].prev is units[1]  # "Il" refers to the sentence before
    for u in units:
        assert display_text(text[u.start:u.end]).rstrip(".") == u.text.rstrip(".")


def test_marker_goes_before_the_final_period_and_after_a_closing_quote():
    assert with_marker("Ils sont 18.", 2) == "Ils sont 18 [2]."
    assert with_marker('Il dit : "nous gagnerons."', 1) == 'Il dit : "nous gagnerons" [1].'
    assert with_marker("Pourquoi pas ?", 3) == "Pourquoi pas ? [3]"
    assert [n for _, n in answer_sentences(with_marker("Un.", 1) + " " + with_marker('Deux "trois."', 2))] == [[1], [2]]


def test_standalone_question_without_history_is_the_question():
    assert standalone_question("Que signifie ZAN ?", None) == "Que signifie ZAN ?"


def test_standalone_question_carries_the_question_word_and_drops_the_replaced_value():
    s = standalone_question("Et lors de la phase I ?", [(PHASE_II, "Pour sa phase II, 18 territoires [1]")])
    extra = s.split("?", 1)[1]
    assert "combien" in extra and "territoires" in extra and "II" not in extra


def test_english_detection_and_glossary():
    assert is_english("When should the data centre near Valenciennes start operating?")
    assert not is_english("Quand le datacenter près de Valenciennes doit-il ouvrir ?")
    q = to_french_query("When should the data centre near Valenciennes start operating?")
    assert "quand" in q and "datacenter" in q and "Valenciennes" in q


def test_debris_detection():
    assert is_debris("FRANCAISE DE MECANIQUE Lens 29.10Z Construction de véhicules automobiles 1 000 à 1 999 salariés "
                     "LES FACTEURS DE CHANGEMENT.")
    assert is_debris("fabrication de machines et d'équipements fabrication de matériels de transport "
                     "moyenne régionale : 18,9 % moyenne France : 16,2 %.")
    assert not is_debris("Ces trois gigafactories représentent 2.800 emplois, détaille Xavier Bertrand.")
    assert not is_debris("Le président de la région Hauts-de-France Xavier Bertrand déroule son discours devant une "
                         "vingtaine d'entrepreneurs locaux réunis sur le campus du Medef.")


@pytest.mark.parametrize("text, expected", [
    # a straight quote opening the next sentence is not swallowed by the end of the previous one
    ('donnant naissance à une "vallée de la batterie". "J\'ai décidé d\'investir", dit-il.',
     ['donnant naissance à une "vallée de la batterie".', '"J\'ai décidé d\'investir", dit-il.']),
    # a French closing quote after a narrow space stays with its sentence
    ("il y a une place à prendre.\u202f» Le président parle.", ["il y a une place à prendre.\u202f»", "Le président parle."]),
    # a short quotation of two sentences stays whole: no stray « on one side and » on the other
    ("« Les Hauts-de-France sont dynamiques. Ici, l'industrie mobilise », se réjouit-il. Il part.",
     ["« Les Hauts-de-France sont dynamiques. Ici, l'industrie mobilise », se réjouit-il.", "Il part."]),
    ("M. Dupont a payé 2.800 euros. Puis il est parti.", ["M. Dupont a payé 2.800 euros.", "Puis il est parti."]),
    # contents entries and table rows, each on its own line, are quoted one by one
    ("Info sur… : les sites « clés en main », à la recherche de la maitrise du foncier\n"
     "Interview :  Banque des territoires : un milliard d’euros pour l’aménagement industriel\n"
     "Regards sur... : zoom sur le caractère évolutif de l’industrie régionale",
     ["Info sur… : les sites « clés en main », à la recherche de la maitrise du foncier",
      "Interview :  Banque des territoires : un milliard d’euros pour l’aménagement industriel",
      "Regards sur... : zoom sur le caractère évolutif de l’industrie régionale"]),
    # but a line ending on a word that needs a sequel, or inside brackets, goes on with the next
    ("lors du deuxième atelier prospectif (Saint-Michel) organisé avec la\nMaison des entreprises du territoire.",
     ["lors du deuxième atelier prospectif (Saint-Michel) organisé avec la\nMaison des entreprises du territoire."]),
    ("une plateforme mondiale du numérique, innovante et agile (Roman BOUCHET, chef de projet RSE, OVH\nRoubaix) ajoute-t-il.",
     ["une plateforme mondiale du numérique, innovante et agile (Roman BOUCHET, chef de projet RSE, OVH\nRoubaix) ajoute-t-il."]),
])
def test_sentence_splitter(text, expected):
    spans = split_sentences(text)
    assert [s.text for s in spans] == expected
    assert all(text[s.start:s.end] == s.text for s in spans)


def test_a_capitalised_word_opening_the_previous_answer_is_not_taken_for_a_name():
    history = [("Qu'a proposé l'Institut Montaigne pour relancer l'industrie ?",
                "Créer une douzaine de « zones prioritaires de relance industrielle ». Stellantis et Xavier Bertrand s'en réjouissent.")]
    q = standalone_question("Qui critique cette idée ?", history)
    assert "Créer" not in q
    assert "Stellantis" in q and "Xavier Bertrand" in q  # a rare word or a two-word name still is one


def test_chunk_units_keep_long_lines_together_so_chunk_boundaries_do_not_move():
    text = ("Interview :  Banque des territoires : un milliard d’euros pour l’aménagement industriel\n"
            "Regards sur... : zoom sur le caractère évolutif de l’industrie régionale")
    assert len(split_sentences(text)) == 2
    assert len(split_sentences(text, finished_lines=False)) == 1


def test_a_table_row_naming_a_rare_place_answers_but_a_label_on_a_figures_row_does_not(assistant):
    row = assistant.ask("Quelle entreprise de Béthune figure parmi les plus grands établissements industriels de la région, "
                        "et que fabrique-t-elle ?")
    assert not row.abstained and "ROQUETTE" in row.answer and "amylacés" in row.answer
    assert "TOYOTA" not in row.answer  # the row alone, not the whole table
    label = assistant.ask("Quelle est la politique industrielle de la région Occitanie ?")
    assert label.abstained
