"""Entity linking: question phrases → graph entities, by exact, alias, fuzzy and embedding match."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz

from kg.embedding import Embedder
from kg.model import Access, Entity
from kg.store import GraphStore
from kg.text import normalise
from retrieval.analysis import is_name
from retrieval.config import RetrievalConfig
from retrieval.result import LinkedEntity

# Names whose embeddings are this close are the same thing said differently ("the EMA" / "European Medicines
# Agency" are not; "Nordlys Biotech" / "Nordlys Bio" are). High, because a wrong seed misleads the walk.
EMBEDDING_THRESHOLD = 0.86
PARTIAL_NAME_SCORE = 90.0
MAX_PARTIAL_MATCHES = 2


def specificity(frequency: int, total_chunks: int) -> float:
    """Inverse document frequency in [0, 1]: an entity in every passage says nothing about which one to read."""
    if total_chunks <= 1:
        return 1.0
    return max(0.0, math.log((total_chunks + 1) / (frequency + 1))) / math.log(total_chunks + 1)


class EntityLinker:
    def __init__(self, store: GraphStore, embedder: Embedder, config: RetrievalConfig) -> None:
        self.store = store
        self.embedder = embedder
        self.config = config

    def run(self, phrases: Sequence[str], access: Access) -> tuple[list[LinkedEntity], dict[str, Entity]]:
        """The best entities for each phrase, and the entity records they came from."""
        if not phrases:
            return [], {}
        candidates = self.store.entity_candidates(phrases, access, limit=self.config.link_candidates)
        by_id = {e.id: e for e in candidates}
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
                score, how = _string_match(key, entity)
                if score >= self.config.link_threshold:
                    matches.append(LinkedEntity(phrase, entity.id, entity.name, entity.type, score, how))
            partial = [m for m in matches if m.score == PARTIAL_NAME_SCORE]
            if len(partial) > MAX_PARTIAL_MATCHES:
                # "European" is part of many names and names none of them.
                matches = [m for m in matches if m.score != PARTIAL_NAME_SCORE]
            found = bool(matches)
            for match in matches:
                links[(phrase, match.entity_id)] = match
                if match.how in ("exact", "alias"):
                    named.append(words)
            if not found:
                unmatched.append(phrase)
        if unmatched and candidates:
            names = [e.name for e in candidates]
            vectors = self.embedder.encode([*unmatched, *names])
            similarity = vectors[: len(unmatched)] @ vectors[len(unmatched) :].T
            for row, phrase in enumerate(unmatched):
                best = int(np.argmax(similarity[row]))
                if similarity[row, best] >= EMBEDDING_THRESHOLD:
                    entity = candidates[best]
                    links[(phrase, entity.id)] = LinkedEntity(
                        phrase, entity.id, entity.name, entity.type, float(similarity[row, best]) * 100, "embedding"
                    )
        ordered = sorted(links.values(), key=lambda link: (-link.score, link.entity_id, link.phrase))
        return ordered, by_id


def _string_match(key: str, entity: Entity) -> tuple[float, str]:
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
        return PARTIAL_NAME_SCORE, "fuzzy"
    best = max(forms, key=lambda form: fuzz.ratio(key, form))
    # Spelling variants differ inside long words ("Okafer"); short tokens that differ ("II"/"III", "A"/"B") are
    # different things.
    differing = set(key.split()) ^ set(best.split())
    if any(len(word) < 5 or any(ch.isdigit() for ch in word) for word in differing):
        return 0.0, "fuzzy"
    return fuzz.ratio(key, best), "fuzzy"
