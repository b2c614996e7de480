"""Linking and seeds: question phrases → graph entities (by exact, alias, fuzzy and embedding match), and the walk's
entity seeds, weighted by how surely a phrase names an entity and how specific that entity is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from kg.model import Entity
from kg.text import normalise
from retrieval.analysis import is_name
from retrieval.config import LinkSettings, WalkSettings
from retrieval.context import QueryContext, StoreReads
from retrieval.result import LinkedEntity


@dataclass(frozen=True)
class Seeds:
    """The question's entities: every link found, and the walk's seed weight of each linked entity visible."""

    links: tuple[LinkedEntity, ...]
    weights: Mapping[str, float]

    def question_entities(self) -> list[str]:
        """The linked entities that seed the walk, best link first."""
        return [link.entity_id for link in self.links if link.entity_id in self.weights]


@dataclass(frozen=True)
class LinkDraft:
    """A question's phrases matched to entity names by spelling; the phrases no name matched are left for the
    encoder, to compare with the candidates' names."""

    links: dict[tuple[str, str], LinkedEntity]
    unmatched: tuple[str, ...]
    candidates: tuple[Entity, ...]

    def texts(self) -> list[str]:
        """What the encoder must read to finish linking: the unmatched phrases, then the candidates' names."""
        if not self.unmatched or not self.candidates:
            return []
        return [*self.unmatched, *(e.name for e in self.candidates)]


class EntityLinker:
    def __init__(self, settings: LinkSettings) -> None:
        self.settings = settings

    def run(self, ctx: QueryContext, walk: WalkSettings, draft: LinkDraft, vectors: np.ndarray) -> Seeds:
        """The seeds, from ``draft`` and ``vectors`` (the encodings of ``draft.texts()``)."""
        links = self.links(draft, vectors)
        entities = {e.id: e for e in ctx.reads.entities([link.entity_id for link in links])}
        weights: dict[str, float] = {}
        for link in links:
            entity = entities.get(link.entity_id)
            if entity is not None:
                weight = link.score / 100.0 * max(ctx.specificity(entity.frequency), walk.specificity_floor)
                weights[link.entity_id] = max(weights.get(link.entity_id, 0.0), weight)
        return Seeds(tuple(links), weights)

    def match(self, reads: StoreReads, phrases: Sequence[str]) -> LinkDraft:
        """The entities each phrase names by spelling (exact, alias, part of a name, fuzzy); done before the
        question is encoded, so that one encoder call reads the question and what linking still needs."""
        if not phrases:
            return LinkDraft({}, (), ())
        settings = self.settings
        candidates = reads.entity_candidates(phrases, settings.candidates)
        links: dict[tuple[str, str], LinkedEntity] = {}
        unmatched: list[str] = []
        named: list[set[str]] = []
        # Longest phrases first: once "My Cousin from Warsaw" names an entity, "Cousin" and "Warsaw" inside it
        # are parts of that name, not names of their own.
        for phrase in sorted(phrases, key=lambda p: (-len(p.split()), p)):
            key = normalise(phrase)
            words = set(key.split())
            # Only names link: a lowercase common noun ("film", "director") names a kind, not an entity.
            if not key or not is_name(phrase) or any(words <= n for n in named):
                continue
            matches = []
            for entity in candidates:
                score, how = _string_match(key, entity, settings.partial_name_score)
                if score >= settings.threshold:
                    matches.append(LinkedEntity(phrase, entity.id, entity.name, entity.type, score, how))
            partial = [m for m in matches if m.score == settings.partial_name_score]
            if len(partial) > settings.max_partial_matches:
                # "European" is part of many names and names none of them.
                matches = [m for m in matches if m.score != settings.partial_name_score]
            for match in matches:
                links[(phrase, match.entity_id)] = match
                if match.how in ("exact", "alias"):
                    named.append(words)
            if not matches:
                unmatched.append(phrase)
        return LinkDraft(links, tuple(unmatched), tuple(candidates))

    def links(self, draft: LinkDraft, vectors: np.ndarray) -> list[LinkedEntity]:
        """The best entities for each phrase, best first: the spelling matches, and for each unmatched phrase the
        candidate whose name means most nearly the same."""
        links = dict(draft.links)
        if draft.texts():
            count = len(draft.unmatched)
            similarity = vectors[:count] @ vectors[count:].T
            for row, phrase in enumerate(draft.unmatched):
                best = int(np.argmax(similarity[row]))
                if similarity[row, best] >= self.settings.embedding_threshold:
                    entity = draft.candidates[best]
                    links[(phrase, entity.id)] = LinkedEntity(
                        phrase, entity.id, entity.name, entity.type, float(similarity[row, best]) * 100, "embedding"
                    )
        return sorted(links.values(), key=lambda link: (-link.score, link.entity_id, link.phrase))


def _string_match(key: str, entity: Entity, partial_score: float) -> tuple[float, str]:
    if not key:
        return 0.0, "fuzzy"
    if key == normalise(entity.name):
        return 100.0, "exact"
    if any(key == normalise(alias) for alias in entity.aliases):
        return 100.0, "alias"
    forms = [normalise(entity.name), *(normalise(a) for a in entity.aliases)]
    words = set(key.split())
    # A distinctive part of a longer name ("Halvorsen" for "Halvorsen Therapeutics") names it, a little less surely.
    if any(words < set(form.split()) for form in forms) and max(len(w) for w in words) >= 4:
        return partial_score, "fuzzy"
    best = max(forms, key=lambda form: fuzz.ratio(key, form))
    # Spelling variants differ inside long words ("Okafer"); short tokens that differ ("II"/"III", "A"/"B") are
    # different things.
    differing = set(key.split()) ^ set(best.split())
    if any(len(word) < 5 or any(ch.isdigit() for ch in word) for word in differing):
        return 0.0, "fuzzy"
    return fuzz.ratio(key, best), "fuzzy"
