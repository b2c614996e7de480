"""The graph walk: personalised PageRank over entities and passages, seeded by the question.

Passages are nodes beside entities (HippoRAG 2): a walk from a question entity reaches the passages that mention
it, the entities those passages mention (bridges), and the passages about the bridges. Edges into common
entities are weakened by specificity, and relation edges whose predicate the question names are strengthened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx

from kg.model import Subgraph
from retrieval.linking import specificity


@dataclass(frozen=True)
class WalkScores:
    chunks: Mapping[str, float]
    entities: Mapping[str, float]


def build_graph(subgraph: Subgraph, question_lemmas: frozenset[str], total_chunks: int) -> nx.Graph:
    graph = nx.Graph()
    for mention in subgraph.mentions:
        entity = subgraph.entities.get(mention.entity_id)
        if entity is None:
            continue
        weight = max(specificity(entity.frequency, total_chunks), 0.05)
        graph.add_edge(("e", mention.entity_id), ("c", mention.chunk_id), weight=weight)
    for relation in subgraph.relations:
        words = set(relation.predicate.split("_"))
        weight = relation.provenance.confidence * (2.0 if words & question_lemmas else 1.0)
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
