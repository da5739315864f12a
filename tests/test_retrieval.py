"""Retrieval over the real index: modes, filters, the LangChain retriever, bad input."""

import pytest

from rag.errors import InputError
from rag.retrieval import HybridRetriever


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_mode_finds_the_gigafactory_jobs(retriever, mode):
    passages = retriever.search("Combien d'emplois représentent les trois gigafactories ?", k=5, mode=mode)
    assert len(passages) == 5
    assert [p.rank for p in passages] == [1, 2, 3, 4, 5]
    assert any("2.800 emplois" in p.text for p in passages)
    assert passages[0].score >= passages[-1].score


def test_hybrid_puts_the_exact_passage_first(retriever):
    top = retriever.search("montant mobilisé par la task-force régionale d'ici 2028", k=3)[0]
    assert "250 millions" in top.text
    assert top.doc_id == "region-hdf-2025-assises-defense"


def test_accentless_query_matches_accented_text(retriever):
    passages = retriever.search("Assises regionales de la defense Chantilly", k=3, mode="bm25")
    assert any("Chantilly" in p.text for p in passages)


def test_document_filter_restricts_passages(retriever):
    doc = "aletheia-2024-territoires-industrie"
    passages = retriever.search("gigafactories batteries emplois", k=4, doc_ids=[doc])
    assert passages and all(p.doc_id == doc for p in passages)


@pytest.mark.parametrize("kwargs, message", [
    ({"query": "   "}, "empty"),
    ({"query": "x" * 5000}, "too long"),
    ({"query": "emploi", "k": 0}, "at least 1"),
    ({"query": "emploi", "mode": "magic"}, "Unknown retrieval mode"),
    ({"query": "emploi", "doc_ids": ["nope"]}, "Unknown document id nope"),
])
def test_bad_requests_get_clear_errors(retriever, kwargs, message):
    with pytest.raises(InputError, match=message):
        retriever.search(**kwargs)


def test_k_larger_than_the_corpus_returns_what_exists(retriever):
    doc = "region-hdf-2025-assises-defense"
    n = sum(c.doc_id == doc for c in retriever.index.chunks)
    assert len(retriever.search("défense", k=100, doc_ids=[doc])) == n


def test_langchain_retriever_returns_documents_with_metadata(retriever):
    lc = HybridRetriever(retriever=retriever, k=3)
    docs = lc.invoke("Pass Drones Asterodyn subvention")
    assert len(docs) == 3
    meta = docs[0].metadata
    assert {"chunk_id", "doc_id", "title", "score", "rank", "start", "end"} <= set(meta)
    assert any("Asterodyn" in d.page_content for d in docs)
