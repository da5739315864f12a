"""Cleaning repairs on corpus examples, with counter-examples that must be left alone, and the metric."""

import re
import time

import pytest

from rag.ingest.clean import clean_text
from rag.ingest.clean_report import max_spaced_letter_run, render_clean_report
from rag.ingest.loaders import load_documents
from rag.text.lexicon import is_known_word, known_word_share, tokenize_words

from .conftest import CORPUS

DAMAGED = "agence-hdf-2020-2040-prospective-industrie"


def clean(text, **kw):
    return clean_text(text, **kw).text.strip()


@pytest.fixture(scope="module")
def docs():
    return {d.doc_id: d for d in load_documents(CORPUS)}


@pytest.fixture(scope="module")
def cleaned(docs):
    return {k: clean_text(d.text, boilerplate_start=d.metadata.get("boilerplate_start")).text for k, d in docs.items()}


# --- the metric -------------------------------------------------------------------------------------

def test_metric_splits_elisions_and_counts_only_real_single_letter_words():
    assert tokenize_words("L'industrie qu'il a") == ["industrie", "il", "a"]
    assert known_word_share("l'usine") == 1.0
    assert known_word_share("il y a à la") == 1.0
    assert known_word_share("L e t t r e") == 0.0          # 6 single letters, none a word
    assert known_word_share("contr ibut ion") == pytest.approx(2 / 3)  # 'contr' and 'ion' are in wordfreq
    assert known_word_share("usine 2020 %") == 1.0          # figures are not words and do not count
    assert known_word_share("") == 1.0


def test_known_words_follow_wordfreq_french():
    assert is_known_word("contribution") and is_known_word("à") and not is_known_word("ibut")
    assert not is_known_word("e") and not is_known_word("qqqq")


# --- each repair ------------------------------------------------------------------------------------

def test_letter_spaced_words_are_rejoined_keeping_word_gaps():
    assert clean("L e t t r e  d ' i n f o r m a t i o n  n ° 1") == "Lettre d'information n°1"
    assert clean("1 4  a v r i l  2 0 2 0") == "14 avril 2020"
    # no wide gaps at all: the lexicon finds the word boundaries
    assert clean("S i v o u s s o u h a i t e z v o u s a b o n n e r") == "Si vous souhaitez vous abonner"


def test_words_split_inside_are_rejoined_with_the_lexicon():
    assert clean("une contr ibut ion  écr i te  (d ispon ib le  en  l i gne ) ,  à") == \
        "une contribution écrite (disponible en ligne), à"
    assert clean("pour  l ' industr ie  rég iona le\"  res te  ac t i f   e t") == \
        "pour l'industrie régionale\" reste actif et"
    # one space between two real words in wide-gap text stays: 'que la' is likelier than 'quela'
    assert clean("portant  sur  ce  que la  c r i se  a  révé lé") == "portant sur ce que la crise a révélé"
    assert clean("UN EURO FORT ET LE DOLL AR AFFAIBLIT") == "UN EURO FORT ET LE DOLLAR AFFAIBLIT"


def test_ordinary_prose_with_short_words_is_untouched():
    for prose in (
        "Il y a à la fois des usines.",
        "J. F. Kennedy et X. Bertrand sont cités.",
        "La route A 16 relie Calais à Dunkerque.",
        "Il est arrivé plus tôt que prévu, par la A 16.",
        "une grille de A à Z, mais chaque contribution",
        "Asterodyn et Saverglass recrutent à Beauvais.",
    ):
        assert clean(prose) == prose


def test_doubled_glyphs_are_repaired():
    assert clean("o , la ppaarroo llee aa ééttéé ddoonnnnééee aauu ppaayyss ddee SSaa iinntt -OOmeer .") == \
        "o, la parole a été donnée au pays de Saint-Omer."
    assert clean("ccoonntteennuuss àà ppaarrttiirr ddee nnoottrree ssiittee") == "contenus à partir de notre site"
    assert clean("AAAAAAAgggggggeeeeeennnnnncccccceeeeee") == "Agence"


def test_doubled_letters_in_real_words_stay():
    assert clean("Les succès de l'entreprise Vereecke et la Flandre.") == \
        "Les succès de l'entreprise Vereecke et la Flandre."


