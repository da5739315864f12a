"""The PostgreSQL + pgvector store: `schema` (tables, migrations, connections), `write` (a build as one
transaction), `search` (dense, BM25 and their statistics in SQL), `store` (the Store the retriever reads)."""
