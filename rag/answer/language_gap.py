"""How much lower the embedding model scores a question asked in English than the same question in French.

The corpus is French. A multilingual model places an English question and a French sentence that answers it
close together, but every similarity of an English question to the French text is lower by a few hundredths
than the French question's would be (multilingual-e5-small on the shipped corpus: 0.04 for sentences, 0.06
for whole chunks, with a spread of about 0.01 between questions). The answerer's evidence counts similarity
from a floor calibrated on French questions, so without a correction an English question is refused where the
same question in French is answered.

The gap is measured, not set: pairs of everyday questions written in both languages (data/language_probes.tsv,
from general vocabulary, no question set) are embedded with the index's own model and scored against a sample
of the index's chunks and sentences; the gap is the difference of the mean similarities. It follows the model
and the corpus, and costs one batch of embeddings the first time an English question is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

PROBES = Path(__file__).resolve().parent / "data" / "language_probes.tsv"
SAMPLE_ROWS = 64  # chunks sampled evenly through the index: the gap varies little from one text to another


@dataclass(frozen=True)
class LanguageGap:
    """How much to add to an English question's similarities to compare them with a French question's."""

    sentence: float = 0.0  # with a sentence (the answer units)
    chunk: float = 0.0  # with a whole chunk (the passages)


NONE = LanguageGap()


def probe_pairs() -> list[tuple[str, str]]:
    """(French, English) question pairs of the probe file."""
    pairs = []
    for line in PROBES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            french, _, english = line.partition("\t")
            pairs.append((french.strip(), english.strip()))
    return pairs


def measure_gap(index, embedder) -> LanguageGap:
    """The English-to-French similarity gap of `embedder` on a sample of `index`'s chunks and sentences
    (never negative: a model that favours English gets no bonus)."""
    n = index.n_chunks
    if not n:
        return NONE
    rows = sorted({int(r) for r in np.linspace(0, n - 1, min(n, SAMPLE_ROWS))})
    chunks = np.stack([index.chunk_vector(r) for r in rows])
    blocks = [b for b in (index.sentence_vectors(r) for r in rows) if len(b)]
    sentences = np.concatenate(blocks) if blocks else chunks
    pairs = probe_pairs()
    french = embedder.encode_queries([f for f, _ in pairs])
    english = embedder.encode_queries([e for _, e in pairs])

    def gap(texts: np.ndarray) -> float:
        return max(0.0, float((texts @ french.T).mean() - (texts @ english.T).mean()))

    return LanguageGap(sentence=round(gap(sentences), 4), chunk=round(gap(chunks), 4))
