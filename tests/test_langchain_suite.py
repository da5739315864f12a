"""LangChain's own standard retriever suite (langchain-tests), run against HybridRetriever on the real index."""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from rag.retrieval.langchain import HybridRetriever


@pytest.fixture(scope="class")
def shared_retriever(request, index, index_settings):
    # named apart from the suite's own `retriever` fixture, which builds a HybridRetriever from the params below
    from rag.retrieval.retriever import Retriever

    request.cls.shared = Retriever(index, index_settings)


@pytest.mark.usefixtures("shared_retriever")
class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    shared = None  # the session's real Retriever, set by the fixture above

    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"retriever": self.shared}

    @property
    def retriever_query_example(self) -> str:
        return "Combien d'emplois représentent les gigafactories de la région ?"
