"""What every framework adapter puts in a passage's metadata: its citation, and the graph paths that lead to it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from retrieval.result import Passage, RetrievalResult


def citation(passage: Passage) -> dict[str, Any]:
    """Enough to find, show and check the cited text again (``KnowledgeGraph.verify_citation``)."""
    return {
        "doc_id": passage.doc_id,
        "title": passage.title,
        "source": passage.source,
        "start": passage.start,
        "end": passage.end,
        "content_hash": passage.content_hash,
        "verified": passage.verified,
        "chunk_id": passage.chunk_id,
    }


def passage_metadata(result: RetrievalResult, passage: Passage, rank: int) -> dict[str, Any]:
    """The citation, the rank and score, and each path of the result that ends at this passage: its text
    (``A -[p]-> B``), its entities and its triples with their own provenance."""
    paths = [
        {"text": path.describe(), "entities": list(path.entities), "triples": [asdict(t) for t in path.triples]}
        for path in result.paths
        if path.chunk_id == passage.chunk_id
    ]
    return {
        "citation": citation(passage),
        "rank": rank,
        "score": passage.score,
        "paths": paths,
        "question": result.question,
        "confidence": result.confidence,
    }
