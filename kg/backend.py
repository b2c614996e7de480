"""What every backend does the same way, so that the embedded store and Neo4j cannot drift apart: the
preconditions of a write, an entity as a restricted caller sees it, the breadth-first part of ``expand``, and a
document's entities for ``document_graph``. The rules themselves are specified in ``kg/store.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from kg.errors import StoreError
from kg.model import DocumentGraph, Entity, Mention, Relation


def validate_graph(graph: DocumentGraph) -> None:
    """The preconditions of ``write_document``, checked before any write so that a bad graph changes nothing."""
    doc_id = graph.document.id
    chunk_ids = {c.id for c in graph.chunks}
    entity_ids = {e.id for e in graph.entities}
    if graph.embeddings.ndim != 2 or graph.embeddings.shape[0] != len(graph.chunks):
        raise StoreError(
            f"document {doc_id!r}: {len(graph.chunks)} chunks but embeddings of shape {graph.embeddings.shape}"
        )
    if not graph.document.groups:
        raise StoreError(f"document {doc_id!r} needs at least one access group")
    for chunk in graph.chunks:
        if chunk.doc_id != doc_id:
            raise StoreError(f"document {doc_id!r}: chunk {chunk.id!r} belongs to {chunk.doc_id!r}")
    for m in graph.mentions:
        if m.chunk_id not in chunk_ids or m.entity_id not in entity_ids:
            raise StoreError(f"document {doc_id!r}: mention {m.text!r} refers to an unknown chunk or entity")
    for r in graph.relations:
        if r.provenance.chunk_id not in chunk_ids or not {r.subject_id, r.object_id} <= entity_ids:
            raise StoreError(f"document {doc_id!r}: relation {r.predicate!r} refers to an unknown chunk or entity")


def entity_view(
    entity_id: str,
    stored: tuple[str, str],
    forms: Sequence[tuple[str, int]],
    frequency: int,
    related: bool,
    restricted: bool,
) -> Entity | None:
    """An entity as a caller sees it, by the visibility rule above: ``stored`` is its (name, type), ``forms`` the
    surface forms of its visible mentions with their counts (first seen first), ``related`` whether a visible
    relation record names it. ``None`` when a restricted caller may not see it."""
    if restricted and not forms and not related:
        return None
    name, kind = stored
    if restricted and forms and name.lower() not in {text.lower() for text, _ in forms}:
        name = max(forms, key=lambda form: form[1])[0]
    return Entity(entity_id, name, kind, tuple(text for text, _ in forms), frequency)


def neighbourhood(
    entity_ids: Iterable[str],
    chunk_ids: Iterable[str],
    hops: int,
    limit: int,
    chunks_of: Callable[[list[str]], Iterable[str]],
    neighbours_of: Callable[[list[str]], Iterable[str]],
    entities_in: Callable[[list[str]], Iterable[str]],
) -> tuple[dict[str, int], set[str]]:
    """The breadth-first part of ``expand``, the same for every backend, which supplies three visible reads:
    the chunks mentioning some entities, their neighbours (one per relation record) and the entities some chunks
    mention (one per mention). Returns each entity reached with its depth, and the chunks reached; when more
    entities are reached than ``limit`` allows, those reached by more evidence win."""
    entity_depth = dict.fromkeys(entity_ids, 0)
    chunk_set = set(chunk_ids)
    frontier_entities, frontier_chunks = set(entity_depth), set(chunk_set)
    for depth in range(1, hops + 1):
        new_entities: dict[str, int] = {}
        new_chunks: set[str] = set()
        if frontier_entities:
            new_chunks.update(c for c in chunks_of(sorted(frontier_entities)) if c not in chunk_set)
            for other in neighbours_of(sorted(frontier_entities)):
                if other not in entity_depth:
                    new_entities[other] = new_entities.get(other, 0) + 1
        if frontier_chunks:
            for entity_id in entities_in(sorted(frontier_chunks)):
                if entity_id not in entity_depth:
                    new_entities[entity_id] = new_entities.get(entity_id, 0) + 1
        room = max(0, limit - len(entity_depth))
        chosen = sorted(new_entities, key=lambda e: (-new_entities[e], e))[:room]
        for entity_id in chosen:
            entity_depth[entity_id] = depth
        chunk_set |= new_chunks
        frontier_entities, frontier_chunks = set(chosen), new_chunks
        if not frontier_entities and not frontier_chunks:
            break
    return entity_depth, chunk_set


def document_entities(
    mentions: Sequence[Mention],
    relations: Sequence[Relation],
    stored: Callable[[list[str]], Mapping[str, tuple[str, str]]],
) -> tuple[Entity, ...]:
    """The entities of one document as ``document_graph`` returns them: those its mentions and relations name, in
    that order, with their stored (name, type) from ``stored`` and the surface forms this document uses."""
    ids = list(
        dict.fromkeys([m.entity_id for m in mentions] + [i for r in relations for i in (r.subject_id, r.object_id)])
    )
    names = stored(ids)
    aliases: dict[str, list[str]] = {}
    for m in mentions:
        forms = aliases.setdefault(m.entity_id, [])
        if m.text not in forms:
            forms.append(m.text)
    return tuple(Entity(i, *names[i], tuple(aliases.get(i, ()))) for i in ids if i in names)
