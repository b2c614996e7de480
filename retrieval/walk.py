"""Walk and fusion: one round of personalised PageRank over entities and passages, seeded by the question, fused
with the searches' rankings.

Passages are nodes beside entities (HippoRAG 2): a walk from a question entity reaches the passages that mention
it, the entities those passages mention (bridges), and the passages about the bridges. Edges into common
entities are weakened by specificity, and relation edges whose predicate the question names are strengthened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import networkx as nx

from kg.model import Subgraph
from kg.text import LITERAL_TYPES
from retrieval.config import RetrievalConfig, WalkSettings
from retrieval.context import QueryContext, specificity
from retrieval.fusion import Signals, top
from retrieval.paths import AskedPath, asked_paths, most_asked, reading_order
from retrieval.predicates import PredicateReader


@dataclass(frozen=True)
class WalkScores:
    chunks: Mapping[str, float]
    entities: Mapping[str, float]


@dataclass(frozen=True)
class Round:
    """One walk and fusion: the fused passage scores, the walk's entity scores, the neighbourhood it walked, the
    signals fused (``graph`` filled in) and the asked paths, found in the first round and kept for the second."""

    fused: dict[str, float]
    entity_scores: Mapping[str, float]
    subgraph: Subgraph
    signals: Signals
    asked: tuple[AskedPath, ...]


def run_round(
    ctx: QueryContext,
    reader: PredicateReader,
    seeds: Mapping[str, float],
    signals: Signals,
    config: RetrievalConfig,
    *,
    dense: Mapping[str, float] | None = None,
    asked: tuple[AskedPath, ...] | None = None,
) -> Round:
    """One walk and fusion. ``dense`` replaces the dense ranking (the second round's, which the next hop joined);
    the first round (``asked`` unset) also finds the asked paths, from the question's own entities, in the
    neighbourhood it fetched, and ranks the passages stating their hops (``signals.path``)."""
    settings = config.walk
    chunk_weights = _chunk_seeds(signals.dense if dense is None else dense, signals.title, settings)
    subgraph = ctx.reads.expand(list(seeds), list(chunk_weights), settings.hops, settings.max_entities)
    if asked is None:
        found = [
            p
            for p in asked_paths(
                subgraph, seeds, reader, LITERAL_TYPES, config.paths.hops, config.paths.beam, config.paths.echo_weight
            )
            if len(p.covered) >= config.paths.min_terms
        ]
        asked = tuple(reading_order(found))
        signals = replace(signals, path=path_scores(most_asked(found)))
    graph = build_graph(subgraph, reader, ctx.total, settings)
    walk = personalised_pagerank(graph, seeds, chunk_weights, settings.damping)
    signals = replace(signals, graph=walk.chunks)
    return Round(signals.fused(config.fusion, dense), walk.entities, subgraph, signals, asked)


def build_graph(subgraph: Subgraph, reader: PredicateReader, total_chunks: int, settings: WalkSettings) -> nx.Graph:
    graph = nx.Graph()
    for mention in subgraph.mentions:
        entity = subgraph.entities.get(mention.entity_id)
        if entity is None:
            continue
        weight = max(specificity(entity.frequency, total_chunks), settings.specificity_floor)
        graph.add_edge(("e", mention.entity_id), ("c", mention.chunk_id), weight=weight)
    for relation in subgraph.relations:
        boost = settings.asked_boost if reader.names(relation.predicate) else 1.0
        weight = relation.provenance.confidence * boost
        a, b = ("e", relation.subject_id), ("e", relation.object_id)
        if graph.has_edge(a, b):
            graph[a][b]["weight"] = max(graph[a][b]["weight"], weight)
        else:
            graph.add_edge(a, b, weight=weight)
    return graph


def personalised_pagerank(
    graph: nx.Graph,
    entity_seeds: Mapping[str, float],
    chunk_seeds: Mapping[str, float],
    damping: float,
) -> WalkScores:
    """Scores for every passage and entity node; empty when no seed is in the graph."""
    personalization = {("e", k): v for k, v in entity_seeds.items() if ("e", k) in graph and v > 0}
    for k, v in chunk_seeds.items():
        if ("c", k) in graph and v > 0:
            personalization[("c", k)] = personalization.get(("c", k), 0.0) + v
    if not personalization:
        return WalkScores({}, {})
    ranks = nx.pagerank(graph, alpha=damping, personalization=personalization, weight="weight", tol=1e-8)
    chunks = {node[1]: score for node, score in ranks.items() if node[0] == "c"}
    entities = {node[1]: score for node, score in ranks.items() if node[0] == "e"}
    return WalkScores(chunks, entities)


def path_scores(paths: list[AskedPath]) -> dict[str, float]:
    """Each passage that states a hop of some path, scored by the best such path."""
    scores: dict[str, float] = {}
    for path in paths:
        for relation in path.relations:
            chunk_id = relation.provenance.chunk_id
            scores[chunk_id] = max(scores.get(chunk_id, path.score), path.score)
    return scores


def _chunk_seeds(dense: Mapping[str, float], title: Mapping[str, float], settings: WalkSettings) -> dict[str, float]:
    """The walk's passage seeds: the best dense passages, scaled to the best, and the best title matches."""
    dense_top = top(dense, settings.seed_chunks)
    best_dense = max(dense_top.values(), default=1.0) or 1.0
    weights = {c: settings.dense_seed * max(s, 0.0) / best_dense for c, s in dense_top.items()}
    for c, s in top(title, settings.seed_chunks).items():
        weights[c] = weights.get(c, 0.0) + settings.title_seed * s / max(title.values())
    return weights
