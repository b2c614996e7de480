"""The searches' scores, kept apart until they are fused by reciprocal rank: robust to their incomparable scales
(cosine, BM25, PageRank), and identical on both backends because only the order of each signal matters."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields

from retrieval.config import FusionWeights


@dataclass(frozen=True)
class Signals:
    """Each search's scores by chunk id, higher is better. A passage's ``signals`` in a result name these fields.

    ``graph`` is the walk's, ``path`` the asked paths' (the passages that state their hops, scored by their best
    path), ``next_hop`` the second round's dense scores for the question read again with a bridge's name."""

    graph: Mapping[str, float] = field(default_factory=dict)
    dense: Mapping[str, float] = field(default_factory=dict)
    lexical: Mapping[str, float] = field(default_factory=dict)
    title: Mapping[str, float] = field(default_factory=dict)
    path: Mapping[str, float] = field(default_factory=dict)
    next_hop: Mapping[str, float] = field(default_factory=dict)

    def items(self) -> Iterator[tuple[str, Mapping[str, float]]]:
        for f in fields(self):
            yield f.name, getattr(self, f.name)

    def of(self, chunk_id: str) -> dict[str, float]:
        """The scores one passage got, by signal name."""
        return {name: float(scores[chunk_id]) for name, scores in self.items() if chunk_id in scores}

    def fused(self, weights: FusionWeights, dense: Mapping[str, float] | None = None) -> dict[str, float]:
        """The fused score of every passage some ranking holds; ``dense`` replaces the dense ranking (the second
        round's, which the next hop's scores have joined). ``next_hop`` counts only through it."""
        rankings = {
            "graph": (self.graph, weights.graph),
            "dense": (self.dense if dense is None else dense, weights.dense),
            "lexical": (self.lexical, weights.lexical),
            "title": (self.title, weights.title),
            "path": (self.path, weights.path),
        }
        return reciprocal_rank_fusion(rankings, weights.rrf_k)


def reciprocal_rank_fusion(rankings: Mapping[str, tuple[Mapping[str, float], float]], k: int = 60) -> dict[str, float]:
    """``rankings`` maps a signal name to its item scores (higher is better) and its weight; returns fused scores."""
    fused: dict[str, float] = {}
    for scores, weight in rankings.values():
        if weight <= 0:
            continue
        ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        for rank, (item, _) in enumerate(ordered, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def ranked(scores: Mapping[str, float]) -> list[str]:
    """Items best first, ties by id, so that every ranking is deterministic."""
    return [item for item, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))]


def top(scores: Mapping[str, float], n: int) -> dict[str, float]:
    return dict(sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:n])
