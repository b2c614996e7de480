"""A LlamaIndex retriever over kgrag (the ``llamaindex`` extra: ``pip install -e ".[llamaindex]"``).

Each ``NodeWithScore`` holds a cited passage as a ``TextNode``; ``metadata["citation"]`` holds its document id, title,
source, span, content hash and verified flag, ``metadata["paths"]`` the graph paths that lead to it. Bound to one
principal (``caller``) or, on a store without principals, to its owner in ``groups``; a question without enough
evidence gives no nodes.
"""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from kgrag.api import Caller, KnowledgeGraph
from kgrag.integrations.citations import passage_metadata

# Metadata the LLM need not read in its prompt (the citation stays in every node for the application).
HIDDEN_FROM_LLM = ["paths", "rank", "score", "question", "confidence"]


class KgragLlamaRetriever(BaseRetriever):
    """``KgragLlamaRetriever(kg, caller=kg.authenticate(key))``; use it in a ``RetrieverQueryEngine``."""

    def __init__(
        self,
        graph: KnowledgeGraph,
        caller: Caller | None = None,
        groups: Sequence[str] | None = None,
        k: int | None = None,
    ) -> None:
        super().__init__()
        self.graph, self.caller, self.groups, self.k = graph, caller, groups, k

    @classmethod
    def for_key(cls, graph: KnowledgeGraph, key: str, k: int | None = None) -> KgragLlamaRetriever:
        """Bound to the principal whose API key this is: it reads within that principal's groups only."""
        return cls(graph, caller=graph.authenticate(key), k=k)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        result = self.graph.query(query_bundle.query_str, k=self.k, groups=self.groups, caller=self.caller)
        if result.status != "answered":
            return []
        return [
            NodeWithScore(
                node=TextNode(
                    id_=p.chunk_id,
                    text=p.text,
                    metadata=passage_metadata(result, p, rank),
                    excluded_llm_metadata_keys=HIDDEN_FROM_LLM,
                    excluded_embed_metadata_keys=HIDDEN_FROM_LLM,
                ),
                score=p.score,
            )
            for rank, p in enumerate(result.passages, start=1)
        ]