def test_hyphenation_at_line_end_is_joined_and_compounds_kept():
    assert clean("un ar-\nticle de presse") == "un article de presse"
    assert clean("Hauts-de-France et Saint-Omer") == "Hauts-de-France et Saint-Omer"


def test_ligatures_and_typographic_spaces_are_normalised():
    assert clean("Le ﬁnancement\u202f: 18,9\u00a0%") == "Le financement : 18,9 %"


def test_debris_lines_go_and_figures_stay():
    text = ("Texte utile.\n\n11\n\nQQQQQQQQQQQQ\n¼\nA 16A 16\nA 13AAAA 1AAAA\n"
            "276 456\nemplois salariés privés\n18,9 %\n\nCollectivités\n 5")
    assert clean(text) == "Texte utile.\n\n276 456\nemplois salariés privés\n18,9 %\n\nCollectivités\n 5"


def test_a_lone_road_number_or_code_is_not_debris():
    assert clean("Accès\n\nA 16\n\nréseau 5G") == "Accès\n\nA 16\n\nréseau 5G"


def test_repeated_paragraphs_are_kept_once():
    para = "La crise a été l'occasion de mettre en lumière la contribution du secteur industriel."
    assert clean(f"{para}\n\nAutre.\n\n{para}") == f"{para}\n\nAutre."
    near = para.replace("La crise", "la crise").replace(".", " !")
    assert clean(f"{para}\n\nAutre.\n\n{near}") == f"{para}\n\nAutre."


def test_short_repeated_headings_are_not_deduplicated():
    assert clean("VARIABLES :\n\nBLOC 1\n\nTexte.\n\nVARIABLES :\n\nBLOC 1") == \
        "VARIABLES :\n\nBLOC 1\n\nTexte.\n\nVARIABLES :\n\nBLOC 1"


def test_prose_broken_by_the_pdf_is_reflowed_but_headings_stay():
    text = "Identification des facteurs de\nchangement à partir du matériau\n\ncollecté dans les ateliers\n\nAVRIL 2020\nLancement"
    assert clean(text) == \
        "Identification des facteurs de changement à partir du matériau collecté dans les ateliers\n\nAVRIL 2020\nLancement"


def test_paywall_boilerplate_marked_in_metadata_is_dropped(docs, cleaned):
    doc = docs["mediacites-2025-defense-eldorado"]
    assert doc.metadata["boilerplate_start"] in doc.text
    assert doc.metadata["boilerplate_start"] not in cleaned[doc.doc_id]
    assert "abonn" not in cleaned[doc.doc_id].lower() and "Asterodyn" in cleaned[doc.doc_id]


# --- the whole corpus -------------------------------------------------------------------------------

FACTS = {
    DAMAGED: ["276 456", "emplois salariés privés", "18,9 %", "24 045", "180 ETI", "73 participants",
              "16,2 %", "83,5 %", "29 fiches", "Lettre d'information n°1", "14 avril 2020",
              "Industrie 14,2% 17,0% -21,6 -3,7", "Chine 1,8% +8,0% +4,9%", "contribution",
              "2 000 à 4 999 salariés", "Saint-Omer", "KteqCO2"],
    "mediacites-2025-defense-eldorado": ["Xavier Bertrand", "Asterodyn"],
    "region-hdf-2025-assises-defense": ["Chantilly", "Dunkerque (59)"],
}


def test_facts_from_the_documents_survive_cleaning(cleaned):
    for doc_id, facts in FACTS.items():
        for fact in facts:
            assert fact in cleaned[doc_id], (doc_id, fact)


def test_every_document_reaches_095_known_words_and_no_spaced_letter_runs(docs, cleaned):
    assert known_word_share(docs[DAMAGED].text) < 0.7
    for doc_id, text in cleaned.items():
        assert known_word_share(text) >= 0.95, doc_id
        assert max_spaced_letter_run(text) < 5, doc_id


def test_clean_documents_keep_their_words(docs, cleaned):
    for doc_id in ("aletheia-2024-territoires-industrie", "elus-locaux-2025-transition-industrielle",
                   "region-hdf-2025-assises-defense"):
        assert tokenize_words(cleaned[doc_id]) == tokenize_words(docs[doc_id].text.replace("\u2010", "-")), doc_id


