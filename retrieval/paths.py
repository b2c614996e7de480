"""Asked paths: chains of typed relations from the question's entities whose predicates the question names.

"Who is the chief financial officer of the parent company of Halvorsen Biologics Ireland?" is answered by
Halvorsen Biologics Ireland -parent-> Halvorsen Therapeutics <-chief_financial_officer_of- Daniel Achterberg: every
hop's predicate is a word of the question. A beam search follows such hops only, so a hub entity (the company
every document names) leads exactly where the question points and nowhere else. The passages that state the hops
are the evidence, and the path is shown with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from kg.model import Entity, Relation, Subgraph

# Predicate words that carry no meaning of their own ("chief_executive_of", "born_in").
FUNCTION_WORDS = frozenset({"of", "in", "at", "for", "by", "on", "to", "from", "with", "as", "into", "under", "not"})
MIN_STEM = 4
# What a question word that a reached entity's name holds ("European" for the European Medicines Agency) adds to a
# path's score: it tells apart readings that name as many hops, and is no reason to follow a hop.
ECHO_WEIGHT = 0.5
# What may follow a word for it still to be that word: inflections and agent nouns ("founder", "director").
SUFFIXES = frozenset({"s", "es", "d", "ed", "ing", "r", "er", "ers", "or", "ors"})
_WORD = re.compile(r"\w+")
_STEMMER = snowballstemmer.stemmer("english")


@dataclass(frozen=True)
class AskedPath:
    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...]
    # The question's terms (by index) that the hops' predicates, or the types of the entities reached, name.
    covered: frozenset[int]
    score: float
    # Further terms that the names of the entities reached hold.
    echoed: frozenset[int] = frozenset()


def asked_paths(
    subgraph: Subgraph,
    seeds: Mapping[str, float],
    terms: Sequence[frozenset[str]],
    skip_types: frozenset[str],
    max_hops: int,
    beam: int,
    type_nouns: Mapping[str, frozenset[str]] | None = None,
    broader: Mapping[str, frozenset[str]] | None = None,
) -> list[AskedPath]:
    """Paths of up to ``max_hops`` relations from the seeds, each hop naming a question term no earlier hop named,
    best first: by how many terms the path accounts for (a term that only an entity's name on it holds counts
    ``ECHO_WEIGHT``), then by the seed's weight, then shorter. Entities of
    ``skip_types`` (dates, amounts) end paths: they join facts that share nothing else. ``type_nouns`` are the
    nouns that name each entity type ("company" for an ORG) besides the type's own name; ``broader`` gives each
    predicate's super-properties, whose words name its hops too."""
    adjacency: dict[str, list[tuple[Relation, str]]] = {}
    for r in subgraph.relations:
        if r.subject_id in subgraph.entities and r.object_id in subgraph.entities:
            adjacency.setdefault(r.subject_id, []).append((r, r.object_id))
            adjacency.setdefault(r.object_id, []).append((r, r.subject_id))
    frontier = [
        AskedPath((subgraph.entities[e],), (), frozenset(), 0.0)
        for e in sorted(seeds)
        if e in adjacency and seeds[e] > 0 and subgraph.entities[e].type not in skip_types
    ]
    # A question word in a seed's own name ("Phase II") is how the question named that seed, not a hop it asks for.
    own = {path.entities[0].id: _own_terms(path.entities[0].name, terms) for path in frontier}
    hop_terms: dict[tuple[str, str], frozenset[int]] = {}
    name_terms: dict[str, frozenset[int]] = {}
    found: list[AskedPath] = []
    for _ in range(max_hops):
        grown: dict[tuple[str, ...], AskedPath] = {}
        for path in frontier:
            ids = tuple(e.id for e in path.entities)
            for relation, other in adjacency.get(ids[-1], ()):
                if other in ids or (path.relations and _siblings(path.relations[-1], relation, ids[-1])):
                    continue
                entity = subgraph.entities[other]
                # What a hop names depends only on its predicate and the type it reaches.
                hop = (relation.predicate, entity.type)
                if hop not in hop_terms:
                    words = predicate_words(relation.predicate, broader or {})
                    hop_terms[hop] = _named_terms(words, _kinds(entity.type, type_nouns or {}), terms)
                named = hop_terms[hop] - path.covered - own[ids[0]]
                if not named:
                    continue
                covered = path.covered | named
                if other not in name_terms:
                    name_terms[other] = _own_terms(entity.name, terms)
                echoed = (path.echoed | name_terms[other]) - covered - own[ids[0]]
                score = len(covered) + ECHO_WEIGHT * len(echoed) + seeds[ids[0]] - 0.01 * (len(path.relations) + 1)
                key = (*ids, other)
                if key not in grown or grown[key].score < score:
                    grown[key] = AskedPath(
                        (*path.entities, entity), (*path.relations, relation), covered, score, echoed
                    )
        ranked = [grown[key] for key in sorted(grown, key=lambda key: (-grown[key].score, key))]
        found.extend(ranked)
        frontier = [p for p in ranked if p.entities[-1].type not in skip_types][:beam]
        if not frontier:
            break
    return sorted(found, key=lambda p: (-p.score, tuple(e.id for e in p.entities)))


