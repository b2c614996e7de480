"""Evidence: the relation paths that connect question entities to returned passages, and the cited triples."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

import networkx as nx

from kg.model import Document, Relation, Subgraph
from retrieval.config import ResultSettings
from retrieval.paths import AskedPath, siblings
from retrieval.result import GraphPath, TripleEvidence


def triple_evidence(relation: Relation, subgraph: Subgraph, documents: Mapping[str, Document]) -> TripleEvidence:
    p = relation.provenance
    doc = documents[p.doc_id]
    return TripleEvidence(
        subject_id=relation.subject_id,
        subject=subgraph.entities[relation.subject_id].name,
        predicate=relation.predicate,
        object_id=relation.object_id,
        object=subgraph.entities[relation.object_id].name,
        doc_id=p.doc_id,
        title=doc.title,
        content_hash=doc.content_hash,
        chunk_id=p.chunk_id,
        start=p.start,
        end=p.end,
        extractor=p.extractor,
        extractor_version=p.extractor_version,
        confidence=p.confidence,
    )


def relation_graph(subgraph: Subgraph, preferred_chunks: set[str]) -> nx.Graph:
    """Entities joined by their best relation record; records read from returned passages cost less to walk."""
    graph = nx.Graph()
    for relation in subgraph.relations:
        if relation.subject_id not in subgraph.entities or relation.object_id not in subgraph.entities:
            continue
        cost = (1.0 if relation.provenance.chunk_id in preferred_chunks else 2.0) - 0.1 * relation.provenance.confidence
        a, b = relation.subject_id, relation.object_id
        if not graph.has_edge(a, b) or graph[a][b]["cost"] > cost:
            graph.add_edge(a, b, cost=cost, relation=relation)
    return graph


def find_paths(
    subgraph: Subgraph,
    sources: Sequence[str],
    passages: Sequence[tuple[str, float]],
    documents: Mapping[str, Document],
    settings: ResultSettings,
) -> list[GraphPath]:
    """For each passage (best first), the cheapest relation path (at most ``max_path_length`` relations) from a
    question entity to an entity it mentions; a path through a document the caller can no longer read is not
    shown."""
    chunk_ids = {chunk_id for chunk_id, _ in passages}
    graph = relation_graph(subgraph, chunk_ids)
    starts = [s for s in sources if s in graph]
    if not starts:
        return []
    longest = settings.max_path_length
    distances, routes = nx.multi_source_dijkstra(graph, starts, cutoff=longest * 2.0, weight="cost")
    mentioned: dict[str, list[str]] = {}
    for mention in subgraph.mentions:
        mentioned.setdefault(mention.chunk_id, []).append(mention.entity_id)
    paths: list[GraphPath] = []
    seen: set[tuple[str, ...]] = set()
    for chunk_id, score in passages:
        reachable = [e for e in mentioned.get(chunk_id, ()) if e in routes and len(routes[e]) > 1]
        if not reachable:
            continue
        target = min(reachable, key=lambda e: (distances[e], e))
        route = _around_shared_values(graph, starts, target, routes[target], longest * 2.0)
        if route is None or len(route) - 1 > longest or tuple(route) in seen:
            continue
        seen.add(tuple(route))
        relations = [graph[a][b]["relation"] for a, b in pairwise(route)]
        if any(r.provenance.doc_id not in documents for r in relations):
            continue
        triples = tuple(triple_evidence(r, subgraph, documents) for r in relations)
        names = tuple(subgraph.entities[e].name for e in route)
        paths.append(GraphPath(names, triples, chunk_id, score))
        if len(paths) >= settings.max_paths:
            break
    return paths


def _around_shared_values(
    graph: nx.Graph, starts: Sequence[str], target: str, route: list[str], cutoff: float
) -> list[str] | None:
    """The route, or the cheapest one that avoids the entities it passes only as a shared value (M-1057 -status->
    open <-status- M-1070: two things that merely share a value are no chain); ``None`` when every route does."""
    blocked: set[str] = set()
    for _ in range(3):
        hops = [graph[a][b]["relation"] for a, b in pairwise(route)]
        shared = {at for last, hop, at in zip(hops, hops[1:], route[1:-1], strict=False) if siblings(last, hop, at)}
        if not shared:
            return route
        blocked |= shared
        allowed = graph.subgraph(n for n in graph if n not in blocked)
        sources = [s for s in starts if s in allowed]
        if not sources or target not in allowed:
            return None
        try:
            _, route = nx.multi_source_dijkstra(allowed, sources, target=target, cutoff=cutoff, weight="cost")
        except nx.NetworkXNoPath:
            return None
    return None


def asked_evidence(
    paths: Sequence[AskedPath],
    passages: Sequence[tuple[str, float]],
    documents: Mapping[str, Document],
    limit: int,
) -> list[GraphPath]:
    """The asked paths (best first) that a returned passage states a hop of, each shown with the last such
    passage: the path the question's own words trace to it."""
    scores = dict(passages)
    shown: list[GraphPath] = []
    for path in paths:
        stated = [r.provenance.chunk_id for r in path.relations if r.provenance.chunk_id in scores]
        if not stated or any(r.provenance.doc_id not in documents for r in path.relations):
            continue
        own = Subgraph({e.id: e for e in path.entities}, path.relations, ())
        triples = tuple(triple_evidence(r, own, documents) for r in path.relations)
        names = tuple(e.name for e in path.entities)
        shown.append(GraphPath(names, triples, stated[-1], scores[stated[-1]]))
        if len(shown) >= limit:
            break
    return shown


def passage_triples(
    subgraph: Subgraph,
    chunk_ids: Iterable[str],
    question_entities: set[str],
    documents: Mapping[str, Document],
    limit: int,
) -> list[TripleEvidence]:
    """Relations read from the returned passages, those touching the question's entities first."""
    wanted = set(chunk_ids)
    records = [
        r
        for r in subgraph.relations
        if r.provenance.chunk_id in wanted
        and r.subject_id in subgraph.entities
        and r.object_id in subgraph.entities
        and r.provenance.doc_id in documents
    ]
    records.sort(
        key=lambda r: (
            -(r.subject_id in question_entities or r.object_id in question_entities),
            -r.provenance.confidence,
            r.provenance.doc_id,
            r.provenance.start,
        )
    )
    return [triple_evidence(r, subgraph, documents) for r in records[:limit]]
