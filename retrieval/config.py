"""Retrieval settings: every tuning constant of the query path, grouped by the stage that uses it, each with the
reason it has its value and a range check that names the bad value.

One default serves every corpus: the values were measured on the three development sets of ``../shared/bench``
and on ``data/`` (figures in the comments), never fitted to their questions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from kg.errors import InvalidArgument


def _check(owner: object, name: str, low: float, high: float | None = None, *, open_low: bool = False) -> None:
    value = getattr(owner, name)
    too_low = value <= low if open_low else value < low
    if isinstance(value, bool) or too_low or (high is not None and value > high):
        bounds = f"{'(' if open_low else '['}{low}, {high if high is not None else '∞'}]"
        raise InvalidArgument(f"{type(owner).__name__}.{name} must be in {bounds}, got {value!r}")


def _at_least_one(owner: object, *names: str) -> None:
    for name in names:
        _check(owner, name, 1)


@dataclass(frozen=True)
class SearchSettings:
    """The first-stage searches. The graph walk re-ranks their union, so recall matters more than precision."""

    dense_candidates: int = 50
    lexical_candidates: int = 50
    # Title searches are per question phrase; a phrase names at most a few documents.
    title_candidates: int = 5

    def __post_init__(self) -> None:
        _at_least_one(self, "dense_candidates", "lexical_candidates", "title_candidates")


@dataclass(frozen=True)
class LinkSettings:
    """Entity linking: question phrases to graph entities."""

    # rapidfuzz score (0-100) at or above which a question phrase names an entity.
    threshold: float = 88.0
    candidates: int = 20
    # Names whose embeddings are this close are the same thing said differently ("Nordlys Biotech" / "Nordlys Bio";
    # "the EMA" / "European Medicines Agency" are not). High, because a wrong seed misleads the walk.
    embedding_threshold: float = 0.86
    # A distinctive part of a longer name ("Halvorsen" for "Halvorsen Therapeutics") names it, a little less surely;
    # a part of more than ``max_partial_matches`` names ("European") names none of them.
    partial_name_score: float = 90.0
    max_partial_matches: int = 2

    def __post_init__(self) -> None:
        _check(self, "threshold", 0, 100, open_low=True)
        _check(self, "embedding_threshold", 0, 1, open_low=True)
        _check(self, "partial_name_score", 0, 100, open_low=True)
        _at_least_one(self, "candidates", "max_partial_matches")


@dataclass(frozen=True)
class WalkSettings:
    """The graph walk: personalised PageRank over entities and passages (HippoRAG 2)."""

    # 2 hops reach passages one bridge entity away from a seed passage.
    hops: int = 2
    max_entities: int = 1500
    seed_chunks: int = 10
    # Probability of continuing the walk (HippoRAG uses 0.5).
    damping: float = 0.5
    # What a top dense passage and a top title match weigh as walk seeds, against an entity seed's link score.
    dense_seed: float = 0.3
    title_seed: float = 0.5
    # An edge into a common entity is weakened by specificity, never below this, so that no entity is cut off.
    specificity_floor: float = 0.05
    # A relation edge whose predicate the question names counts this much more.
    asked_boost: float = 2.0

    def __post_init__(self) -> None:
        _check(self, "hops", 0, 4)
        _at_least_one(self, "max_entities", "seed_chunks")
        _check(self, "damping", 0, 1, open_low=True)
        if self.damping >= 1:
            raise InvalidArgument(f"WalkSettings.damping must be below 1, got {self.damping!r}")
        _check(self, "dense_seed", 0)
        _check(self, "title_seed", 0)
        _check(self, "specificity_floor", 0, 1, open_low=True)
        _check(self, "asked_boost", 1)


@dataclass(frozen=True)
class FusionWeights:
    """Reciprocal-rank fusion: the weight of each ranking, and the usual k=60 smoothing constant. Measured on the
    three development sets: dense agreement is the most reliable first-hop signal; title matches do their work as
    walk seeds and bridge pages, so their own ranking counts little. With ``path`` 2 rather than 1, data/ had 25
    complete questions rather than 24; on the benchmark sets the two differ by one question at most."""

    graph: float = 1.0
    dense: float = 2.0
    lexical: float = 0.6
    title: float = 0.3
    path: float = 2.0
    rrf_k: int = 60

    def __post_init__(self) -> None:
        for name in ("graph", "dense", "lexical", "title", "path"):
            _check(self, name, 0)
        _at_least_one(self, "rrf_k")


@dataclass(frozen=True)
class PathSettings:
    """Asked paths (``retrieval.paths``): relation chains from the question's entities, each hop naming a question
    word. Those naming at least ``min_terms`` words are shown, and the shortest of those naming the most rank the
    passages that state their hops. Four hops rather than three reach q07's chain (drug, regulator, test, maker,
    its chief executive); the benchmark sets score the same with either."""

    hops: int = 4
    beam: int = 20
    min_terms: int = 2
    # What a question word held by the name of an entity a path reaches ("European") adds to the path's score.
    echo_weight: float = 0.5

    def __post_init__(self) -> None:
        _at_least_one(self, "hops", "beam", "min_terms")
        _check(self, "echo_weight", 0, 1)


@dataclass(frozen=True)
class BridgeSettings:
    """The second round: the walk again, seeded by bridge entities found in the first round's best passages."""

    enabled: bool = True
    passages: int = 3
    entities: int = 8
    # Reading every candidate's sentence costs an embedding each; the walk's favourites are enough to read.
    shortlist: int = 12
    # Entities in more passages than this specificity allows are hubs, not bridges (``linking.specificity``).
    specificity: float = 0.3
    # How much a relation the question names (by its predicate) counts for a bridge, next to sentence similarity.
    asked_bonus: float = 0.2
    # Characters either side of a mention read as its sentence: enough to say what it is, short enough to embed.
    context_reach: int = 200
    # A bridge's seed weight against the best question entity's.
    seed_weight: float = 0.5
    # Bridge pages placed in the ranking: only the first bridge's; further ones displaced better passages of the
    # next hop (MuSiQue Recall@5 67.9 with all of them, 70.0 with one).
    pages: int = 1
    # Passages of the fused ranking placed before the first bridge page. One (after dense search's best passage)
    # puts the first bridge page second: Recall@2 +4.5 on HotpotQA, +1.5 on MuSiQue, +7.2 on 2Wiki, Recall@5 the
    # same or better.
    lead_passages: int = 1

    def __post_init__(self) -> None:
        _at_least_one(self, "passages", "entities", "shortlist", "context_reach")
        _check(self, "specificity", 0, 1)
        _check(self, "asked_bonus", 0)
        _check(self, "seed_weight", 0, 1, open_low=True)
        _check(self, "pages", 0)
        _check(self, "lead_passages", 0)


@dataclass(frozen=True)
class NextHopSettings:
    """The next hop (second round): the question is read again with the name of each entity that the best
    ``passages`` dense passages' documents name (at most ``entities`` a document, none more common than
    ``specificity`` allows), and passages naming that entity compete with dense search on its scale, from
    ``candidates`` hits each; an entity's own page gets ``own_page_bonus`` more. Measured against the bridge pages
    alone, Recall@5: MuSiQue 64.9 → 70.0, HotpotQA 87.0 → 89.5, 2Wiki 89.2 → 90.1."""

    passages: int = 2
    entities: int = 8
    candidates: int = 20
    specificity: float = 0.3
    own_page_bonus: float = 0.1

    def __post_init__(self) -> None:
        _at_least_one(self, "passages", "entities", "candidates")
        _check(self, "specificity", 0, 1)
        _check(self, "own_page_bonus", 0)


@dataclass(frozen=True)
class ResultSettings:
    """What a result holds."""

    k: int = 5
    max_paths: int = 5
    # Passages of plain dense search placed first: it is the most precise first-hop signal at the very top.
    dense_lead: int = 1
    # Breadth of evidence: a document's further passages come after every other document's best one.
    passages_per_document: int = 1
    # Candidates read for the final ``k``, as a multiple of ``k``: enough for diversification to choose from.
    candidate_factor: int = 4
    max_triples: int = 20
    # Relations on a path from a question entity to a passage that does not lie on an asked path.
    max_path_length: int = 3

    def __post_init__(self) -> None:
        _at_least_one(self, "k", "max_paths", "passages_per_document", "candidate_factor", "max_triples")
        _check(self, "dense_lead", 0)
        _check(self, "max_path_length", 1, 4)


@dataclass(frozen=True)
class ConfidenceSettings:
    """How sure kgrag is that the corpus speaks to the question: topical similarity, or a specific entity named.

    Topical similarity is the best dense cosine placed between the encoder's ``dense_floor`` (unrelated text) and
    ``dense_ceiling`` (clearly on topic). Cosines mean different things for different models: when these are unset
    they come from ``retrieval.confidence.dense_scale`` for the configured encoder (recorded for the shipped model,
    measured by a built-in probe for any other)."""

    # Below this the outcome is "insufficient evidence" (calibrated on data/questions.json).
    min_confidence: float = 0.35
    dense_floor: float | None = None
    dense_ceiling: float | None = None
    # How far a specific linked entity alone can carry confidence.
    link_weight: float = 0.9

    def __post_init__(self) -> None:
        _check(self, "min_confidence", 0, 1)
        _check(self, "link_weight", 0, 1)
        if (self.dense_floor is None) != (self.dense_ceiling is None):
            raise InvalidArgument("ConfidenceSettings: set both dense_floor and dense_ceiling, or neither")
        if self.dense_floor is not None and not -1 <= self.dense_floor < self.dense_ceiling <= 1:  # type: ignore[operator]
            raise InvalidArgument(
                f"ConfidenceSettings: need -1 <= dense_floor < dense_ceiling <= 1, got {self.dense_floor!r}, "
                f"{self.dense_ceiling!r}"
            )


@dataclass(frozen=True)
class RetrievalConfig:
    """All retrieval settings, one group per stage: ``RetrievalConfig(result=ResultSettings(k=10))``."""

    search: SearchSettings = field(default_factory=SearchSettings)
    linking: LinkSettings = field(default_factory=LinkSettings)
    walk: WalkSettings = field(default_factory=WalkSettings)
    fusion: FusionWeights = field(default_factory=FusionWeights)
    paths: PathSettings = field(default_factory=PathSettings)
    bridges: BridgeSettings = field(default_factory=BridgeSettings)
    next_hop: NextHopSettings = field(default_factory=NextHopSettings)
    result: ResultSettings = field(default_factory=ResultSettings)
    confidence: ConfidenceSettings = field(default_factory=ConfidenceSettings)

    def __post_init__(self) -> None:
        for f in fields(self):
            expected, value = type(f.default_factory()), getattr(self, f.name)  # type: ignore[misc]
            if not isinstance(value, expected):
                raise InvalidArgument(f"RetrievalConfig.{f.name} must be a {expected.__name__}, got {value!r}")


def check_query(question: str, k: int) -> int:
    """The checks a query passes before any model loads: a question with words in it, at least one passage."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InvalidArgument(f"k must be a whole number of at least 1, got {k!r}")
    if not question.strip():
        raise InvalidArgument("the question is empty")
    return k
