"""Candidate searches: dense and lexical search over passages, and title search for the question's names. The
walk re-ranks their union, so each fetches more than a result shows."""

from __future__ import annotations

from retrieval.analysis import is_name
from retrieval.config import SearchSettings
from retrieval.context import QueryContext
from retrieval.fusion import Signals


def first_searches(ctx: QueryContext, settings: SearchSettings) -> Signals:
    dense = {h.chunk_id: h.score for h in ctx.reads.vector_search(ctx.vector, settings.dense_candidates)}
    lexical = {h.chunk_id: h.score for h in ctx.reads.lexical_search(ctx.question, settings.lexical_candidates)}
    return Signals(dense=dense, lexical=lexical, title=title_hits(ctx, settings))


def title_hits(ctx: QueryContext, settings: SearchSettings) -> dict[str, float]:
    """Passages whose document title matches a question phrase well (linking phrases to titles): the best title
    for a longer phrase counts more."""
    hits: dict[str, float] = {}
    phrases = [p for p in ctx.analysis.phrases if is_name(p)]
    for phrase, found in zip(
        phrases, ctx.reads.lexical_searches(phrases, settings.title_candidates, "title"), strict=True
    ):
        for rank, hit in enumerate(found):
            score = 1.0 / (rank + 1) * len(phrase.split())
            hits[hit.chunk_id] = max(hits.get(hit.chunk_id, 0.0), score)
    return hits
