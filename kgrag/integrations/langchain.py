"""A LangChain retriever over kgrag (the ``langchain`` extra: ``pip install -e ".[langchain]"``).

Each ``Document`` is a cited passage; ``metadata["citation"]`` holds its document id, title, source, span, content
hash and verified flag, ``metadata["paths"]`` the graph paths that lead to it. The retriever reads as one principal
(``caller``, from its API key) or, on a store without principals, as its owner in ``groups``; a question without
enough evidence gives no documents.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from kgrag.api import Caller, KnowledgeGraph
from kgrag.integrations.citations import passage_metadata


class KgragRetriever(BaseRetriever):
    """``KgragRetriever(graph=kg, caller=kg.authenticate(key))``, or ``KgragRetriever.for_key(kg, key)``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    graph: KnowledgeGraph
    caller: Caller | None = None
    groups: Sequence[str] | None = None
    k: int | None = None

    @classmethod
    def for_key(cls, graph: KnowledgeGraph, key: str, **kwargs: object) -> KgragRetriever:
        """Bound to the principal whose API key this is: it reads within that principal's groups only."""
        return cls(graph=graph, caller=graph.authenticate(key), **kwargs)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        result = self.graph.query(query, k=self.k, groups=self.groups, caller=self.caller)
        if result.status != "answered":
            return []
        return [
            Document(page_content=p.text, metadata=passage_metadata(result, p, rank), id=p.chunk_id)
            for rank, p in enumerate(result.passages, start=1)
        ]
