"""Finding passages: dense, BM25 and hybrid search over a store (retriever.py), score fusion (fusion.py),
questions that name their source document (sources.py), and the LangChain retriever (langchain.py)."""
