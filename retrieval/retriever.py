"""The hybrid retriever: entity linking, a graph walk, dense and lexical search, fused; a second round from
bridge entities when the first is unsure; an explicit "insufficient evidence" when nothing relevant is found.

Only the store protocol is used, with the caller's ``Access`` on every read, so both backends answer alike and
nothing the caller may not see can shape the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
from spacy.language import Language

from kg.embedding import Embedder
from kg.errors import InvalidArgument
from kg.model import Access, Chunk, Document, Subgraph
from kg.store import GraphStore
from kg.text import LITERAL_TYPES, normalise
from retrieval.analysis import QuestionAnalysis, QuestionAnalyzer, is_name
from retrieval.config import RetrievalConfig
from retrieval.evidence import asked_evidence, find_paths, passage_triples
from retrieval.fusion import reciprocal_rank_fusion
from retrieval.linking import EntityLinker, specificity
from retrieval.paths import (
    MIN_STEM,
    AskedPath,
    asked_paths,
    most_asked,
    predicate_words,
    reading_order,
    same_stem,
)
from retrieval.result import LinkedEntity, Passage, RetrievalResult
from retrieval.walk import build_graph, personalised_pagerank

# Dense cosine below which a passage is unrelated to the question, and above which it is clearly on topic, for
# the sentence-transformers models kgrag ships with (calibrated on data/questions.json).
DENSE_FLOOR = 0.2
DENSE_CEILING = 0.6
# Values rather than things: a date or an amount in a question says little about whether the corpus covers it.
# How much a relation the question names (by its predicate) counts for a bridge, next to sentence similarity.
ASKED_BONUS = 0.2
BRIDGE_SHORTLIST = 12
# Entities in more passages than this specificity allows are hubs, not bridges (``linking.specificity``).
BRIDGE_SPECIFICITY = 0.3
CONTEXT_REACH = 200


@dataclass(frozen=True)
class _Signals:
    dense: Mapping[str, float]
    lexical: Mapping[str, float]
    title: Mapping[str, float]
    # Asked paths (``retrieval.paths``), found in the first round's neighbourhood, in the order a result shows them
    # (``reading_order``), and the passages stating their hops, scored by their best path.
    asked: tuple[AskedPath, ...] | None = None
    path: Mapping[str, float] = field(default_factory=dict)
    # The second round's dense scores for the question read again with a bridge's name (``_next_hop``).
    next_hop: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Round:
    fused: dict[str, float]
    graph: Mapping[str, float]
    entity_scores: Mapping[str, float]
    subgraph: Subgraph
    # The signals fused, with the asked paths that the first round found.
    signals: _Signals


class HybridRetriever:
    def __init__(
        self,
        store: GraphStore,
        embedder: Embedder,
        nlp: Language,
        config: RetrievalConfig | None = None,
        canonical: Callable[[str], str] | None = None,
        type_nouns: Mapping[str, frozenset[str]] | None = None,
        broader: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        """``canonical`` maps a verb lemma to the predicate the extractor stores for it (the domain's synonyms),
        so that a question says "heads" where the graph says ``lead``; ``type_nouns`` are the nouns that name each
        entity type (the extractor's), so that "the company" in a question names an ORG; ``broader`` gives each
        predicate's super-properties (the domain ontology's), so that ``chief_executive_officer_of`` also leads."""
        self.store = store
        self.embedder = embedder
        self.config = config or RetrievalConfig()
        self.analyzer = QuestionAnalyzer(nlp, canonical)
        self.type_nouns = dict(type_nouns or {})
        self.broader = dict(broader or {})
        self.linker = EntityLinker(store, embedder, self.config)

    def retrieve(self, question: str, access: Access, k: int | None = None) -> RetrievalResult:
        k = self.config.k if k is None else k
        if k < 1:
            raise InvalidArgument(f"k must be at least 1, got {k}")
        if not question.strip():
            raise InvalidArgument("the question is empty")
        cfg = self.config
        timings: dict[str, float] = {}
        with _timed(timings, "analysis"):
            analysis = self.analyzer.run(question)
            vector = self.embedder.encode([question])[0]
        with _timed(timings, "search"):
            dense = {h.chunk_id: h.score for h in self.store.vector_search(vector, cfg.dense_candidates, access)}
            lexical = {h.chunk_id: h.score for h in self.store.lexical_search(question, cfg.lexical_candidates, access)}
            title = self._title_hits(analysis.phrases, access)
        with _timed(timings, "linking"):
            links, _ = self.linker.run(analysis.phrases, access)
            total = max(self.store.chunk_count(access), 1)
            seeds = self._entity_seeds(links, access, total)
        with _timed(timings, "walk"):
            final = self._round(seeds, _Signals(dense, lexical, title), analysis, access, total)
        signals = final.signals
        confidence = self._confidence(dense, links, seeds)
        ranking = _ranked(final.fused)
        rounds = 1
        if cfg.second_round and final.fused:
            with _timed(timings, "second_round"):
                bridges = self._bridges(final, seeds, links, analysis, vector, access, total)
                if bridges:
                    final, ranking, signals = self._second_round(
                        final, bridges, seeds, signals, analysis, access, total
                    )
                    rounds = 2
        if cfg.dense_lead:
            head = self._by_document(_ranked(dense), access)[: cfg.dense_lead]
            ranking = head + [c for c in ranking if c not in head]
        if confidence < cfg.min_confidence or not ranking:
            return RetrievalResult(
                question,
                "insufficient_evidence",
                confidence,
                linked_entities=tuple(links),
                rounds=rounds,
                timings_ms=timings,
            )
        with _timed(timings, "evidence"):
            result = self._result(question, final, ranking, signals, links, seeds, analysis, access, k, confidence)
        return replace(result, rounds=rounds, timings_ms=timings)

    # -- signals --------------------------------------------------------------------------------------------

    def _title_hits(self, phrases: tuple[str, ...] | list[str], access: Access) -> dict[str, float]:
        """Passages whose document title matches a question phrase well (linking phrases to titles)."""
        hits: dict[str, float] = {}
        for phrase in filter(is_name, phrases):
            for rank, hit in enumerate(
                self.store.lexical_search(phrase, self.config.title_candidates, access, "title")
            ):
                score = 1.0 / (rank + 1) * len(phrase.split())
                hits[hit.chunk_id] = max(hits.get(hit.chunk_id, 0.0), score)
        return hits

    def _entity_seeds(self, links: list[LinkedEntity], access: Access, total: int) -> dict[str, float]:
        entities = {e.id: e for e in self.store.entities([link.entity_id for link in links], access)}
        seeds: dict[str, float] = {}
        for link in links:
            entity = entities.get(link.entity_id)
            if entity is not None:
                weight = link.score / 100.0 * max(specificity(entity.frequency, total), 0.05)
                seeds[link.entity_id] = max(seeds.get(link.entity_id, 0.0), weight)
        return seeds

    def _round(
        self,
        seeds: Mapping[str, float],
        signals: _Signals,
        analysis: QuestionAnalysis,
        access: Access,
        total: int,
    ) -> _Round:
        """One walk and fusion. The first round (``signals.asked`` unset) also finds the asked paths, from the
        question's own entities, in the neighbourhood it fetched; later rounds reuse them."""
        cfg = self.config
        chunk_seeds = _top(signals.dense, cfg.seed_chunks)
        top_dense = max(chunk_seeds.values(), default=1.0) or 1.0
        chunk_weights = {c: 0.3 * max(s, 0.0) / top_dense for c, s in chunk_seeds.items()}
        for c, s in _top(signals.title, cfg.seed_chunks).items():
            chunk_weights[c] = chunk_weights.get(c, 0.0) + 0.5 * s / max(signals.title.values())
        subgraph = self.store.expand(list(seeds), list(chunk_weights), cfg.hops, access, cfg.max_entities)
        if signals.asked is None:
            asked = [
                p
                for p in asked_paths(
                    subgraph,
                    seeds,
                    analysis.terms,
                    LITERAL_TYPES,
                    cfg.path_hops,
                    cfg.path_beam,
                    self.type_nouns,
                    self.broader,
                )
                if len(p.covered) >= cfg.path_min_terms
            ]
            signals = replace(signals, asked=tuple(reading_order(asked)), path=_path_scores(most_asked(asked)))
        graph = build_graph(subgraph, analysis.lemmas, total)
        walk = personalised_pagerank(graph, seeds, chunk_weights, cfg.damping)
        rankings = {
            "graph": walk.chunks,
            "dense": signals.dense,
            "lexical": signals.lexical,
            "title": signals.title,
            "path": signals.path,
        }
        weights = {
            "graph": cfg.weight_graph,
            "dense": cfg.weight_dense,
            "lexical": cfg.weight_lexical,
            "title": cfg.weight_title,
            "path": cfg.weight_path,
        }
        fused = reciprocal_rank_fusion(rankings, weights, cfg.rrf_k)
        return _Round(fused, walk.chunks, walk.entities, subgraph, signals)

    def _bridges(
        self,
        first: _Round,
        seeds: Mapping[str, float],
        links: list[LinkedEntity],
        analysis: QuestionAnalysis,
        question: np.ndarray,
        access: Access,
        total: int,
    ) -> list[tuple[str, bool]]:
        """Entities the question does not name but its answer runs through: those mentioned in the pages of the
        question's own entities and in the best passages, preferring ones related by a predicate the question uses
        ("the director of ...")."""
        cfg = self.config
        topic = set(self._by_document(_ranked(first.fused), access)[: cfg.bridge_passages])
        for link in links:
            if link.how in ("exact", "alias"):
                topic.update(self._pages_about(link.name, access)[:1])
        asked: set[str] = set()
        for r in first.subgraph.relations:
            if r.provenance.chunk_id in topic and self._predicate_asked(r.predicate, analysis.lemmas):
                asked.update((r.subject_id, r.object_id))
        entities = first.subgraph.entities
        candidates = {
            m.entity_id
            for m in first.subgraph.mentions
            if m.chunk_id in topic
            and m.entity_id not in seeds
            and m.entity_id in entities
            and entities[m.entity_id].type not in LITERAL_TYPES
            and specificity(entities[m.entity_id].frequency, total) > BRIDGE_SPECIFICITY
        }
        # Reading every candidate's sentence costs an embedding each; the walk's favourites are enough to read.
        shortlist = set(
            sorted(candidates, key=lambda e: (e not in asked, -first.entity_scores.get(e, 0.0), e))[:BRIDGE_SHORTLIST]
        )
        reached = self._reached(first.signals.asked or (), seeds, access, total)
        candidates = shortlist | reached
        context = self._mention_contexts(first.subgraph, candidates, topic, access)
        similarity = dict(zip(context, self.embedder.encode(list(context.values())) @ question, strict=True))
        # The bridge a question asks for is where its asked paths lead, or else is named in a sentence that reads
        # like the question ("Dr. Helen Marsh, a cardiologist, was the principal investigator" for "the
        # cardiologist who led ...").
        ordered = sorted(
            candidates,
            key=lambda e: (e not in reached, -(similarity.get(e, 0.0) + (ASKED_BONUS if e in asked else 0.0)), e),
        )
        return [(e, e in asked or e in reached) for e in ordered[: cfg.bridge_entities]]

    def _reached(self, paths: Sequence[AskedPath], seeds: Mapping[str, float], access: Access, total: int) -> set[str]:
        """Where the most asked paths lead: on each, the last entity short of the question's own that has a page
        of its own. The chain the question describes reaches it ("the neurologist leading the trial of the drug
        Halvorsen licensed"), and its page tells what the chain does not (where he was born). A hub (the company
        every document names) is no bridge, wherever a path ends."""
        reached: set[str] = set()
        for path in most_asked(paths)[: self.config.bridge_entities]:
            for entity in reversed(path.entities):
                if entity.id in seeds:
                    break
                if (
                    entity.type not in LITERAL_TYPES
                    and specificity(entity.frequency, total) > BRIDGE_SPECIFICITY
                    and self._pages_about(entity.name, access)
                ):
                    reached.add(entity.id)
                    break
        return reached

    def _mention_contexts(
        self, subgraph: Subgraph, entity_ids: set[str], chunk_ids: set[str], access: Access
    ) -> dict[str, str]:
        """For each entity, the sentence around its first mention in the given chunks."""
        texts = {c.id: c for c in self.store.chunks(sorted(chunk_ids), access)}
        contexts: dict[str, str] = {}
        for m in sorted(subgraph.mentions, key=lambda m: (m.chunk_id, m.start)):
            chunk = texts.get(m.chunk_id)
            if chunk is None or m.entity_id not in entity_ids or m.entity_id in contexts:
                continue
            at = m.start - chunk.start
            contexts[m.entity_id] = _sentence_around(chunk.text, at)
        return contexts

    def _pages_about(self, name: str, access: Access) -> list[str]:
        """Passages of documents whose title is ``name`` or starts with it ("Curtis Bernhardt", "Dr. Amara Okafor:
        biography"): where a corpus keeps what it knows about an entity."""
        key = normalise(name)
        if not key:
            return []
        hits = self.store.lexical_search(name, self.config.title_candidates, access, "title")
        chunks = self.store.chunks([h.chunk_id for h in hits], access)
        titles = {d.id: d.title for d in (self.store.get_document(c.doc_id, access) for c in chunks) if d}
        return [c.id for c in chunks if c.doc_id in titles and _names_title(key, titles[c.doc_id])]

    def _second_round(
        self,
        first: _Round,
        bridges: list[tuple[str, bool]],
        seeds: dict[str, float],
        signals: _Signals,
        analysis: QuestionAnalysis,
        access: Access,
        total: int,
    ) -> tuple[_Round, list[str], _Signals]:
        """Walk again with the bridges as seeds and with dense scores that include the next hop's, and give the
        first bridge's own page a place in the ranking."""
        top_seed = max(seeds.values(), default=1.0)
        widened = dict(seeds)
        for entity_id, _ in bridges:
            entity = first.subgraph.entities[entity_id]
            widened[entity_id] = 0.5 * top_seed * max(specificity(entity.frequency, total), 0.05)
        next_hop = self._next_hop(analysis.question, signals.dense, first.subgraph, seeds, access, total)
        dense = dict(signals.dense)
        for chunk_id, score in next_hop.items():
            dense[chunk_id] = max(dense.get(chunk_id, score), score)
        signals = replace(signals, next_hop=next_hop)
        second = self._round(widened, replace(signals, dense=dense), analysis, access, total)
        ranking = self._by_document(_ranked(second.fused), access)
        lead = set(ranking[: self.config.lead_passages])
        mentioning = _chunks_mentioning(second.subgraph)
        pages: list[str] = []
        for entity_id, asked in bridges:
            if len(pages) >= self.config.bridge_pages:
                break
            own = self._pages_about(first.subgraph.entities[entity_id].name, access)[:1]
            # Without a page of its own, the bridge a question asks for is best evidenced by the best passage
            # elsewhere that mentions it; other bridges without a page are too often wrong turns to show.
            elsewhere = (
                [c for c in ranking if c in mentioning.get(entity_id, ()) and c not in lead][:1] if asked else []
            )
            pages.extend(p for p in (own or elsewhere) if p not in pages)
        return second, _interleave(ranking, pages, lead=self.config.lead_passages), signals

    def _next_hop(
        self,
        question: str,
        dense: Mapping[str, float],
        subgraph: Subgraph,
        seeds: Mapping[str, float],
        access: Access,
        total: int,
    ) -> dict[str, float]:
        """The next hop's passages, scored on the dense scale: the question read again with the name of each entity
        that its best passages name ("... the country where the Bubye River is found? Zimbabwe"), answered only by
        passages that name that entity. A passage that is the entity's own page counts a little more."""
        cfg = self.config
        topic = self._by_document(_ranked(dense), access)[: cfg.next_hop_passages]
        bridges = self._topic_entities(topic, subgraph, seeds, access, total)
        if not bridges:
            return {}
        mentioning = _chunks_mentioning(subgraph)
        names = [subgraph.entities[e].name for e in bridges]
        vectors = self.embedder.encode([f"{question} {name}" for name in names])
        texts: dict[str, str] = {}
        scores: dict[str, float] = {}
        for entity_id, name, vector in zip(bridges, names, vectors, strict=True):
            hits = self.store.vector_search(vector, cfg.next_hop_candidates, access)
            for chunk in self.store.chunks([h.chunk_id for h in hits if h.chunk_id not in texts], access):
                texts[chunk.id] = f" {normalise(chunk.text)} "
            own = set(self._pages_about(name, access))
            key = f" {normalise(name)} "
            for hit in hits:
                named = hit.chunk_id in mentioning.get(entity_id, ()) or key in texts.get(hit.chunk_id, "")
                if not named:
                    continue
                score = hit.score + (cfg.own_page_bonus if hit.chunk_id in own else 0.0)
                scores[hit.chunk_id] = max(scores.get(hit.chunk_id, score), score)
        return scores

    def _topic_entities(
        self, topic: list[str], subgraph: Subgraph, seeds: Mapping[str, float], access: Access, total: int
    ) -> list[str]:
        """Entities the topic passages' documents name that the question does not, the topic passage's own first,
        at most ``next_hop_entities`` a document: values and entities found everywhere lead nowhere in particular."""
        cfg = self.config
        doc_rank = {c.doc_id: rank for rank, c in enumerate(self.store.chunks(topic, access))}
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
                or specificity(entity.frequency, total) < cfg.next_hop_specificity
                or per_document.get(m.doc_id, 0) >= cfg.next_hop_entities
            ):
                continue
            per_document[m.doc_id] = per_document.get(m.doc_id, 0) + 1
            chosen.append(m.entity_id)
        return chosen

    def _by_document(self, ranking: list[str], access: Access) -> list[str]:
        """The ranking with each document's best passage first and its further passages after all others."""
        head = ranking[: self.config.dense_candidates]
        doc_of = {c.id: c.doc_id for c in self.store.chunks(head, access)}
        firsts, rest, seen = [], [], set()
        for chunk_id in head:
            doc = doc_of.get(chunk_id, chunk_id)
            (rest if doc in seen else firsts).append(chunk_id)
            seen.add(doc)
        return firsts + rest + ranking[len(head) :]

    def _confidence(self, dense: Mapping[str, float], links: list[LinkedEntity], seeds: Mapping[str, float]) -> float:
        """How sure kgrag is that the corpus speaks to the question: topical similarity or a specific entity."""
        best_dense = max(dense.values(), default=0.0)
        topical = float(np.clip((best_dense - DENSE_FLOOR) / (DENSE_CEILING - DENSE_FLOOR), 0.0, 1.0))
        strongest_link = max(
            (seeds.get(link.entity_id, 0.0) for link in links if link.type not in LITERAL_TYPES), default=0.0
        )
        return 1.0 - (1.0 - topical) * (1.0 - 0.9 * min(strongest_link, 1.0))

    # -- result ---------------------------------------------------------------------------------------------

    def _result(
        self,
        question: str,
        final: _Round,
        ranking: list[str],
        signals: _Signals,
        links: list[LinkedEntity],
        seeds: Mapping[str, float],
        analysis: QuestionAnalysis,
        access: Access,
        k: int,
        confidence: float,
    ) -> RetrievalResult:
        if analysis.comparison:
            ranking = self._cover_compared(ranking, links, final.subgraph)
        candidates = self.store.chunks(ranking[: k * 4], access)
        chunks = _diversify(candidates, k, self.config.passages_per_document)
        # Reported scores follow the final order (which interleaving may change), so they never contradict it.
        scores = {c: 1.0 / (rank + 1) for rank, c in enumerate(ranking)}
        doc_ids = {c.doc_id for c in chunks} | {r.provenance.doc_id for r in final.subgraph.relations}
        documents: dict[str, Document] = {}
        for doc_id in sorted(doc_ids):
            doc = self.store.get_document(doc_id, access)
            if doc is not None:
                documents[doc_id] = doc
        passages = tuple(
            Passage(
                chunk_id=c.id,
                doc_id=c.doc_id,
                title=documents[c.doc_id].title,
                source=documents[c.doc_id].source,
                content_hash=documents[c.doc_id].content_hash,
                start=c.start,
                end=c.end,
                text=c.text,
                score=scores[c.id],
                signals={
                    name: float(values[c.id])
                    for name, values in (
                        ("graph", final.graph),
                        ("dense", signals.dense),
                        ("lexical", signals.lexical),
                        ("title", signals.title),
                        ("path", signals.path),
                        ("next_hop", signals.next_hop),
                    )
                    if c.id in values
                },
            )
            for c in chunks
            if c.doc_id in documents
        )
        visible = Subgraph(
            final.subgraph.entities,
            tuple(r for r in final.subgraph.relations if r.provenance.doc_id in documents),
            final.subgraph.mentions,
        )
        question_entities = [link.entity_id for link in links if link.entity_id in seeds]
        returned = [(p.chunk_id, p.score) for p in passages]
        paths = asked_evidence(signals.asked or (), returned, documents, self.config.max_paths)
        shown = {p.entities for p in paths}
        paths += [
            p
            for p in find_paths(visible, question_entities, returned, documents, self.config.max_paths)
            if p.entities not in shown
        ][: self.config.max_paths - len(paths)]
        triples = passage_triples(visible, [p.chunk_id for p in passages], set(question_entities), documents)
        return RetrievalResult(
            question=question,
            status="answered",
            confidence=confidence,
            passages=passages,
            triples=tuple(triples),
            paths=tuple(paths),
            linked_entities=tuple(links),
        )

    def _predicate_asked(self, predicate: str, lemmas: frozenset[str]) -> bool:
        """Whether a question word names this predicate: "director" asks for ``direct``, "born" for ``born_in``."""
        words = [w for w in predicate_words(predicate, self.broader) if len(w) >= MIN_STEM]
        return any(same_stem(lemma, w) for w in words for lemma in lemmas if len(lemma) >= MIN_STEM)

    @staticmethod
    def _cover_compared(ranking: list[str], links: list[LinkedEntity], subgraph: Subgraph) -> list[str]:
        """For "which of X and Y" questions, put the best passage about each compared entity first."""
        mentioning = _chunks_mentioning(subgraph)
        firsts: list[str] = []
        for link in links:
            best = next((c for c in ranking if c in mentioning.get(link.entity_id, ())), None)
            if best is not None and best not in firsts:
                firsts.append(best)
        if len(firsts) < 2:
            return ranking
        return firsts[:2] + [c for c in ranking if c not in firsts[:2]]


