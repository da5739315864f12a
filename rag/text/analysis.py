"""French text analysis for keyword matching (BM25) and lexical overlap.

Lower case, accents folded (so "region" finds "région"), elisions stripped (l', d', qu', jusqu'...),
French stopwords removed, Snowball French stemming. The same function analyses documents and queries.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

# Elided forms: the apostrophe may be typographic; "jusqu'", "lorsqu'", "puisqu'", "quoiqu'" included.
_ELISION = re.compile(r"\b(?:jusqu|lorsqu|puisqu|quoiqu|qu|[cdjlmnst])['’‘ʼ]", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# French stopwords (accent-folded). Kept short and explicit: content words such as "emploi" or "région"
# must stay searchable, while question words ("combien", "quel") carry no topic.
STOPWORDS = frozenset("""
a ai aie aient aies ait alors as au aucun aucune aupres aura aurai auraient aurais aurait auras aurez auriez
aurions aurons auront aussi autre autres aux avaient avais avait avant avec avez aviez avions avoir avons ayant
ayez ayons c ca car ce ceci cela celle celles celui cependant certain certaine certaines certains ces cet cette
ceux chaque chez ci combien comme comment d dans de des deja depuis devant donc dont du duquel elle elles en
encore entre es est et etaient etais etait etant ete etes etiez etions etre eu eue eues eurent eus eusse
eussent eusses eussiez eussions eut eutes eux fai faire fais fait faites font fut furent fus fusse fussent
fusses fussiez fussions fut hors ici il ils j je jusqu l la laquelle le lequel les lesquelles lesquels leur
leurs lors lorsqu lui m ma mais me meme memes mes moi moins mon n ne ni nos notre nous on ont or ou par parce
pas peu peut peuvent plus pour pourquoi puis puisqu qu quand que quel quelle quelles quels qui quoi s sa sans
se sera serai seraient serais serait seras serez seriez serions serons seront ses si sien sienne siennes siens
soi soient sois soit sommes son sont sous soyez soyons suis sur t ta te tes toi ton tous tout toute toutes tres
tu un une unes uns vers voici voila vos votre vous y
selon parmi malgre durant pendant afin ainsi lorsque quelque quelques outre
""".split())


def fold_accents(text: str) -> str:
    """Remove diacritics ("région" -> "region", "œ" -> "oe")."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("french")


def _raw_words(text: str) -> list[str]:
    text = _ELISION.sub(" ", unicodedata.normalize("NFKC", text))
    return _WORD.findall(text.lower())


def words(text: str) -> list[str]:
    """Lower-cased, accent-folded words of `text` with elisions stripped (no stopword removal, no stemming)."""
    return [fold_accents(w) for w in _raw_words(text)]


# Ordinals and roman numerals as the number they stand for, so "deuxième phase" finds "phase II" and
# "la première lettre" finds "Lettre d'information n°1" (the single letters I, V, X are dropped as
# words, so "phase I" stays out of reach).
_NUMBERS = {
    **dict.fromkeys(("premier", "premiere", "premiers", "premieres", "1er", "1ere", "1re", "first"), "1"),
    **dict.fromkeys(("deuxieme", "second", "seconde", "2e", "2eme", "2nd", "ii"), "2"),
    **dict.fromkeys(("troisieme", "3e", "3eme", "third", "iii"), "3"),
    **dict.fromkeys(("quatrieme", "4e", "4eme", "fourth", "iv"), "4"),
    **dict.fromkeys(("cinquieme", "5e", "5eme", "fifth"), "5"),
    **dict.fromkeys(("sixieme", "6e", "6eme", "sixth", "vi"), "6"),
    **dict.fromkeys(("septieme", "7e", "7eme", "vii"), "7"),
    **dict.fromkeys(("huitieme", "8e", "8eme", "viii"), "8"),
}


@lru_cache(maxsize=65536)
def _term(word: str) -> str:
    # Accents are folded BEFORE stemming: people type "universite" or "securite", and the stemmer cuts
    # accented and unaccented forms differently ("université" -> "univers", "universite" -> "universit"),
    # so folding first is what makes both forms one term. Snowball French leaves some plurals alone
    # ("emplois" stays "emplois"), so a final s/x is dropped first.
    word = fold_accents(word)
    number = _NUMBERS.get(word)
    if number:
        return number
    if len(word) > 3 and word[-1] in "sx" and not word.isdigit():
        word = word[:-1]
    return _stemmer().stemWord(word)


def analyze(text: str) -> list[str]:
    """The analysed terms of `text`: content words, stemmed (used for both documents and queries)."""
    out = []
    for w in _raw_words(text):
        folded = fold_accents(w)
        if folded in STOPWORDS or (len(w) == 1 and not w.isdigit()):
            continue
        out.append(_term(w))
    return out
