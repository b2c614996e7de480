"""The store contract: every backend (embedded SQLite, Neo4j) implements exactly this.

Stores keep and fetch; they do not rank. Candidate generation (vector, lexical, entity names, neighbourhoods)
happens here, and all scoring that must agree across backends happens in ``retrieval/``. Every read takes an
``Access``: a store returns only what that caller may see (see ``Access`` and the docstrings below), and it
filters inside its own queries, never by handing back more for the caller to drop.

Visibility rule, for every read: a chunk or document is visible when the caller shares a group with the
document; a mention when its document is visible; a relation record when its provenance's document is
visible; an entity when at least one of its mentions or relation records is visible, and then its aliases,
frequency and name come only from visible mentions (the stored name when some visible mention uses it,
otherwise the most frequent visible surface form).

``tests/contract/store_contract.py`` is the executable form of this specification.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from kg.errors import StoreError
from kg.model import (
    Access,
    Chunk,
    ChunkHit,
    Document,
    DocumentGraph,
    Entity,
    Mention,
    Relation,
    StoreStats,
    Subgraph,
)

LexicalField = Literal["text", "title"]


@runtime_checkable
class GraphStore(Protocol):
    def write_document(self, graph: DocumentGraph) -> None:
        """Replace everything stored for ``graph.document.id`` by ``graph``, in one transaction.

        Chunks, embeddings, lexical entries, mentions and relation records of the previous version are
        removed; entities left with no mention and no relation record are removed. Entities in ``graph``
        that already exist (same id) are kept with their stored name and type. A failure leaves the
        previous version intact. Writing an identical graph twice leaves the store as after once. The first
        graph with embeddings fixes the store's dimension and ``embedding_model``; a graph with another dimension,
        or another named model, raises ``StoreError``.
        """
        ...

    def delete_document(self, doc_id: str) -> bool:
        """Erase the document and everything derived from it; ``False`` when it was not stored.

        Entities and relations lose this document's evidence and disappear when none remains. Erased
        values must not survive in the backend's files (free pages, logs, old index segments) where the
        backend can prevent it.
        """
        ...

    def set_groups(self, doc_id: str, groups: Sequence[str]) -> None:
        """Change who may read a document; effective for the next read. Raises ``NotFoundError``."""
        ...

    def embedding_model(self) -> str | None:
        """The model the stored embeddings come from, or ``None`` when none was recorded."""
        ...

    def document_version(self, doc_id: str) -> str | None:
        """The stored ``content_hash`` of a document, or ``None``: lets ingestion skip unchanged files."""
        ...

    def get_document(self, doc_id: str, access: Access) -> Document | None:
        """The document, or ``None`` when it is missing or not visible (the two are indistinguishable)."""
        ...

    def documents(self, access: Access) -> Iterator[Document]:
        """Every visible document, ordered by id."""
        ...

    def document_graph(self, doc_id: str) -> DocumentGraph | None:
        """Everything stored for one document, unfiltered, as written (with the store's ``embedding_model``): for
        export and migration."""
        ...

    def chunks(self, chunk_ids: Sequence[str], access: Access) -> list[Chunk]:
        """The visible chunks among ``chunk_ids``, in the order asked; unknown ids are skipped."""
        ...

    def vector_search(self, vector: np.ndarray, k: int, access: Access) -> list[ChunkHit]:
        """The ``k`` visible chunks most similar (cosine, higher is better) to ``vector``, best first."""
        ...

    def lexical_search(self, query: str, k: int, access: Access, field: LexicalField = "text") -> list[ChunkHit]:
        """The ``k`` best visible chunks for a free-text ``query`` (any user text: the store escapes it),
        matched against chunk text or against the title of the chunk's document; best first."""
        ...

    def entity_candidates(self, phrases: Sequence[str], access: Access, limit: int = 50) -> list[Entity]:
        """Visible entities whose name or an alias shares a word with one of ``phrases``.

        A recall-oriented candidate list (at most ``limit`` per phrase, exact and rarer matches first);
        the caller scores them.
        """
        ...

    def entities(self, entity_ids: Sequence[str], access: Access) -> list[Entity]:
        """The visible entities among ``entity_ids``, in the order asked."""
        ...

    def expand(
        self,
        entity_ids: Sequence[str],
        chunk_ids: Sequence[str],
        hops: int,
        access: Access,
        limit: int = 2000,
    ) -> Subgraph:
        """The visible neighbourhood within ``hops`` of the seeds.

        One hop goes from an entity to the chunks that mention it and the entities related to it, and from a
        chunk to the entities it mentions. Returns the entities reached, the relation records among them
        and the mentions linking them to chunks; ``limit`` bounds the number of entities, preferring
        nearer ones.
        """
        ...

    def chunk_count(self, access: Access) -> int:
        """How many chunks the caller may see: the corpus size that ranking statistics use, so that hidden
        documents do not shift a caller's ranking."""
        ...

    def stats(self) -> StoreStats:
        """Unfiltered counts, for progress reports, benchmarks and migration checks."""
        ...

    def close(self) -> None: ...


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