def test_cleaning_is_idempotent_deterministic_and_fast(docs, cleaned):
    start = time.perf_counter()
    for doc_id, d in docs.items():
        again = clean_text(d.text, boilerplate_start=d.metadata.get("boilerplate_start")).text
        assert again == cleaned[doc_id]
        assert clean_text(cleaned[doc_id]).text == cleaned[doc_id], doc_id
    assert time.perf_counter() - start < 6  # two passes over the corpus (< 3 s each)


def test_report_shows_counts_examples_and_metric(docs):
    report = render_clean_report(list(docs.values()), doc_id=DAMAGED)
    assert DAMAGED in report and "mediacites" not in report
    assert "rejoin_split_words" in report and "known French words: 0.6" in report
    assert re.search(r"`[^`]*por teuses[^`]*` -> `[^`]*porteuses", report)


def test_no_chunk_of_the_index_keeps_runs_of_spaced_letters(index):
    for chunk in index.chunks:
        assert max_spaced_letter_run(chunk.text) < 5, chunk.chunk_id


# --- only copies are dropped, and nothing real is lost ---------------------------------------------

def test_unique_paragraphs_whose_words_all_appeared_before_are_kept():
    """Issue: a paragraph was dropped as a 'garbled copy' because all its long words had appeared earlier,
    although no earlier paragraph said what it says."""
    doc = ("La Région Hauts-de-France accompagne l'investissement productif des entreprises industrielles "
           "et finance leur modernisation.\n\n"
           "Les entreprises industrielles régionales obtiennent ainsi des millions d'euros pour leur "
           "investissement et leur modernisation productive.\n\n"
           "En 2026, la Région finance 75 millions d'euros d'investissement productif des entreprises "
           "industrielles régionales pour leur modernisation.")
    result = clean_text(doc)
    assert result.text.strip() == doc and result.copies == []


def test_rows_and_legends_that_differ_by_a_name_or_a_word_are_not_copies():
    rows = ("ALSTOM TRANSPORT SA Valenciennes 30.20Z Construction de locomotives et d'autre matériel ferroviaire "
            "roulant 1 000 à 1 999 salariés\n\n"
            "BOMBARDIER TRANSPORT FRANCE S.A.S Valenciennes 30.20Z Construction de locomotives et d'autre "
            "matériel ferroviaire roulant 1 000 à 1 999 salariés")
    legend = ("Effet local négatif tous secteurs confondus sur la zone d'emploi y compris l'industrie\n\n"
              "Effet local positif tous secteurs confondus sur la zone d'emploi y compris l'industrie\n\n"
              "Effet local positif sur la zone d'emploi mais négatif pour l'industrie\n\n"
              "Effet local négatif sur la zone d'emploi mais positif pour l'industrie")
    letters = ("Lettre d'information n°1\nL'ACTUALITÉ DU COLLÈGE DE PROSPECTIVE\n\n"
               "Lettre d'information n°7\nL'ACTUALITÉ DU COLLÈGE DE PROSPECTIVE")
    for doc in (rows, legend, letters):
        assert clean(doc) == doc


def test_a_damaged_copy_is_dropped_and_names_the_paragraph_it_copies():
    original = ("Pour une meilleure connaissance des territoires de la région, nous vous invitons à découvrir "
                "notre nouvelle rubrique « Les territoires face à la crise ». Dans ce numéro, la parole a été "
                "donnée au pays de Saint-Omer.")
    damaged = ("ne meilleure connaissance des territoires de la nous vous invitons à découvrir notre nouvelle "
               "ue « Les territoires face à la cr ise ». la parole a été donnée au pays de Saint-Omer.")
    result = clean_text(f"{original}\n\nAutre paragraphe.\n\n{damaged}\n\n{original.upper()}")
    assert result.text.strip() == f"{original}\n\nAutre paragraphe."
    assert [c.original for c in result.copies] == [original, original]
    assert 0.8 <= result.copies[0].similarity < 1.0 and result.copies[1].similarity == 1.0


def _plain(text: str) -> str:
    """Letters and digits only, lower-cased: how an item is looked for, whatever the spacing damage."""
    return re.sub(r"[\W_]+", "", text.lower())


def _runs_collapsed(text: str) -> str:
    return re.sub(r"(.)\1+", r"\1", text)


