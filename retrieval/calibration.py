"""Calibrated answer confidence: the probability that an answer is right, from features the answerer already has
(the retriever's confidence, how well the reading fits, its margin over the next candidate, how it was found).

A logistic regression fitted on the development sets (``python -m benchmarks.answers ... --fit``) is recorded in
``calibration.json`` beside this module, keyed by the embedding model it was fitted with: the retriever's scores
mean different things for another encoder, so for a model without a record the raw score stays as it is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RECORDED = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Calibration:
    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float

    def probability(self, values: Mapping[str, float]) -> float:
        z = self.bias + sum(w * values.get(f, 0.0) for f, w in zip(self.features, self.weights, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@cache
def recorded(model: str, path: Path = RECORDED) -> Calibration | None:
    """The calibration fitted for ``model`` (an embedding model id), if one is recorded."""
    if not path.exists():
        return None
    entry = json.loads(path.read_text(encoding="utf-8")).get(model)
    if entry is None:
        return None
    return Calibration(tuple(entry["features"]), tuple(float(w) for w in entry["weights"]), float(entry["bias"]))
