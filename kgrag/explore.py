"""``kgrag entity NAME``: one visible entity with its relations, their provenance and its neighbours, read through the
store protocol as the caller sees it, so that the graph can be explored without Neo4j's browser."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from kg.errors import InvalidArgument, NotFoundError
from kg.export import GraphView
from kg.model import Access, Document, Entity, Relation
from kg.store import GraphStore
from retrieval.masking import cleared, mask_view
from retrieval.result import TripleEvidence

CANDIDATES = 20  # entities a name is looked up among
SUGGESTIONS = 5


@dataclass(frozen=True)
class EntityRelation:
    """One relation record of the entity, with the sentence it was read from (``text``, the cited span)."""

    triple: TripleEvidence
    source: str
    text: str


@dataclass(frozen=True)
class EntityReport:
    entity: Entity
    relations: tuple[EntityRelation, ...]
    neighbours: tuple[Entity, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": asdict(self.entity),
            "relations": [asdict(r.triple) | {"source": r.source, "text": r.text} for r in self.relations],
            "neighbours": [asdict(e) for e in self.neighbours],
        }


def find_entity(store: GraphStore, name: str, access: Access) -> Entity:
    """The visible entity called ``name`` (its name first, then an alias, case aside; the most mentioned when several
    are); ``NotFoundError`` naming the closest visible ones otherwise."""
    wanted = name.strip().casefold()
    if not wanted:
        raise InvalidArgument("give an entity name")
    candidates = store.entity_candidates([name.strip()], access, limit=CANDIDATES)
    for matches in (
        [e for e in candidates if e.name.casefold() == wanted],
        [e for e in candidates if any(a.casefold() == wanted for a in e.aliases)],
    ):
        if matches:
            return max(matches, key=lambda e: (e.frequency, e.id))
    near = ", ".join(e.name for e in candidates[:SUGGESTIONS])
    raise NotFoundError(f"no entity {name.strip()!r}" + (f"; did you mean: {near}" if near else ""))


def describe_entity(store: GraphStore, name: str, access: Access) -> EntityReport:
    """The entity, each visible relation record that names it (subject or object) and the entities at their other
    ends; personal data masked as in results for a caller outside the ``pii`` group."""
    entity = find_entity(store, name, access)
    subgraph = store.expand([entity.id], (), 1, access)
    relations = sorted(
        (r for r in subgraph.relations if entity.id in (r.subject_id, r.object_id)),
        key=lambda r: (r.predicate, r.subject_id != entity.id, r.provenance.doc_id, r.provenance.start),
    )
    neighbour_ids = list(dict.fromkeys(i for r in relations for i in (r.subject_id, r.object_id) if i != entity.id))
    documents: dict[str, Document] = {}
    for doc_id in dict.fromkeys(r.provenance.doc_id for r in relations):
        doc = store.get_document(doc_id, access)
        if doc is not None:
            documents[doc_id] = doc
    entities = [entity, *store.entities(neighbour_ids, access)]
    view = GraphView(tuple(documents.values()), (), tuple(entities), subgraph.mentions, tuple(relations))
    if not cleared(access):
        view = mask_view(_with_mentioned_documents(store, view, access))
    shown = {e.id: e for e in view.entities}
    docs = {d.id: d for d in view.documents}
    return EntityReport(
        shown[entity.id],
        tuple(
            _relation(r, shown, docs[r.provenance.doc_id])
            for r in view.relations
            if r.provenance.doc_id in docs and r.subject_id in shown and r.object_id in shown
        ),
        tuple(shown[i] for i in neighbour_ids if i in shown),
    )


def _with_mentioned_documents(store: GraphStore, view: GraphView, access: Access) -> GraphView:
    """Masking reads the documents of every mention too (where a person's name is a recorded value)."""
    have = {d.id for d in view.documents}
    extra: list[Document] = []
    for doc_id in dict.fromkeys(m.doc_id for m in view.mentions if m.doc_id not in have):
        doc = store.get_document(doc_id, access)
        if doc is not None:
            extra.append(doc)
    return GraphView((*view.documents, *extra), view.chunks, view.entities, view.mentions, view.relations)


def _relation(relation: Relation, entities: dict[str, Entity], doc: Document) -> EntityRelation:
    p = relation.provenance
    triple = TripleEvidence(
        relation.subject_id,
        entities[relation.subject_id].name,
        relation.predicate,
        relation.object_id,
        entities[relation.object_id].name,
        p.doc_id,
        doc.title,
        doc.content_hash,
        p.chunk_id,
        p.start,
        p.end,
        p.extractor,
        p.extractor_version,
        p.confidence,
    )
    return EntityRelation(triple, doc.source, doc.text[p.start : p.end])
