"""Assembly: the final ranking turned into a result, passages with their citations and the signals that found
them, the asked paths and relation paths that reach them, and the triples they state."""

from __future__ import annotations

from collections.abc import Sequence

from kg.model import Chunk
from retrieval.bridges import chunks_mentioning
from retrieval.config import ResultSettings
from retrieval.context import QueryContext
from retrieval.evidence import asked_evidence, find_paths, passage_triples
from retrieval.linking import Seeds
from retrieval.result import Passage, RetrievalResult
from retrieval.walk import Round


def assemble(
    ctx: QueryContext,
    final: Round,
    ranking: list[str],
    seeds: Seeds,
    confidence: float,
    settings: ResultSettings,
    k: int,
    lead: Sequence[str] = (),
) -> RetrievalResult:
    """``lead``: passages placed first whatever their documents (those holding the question's identifiers)."""
    if ctx.analysis.comparison:
        ranking = _cover_compared(ranking, seeds, final)
    head = ctx.reads.chunks(lead[:k])
    rest = [c for c in ctx.reads.chunks(ranking[: k * settings.candidate_factor]) if c.id not in lead]
    chunks = head + _diversify(rest, k - len(head), settings.passages_per_document, [c.doc_id for c in head])
    # Reported scores follow the final order (which interleaving may change), so they never contradict it.
    scores = {c: 1.0 / (rank + 1) for rank, c in enumerate(ranking)}
    _read_cited(ctx, final, chunks)
    documents = ctx.reads.lookup()
    passages = tuple(
        Passage(
            chunk_id=c.id,
            doc_id=c.doc_id,
            title=documents[c.doc_id].title,
            source=documents[c.doc_id].source,
            content_hash=documents[c.doc_id].content_hash,
            start=c.start,
            end=c.end,
            text=c.text,
            score=scores[c.id],
            signals=final.signals.of(c.id),
        )
        for c in chunks
        if c.doc_id in documents
    )
    question_entities = seeds.question_entities()
    returned = [(p.chunk_id, p.score) for p in passages]
    paths = asked_evidence(final.asked, returned, documents, settings.max_paths)
    walked = {p.entities for p in paths}
    found = find_paths(final.subgraph, question_entities, returned, documents, settings)
    paths += [p for p in found if p.entities not in walked][: settings.max_paths - len(paths)]
    triples = passage_triples(
        final.subgraph, [p.chunk_id for p in passages], set(question_entities), documents, settings.max_triples
    )
    return RetrievalResult(
        question=ctx.question,
        status="answered",
        confidence=confidence,
        passages=passages,
        triples=tuple(triples),
        paths=tuple(paths),
        linked_entities=seeds.links,
    )


def _read_cited(ctx: QueryContext, final: Round, chunks: Sequence[Chunk]) -> None:
    """Read the documents that passages, asked paths and passage triples cite, in one store read; relation paths
    name the few others as they are found."""
    shown = {c.id for c in chunks}
    ctx.reads.documents(
        [
            *(c.doc_id for c in chunks),
            *(r.provenance.doc_id for path in final.asked for r in path.relations),
            *(r.provenance.doc_id for r in final.subgraph.relations if r.provenance.chunk_id in shown),
        ]
    )


def _cover_compared(ranking: list[str], seeds: Seeds, final: Round) -> list[str]:
    """For "which of X and Y" questions, put the best passage about each compared entity first."""
    mentioning = chunks_mentioning(final.subgraph)
    firsts: list[str] = []
    for link in seeds.links:
        best = next((c for c in ranking if c in mentioning.get(link.entity_id, ())), None)
        if best is not None and best not in firsts:
            firsts.append(best)
    if len(firsts) < 2:
        return ranking
    return firsts[:2] + [c for c in ranking if c not in firsts[:2]]


def _diversify(chunks: list[Chunk], k: int, per_document: int, taken: Sequence[str] = ()) -> list[Chunk]:
    """The best ``k`` chunks, taking at most ``per_document`` from a document before every document had its turn;
    ``taken`` lists the documents of passages already placed."""
    counts: dict[str, int] = {}
    for doc_id in taken:
        counts[doc_id] = counts.get(doc_id, 0) + 1
    first: list[Chunk] = []
    rest: list[Chunk] = []
    for chunk in chunks:
        counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
        (first if counts[chunk.doc_id] <= per_document else rest).append(chunk)
    return (first + rest)[:k]
