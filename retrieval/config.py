"""Retrieval settings: one default for every corpus, each constant with the reason it has its value."""

from __future__ import annotations

from dataclasses import dataclass

from kg.errors import InvalidArgument


@dataclass(frozen=True)
class RetrievalConfig:
    k: int = 5
    # Candidates from each first-stage signal; the graph walk re-ranks their union, so recall matters more here.
    dense_candidates: int = 50
    lexical_candidates: int = 50
    title_candidates: int = 5
    # Entity linking: rapidfuzz score (0-100) at or above which a question phrase names an entity.
    link_threshold: float = 88.0
    link_candidates: int = 20
    # Neighbourhood fetched for the walk: 2 hops reaches passages one bridge entity away from a seed passage.
    hops: int = 2
    max_entities: int = 1500
    seed_chunks: int = 10
    # Personalised PageRank: probability of continuing the walk (HippoRAG uses 0.5).
    damping: float = 0.5
    # Reciprocal-rank fusion: weight of each ranking, and the usual k=60 smoothing constant.
    # Measured on the three development sets: dense agreement is the most reliable first-hop signal; title matches
    # do their work as walk seeds and bridge pages, so their own ranking counts little.
    weight_graph: float = 1.0
    weight_dense: float = 2.0
    weight_lexical: float = 0.6
    weight_title: float = 0.3
    rrf_k: int = 60
    # Asked paths (``retrieval.paths``): relation chains from the question's entities, up to ``path_hops`` long,
    # each hop naming a question word; those naming at least ``path_min_terms`` words are shown, and the shortest of
    # those naming the most rank the passages that state their hops, as one more ranking in the fusion. With weight 2
    # rather than 1, data/ had 25 complete questions rather than 24; on the benchmark sets the two differ by one
    # question at most. Four hops rather than three reach q07's chain (drug, regulator, test, maker, its chief
    # executive); the benchmark sets score the same with either.
    weight_path: float = 2.0
    path_min_terms: int = 2
    path_hops: int = 4
    path_beam: int = 20
    # A second round seeds the walk with bridge entities found in the first round's top passages.
    second_round: bool = True
    bridge_passages: int = 3
    bridge_entities: int = 8
    # The next hop (second round): the question is read again with the name of each entity that the best
    # ``next_hop_passages`` dense passages' documents name (at most ``next_hop_entities`` a document, none more
    # common than ``next_hop_specificity`` allows), and passages naming that entity compete with dense search on
    # its scale, from ``next_hop_candidates`` hits each; an entity's own page gets ``own_page_bonus`` more. Measured
    # on the development sets against the bridge pages alone, Recall@5: MuSiQue 64.9 → 70.0, HotpotQA 87.0 → 89.5,
    # 2Wiki 89.2 → 90.1; on data/ 19 questions complete instead of 17.
    next_hop_passages: int = 2
    next_hop_entities: int = 8
    next_hop_candidates: int = 20
    next_hop_specificity: float = 0.3
    own_page_bonus: float = 0.1
    # Bridge pages placed in the ranking: only the first bridge's, after the lead passages; further ones displaced
    # better passages of the next hop (MuSiQue Recall@5 67.9 with all of them, 70.0 with one).
    bridge_pages: int = 1
    # Passages of the fused ranking placed before the first bridge page. One (after dense search's best passage)
    # puts the first bridge page second: Recall@2 +4.5 on HotpotQA, +1.5 on MuSiQue, +7.2 on 2Wiki, Recall@5 the
    # same or better; on data/ two single-hop questions lose their document from the top 5 (19 → 17 complete).
    lead_passages: int = 1
    # Below this confidence the outcome is "insufficient evidence" (calibrated on data/questions.json).
    min_confidence: float = 0.35
    max_paths: int = 5
    # Passages of plain dense search placed first: it is the most precise first-hop signal at the very top.
    dense_lead: int = 1
    # Breadth of evidence: a document's further passages come after every other document's best one.
    passages_per_document: int = 1

    def __post_init__(self) -> None:
        positive = (
            "k",
            "dense_candidates",
            "lexical_candidates",
            "title_candidates",
            "link_candidates",
            "max_entities",
            "seed_chunks",
            "rrf_k",
            "bridge_passages",
            "bridge_entities",
            "next_hop_passages",
            "next_hop_entities",
            "next_hop_candidates",
            "path_hops",
            "path_beam",
            "path_min_terms",
            "max_paths",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise InvalidArgument(f"RetrievalConfig.{name} must be at least 1, got {getattr(self, name)}")
        if not 0 <= self.hops <= 4:
            raise InvalidArgument(f"RetrievalConfig.hops must be between 0 and 4, got {self.hops}")
        if not 0 < self.damping < 1:
            raise InvalidArgument(f"RetrievalConfig.damping must be in (0, 1), got {self.damping}")
        if self.bridge_pages < 0:
            raise InvalidArgument(f"RetrievalConfig.bridge_pages must be at least 0, got {self.bridge_pages}")
        if not 0 <= self.next_hop_specificity <= 1:
            raise InvalidArgument(
                f"RetrievalConfig.next_hop_specificity must be in [0, 1], got {self.next_hop_specificity}"
            )
        if not 0 <= self.min_confidence <= 1:
            raise InvalidArgument(f"RetrievalConfig.min_confidence must be in [0, 1], got {self.min_confidence}")
        if not 0 < self.link_threshold <= 100:
            raise InvalidArgument(f"RetrievalConfig.link_threshold must be in (0, 100], got {self.link_threshold}")
