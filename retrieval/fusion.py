"""Fusing rankings by reciprocal rank: robust to the signals' incomparable score scales (cosine, BM25, PageRank),
and identical on both backends because only the order of each signal matters."""

from __future__ import annotations

from collections.abc import Mapping


def reciprocal_rank_fusion(
    rankings: Mapping[str, Mapping[str, float]], weights: Mapping[str, float], k: int = 60
) -> dict[str, float]:
    """``rankings`` maps a signal name to item scores (higher is better); returns fused item scores."""
    fused: dict[str, float] = {}
    for name, scores in rankings.items():
        weight = weights.get(name, 0.0)
        if weight <= 0:
            continue
        ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        for rank, (item, _) in enumerate(ordered, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused
