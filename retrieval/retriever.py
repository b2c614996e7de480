"""The hybrid retriever: a question through named stages, each in its own module.

    analysis (retrieval/analysis.py)        what the question names, asks and compares
    candidate searches (retrieval/search.py) dense, lexical and title search
    linking and seeds (retrieval/linking.py) question phrases → entities → the walk's seeds
    walk and fusion (retrieval/walk.py)      personalised PageRank over entities and passages, asked paths, fusion
    bridges and next hop (retrieval/bridges.py) the second round, from the entities the answer runs through
    assembly (retrieval/assembly.py)         cited passages, paths, triples, confidence
    trust (retrieval/trust.py)               citations verified, the query audited, personal data masked

Every read goes through the per-query context (``retrieval/context.py``) with the caller's ``Access``, so both
backends answer alike and nothing the caller may not see can shape the result; ``retrieve`` always ends with the
trust step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from kg.audit import AuditLog
from kg.embedding import Embedder
from kg.model import Access
from kg.store import GraphStore
from retrieval.analysis import QuestionAnalyzer
from retrieval.assembly import assemble
from retrieval.bridges import SecondRound
from retrieval.confidence import confidence, dense_scale
from retrieval.config import RetrievalConfig
from retrieval.context import QueryContext, StoreReads
from retrieval.fusion import ranked
from retrieval.identifiers import match_identifiers
from retrieval.linking import EntityLinker
from retrieval.predicates import PredicateReader
from retrieval.result import RetrievalResult
from retrieval.search import first_searches
from retrieval.trust import Retriever
from retrieval.walk import run_round

if TYPE_CHECKING:
    from spacy.language import Language


class HybridRetriever(Retriever):
    def __init__(
        self,
        store: GraphStore,
        embedder: Embedder,
        nlp: Language,
        config: RetrievalConfig | None = None,
        canonical: Callable[[str], str] | None = None,
        type_nouns: Mapping[str, frozenset[str]] | None = None,
        broader: Mapping[str, frozenset[str]] | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        """``canonical`` maps a verb lemma to the predicate the extractor stores for it (the domain's synonyms),
        so that a question says "heads" where the graph says ``lead``; ``type_nouns`` are the nouns that name each
        entity type (the extractor's), so that "the company" in a question names an ORG; ``broader`` gives each
        predicate's super-properties (the domain ontology's), so that ``chief_executive_officer_of`` also leads;
        ``audit`` records every query (see ``TrustStep``)."""
        self.config = config or RetrievalConfig()
        super().__init__(store, self.config.result.k, audit)
        self.embedder = embedder
        self.analyzer = QuestionAnalyzer(nlp, canonical)
        self.type_nouns = dict(type_nouns or {})
        self.broader = dict(broader or {})
        self.linker = EntityLinker(self.config.linking)
        self.second_round = SecondRound(embedder, self.config)

    def _rank(self, question: str, access: Access, k: int) -> RetrievalResult:
        cfg = self.config
        timings: dict[str, float] = {}
        with _timed(timings, "analysis"):
            analysis = self.analyzer.run(question)
            reads = StoreReads(self.store, access, cfg.search.title_candidates)
            draft = self.linker.match(reads, analysis.phrases)
            # One encoder call for the question and whatever linking still needs to compare.
            vectors = self.embedder.encode([question, *draft.texts()])
            ctx = QueryContext(question, analysis, vectors[0], max(reads.chunk_count(), 1), reads)
            reader = PredicateReader(analysis.terms, self.broader, self.type_nouns)
            asked_ids = match_identifiers(ctx)
        with _timed(timings, "search"):
            signals = first_searches(ctx, cfg.search)
        with _timed(timings, "linking"):
            seeds = self.linker.run(ctx, cfg.walk, draft, vectors[1:])
        with _timed(timings, "walk"):
            final = run_round(ctx, reader, seeds.weights, signals, cfg)
        ranking = ranked(final.fused)
        rounds = 1
        if cfg.bridges.enabled and final.fused:
            with _timed(timings, "second_round"):
                second = self.second_round.run(ctx, reader, final, seeds)
            if second is not None:
                (final, ranking), rounds = second, 2
        if cfg.result.dense_lead:
            head = ctx.by_document(ranked(signals.dense), cfg.search.dense_candidates)[: cfg.result.dense_lead]
            ranking = head + [c for c in ranking if c not in head]
        lead = asked_ids.lead(ctx, ranking, k)
        ranking = lead + [c for c in ranking if c not in lead]
        sure = confidence(signals.dense, seeds, dense_scale(cfg.confidence, self.embedder), cfg.confidence)
        unheld = asked_ids.unheld(ctx, ranking[: k * cfg.result.candidate_factor])
        if sure < cfg.confidence.min_confidence or not ranking or unheld:
            return RetrievalResult(
                question,
                "insufficient_evidence",
                sure,
                linked_entities=seeds.links,
                rounds=rounds,
                timings_ms=timings,
            )
        with _timed(timings, "assembly"):
            result = assemble(ctx, final, ranking, seeds, sure, cfg.result, k, lead)
        return replace(result, rounds=rounds, timings_ms=timings)


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + (time.perf_counter() - started) * 1000
