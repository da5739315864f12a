"""Does a passage support a claim? The test behind every citation an answer keeps.

An LLM rewrites rather than quotes, so the test cannot ask for the claim's words. It looks for the
passage's sentence (or two adjacent sentences: a claim may join them) that best backs the claim, with:
- hard checks, never traded against similarity:
  * figures: every number of the claim is in that window ("2.800" = "2 800"), number words included
    ("dix-huit" = 18, "douzaine"), and so is every scale word (millions is not milliards);
  * names: every proper name or acronym of the claim is in the passage, or in the window itself
    (NAMES_IN, chosen by the calibration): a wrong company, town or person is the typical invention
    that keeps the sentence fluent; and in the window, each name stands near (MAX_NAME_GAP) a word the
    claim attaches to it, which catches a fact moved from one entity to its neighbour in a list;
- a similarity score, `weight * overlap + (1 - weight) * cosine`: the share of the claim's content stems
  found in the window, and the cosine of their multilingual-e5-small embeddings (which sees paraphrases
  that share few words).
The claim is supported when the best window passing the hard checks scores at least `threshold`.
`NAMES_IN`, `MAX_NAME_GAP`, `weight` and `threshold` come from cross-validation on the labelled pairs of
rag/answer/data/verifier_pairs.jsonl (scripts/bench_verifier.py), not from hand tuning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.text.analysis import analyze, fold_accents
from rag.text.normalize import numbers_in
from rag.text.sentences import Span, split_sentences

# Calibrated by scripts/bench_verifier.py (5-fold cross-validation grouped by question, on the pairs
# file); the values are those chosen on the whole set by the same procedure. Rerun it after changing
# the checks or the embedder.
WEIGHT = 0.10
THRESHOLD = 0.8830
NAMES_IN = "window"  # where a claim's names must be: "passage" (anywhere in it) or "window" (the quoted sentences)
MAX_NAME_GAP = 8  # content words allowed between a name and the words the claim attaches to it (see name_gap)

_UNITS = {"un": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
          "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
          "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
          "cent": 100, "cents": 100, "mille": 1000}
_APPROX = {"dizaine": "~10", "douzaine": "~12", "quinzaine": "~15", "vingtaine": "~20", "trentaine": "~30",
           "quarantaine": "~40", "cinquantaine": "~50", "soixantaine": "~60", "centaine": "~100", "millier": "~1000"}
_SCALES = {"million": "×10^6", "millions": "×10^6", "milliard": "×10^9", "milliards": "×10^9", "md": "×10^9",
           "mds": "×10^9", "mrd": "×10^9", "mrds": "×10^9", "m€": "×10^6", "k€": "×10^3"}
_WORDS = re.compile(r"[\wÀ-ÿ€]+(?:-[\wÀ-ÿ]+)*")
# A capitalised word not glued to a letter or a hyphen; after an elision (d'Airbus) it is still a name.
_NAME = re.compile(r"(?:(?<=\b[dlDL]['’])|(?<=\bqu['’])|(?<![«\"“'’\w-]))([A-ZÀ-Ý][\wÀ-ÿ&]*(?:[-'’][\wÀ-ÿ]+)*)")
COMMON_WORD_ZIPF = 3.5  # an opening capital is a name when the word is rarer than this in French (wordfreq)


def _number_word(token: str) -> str | None:
    """"dix-huit" -> "18", "quatre-vingts" -> "80", "trois" -> "3" (not "un", an article far more often)."""
    parts = token.split("-")
    if not all(p in _UNITS or p == "et" for p in parts) or token in ("un", "et"):
        return None
    total, i = 0, 0
    values = [_UNITS[p] for p in parts if p != "et"]
    while i < len(values):
        if i + 1 < len(values) and values[i] == 4 and values[i + 1] == 20:
            total, i = total + 80, i + 2
        elif values[i] in (100, 1000) and total:
            total, i = total * values[i], i + 1
        else:
            total, i = total + values[i], i + 1
    return str(total)


def figures(text: str) -> set[str]:
    """Numbers (thousands separators removed), number words as digits, approximate counts and scale words."""
    out = set(numbers_in(text))
    for token in _WORDS.findall(fold_accents(text.lower()).replace("œ", "oe")):
        if token in _APPROX:
            out.add(_APPROX[token])
        elif token in _SCALES:
            out.add(_SCALES[token])
        else:
            value = _number_word(token)
            if value is not None:
                out.add(value)
    return out


def names(claim: str) -> set[str]:
    """Proper names and acronyms of a claim, folded ("Lambres-lez-Douai" -> "lambres-lez-douai").

    A capital opening the claim is a name only when the word is rare in French ("Bpifrance", not "Selon");
    a capital opening a quotation is not a name; an acronym always is."""
    found = set()
    first = len(claim) - len(claim.lstrip("«\"“ ("))
    for m in _NAME.finditer(claim):
        word = m.group(1)
        is_acronym = sum(ch.isupper() for ch in word) >= 2
        if m.start() == first and not is_acronym and not _rare(word):
            continue
        found.add(_fold(word))
    return found


def _rare(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word.lower(), "fr") < COMMON_WORD_ZIPF


def _fold(text: str) -> str:
    return fold_accents(text.lower()).replace("’", "'")


def _has_name(name: str, folded_text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", folded_text) is not None or (
        "-" not in name and re.search(rf"(?<![\w]){re.escape(name)}s?(?![\w])", folded_text) is not None)


def _figure_neighbours(claim: str) -> dict[str, set[str]]:
    """For each figure of the claim, the nearest content stem on each side ("2.800 emplois" -> {"emploi"})."""
    items: list[tuple[str, str]] = []
    for m in re.finditer(r"\d+(?:[ .\u202f\u00a0]\d{3})*(?:,\d+)?|[^\W\d_]+(?:[-'’][^\W\d_]+)*", claim):
        token = m.group(0)
        figs = figures(token)
        if figs:
            items += [("figure", f) for f in figs]
        else:
            items += [("stem", t) for t in analyze(token)]
    out: dict[str, set[str]] = {}
    for i, (kind, value) in enumerate(items):
        if kind != "figure":
            continue
        near = out.setdefault(value, set())
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(items) and items[j][0] == "figure":
                j += step
            if 0 <= j < len(items):
                near.add(items[j][1])
    return out


@dataclass
class Window:
    """One or two adjacent sentences of a passage: the span to quote and what the checks need."""

    span: Span
    vector: np.ndarray | None
    figures: set[str]
    stems: set[str]
    folded: str = ""
    parts: tuple["Window", "Window"] | None = None  # the two sentences of a pair window


def windows(passage_text: str, embedder=None, stored=None) -> list[Window]:
    """The passage's sentences and pairs of adjacent sentences, with their embeddings when available.

    `stored` is the passage's (sentence spans, sentence vectors) from the index, which spares the model
    call; without it the sentences are embedded here (when an embedder is given)."""
    if stored is not None and len(stored[0]) == len(stored[1]):
        spans, keep = [], []
        for i, (a, b) in enumerate(stored[0]):
            raw = passage_text[a:b]
            if raw.strip():
                lead, trail = len(raw) - len(raw.lstrip()), len(raw) - len(raw.rstrip())
                spans.append(Span(raw.strip(), a + lead, b - trail))
                keep.append(i)
        vecs = stored[1][keep] if keep else None
    else:
        spans = [s for s in split_sentences(passage_text) if s.text.strip()]
        vecs = embedder.encode_passages([s.text for s in spans]) if embedder is not None and spans else None
    out = []
    for i, span in enumerate(spans):
        out.append(Window(span, None if vecs is None else vecs[i], figures(span.text), set(analyze(span.text)),
                          _fold(span.text)))
    for i in range(len(spans) - 1):  # a claim may join two neighbouring sentences
        a, b = spans[i], spans[i + 1]
        joined = Span(passage_text[a.start:b.end], a.start, b.end)
        vec = None
        if vecs is not None:
            v = vecs[i] + vecs[i + 1]
            vec = v / (np.linalg.norm(v) or 1.0)
        out.append(Window(joined, vec, out[i].figures | out[i + 1].figures, out[i].stems | out[i + 1].stems,
                          _fold(joined.text), (out[i], out[i + 1])))
    return out


_TOKEN = re.compile(r"\d+(?:[ .\u202f\u00a0]\d{3})*(?:,\d+)?|[^\W\d_]+(?:[-'’][^\W\d_]+)*")


def _sequence(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Content tokens in order: (folded word, its stems); stopwords and punctuation are left out."""
    out = []
    for m in _TOKEN.finditer(text):
        word = m.group(0)
        stems = tuple(analyze(word)) if not word[0].isdigit() else (word,)
        if stems:
            out.append((_fold(word), stems))
    return out


