"""Bridges and the next hop: the second round, which is what answers multi-hop questions.

The entities that the first round's best passages name and the question does not are the candidate bridges
(values and entities found in most passages are left out). The walk runs again seeded by them, and the question is
read again once per topic entity with its name added ("... the country where the Bubye River is found? Zimbabwe"):
that next-hop search is answered only by passages that name the entity, and its scores compete with plain dense
search on the same scale. The first bridge's own page gets a place near the top of the ranking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from kg.embedding import Embedder
from kg.model import Entity, Subgraph
from kg.text import LITERAL_TYPES, normalise
from retrieval.config import BridgeSettings, RetrievalConfig
from retrieval.context import QueryContext
from retrieval.fusion import ranked
from retrieval.linking import Seeds
from retrieval.paths import AskedPath, most_asked
from retrieval.predicates import PredicateReader
from retrieval.walk import Round, run_round


@dataclass(frozen=True)
class BridgeCandidates:
    """The candidate bridges of a first round, before the sentences around them are compared with the question."""

    entity_ids: frozenset[str]
    # Where the most asked paths lead.
    reached: frozenset[str]
    # Related to the question's entities by a predicate the question names.
    asked: frozenset[str]
    # The sentence around each one's first mention in the topic passages.
    contexts: dict[str, str]

    def ordered(self, similarity: Mapping[str, float], settings: BridgeSettings) -> list[Bridge]:
        """The bridge a question asks for is where its asked paths lead, or else is named in a sentence that reads
        like the question ("Dr. Helen Marsh, a cardiologist, was the principal investigator" for "the cardiologist
        who led ...")."""
        order = sorted(
            self.entity_ids,
            key=lambda e: (
                e not in self.reached,
                -(similarity.get(e, 0.0) + (settings.asked_bonus if e in self.asked else 0.0)),
                e,
            ),
        )
        return [Bridge(e, e in self.asked or e in self.reached) for e in order[: settings.entities]]


@dataclass(frozen=True)
class Bridge:
    entity_id: str
    # Where an asked path leads, or related to the question by a predicate it names: a bridge the question asks for.
    asked: bool


class SecondRound:
    def __init__(self, embedder: Embedder, config: RetrievalConfig) -> None:
        self.embedder = embedder
        self.config = config

    def run(
        self, ctx: QueryContext, reader: PredicateReader, first: Round, seeds: Seeds
    ) -> tuple[Round, list[str]] | None:
        """The second round's walk and its ranking, with the first bridge's page placed after the lead passages;
        ``None`` when the first round found no bridge. The bridges' mention sentences and the next hop's texts are
        encoded in one call."""
        candidates = self._candidates(ctx, reader, first, seeds)
        if candidates is None:
            return None
        hop_entities = self._topic_entities(
            ctx,
            ctx.by_document(ranked(first.signals.dense), self.config.search.dense_candidates)[
                : self.config.next_hop.passages
            ],
            first.subgraph,
            seeds.weights,
        )
        hop_names = [first.subgraph.entities[e].name for e in hop_entities]
        contexts = candidates.contexts
        vectors = self.embedder.encode([*contexts.values(), *(f"{ctx.question} {name}" for name in hop_names)])
        similarity = dict(zip(contexts, vectors[: len(contexts)] @ ctx.vector, strict=True))
        bridges = candidates.ordered(similarity, self.config.bridges)
        settings = self.config.bridges
        top_seed = max(seeds.weights.values(), default=1.0)
        widened = dict(seeds.weights)
        for bridge in bridges:
            entity = first.subgraph.entities[bridge.entity_id]
            weight = max(ctx.specificity(entity.frequency), self.config.walk.specificity_floor)
            widened[bridge.entity_id] = settings.seed_weight * top_seed * weight
        next_hop = self.next_hop(ctx, hop_entities, vectors[len(contexts) :], first.subgraph)
        dense = dict(first.signals.dense)
        for chunk_id, score in next_hop.items():
            dense[chunk_id] = max(dense.get(chunk_id, score), score)
        signals = replace(first.signals, next_hop=next_hop)
        second = run_round(ctx, reader, widened, signals, self.config, dense=dense, asked=first.asked)
        ranking = ctx.by_document(ranked(second.fused), self.config.search.dense_candidates)
        lead = set(ranking[: settings.lead_passages])
        mentioning = chunks_mentioning(second.subgraph)
        pages: list[str] = []
        own_pages = ctx.reads.pages_about_all(first.subgraph.entities[b.entity_id].name for b in bridges)
        for bridge in bridges:
            if len(pages) >= settings.pages:
                break
            own = own_pages[first.subgraph.entities[bridge.entity_id].name][:1]
            # Without a page of its own, the bridge a question asks for is best evidenced by the best passage
            # elsewhere that mentions it; other bridges without a page are too often wrong turns to show.
            elsewhere = (
                [c for c in ranking if c in mentioning.get(bridge.entity_id, ()) and c not in lead][:1]
                if bridge.asked
                else []
            )
            pages.extend(p for p in (own or elsewhere) if p not in pages)
        return second, _interleave(ranking, pages, settings.lead_passages)

    def _candidates(
        self, ctx: QueryContext, reader: PredicateReader, first: Round, seeds: Seeds
    ) -> BridgeCandidates | None:
        """Entities the question does not name but its answer runs through: those mentioned in the pages of the
        question's own entities and in the best passages, and where the asked paths lead (``None`` when there are
        none), with the sentence around each one's first mention there."""
        settings = self.config.bridges
        topic = set(ctx.by_document(ranked(first.fused), self.config.search.dense_candidates)[: settings.passages])
        named = [link.name for link in seeds.links if link.how in ("exact", "alias")]
        for pages in ctx.reads.pages_about_all(named).values():
            topic.update(pages[:1])
        asked: set[str] = set()
        for r in first.subgraph.relations:
            if r.provenance.chunk_id in topic and reader.names(r.predicate):
                asked.update((r.subject_id, r.object_id))
        entities = first.subgraph.entities
        candidates = {
            m.entity_id
            for m in first.subgraph.mentions
            if m.chunk_id in topic
            and m.entity_id not in seeds.weights
            and m.entity_id in entities
            and entities[m.entity_id].type not in LITERAL_TYPES
            and ctx.specificity(entities[m.entity_id].frequency) > settings.specificity
        }
        shortlist = set(
            sorted(candidates, key=lambda e: (e not in asked, -first.entity_scores.get(e, 0.0), e))[
                : settings.shortlist
            ]
        )
        reached = self._reached(ctx, first.asked, seeds.weights)
        chosen = shortlist | reached
        if not chosen:
            return None
        contexts = self._mention_contexts(ctx, first.subgraph, chosen, topic)
        return BridgeCandidates(frozenset(chosen), frozenset(reached), frozenset(asked), contexts)

    def next_hop(
        self, ctx: QueryContext, entity_ids: Sequence[str], vectors: np.ndarray, subgraph: Subgraph
    ) -> dict[str, float]:
        """The next hop's passages, scored on the dense scale: the question read again with the name of each entity
        that its best passages name (``vectors``, one a name), answered only by passages that name that entity. A
        passage that is the entity's own page counts a little more."""
        if not entity_ids:
            return {}
        settings = self.config.next_hop
        mentioning = chunks_mentioning(subgraph)
        names = [subgraph.entities[e].name for e in entity_ids]
        searches = ctx.reads.vector_searches(vectors, settings.candidates)
        texts = {
            c.id: f" {normalise(c.text)} " for c in ctx.reads.chunks(h.chunk_id for hits in searches for h in hits)
        }
        own_pages = ctx.reads.pages_about_all(names)
        scores: dict[str, float] = {}
        for entity_id, name, hits in zip(entity_ids, names, searches, strict=True):
            own = set(own_pages[name])
            key = f" {normalise(name)} "
            for hit in hits:
                if hit.chunk_id not in mentioning.get(entity_id, ()) and key not in texts.get(hit.chunk_id, ""):
                    continue
                score = hit.score + (settings.own_page_bonus if hit.chunk_id in own else 0.0)
                scores[hit.chunk_id] = max(scores.get(hit.chunk_id, score), score)
        return scores

    def _reached(self, ctx: QueryContext, paths: Sequence[AskedPath], seeds: Mapping[str, float]) -> set[str]:
        """Where the most asked paths lead: on each, the last entity short of the question's own that has a page
        of its own. The chain the question describes reaches it ("the neurologist leading the trial of the drug
        Halvorsen licensed"), and its page tells what the chain does not (where he was born). A hub (the company
        every document names) is no bridge, wherever a path ends."""
        settings = self.config.bridges
        walked: list[list[Entity]] = []  # on each path, from its end back to the question's own entity
        for path in most_asked(paths)[: settings.entities]:
            steps: list[Entity] = []
            for entity in reversed(path.entities):
                if entity.id in seeds:
                    break
                if entity.type not in LITERAL_TYPES and ctx.specificity(entity.frequency) > settings.specificity:
                    steps.append(entity)
            walked.append(steps)
        pages = ctx.reads.pages_about_all(e.name for steps in walked for e in steps)
        return {next(e.id for e in steps if pages[e.name]) for steps in walked if any(pages[e.name] for e in steps)}

    def _mention_contexts(
        self, ctx: QueryContext, subgraph: Subgraph, entity_ids: set[str], chunk_ids: set[str]
    ) -> dict[str, str]:
        """For each entity, the sentence around its first mention in the given chunks."""
        texts = {c.id: c for c in ctx.reads.chunks(sorted(chunk_ids))}
        contexts: dict[str, str] = {}
        for m in sorted(subgraph.mentions, key=lambda m: (m.chunk_id, m.start)):
            chunk = texts.get(m.chunk_id)
            if chunk is None or m.entity_id not in entity_ids or m.entity_id in contexts:
                continue
            contexts[m.entity_id] = _sentence_around(
                chunk.text, m.start - chunk.start, self.config.bridges.context_reach
            )
        return contexts

    def _topic_entities(
        self, ctx: QueryContext, topic: list[str], subgraph: Subgraph, seeds: Mapping[str, float]
    ) -> list[str]:
        """Entities the topic passages' documents name that the question does not, the topic passage's own first,
        at most ``entities`` a document: values and entities found everywhere lead nowhere in particular."""
        settings = self.config.next_hop
        doc_rank = {c.doc_id: rank for rank, c in enumerate(ctx.reads.chunks(topic))}
        entities = subgraph.entities
        per_document: dict[str, int] = {}
        chosen: list[str] = []
        for m in sorted(
            (m for m in subgraph.mentions if m.doc_id in doc_rank),
            key=lambda m: (doc_rank[m.doc_id], m.chunk_id not in topic, m.start, m.entity_id),
        ):
            entity = entities.get(m.entity_id)
            if (
                entity is None
                or m.entity_id in seeds
                or m.entity_id in chosen
                or entity.type in LITERAL_TYPES
                or ctx.specificity(entity.frequency) < settings.specificity
                or per_document.get(m.doc_id, 0) >= settings.entities
            ):
                continue
            per_document[m.doc_id] = per_document.get(m.doc_id, 0) + 1
            chosen.append(m.entity_id)
        return chosen


def chunks_mentioning(subgraph: Subgraph) -> dict[str, set[str]]:
    """For each entity of ``subgraph``, the chunks that mention it."""
    mentioning: dict[str, set[str]] = {}
    for m in subgraph.mentions:
        mentioning.setdefault(m.entity_id, set()).add(m.chunk_id)
    return mentioning


def _sentence_around(text: str, at: int, reach: int) -> str:
    """The sentence holding offset ``at`` (ended by a full stop or a line break), at most ``reach`` characters
    either side: enough to say what a mention is, short enough to embed quickly."""
    begin = max((text.rfind(mark, 0, at) for mark in (". ", "\n")), default=-1)
    begin = max(begin + 1, at - reach, 0)
    ends = [e for e in (text.find(". ", at), text.find("\n", at)) if e >= 0]
    end = min([*ends, at + reach, len(text)])
    return text[begin : end + 1].strip()


def _interleave(ranking: list[str], pages: list[str], lead: int) -> list[str]:
    """``lead`` passages of the ranking, then bridge pages and the ranking's next passages in turn."""
    out: list[str] = []
    rest = [c for c in ranking if c not in pages]
    out.extend(rest[:lead])
    queue_a, queue_b = list(pages), rest[lead:]
    while queue_a or queue_b:
        for queue in (queue_a, queue_b):
            if queue:
                item = queue.pop(0)
                if item not in out:
                    out.append(item)
    return out
