"""Extractive answerer: quotes the best sentences of the retrieved passages, each followed by its [n].

How a sentence is scored against the question (parts in [0, 1], weights in `Weights`):
- lexical coverage: the share of the question's content terms (French analysis, stems) found in the
  sentence, each term weighted by its IDF over the indexed chunks, so "Verkor" counts more than
  "région"; words that only frame the question ("signifie", "sigle", "désigne"...) are left out, and
  words a follow-up borrowed from the conversation count half; a sentence opening on an anaphor
  ("Ces derniers...", "Cette PME...") also has the words of the sentence before;
- semantic similarity: cosine between the question and the sentence (sentence vectors stored in the
  index; computed once and cached when the index has none);
- question type: combien/montant/"quel est le salaire, taux, prix..." -> a figure the question does not
  already contain (better: followed by the counted noun), combien de temps -> a duration, quand -> a date,
  qui -> a person's name, où -> a place, quelle entreprise/quels ports -> a name, pourquoi -> a causal phrase,
  "que signifie X" -> an expansion of X in brackets or after a colon;
- retrieval prior: the passage's fused retrieval score relative to the best passage.
A question word the corpus lacks is matched through the most frequent corpus stem sharing a long prefix
with it ("préside" -> "président"), at half weight.
Sentences are quoted verbatim (line breaks and bullets removed); short layout fragments (lines of a
timeline, table cells) are merged with the lines that follow them and closed with a period; a sentence
opening on an anaphor is preceded by the sentence it refers to when that one holds a question word this
one lacks. Layout debris (table rows, capitalised headings glued to text, runs of nouns and figures
without a verb: `is_debris`) is quoted only when it matches the question very well. The answer is the
best sentence, plus the best one holding the asked type, plus further sentences only when they score
close to the best AND cover question words the chosen ones miss: a short factual question gets one
sentence, a list or a multi-part question several.

Abstention is evidence-based (`refusal_reason`), never a prompt instruction: refuse when
- a capitalised name of the question is absent from the whole corpus ("Windows", "Coupe du monde");
- most of the question's IDF mass is words the corpus never uses ("recette de la flamiche");
- most of its topic (the IDF mass without framing nouns such as "objectifs", "en matière de", "rôle",
  "région") is words the corpus never uses, even through a close form ("les objectifs de la région en
  matière d'hydrogène": the corpus never mentions hydrogen);
- the best sentence's evidence (coverage and similarity, without the type bonus) is under
  `settings.abstain_threshold`;
- a rare name of the question only appears in sentences that match the rest of it poorly (a map label
  "Occitanie" is no evidence about Occitanie's industrial policy);
- a figure is asked and no well-matching sentence holds one the question does not already give.
The thresholds were calibrated on rag/evaluation/data/questions.jsonl with scripts/calibrate_abstention.py (see its
output for the trade-off between refusing unanswerable and answerable questions).
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from rag.text.analysis import analyze, words
from rag.text.lexicon import tokenize_words
from rag.schema import Citation, Passage
from rag.text.sentences import split_sentences
from rag.text.normalize import numbers_in

# --- question analysis --------------------------------------------------------------------------------

# Words that frame a question without naming its topic: matching them in a sentence is no evidence.
_FRAME = set(analyze(
    "signifie signifier sigle sigles acronyme désigne désignent désigner définit définir définition appelle "
    "appelle-t-on entend entendre recouvre recouvrir veut dire cité cités citée citées évoqué évoquée "
    "mentionné mentionnée document lettre article selon "
    "trouve trouvent situe situent située situé"  # "où se trouve X": the place is asked, "trouve" is no evidence
))
# Nouns that frame what is asked about a topic ("les objectifs de la région en matière de X", "le rôle de la
# région dans la filière X"): the corpus uses them everywhere, so they say nothing about whether it covers X.
_GENERIC = set(analyze(
    "objectif objectifs matière domaine rôle politique politiques action actions stratégie enjeu enjeux ambition "
    "ambitions priorité priorités région régions régional régionale secteur filière place situation perspective "
    "perspectives avenir propose quoi sujet thème question concernant "
    "soutient soutenir soutien accompagne accompagner fait faire mène prévoit envisage"  # "que fait la région pour X"
))
_ROMAN = re.compile(r"\b(?:I|II|III|IV|V|VI)\b")  # "phase I" vs "phase II": one-letter words are no stems
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_MONTHS = ("janvier février mars avril mai juin juillet août septembre octobre novembre décembre "
           "printemps été automne hiver").split()
_DATE = re.compile(r"\b(?:(?:19|20)\d\d|" + "|".join(_MONTHS) + r")\b", re.I)
_DURATION = re.compile(r"\b(?:\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze|vingt|trente|"
                       r"quelques)\s+(?:mois|ans|années|semaines|jours|heures)\b", re.I)
_ASKS_MONEY = re.compile(r"\b(?:montant|budget|co[uû]t|investi|investissement|financ|subvention|somme|euros|"
                         r"mobilis|consacr|accord|d[ée]pens|how much money)", re.I)
_MONEY = re.compile(r"(?:\d[\d .,\u202f\u00a0]*|\b(?:un|une|deux|trois|dix|cent)\s+)(?:millions?\s+|milliards?\s+|Md\s*|M\s*)?"
                    r"(?:d['’]\s*)?(?:€|euros?\b|M€|Md€)", re.I)
_CAUSE = re.compile(r"\b(?:car|parce qu|en raison|grâce|puisqu|du fait|faute d|afin d|pour (?:que|pallier|répondre|faire)|"
                    r"dépend|risque|à cause|c['’]est pourquoi|explique)", re.I)
_PROPER = re.compile(r"(?<![\w'’-])[A-ZÀ-Ý][\w’'&-]{2,}")
_NAME = re.compile(r"\b[A-ZÀ-Ý][a-zà-ÿ]+(?:[- ][A-ZÀ-Ý][a-zà-ÿ]+)*\s+(?:[A-ZÀ-Ý]{2,}\b|[A-ZÀ-Ý][a-zà-ÿ]+)")
_PLACE = re.compile(r"\b(?:à|au|aux|en|dans|près de|de|du)\s+[A-ZÀ-Ý][\w’'-]+")
_COUNTED = re.compile(r"\d[\d.,\u202f\u00a0]*\s+(?:%\s+)?([^\W\d_]+(?:\s+[^\W\d_]+)?)")
_EXPANSION = r"(?:\s*[(\[:]\s*[A-Za-zÀ-ÿ]|\s*[(\[][^)\]]{6,}[)\]])"


# The kind of answer a question asks for, from its wording (accent-folded words), first match wins:
# "quel est le salaire moyen" asks for a figure as "combien" does.
_QUESTION_TYPES = tuple((kind, re.compile(pattern)) for kind, pattern in (
    ("figure", r"\b(combien|how (much|many)|quel(le)?s? (est |sont |etait |etaient |sera |seront )?(le |la |les |l )?"
               r"(montant|nombre|part|budget|somme|taux|pourcentage|proportion|effectif|capacite|surface|superficie|cout|"
               r"chiffre|salaire|remuneration|revenu|prix|tarif|valeur|population|volume|total)s?)\b"),
    ("duration", r"\b(combien de temps|how long|quelle duree|en combien de (mois|jours|semaines|annees))\b"),
    ("date", r"\b(quand|when|quelle (date|annee)|en quelle annee|depuis quand|a quelle date)\b"),
    ("definition", r"\b(que signifie|que veut dire|qu est ce que|qu est ce qu|que designe|que designent|qu appelle|"
                   r"qu entend|definit|que recouvre)\b"),
    ("why", r"\b(pourquoi|why)\b"),
    ("entity", r"\b(quel(le)?s? (entreprise|societe|start up|startup|industriel|groupe|constructeur|usine|fabricant|"
               r"acteur|organisme|port|site|ville|projet|programme)s?)\b|\bwhich (compan|firm|site|port)"),
    ("person", r"^(et )?(par |a )?qui\b|\bwho\b"),
    ("place", r"^(et )?ou\b|\bwhere\b|\bdans quelle (ville|commune|region|departement)\b|\ben quel lieu\b"),
))


def question_type(question: str) -> str | None:
    """figure | duration | date | definition | why | entity | person | place | None, from the question's wording (French or English)."""
    q = " ".join(words(question))
    return next((kind for kind, pattern in _QUESTION_TYPES if pattern.search(q)), None)


