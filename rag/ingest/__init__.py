"""From files to chunks: reading documents and their metadata (loaders.py; binary and junk files are
skipped by text_check.py), repairing PDF-extraction damage (clean.py, with duplicates.py for proven copies
and clean_report.py for `rag clean --report`), and token-aware, sentence-aware chunking (chunking.py)."""