def most_asked(paths: Sequence[AskedPath]) -> list[AskedPath]:
    """The shortest of the paths that name the most question words. A path naming fewer is a partial reading,
    and through a hub entity there are dozens of those: ranked beside the full one, their passages would crowd
    it out. A longer path naming as many has taken a detour to collect them (a drug's discoverer's birthplace
    for "born", where the trial's leader was asked)."""
    most = max((len(p.covered) for p in paths), default=0)
    shortest = min((len(p.relations) for p in paths if len(p.covered) == most), default=0)
    return [p for p in paths if len(p.covered) == most and len(p.relations) == shortest]


def reading_order(paths: Sequence[AskedPath]) -> list[AskedPath]:
    """The paths as a result shows them: the shortest full readings (``most_asked``) first, as they rank the
    passages, then the rest, each best first. By score alone, a detour whose entities' names echo one more word
    would come before the reading it strays from."""
    best = most_asked(paths)
    return [*best, *(p for p in paths if p not in best)]


def _kinds(entity_type: str, type_nouns: Mapping[str, frozenset[str]]) -> frozenset[str]:
    return frozenset({entity_type.lower(), *type_nouns.get(entity_type, ())})


def predicate_words(predicate: str, broader: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The words that name a predicate: its own ("chief", "executive", "officer") and its super-properties'."""
    return frozenset(
        word
        for name in (predicate, *broader.get(predicate, ()))
        for word in name.split("_")
        if word not in FUNCTION_WORDS
    )


def _named_terms(words: frozenset[str], kinds: frozenset[str], terms: Sequence[frozenset[str]]) -> frozenset[int]:
    """The question terms a hop names: by its predicate's words ("parent" for ``parent``, "founder" for
    ``found``) or by the kind of entity it reaches ("drug" for a DRUG, "company" for an ORG)."""
    return frozenset(
        i for i, forms in enumerate(terms) if forms & kinds or any(same_stem(f, w) for f in forms for w in words)
    )


def _siblings(last: Relation, relation: Relation, at: str) -> bool:
    """Whether two hops meet at ``at`` in the same role of the same predicate: HLV-412 -phase-> Phase III
    <-phase- HLV-301 joins two trials that merely share a value, which no question asks for as a chain."""
    same_role = (last.object_id == at) == (relation.object_id == at)
    return last.predicate == relation.predicate and same_role


def _own_terms(name: str, terms: Sequence[frozenset[str]]) -> frozenset[int]:
    words = set(_WORD.findall(name.lower()))
    return frozenset(i for i, forms in enumerate(terms) if forms & words)


def same_stem(word: str, part: str) -> bool:
    """Whether a question word and a predicate word are one word in two forms: by an inflection or an agent
    suffix ("founder" / ``found``, "directed" / ``direct``) or by their Snowball stems ("approved" /
    ``approval``), each at least ``MIN_STEM`` long. Any longer prefix match would make "countess" a ``count``
    and "grandfather" a ``grand``."""
    if word == part:
        return True
    if min(len(word), len(part)) < MIN_STEM:
        return False
    short, long = sorted((word, part), key=len)
    return (long.startswith(short) and long[len(short) :] in SUFFIXES) or _stem(word) == _stem(part)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)
