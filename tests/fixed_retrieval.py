"""A retrieval result built by hand from a ``DocumentGraph``, and a retriever that returns it: for testing what
the trust step does around retrieval (citation checks, audit, masking) without loading any model."""

from __future__ import annotations

from dataclasses import replace

from kg.model import Access, DocumentGraph
from kgrag.api import KnowledgeGraph
from retrieval.result import GraphPath, Passage, RetrievalResult, TripleEvidence
from retrieval.trust import Retriever


def passage(graph: DocumentGraph, index: int) -> Passage:
    chunk, doc = graph.chunks[index], graph.document
    return Passage(chunk.id, doc.id, doc.title, doc.source, doc.content_hash, chunk.start, chunk.end, chunk.text, 1.0)


def triple(graph: DocumentGraph, index: int) -> TripleEvidence:
    relation, doc = graph.relations[index], graph.document
    p = relation.provenance
    names = {e.id: e.name for e in graph.entities}
    return TripleEvidence(
        relation.subject_id,
        names[relation.subject_id],
        relation.predicate,
        relation.object_id,
        names[relation.object_id],
        doc.id,
        doc.title,
        doc.content_hash,
        p.chunk_id,
        p.start,
        p.end,
        p.extractor,
        p.extractor_version,
        p.confidence,
    )


def evidence_from(graph: DocumentGraph) -> RetrievalResult:
    t = triple(graph, 0)
    return RetrievalResult(
        "q",
        "answered",
        0.9,
        passages=(passage(graph, 0), passage(graph, 1)),
        triples=(t,),
        paths=(GraphPath((t.subject, t.object), (t,), t.chunk_id, 1.0),),
    )


class FixedRetriever(Retriever):
    """Stands in for ``HybridRetriever``'s ranking: what retrieval saw before the store changed under it. The trust
    step runs on it as on any retriever."""

    def __init__(self, kg: KnowledgeGraph, result: RetrievalResult) -> None:
        super().__init__(kg.store, 5, kg.audit)
        self.result = result

    def _rank(self, question: str, access: Access, k: int) -> RetrievalResult:
        return replace(self.result, question=question)