def _counted_noun(question: str) -> str | None:
    """The stem of what is counted in "combien de X" / "how many X", if any."""
    m = re.search(r"\bcombien\s+(?:de|d['’])\s*([^\W\d_]+)", question, re.I) or re.search(r"\bhow many\s+(\w+)", question, re.I)
    if not m:
        return None
    stems = analyze(m.group(1))
    return stems[0] if stems else None


def terms(text: str) -> set[str]:
    """Content stems of `text`, plus roman numerals (kept apart: "phase I" is not "phase II")."""
    return set(analyze(text)) | {"roman:" + r for r in _ROMAN.findall(text)}


@dataclass(frozen=True)
class Question:
    """What the scorer needs from a question."""

    text: str
    terms: dict[str, float]  # content stem -> IDF weight
    qtype: str | None
    numbers: set[str]
    counted: str | None
    names: set[str]  # capitalised words (for "new name" checks)
    money: bool = False  # a sum of money is asked


def with_marker(sentence: str, n: int) -> str:
    """The sentence with its citation before the final period ("... dispositif [1]."), after any closing
    quote: a marker after `."` would not be read as closing the sentence by sentence splitters."""
    m = _FINAL.search(sentence)
    if m:
        return f"{sentence[:m.start()]}{m.group(2)} [{n}]{m.group(1)}"
    return f"{sentence} [{n}]"