def name_gap(claim_seq, window_seq, claim_names: set[str]) -> int:
    """How far (in content words) the window puts a claim's name from the words the claim attaches to it.

    For each name of the claim found in the window, its nearest content words on each side in the claim
    (those the window has too) are looked up around the name in the window; the name's gap is the
    distance to the closest of them. The result is the largest gap over the names (0 when none applies).
    "La gigafactory de Verkor est installée à Lambres-lez-Douai" against "AESC, basée à Lambres-lez-Douai
    (…) et celle de la start-up Verkor, à Bourbourg": both names are there, far from each other's words."""
    in_window: dict[str, list[int]] = {}
    for i, (_, stems) in enumerate(window_seq):
        for st in stems:
            in_window.setdefault(st, []).append(i)
    folded_positions: dict[str, list[int]] = {}
    for i, (word, _) in enumerate(window_seq):
        folded_positions.setdefault(word, []).append(i)
    worst = 0
    for ci, (word, _) in enumerate(claim_seq):
        if word not in claim_names or word not in folded_positions:
            continue
        neighbours = []
        for step in (-1, 1):
            j, found = ci + step, 0
            while 0 <= j < len(claim_seq) and found < 2:
                other, stems = claim_seq[j]
                if other not in claim_names and any(st in in_window for st in stems):
                    neighbours.extend(st for st in stems if st in in_window)
                    found += 1
                j += step
        if not neighbours:
            continue
        gap = min(abs(a - b) for a in folded_positions[word] for st in neighbours for b in in_window[st])
        worst = max(worst, gap)
    return worst


