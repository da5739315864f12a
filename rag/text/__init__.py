"""Text utilities shared by every stage: French (and English) analysis for keyword matching (analysis.py),
the French lexicon and known-word share (lexicon.py), the evaluation contract's normalisation
(normalize.py), tiktoken token counts (tokens.py), sentence splitting with offsets (sentences.py), and the
word lists kept as data files (wordlists.py, data/)."""