_FIGURE = re.compile(r"\d+(?:[ .,]\d+)*")
_NAME = re.compile(r"(?<![^\W\d_])[A-ZÀ-ÖØ-Þ][^\W\d_]+")


def test_no_figure_or_name_of_the_corpus_is_lost_on_the_way_to_the_index(docs, index):
    """Every figure and capitalised name of the raw text is in some chunk of the index, unless it sat in
    text the metadata's boilerplate_start cuts, in a dropped copy whose original is kept, or on a debris
    line (page number, map labels) that holds no word. A word drawn with doubled glyphs ('SSaa iinntt')
    is looked for with its glyphs undoubled, as the cleaner repairs it."""
    for doc_id, doc in docs.items():
        raw = doc.text
        marker = doc.metadata.get("boilerplate_start")
        if marker and marker in raw:
            raw = raw[:raw.index(marker)]
        result = clean_text(doc.text, boilerplate_start=marker)
        cleaned = _plain(result.text)
        chunks = [_plain(c.text) for c in index.chunks if c.doc_id == doc_id]
        assert chunks, doc_id
        for copy in result.copies:
            assert _plain(copy.original) in cleaned, ("a dropped copy's original is gone", copy.original[:80])
        debris = [line for stat in result.stats for line in stat.removed]
        for line in debris:
            words = [w for w in tokenize_words(line) if len(w) >= 3 and is_known_word(w) and len(set(w)) > 1]
            assert not words, (doc_id, "a debris rule removed words", line)
        elsewhere = [_plain(c.text) for c in result.copies] + [_plain(line) for line in debris]
        missing = []
        for item in {_plain(m) for m in _FIGURE.findall(raw) + _NAME.findall(raw)} - {""}:
            if any(item in c for c in chunks) or any(item in e for e in elsewhere):
                continue
            undoubled = _runs_collapsed(item)
            if len(undoubled) < len(item) and any(undoubled in _runs_collapsed(c) for c in chunks):
                continue
            missing.append(item)
        assert not missing, (doc_id, sorted(missing))


def test_progress_reports_every_character_as_cleaning_goes(docs):
    doc = docs[DAMAGED]
    calls = []
    clean_text(doc.text, progress=calls.append)
    assert sum(calls) == len(doc.text)
    assert len(calls) >= 10 and all(n > 0 for n in calls)


def test_clean_report_shows_characters_removed_by_rule_and_the_original_of_each_copy(index_settings):
    from .test_cli import run_rag

    out = run_rag(["clean", DAMAGED, "--report"], index_settings)
    assert out.returncode == 0, out.stderr
    assert "| repair | changes | characters removed |" in out.stdout
    removed = dict(re.findall(r"^\| (\w+) \| \d+ \| (\d+) \|$", out.stdout, re.M))
    assert int(removed["drop_repeated_paragraphs"]) > 1000 and int(removed["drop_glyph_debris"]) > 0
    assert re.search(r"Paragraphs dropped as copies of an earlier, kept paragraph \(\d+\):", out.stdout)
    assert re.search(r"^- `C'est ce travail d’identification[^`]*` copies `[^`]*C'est ce travail", out.stdout, re.M)
    share = float(re.search(r"known French words: [\d.]+ -> ([\d.]+)", out.stdout).group(1))
    assert share >= 0.95


@pytest.mark.slow
def test_cleaning_time_grows_linearly_with_the_document():
    """A quarter-megabyte and a one-megabyte stretch of the same damaged document full of repeats
    (scripts/bench_clean.py): four times the text takes about four times as long, not sixteen (the copy
    search used to compare every paragraph with every earlier one). The stretches do not overlap (the
    lexicon's caches would favour the second), and the lexicon is warmed up on a third one first."""
    import importlib.util

    from .conftest import ROOT

    spec = importlib.util.spec_from_file_location("bench_clean", ROOT / "scripts" / "bench_clean.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    text = bench.synthetic_document(1_700_000, seed=1)
    clean_text(text[200_000:400_000])  # past the shipped corpus at its start: synthetic paragraphs only

    def seconds(part: str) -> float:
        start = time.perf_counter()
        clean_text(part)
        return time.perf_counter() - start

    small, large = seconds(text[400_000:650_000]), seconds(text[650_000:1_650_000])
    assert large / small < 4 * 1.5, (small, large)