def _path_scores(paths: list[AskedPath]) -> dict[str, float]:
    """Each passage that states a hop of some path, scored by the best such path."""
    scores: dict[str, float] = {}
    for path in paths:
        for relation in path.relations:
            chunk_id = relation.provenance.chunk_id
            scores[chunk_id] = max(scores.get(chunk_id, path.score), path.score)
    return scores


def _chunks_mentioning(subgraph: Subgraph) -> dict[str, set[str]]:
    """For each entity of ``subgraph``, the chunks that mention it."""
    mentioning: dict[str, set[str]] = {}
    for m in subgraph.mentions:
        mentioning.setdefault(m.entity_id, set()).add(m.chunk_id)
    return mentioning


def _diversify(chunks: list[Chunk], k: int, per_document: int) -> list[Chunk]:
    """The best ``k`` chunks, taking at most ``per_document`` from a document before every document had its turn."""
    counts: dict[str, int] = {}
    first: list[Chunk] = []
    rest: list[Chunk] = []
    for chunk in chunks:
        counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
        (first if counts[chunk.doc_id] <= per_document else rest).append(chunk)
    return (first + rest)[:k]


def _sentence_around(text: str, at: int, reach: int = CONTEXT_REACH) -> str:
    """The sentence holding offset ``at`` (ended by a full stop or a line break), at most ``reach`` characters
    either side: enough to say what a mention is, short enough to embed quickly."""
    begin = max((text.rfind(mark, 0, at) for mark in (". ", "\n")), default=-1)
    begin = max(begin + 1, at - reach, 0)
    ends = [e for e in (text.find(". ", at), text.find("\n", at)) if e >= 0]
    end = min([*ends, at + reach, len(text)])
    return text[begin : end + 1].strip()


def _ranked(scores: Mapping[str, float]) -> list[str]:
    return [item for item, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))]


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


def _names_title(key: str, title: str) -> bool:
    """A page about an entity has its name as the title, or starting or ending it ("Company profile: X")."""
    title_key = normalise(title)
    return title_key == key or title_key.startswith(key + " ") or title_key.endswith(" " + key)


def _top(scores: Mapping[str, float], n: int) -> dict[str, float]:
    return dict(sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:n])


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + (time.perf_counter() - started) * 1000
