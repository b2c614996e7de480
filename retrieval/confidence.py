"""How sure kgrag is that the corpus speaks to the question, and what a dense cosine means for a given encoder.

Cosines are not comparable across models: one model puts unrelated text at 0.1 and paraphrases at 0.7, another at
0.3 and 0.9. The floor (unrelated) and ceiling (clearly on topic) that confidence reads cosines against are
therefore the encoder's: recorded for the shipped model, and for any other measured once per process by a built-in
probe of related and unrelated question-passage pairs, placed at the same fractions of that model's own range as
the shipped model's recorded values are of its range.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np

from kg.embedding import Embedder, model_id
from kg.text import LITERAL_TYPES
from retrieval.config import ConfidenceSettings
from retrieval.linking import Seeds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DenseScale:
    floor: float
    ceiling: float


# Calibrated on data/questions.json with all-MiniLM-L6-v2: off-topic questions' best passage scores below 0.2,
# answerable ones' above 0.6. ``tests/test_confidence.py`` checks that the probe below reproduces these values.
RECORDED: Mapping[str, DenseScale] = {"all-MiniLM-L6-v2": DenseScale(0.2, 0.6)}
# Where the recorded floor and ceiling lie between the shipped model's probe levels (unrelated → 0, related → 1).
FLOOR_FRACTION = 0.16
CEILING_FRACTION = 0.84

# Questions with the passage that answers them, and passages about nothing any of them asks.
PROBE_PAIRS = (
    ("Who founded the company that makes the Model T?", "Henry Ford founded the Ford Motor Company, which built it."),
    (
        "Where was the author of Pride and Prejudice born?",
        "Jane Austen, who wrote Pride and Prejudice, was born in Steventon, Hampshire.",
    ),
    ("Which river flows through the capital of Egypt?", "Cairo, the capital of Egypt, lies on the banks of the Nile."),
    ("When did the first person walk on the Moon?", "Neil Armstrong walked on the Moon on 21 July 1969."),
    ("What drug did the regulator approve for migraine?", "The agency approved the drug for migraine in adults."),
    ("Who is the chief executive of the bank?", "The bank's chief executive officer is Maria Lopez, since 2021."),
    ("How many employees does the firm have?", "The firm employs about 4,200 people in twelve offices."),
    ("Which court heard the appeal?", "The appeal was heard by the Court of Appeal in London in March."),
)
PROBE_UNRELATED = (
    "The recipe calls for two cups of flour and a pinch of salt.",
    "Heavy rain is expected across the northern hills tonight.",
    "The orchestra tuned their instruments before the concert began.",
    "Knitting a scarf takes patience and a good pair of needles.",
    "The cat slept in a patch of afternoon sunlight.",
    "Tickets for the football match sold out within an hour.",
    "The museum's new wing displays medieval tapestries.",
    "A strong coffee helps some people start the morning.",
)


def dense_scale(settings: ConfidenceSettings, embedder: Embedder) -> DenseScale:
    """The floor and ceiling for this encoder: the settings' when given, else recorded or probed."""
    if settings.dense_floor is not None and settings.dense_ceiling is not None:
        return DenseScale(settings.dense_floor, settings.dense_ceiling)
    recorded = RECORDED.get(model_id(embedder.model_name))
    if recorded is not None:
        return recorded
    return _probed(embedder)


def probe_levels(embedder: Embedder) -> tuple[float, float]:
    """The encoder's mean cosine of a question with its answering passage, and its mean best cosine of a question
    with unrelated passages."""
    questions = embedder.encode([q for q, _ in PROBE_PAIRS])
    answers = embedder.encode([a for _, a in PROBE_PAIRS])
    unrelated = embedder.encode(list(PROBE_UNRELATED))
    related = float((questions * answers).sum(axis=1).mean())
    baseline = float((questions @ unrelated.T).max(axis=1).mean())
    return related, baseline


def confidence(dense: Mapping[str, float], seeds: Seeds, scale: DenseScale, settings: ConfidenceSettings) -> float:
    """Topical similarity or a specific entity: either alone can make kgrag sure; values (dates, amounts) named by
    the question say little about whether the corpus covers it."""
    best_dense = max(dense.values(), default=0.0)
    topical = float(np.clip((best_dense - scale.floor) / (scale.ceiling - scale.floor), 0.0, 1.0))
    strongest_link = max(
        (seeds.weights.get(link.entity_id, 0.0) for link in seeds.links if link.type not in LITERAL_TYPES),
        default=0.0,
    )
    return 1.0 - (1.0 - topical) * (1.0 - settings.link_weight * min(strongest_link, 1.0))


@cache
def _probed_levels(embedder: Embedder) -> tuple[float, float]:
    return probe_levels(embedder)


def _probed(embedder: Embedder) -> DenseScale:
    related, baseline = _probed_levels(embedder)
    scale = DenseScale(
        baseline + FLOOR_FRACTION * (related - baseline), baseline + CEILING_FRACTION * (related - baseline)
    )
    log.info("dense scale for %s, probed: floor %.3f, ceiling %.3f", embedder.model_name, scale.floor, scale.ceiling)
    return scale