_FINAL = re.compile(r"([.…]+)(\s?[»”\"')\]]*)$")


def _norm(text: str) -> str:
    return re.sub(r"\W", "", text.lower())


def _overlaps(a: "Unit", b: "Unit") -> bool:
    """The same words quoted twice (overlapping chunks repeat sentences, sometimes with a fragment attached)."""
    x, y = _norm(a.text.rstrip(".")), _norm(b.text.rstrip("."))
    return x in y or y in x


def _own_part(standalone: str) -> str:
    """The question without the bracketed words a follow-up borrowed from the conversation (rag.followup)."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", standalone) or standalone


# --- candidates -----------------------------------------------------------------------------------------

_BULLET = re.compile(r"^[•·▪◦*\-–—]\s*")
# A sentence opening on an anaphor takes its topic from the sentence before.
_ANAPHORA = re.compile(r"^(?:ces derniers|ces dernières|celui-ci|celle-ci|ceux-ci|celles-ci|elles?|ils?|ce|cette|ces|"
                       r"cet|leur|leurs|son|sa|ses|parmi eux|parmi elles|lui|à ce titre|pour cela|c['’]est)\b", re.I)
_FUNCTION_WORDS = frozenset("de la le les des et a en du un une est sont au aux pour par dans sur qui que avec ont a se "
                            "son sa ses leur plus ne pas il elle ils elles cette ce ces".split())
MIN_UNIT_CHARS = 80  # shorter layout fragments are merged with the following lines


# Words of 2+ letters from which a unit without function words is a table row, not a label: a row of
# figures ending on a label ("+703 +1342 -639 Occitanie") has few.
_ROW_WORDS = 8


def _long_words(text: str) -> int:
    return sum(len(w) > 1 for w in tokenize_words(text))


@dataclass
class Unit:
    """An answer candidate: one sentence (or a run of short fragments) of one passage."""

    n: int  # passage number, 1-based
    start: int  # offsets in the passage text
    end: int
    text: str  # display text: whitespace collapsed, bullet removed
    terms: set[str] = field(default_factory=set)
    prose: bool = True  # a sentence, not a table cell or a map label (few function words)
    debris: bool = False  # table rows, glued headings (`is_debris`): quoted only when they match very well
    prev: "Unit | None" = None  # the sentence before, when this one opens on an anaphor ("Cette PME...")
    context: set[str] = field(default_factory=set)  # terms of the sentence before (the topic often is there)
    score: float = 0.0
    evidence: float = 0.0


_FINISHED = re.compile(r"[.!?…][»”\"')\]]*\s*$")
_CAPS_RUN = re.compile(r"(?:\b[A-ZÀ-Ý][A-ZÀ-Ý'’-]+\b[\s,]+){2,}[A-ZÀ-Ý][A-ZÀ-Ý'’-]+\b")  # "FRANCAISE DE MECANIQUE"
_LABELLED_FIGURE = re.compile(r"[^\W\d_]+\s*:\s*\d[\d  ,.]*\s*%?")
_VERB = re.compile(r"\b(?:est|sont|a|ont|était|étaient|sera|seront|fut|peut|peuvent|doit|doivent|fait|font|va|vont|"
                   r"permet|vise|reste|compte|prévoit|représente|emploie|concerne|devient|comprend|dispose|"
                   r"[a-zà-ÿ]{3,}(?:ent|ait|aient|era|eront|ra|ront|é|ée|és|ées|er|ir|ant))\b")


def is_debris(text: str) -> bool:
    """Table or layout debris rather than a sentence: a heading in capitals glued to the text, a run of
    nouns and figures with almost no function words and no verb, or mostly codes and numbers."""
    ws = text.split()
    if len(ws) < 6:
        return False
    if _CAPS_RUN.search(text):
        return True
    lw = words(text)
    function = sum(w in _FUNCTION_WORDS for w in lw) / max(1, len(lw))
    digits = sum(any(ch.isdigit() for ch in w) for w in ws) / len(ws)
    if digits >= 0.35 and len(ws) >= 10:  # a short dated header ("Lettre d'information n°8 28 avril 2021") is no table
        return True
    if len(_LABELLED_FIGURE.findall(text)) >= 2:  # "moyenne régionale : 18,9 % moyenne France : 16,2 %"
        return True
    verb = _VERB.search(text.lower())
    # a long run without any verb is a list of table cells, not a sentence
    return not verb and (len(lw) >= 20 or (len(lw) >= 12 and function < 0.12))


def display_text(raw: str) -> str:
    """A quote as shown in the answer: layout line breaks and bullets removed, words verbatim, and a
    final period added to a fragment that has none (so the answer reads as sentences, each with its [n])."""
    text = _BULLET.sub("", " ".join(raw.split()))
    if not _FINISHED.search(text):
        text = text.rstrip(",;:–— ") + "."
    return text


def units_of(text: str, n: int) -> list[Unit]:
    """Candidate units of one passage text."""
    spans = [s for s in split_sentences(text) if sum(ch.isalpha() for ch in s.text) >= 3]
    out: list[Unit] = []
    i = 0
    while i < len(spans):
        start, end = spans[i].start, spans[i].end
        j = i + 1
        # only unfinished fragments (no final punctuation: timeline lines, table cells) take the next lines
        while (end - start < MIN_UNIT_CHARS and j < len(spans) and j - i < 4 and not _FINISHED.search(text[start:end])
               and not text[spans[j - 1].end:spans[j].start].count("\n\n")):
            end = spans[j].end
            j += 1
        raw = text[start:end]
        shown = display_text(raw)
        if sum(ch.isalpha() for ch in shown) >= 15:
            lead = len(raw) - len(raw.lstrip())
            bullet = _BULLET.match(raw.lstrip())
            if bullet:
                start += lead + bullet.end()
            unit_terms = terms(shown)
            if out and _ANAPHORA.match(shown) and out[-1].end <= start:
                unit_terms |= out[-1].terms  # "Ces derniers étaient porteurs de 550 emplois": who they are is one sentence back
            anaphoric = bool(_ANAPHORA.match(shown))
            context = out[-1].terms if out else set()
            out.append(Unit(n=n, start=start, end=end, text=shown, terms=unit_terms,
                            prose=sum(w in _FUNCTION_WORDS for w in words(shown)) >= 3, debris=is_debris(shown),
                            prev=out[-1] if anaphoric and out and out[-1].end <= start else None,
                            context=context))
        i = j if end - start < MIN_UNIT_CHARS * 2 and j > i + 1 else i + 1
    return out


# --- scoring --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Weights:
    """Weights of the sentence score (tuned on the question set; see the module docstring)."""

    coverage: float = 0.6
    cosine: float = 0.3
    qtype: float = 0.25
    prior: float = 0.1
    figure_threshold: float = 0.38  # a figure is asked: the best sentence holding a new figure needs this evidence
    name_threshold: float = 0.30  # a rare name of the question needs a sentence naming it with this evidence
    rare_name_df: int = 5  # names in more chunks than this are common words of the corpus
    out_of_vocabulary: float = 0.6  # refuse when this share of the question's IDF mass is unknown to the corpus
    # ... or this share of its topic (the IDF mass left without the framing nouns): answerable paraphrases
    # ("accumulateurs" for "batteries") stay under 0.6 on the question set, off-topic ones reach 0.6-1.0
    topic_absent: float = 0.6
    context: float = 0.3  # a question term found only in the sentence before counts this much
    borrowed: float = 0.5  # weight of the terms a follow-up borrowed from the conversation
    close_form: float = 0.5  # weight of a question word matched through a corpus word sharing its prefix
    keep_ratio: float = 0.6  # further sentences are kept when they score this share of the best one
    completes: float = 0.1  # ... and cover this share of the question's IDF mass that the chosen ones miss
    debris_evidence: float = 0.5  # a table row or glued heading is quoted only with this evidence (it then answers)
    max_chars: int = 700  # an answer stays short


class ExtractiveAnswerer:
    """Scores the sentences of retrieved passages and composes a short cited answer."""

    def __init__(self, index, embedder, settings, weights: Weights | None = None):
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.weights = weights or Weights()
        chunks = index.chunks
        # Document frequencies over the indexed chunks: IDF weights and "is this word in the corpus at all".
        df: dict[str, int] = {}
        for c in chunks:
            for t in terms(c.text) | set(analyze(c.heading or "")):
                df[t] = df.get(t, 0) + 1
        self.df = df
        self.n_chunks = max(1, len(chunks))
        self.vocabulary = sorted(df)

    def close_form(self, term: str) -> str | None:
        """The term as the corpus has it: itself, else the most frequent corpus stem sharing a long prefix with
        it (the stemmer leaves verb forms and some derivations apart: "préside"/"président",
        "participent"/"participer", "capitaux"/"capital"), else None."""
        if self.df.get(term, 0):
            return term
        if not term.isalpha() or len(term) < 4:
            return None
        base = re.sub(r"(?:ent|ons|ez|ait|aient)$", "", term) if len(term) >= 8 else term
        prefix = base[:max(5, len(base) - 2)]  # "hydrogen" must not match "hydraulique" (shared "hydr")
        i = bisect.bisect_left(self.vocabulary, prefix)
        forms = []
        while i < len(self.vocabulary) and self.vocabulary[i].startswith(prefix):
            forms.append(self.vocabulary[i])
            i += 1
        return max(forms, key=lambda f: self.df[f]) if forms else None

    def known(self, term: str) -> bool:
        return self.close_form(term) is not None

    def topic_absence(self, q: Question) -> tuple[float, list[str]]:
        """(share of the question's topic IDF mass the corpus never uses, those terms). The topic is the
        question's content words minus the generic framing nouns ("objectifs", "en matière de", "région")."""
        topic = {t: w for t, w in q.terms.items() if t not in _GENERIC and not t.startswith("roman:")}
        absent = [t for t in topic if not self.known(t)]
        total = sum(topic.values())
        return (sum(topic[t] for t in absent) / total if total else 0.0), absent

    def idf(self, term: str) -> float:
        return math.log(1 + self.n_chunks / (1 + self.df.get(term, 0)))

    def question(self, text: str) -> Question:
        own = terms(_own_part(text))
        # words a follow-up borrowed from the conversation count half: the new question's own words decide
        qterms: dict[str, float] = {}
        for t in terms(text):
            if t in _FRAME:
                continue
            # "préside" is matched in "le président", at a discount: a shared prefix is weaker than a shared stem
            form = self.close_form(t) or t
            weight = self.idf(form) * (1.0 if t in own else self.weights.borrowed) * (1.0 if form == t else self.weights.close_form)
            qterms[form] = max(qterms.get(form, 0.0), weight)
        names = {w for w in re.findall(r"\b[A-ZÀ-Ý][\w’'-]+", text)}
        return Question(text=text, terms=qterms, qtype=question_type(text), numbers=numbers_in(text),
                        counted=_counted_noun(text), names=names, money=bool(_ASKS_MONEY.search(_own_part(text))))

    def unknown_names(self, question: str) -> list[str]:
        """Capitalised words of the question (not the first word) that no indexed chunk contains."""
        return [n for n in self.names_of(question) if all(self.df.get(s, 0) == 0 for s in analyze(n))]

    def _query_vec(self, text: str) -> np.ndarray:
        return self.embedder.encode_query(text)

    def _type_score(self, q: Question, unit: Unit) -> float:
        text = unit.text
        if q.qtype == "figure":
            new = {n for n in numbers_in(text) - q.numbers if not _YEAR.match(n)}
            if q.money:
                # "quel montant", "combien a-t-elle investi": a sum of money, not any figure
                return 1.0 if _MONEY.search(text) else 0.2 if new else 0.0
            if not new:
                return 0.0
            if q.counted:
                # "combien d'emplois" is best answered by "2.800 emplois" (the noun within two words of the figure)
                after = [analyze(m.group(1)) for m in _COUNTED.finditer(text)]
                if any(q.counted in a for a in after):
                    return 1.0
            return 0.6
        if q.qtype == "duration":
            return 1.0 if _DURATION.search(text) else 0.0
        if q.qtype == "why":
            return 1.0 if _CAUSE.search(text) else 0.0
        if q.qtype == "entity":
            return 1.0 if any(m.group(0) not in q.names for m in _PROPER.finditer(text) if m.start() > 0) else 0.0
        if q.qtype == "date":
            return 1.0 if _DATE.search(text) else 0.0
        if q.qtype == "person":
            return 1.0 if any(m.group(0).split()[0] not in q.names for m in _NAME.finditer(text)) else 0.0
        if q.qtype == "place":
            return 1.0 if any(m.group(0).split()[-1] not in q.names for m in _PLACE.finditer(text)) else 0.0
        if q.qtype == "definition":
            for name in q.names:
                if len(name) >= 2 and re.search(re.escape(name) + _EXPANSION, text):
                    return 1.0
            return 0.3 if re.search(r"\b(désigne|signifie|c['’]est|est un|est une|consiste)\b|:", text) else 0.0
        return 0.0

    def stored_vectors(self, passage: Passage):
        """The passage's (sentence spans, sentence vectors) stored in the index, or None when it has no sentence."""
        row = self.index.row_of(passage.chunk_id)
        spans, vecs = self.index.sentence_spans(row), self.index.sentence_vectors(row)
        return (spans, vecs) if len(spans) == len(vecs) and len(vecs) else None

    def _unit_vectors(self, units: list[Unit], passages: list[Passage]) -> np.ndarray:
        """Unit embeddings from the sentence vectors stored in the index (no model call at question time);
        a unit of several sentences gets their normalised mean."""
        stored = {n: self.stored_vectors(p) for n, p in enumerate(passages, start=1)}
        rows = []
        for u in units:
            spans, vecs = stored[u.n]  # a passage has units only when it has sentences
            idx = [k for k, (a, b) in enumerate(spans) if a < u.end and b > u.start]
            v = vecs[idx].mean(axis=0) if idx else np.zeros(vecs.shape[1], dtype=np.float32)
            norm = float(np.linalg.norm(v))
            rows.append(v / norm if norm else v)
        return np.stack(rows).astype(np.float32) if rows else np.zeros((0, 0), dtype=np.float32)

    def score(self, standalone: str, passages: list[Passage]) -> tuple[Question, list[Unit]]:
        """All candidate units of `passages`, best first, with their score and evidence."""
        q = self.question(standalone)
        units = [u for n, p in enumerate(passages, start=1) for u in units_of(p.text, n)]
        if not units or not q.terms:
            return q, []
        w = self.weights
        total = sum(q.terms.values())
        cos = self._unit_vectors(units, passages) @ self._query_vec(standalone)
        top = max(p.score for p in passages) or 1.0
        for u, c in zip(units, cos):
            own = sum(wt for t, wt in q.terms.items() if t in u.terms) / total
            nearby = sum(wt for t, wt in q.terms.items() if t not in u.terms and t in u.context) / total
            similarity = w.cosine * max(0.0, float(c))
            # evidence (for refusing) counts the sentence's own words only; the ranking also credits the
            # sentence before, where the topic of a sentence often is
            u.evidence = (w.coverage * own + similarity) / (w.coverage + w.cosine)
            u.score = ((w.coverage * (own + w.context * nearby) + similarity) / (w.coverage + w.cosine)
                       + w.qtype * self._type_score(q, u) + w.prior * max(0.0, passages[u.n - 1].score / top))
        # a unit repeated by overlapping chunks is kept once, under its best-ranked passage
        seen, out = set(), []
        for u in sorted(units, key=lambda u: (-u.score, u.n)):
            key = re.sub(r"\W", "", u.text.lower())
            if key not in seen:
                seen.add(key)
                out.append(u)
        return q, out

    def refusal_reason(self, q: Question, ranked: list[Unit], passages: list[Passage]) -> str | None:
        """Why the evidence is too weak to answer (a short tag), or None to answer."""
        if not ranked:
            return "no-sentence"
        own = _own_part(q.text)
        if self.unknown_names(own):
            return "unknown-name"  # "Occitanie", "Windows": the corpus never mentions them
        total = sum(q.terms.values())
        if sum(w for t, w in q.terms.items() if not self.known(t)) >= self.weights.out_of_vocabulary * total:
            return "out-of-vocabulary"  # most of what the question is about is absent from the corpus
        if self.topic_absence(q)[0] >= self.weights.topic_absent:
            return "topic-absent"  # "les objectifs de la région en matière d'hydrogène": never about hydrogen
        if max(u.evidence for u in ranked[:3]) < self.settings.abstain_threshold:  # the first answer sentences
            return "weak-evidence"
        for name in self.names_of(own):
            stems = set(analyze(name))
            if max(self.df.get(t, 0) for t in stems) > self.weights.rare_name_df:
                continue  # "Hauts-de-France", "Région": too common here to single out the evidence
            # map labels count for less: "Occitanie" on a map of France is no evidence about it; a table row
            # that says something about the name ("ROQUETTE FRERES Béthune 10.62Z Fabrication de produits
            # amylacés 2 000 à 4 999 salariés") counts as a sentence
            support = max((u.evidence * (1.0 if u.prose or _long_words(u.text) >= _ROW_WORDS else 0.6)
                           for u in ranked if stems <= u.terms), default=0.0)
            if support < self.weights.name_threshold:
                return "name-unsupported"  # "la région Bretagne": only a map label names it, no sentence about it
        if q.qtype == "figure":
            typed = [u.evidence for u in self.quotable(q, ranked) if self._type_score(q, u) >= 0.6]
            if not typed or max(typed) < self.weights.figure_threshold:
                return "no-figure"  # a figure is asked and no well-matching sentence gives one
        return None

    def names_of(self, question: str) -> list[str]:
        """Capitalised words of the question other than its first word."""
        return [m.group(0) for m in re.finditer(r"(?<![\w'’-])[A-ZÀ-Ý][\w’'-]{2,}", question)
                if m.start() > 0 and not question[:m.start()].rstrip().endswith(("?", ".", "(", "«"))
                and analyze(m.group(0))]

    def quotable(self, q: Question, ranked: list[Unit]) -> list[Unit]:
        """The units that may be quoted: layout debris ("FRANCAISE DE MECANIQUE Lens 29.10Z ...") only when it
        matches the question very well, or names a rare name the question asks about (a table row of the
        largest plants naming "Béthune" does answer "quelle entreprise de Béthune")."""
        rare = [set(analyze(n)) for n in self.names_of(_own_part(q.text))]
        rare = [st for st in rare if st and max(self.df.get(t, 0) for t in st) <= self.weights.rare_name_df]
        return [u for u in ranked if not u.debris or u.evidence >= self.weights.debris_evidence
                or any(st <= u.terms for st in rare)]

    def choose(self, q: Question, ranked: list[Unit]) -> list[Unit]:
        """The units of the answer (best first); the best unit holding the asked type is always included."""
        ranked = self.quotable(q, ranked)
        if not ranked:
            return []
        best = ranked[0]
        chosen = [best]
        size = len(best.text)
        if q.qtype and self._type_score(q, best) < 0.6:
            typed = next((u for u in ranked if self._type_score(q, u) >= 0.6), None)
            if typed is not None and typed.score >= best.score * 0.6 and not _overlaps(typed, best):
                chosen.append(typed)
                size += len(typed.text)
        total = sum(q.terms.values()) or 1.0
        covered = set().union(*(c.terms for c in chosen))
        for u in ranked[1:]:
            if u in chosen or any(_overlaps(u, c) for c in chosen):
                continue
            if len(chosen) >= self.settings.max_answer_sentences:
                break
            if u.score < best.score * self.weights.keep_ratio or size + len(u.text) > self.weights.max_chars:
                continue
            # a further sentence must complete the answer (cover question words the chosen ones miss); one
            # that only repeats what they match is filler, and a short factual question gets a short answer
            new = sum(w for t, w in q.terms.items() if t in u.terms and t not in covered) / total
            if new < self.weights.completes or (not u.prose and len(words(u.text)) < 8):  # "De nouveaux outils."
                continue
            chosen.append(u)
            covered |= u.terms
            size += len(u.text)
        return chosen

    def answer(self, standalone: str, passages: list[Passage]) -> Iterator[tuple[str, list[Citation]]]:
        """Yield (answer text so far, citations) after each chosen sentence; nothing when it abstains."""
        q, ranked = self.score(standalone, passages)
        if self.refusal_reason(q, ranked, passages):
            return
        # One citation per quoted sentence (two sentences of one passage get two numbers), so every [n]
        # carries the exact quote that backs its sentence.
        citations: list[Citation] = []
        parts: list[str] = []
        chosen = self.choose(q, ranked)
        shown: list[Unit] = []
        for u in chosen:
            if u in shown:
                continue
            # "Cette PME souhaitait relocaliser..." is quoted after the sentence saying which PME it is
            if u.prev is not None and u.prev in chosen and u.prev not in shown:
                shown.append(u.prev)
            elif (u.prev is not None and not any(_overlaps(u.prev, c) for c in chosen + shown)
                  and any(t in u.prev.terms for t in set(q.terms) - terms(u.text))):
                # only when the sentence before says something asked that this one does not ("Nacon" for
                # "Cette PME"): "Il s'agissait alors de l'usine ACC..." needs no long quote before it
                shown.append(u.prev)
            shown.append(u)
        for u in shown:
            p = passages[u.n - 1]
            citations.append(Citation(n=len(citations) + 1, doc_id=p.doc_id, title=p.chunk.title, chunk_id=p.chunk_id,
                                      text=p.text, quote=p.text[u.start:u.end], start=u.start, end=u.end,
                                      rank=p.rank, score=p.score, support=round(u.evidence, 4)))
            parts.append(with_marker(u.text, len(citations)))
            yield " ".join(parts), list(citations)