def _figures_backed(claim_figures: set[str], neighbours: dict[str, set[str]], stems: set[str], w: Window) -> bool:
    """Every figure of the claim is in the window; in a pair window, a figure found only in the sentence
    that is not the claim's main one must come with its context there ("inaugurée en mai 2021" is not
    backed by "mai 2023" next to an unrelated "2021-2022")."""
    if not claim_figures <= w.figures:
        return False
    if w.parts is None:
        return True
    a, b = w.parts
    main, other = (a, b) if len(stems & a.stems) >= len(stems & b.stems) else (b, a)
    return all(f in main.figures or neighbours.get(f, set()) & other.stems for f in claim_figures)


@dataclass
class ClaimCheck:
    """The features of a claim against one passage (kept for calibration and for explaining verdicts)."""

    names_ok: bool  # every name of the claim is in the passage
    missing_names: set[str]
    candidates: list[tuple[Window, float, float | None, int]]  # windows with every figure: (window, overlap, cosine, name gap)
    claim_names: set[str] = frozenset()


def check_claim(claim: str, passage_text: str, embedder=None, claim_vec=None, stored=None) -> ClaimCheck:
    """Everything the decision needs about `claim` against one passage."""
    folded = _fold(passage_text)
    missing = {n for n in names(claim) if not _has_name(n, folded)}  # computed once more below for windows
    claim_figures = figures(claim)
    neighbours = _figure_neighbours(claim) if claim_figures else {}
    stems = set(analyze(claim))
    wins = windows(passage_text, embedder, stored)
    if embedder is not None and claim_vec is None and wins:
        claim_vec = embedder.encode_passages([claim])[0]
    claim_names = names(claim)
    claim_seq = _sequence(claim) if claim_names else []
    candidates = []
    for w in wins:
        if not _figures_backed(claim_figures, neighbours, stems, w):
            continue  # a figure that is not in the quote is not supported by it
        overlap = len(stems & w.stems) / len(stems) if stems else 0.0
        cosine = float(w.vector @ claim_vec) if w.vector is not None and claim_vec is not None else None
        gap = name_gap(claim_seq, _sequence(w.span.text), claim_names) if claim_names else 0
        candidates.append((w, overlap, cosine, gap))
    return ClaimCheck(not missing, missing, candidates, claim_names)


def best_window(check: ClaimCheck, weight: float = WEIGHT, names_in: str = NAMES_IN,
                max_gap: int = MAX_NAME_GAP) -> tuple[float, Span | None]:
    """(score, span) of the best window passing the hard checks; a single sentence wins a tie."""
    best, best_span = 0.0, None
    for w, overlap, cosine, gap in check.candidates:
        if names_in == "window" and not all(_has_name(n, w.folded) for n in check.claim_names):
            continue
        if gap > max_gap:
            continue  # a name far from what the claim says about it: another entity's fact
        # without an embedder (tests, tools) the words alone decide
        score = overlap if cosine is None else weight * overlap + (1 - weight) * cosine
        if score > best + 1e-9:
            best, best_span = score, w.span
    return best, best_span


def support(claim: str, passage_text: str, embedder=None, claim_vec=None, stored=None) -> tuple[float, Span | None]:
    """(score in [0, 1], supporting sentence span) when the passage supports the claim, else (0.0, None)."""
    check = check_claim(claim, passage_text, embedder, claim_vec, stored)
    if not check.names_ok:
        return 0.0, None
    score, span = best_window(check)
    return (score, span) if span is not None and score >= THRESHOLD else (0.0, None)
