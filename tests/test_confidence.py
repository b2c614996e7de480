"""What a dense cosine means depends on the encoder: the scale confidence reads it against is the encoder's own."""

from __future__ import annotations

import pytest

from kg.embedding import DEFAULT_EMBEDDING_MODEL, Embedder
from retrieval.confidence import (
    CEILING_FRACTION,
    FLOOR_FRACTION,
    RECORDED,
    DenseScale,
    confidence,
    dense_scale,
    probe_levels,
)
from retrieval.config import ConfidenceSettings
from retrieval.linking import Seeds
from retrieval.result import LinkedEntity


class UnprobedEncoder:
    """An encoder name only: a recorded or configured scale must not encode anything."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def encode(self, texts: object) -> object:
        raise AssertionError("the scale was probed although it is known")


def test_settings_override_and_the_shipped_model_is_recorded() -> None:
    configured = ConfidenceSettings(dense_floor=0.3, dense_ceiling=0.8)
    assert dense_scale(configured, UnprobedEncoder("any")) == DenseScale(0.3, 0.8)  # type: ignore[arg-type]
    shipped = UnprobedEncoder(f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}")
    assert dense_scale(ConfidenceSettings(), shipped) == RECORDED[DEFAULT_EMBEDDING_MODEL]  # type: ignore[arg-type]


def test_confidence_reads_the_scale_and_a_specific_entity() -> None:
    scale = DenseScale(0.2, 0.6)
    nothing = Seeds((), {})
    assert confidence({"c": 0.1}, nothing, scale, ConfidenceSettings()) == 0.0
    assert confidence({"c": 0.4}, nothing, scale, ConfidenceSettings()) == pytest.approx(0.5)
    assert confidence({"c": 0.9}, nothing, scale, ConfidenceSettings()) == 1.0
    named = Seeds((LinkedEntity("Nordlys", "e1", "Nordlys Bio", "ORG", 100.0, "exact"),), {"e1": 1.0})
    assert confidence({"c": 0.1}, named, scale, ConfidenceSettings()) == pytest.approx(0.9)
    date = Seeds((LinkedEntity("2019", "e2", "2019", "DATE", 100.0, "exact"),), {"e2": 1.0})
    assert confidence({"c": 0.1}, date, scale, ConfidenceSettings()) == 0.0


@pytest.mark.parametrize(
    ("floor", "ceiling"), [(0.5, None), (0.6, 0.5), (-2.0, 0.5)], ids=["one-only", "inverted", "out-of-range"]
)
def test_a_bad_scale_is_refused(floor: float, ceiling: float | None) -> None:
    with pytest.raises(ValueError, match="dense_floor"):
        ConfidenceSettings(dense_floor=floor, dense_ceiling=ceiling)


@pytest.mark.slow
def test_the_probe_reproduces_the_recorded_scale_of_the_shipped_model() -> None:
    """The recorded floor and ceiling are the probe's reading of the shipped model, so that any other model gets
    the same treatment from the probe alone."""
    related, baseline = probe_levels(Embedder())
    recorded = RECORDED[DEFAULT_EMBEDDING_MODEL]
    assert baseline + FLOOR_FRACTION * (related - baseline) == pytest.approx(recorded.floor, abs=0.02)
    assert baseline + CEILING_FRACTION * (related - baseline) == pytest.approx(recorded.ceiling, abs=0.02)
