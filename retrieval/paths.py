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

from kg.model import Entity, Relation, Subgraph
from retrieval.predicates import PredicateReader

_WORD = re.compile(r"\w+")


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
    reader: PredicateReader,
    skip_types: frozenset[str],
    max_hops: int,
    beam: int,
    echo_weight: float = 0.5,
) -> list[AskedPath]:
    """Paths of up to ``max_hops`` relations from the seeds, each hop naming a question term no earlier hop named
    (``reader`` says which a hop names), best first: by how many terms the path accounts for (a term that only an
    entity's name on it holds counts ``echo_weight``: it tells apart readings that name as many hops, and is no
    reason to follow a hop), then by the seed's weight, then shorter. Entities of ``skip_types`` (dates, amounts)
    end paths: they join facts that share nothing else."""
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
    terms = reader.terms
    own = {path.entities[0].id: _own_terms(path.entities[0].name, terms) for path in frontier}
    name_terms: dict[str, frozenset[int]] = {}
    found: list[AskedPath] = []
    for _ in range(max_hops):
        grown: dict[tuple[str, ...], AskedPath] = {}
        for path in frontier:
            ids = tuple(e.id for e in path.entities)
            for relation, other in adjacency.get(ids[-1], ()):
                if other in ids or (path.relations and siblings(path.relations[-1], relation, ids[-1])):
                    continue
                entity = subgraph.entities[other]
                named = reader.named_terms(relation.predicate, entity.type) - path.covered - own[ids[0]]
                if not named:
                    continue
                covered = path.covered | named
                if other not in name_terms:
                    name_terms[other] = _own_terms(entity.name, terms)
                echoed = (path.echoed | name_terms[other]) - covered - own[ids[0]]
                score = len(covered) + echo_weight * len(echoed) + seeds[ids[0]] - 0.01 * (len(path.relations) + 1)
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


def siblings(last: Relation, relation: Relation, at: str) -> bool:
    """Whether two hops meet at ``at`` in the same role of the same predicate: HLV-412 -phase-> Phase III
    <-phase- HLV-301 joins two trials that merely share a value, which no question asks for as a chain."""
    same_role = (last.object_id == at) == (relation.object_id == at)
    return last.predicate == relation.predicate and same_role


def _own_terms(name: str, terms: Sequence[frozenset[str]]) -> frozenset[int]:
    words = set(_WORD.findall(name.lower()))
    return frozenset(i for i, forms in enumerate(terms) if forms & words)
