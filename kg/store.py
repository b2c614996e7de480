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

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from kg.model import (
    Access,
    Chunk,
    ChunkHit,
    Document,
    DocumentGraph,
    Entity,
    Principal,
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

    def clear(self) -> None:
        """Erase every document and everything derived from them, and forget the recorded embedding model and
        dimension, as ``delete_document`` would one by one; the principal registry and data that is not kgrag's
        (other labels in a Neo4j database) are left alone."""
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

    def get_documents(self, doc_ids: Sequence[str], access: Access) -> list[Document]:
        """The visible documents among ``doc_ids``, in the order asked, each once; missing and hidden ids are
        skipped. One read however many ids: a query names dozens of documents."""
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

    def vector_searches(self, vectors: np.ndarray, k: int, access: Access) -> list[list[ChunkHit]]:
        """``vector_search`` for each row of ``vectors`` (a matrix), in one read: one list of hits per row, each
        exactly what ``vector_search`` gives for that row (``k`` visible hits when the caller may see ``k``)."""
        ...

    def lexical_search(self, query: str, k: int, access: Access, field: LexicalField = "text") -> list[ChunkHit]:
        """The ``k`` best visible chunks for a free-text ``query`` (any user text: the store escapes it),
        matched against chunk text or against the title of the chunk's document; best first."""
        ...

    def lexical_searches(
        self, queries: Sequence[str], k: int, access: Access, field: LexicalField = "text"
    ) -> list[list[ChunkHit]]:
        """``lexical_search`` for each of ``queries``, in one read: one list of hits per query, each exactly what
        ``lexical_search`` gives for it."""
        ...

    def identifier_chunks(self, values: Sequence[str], access: Access, limit: int = 20) -> dict[str, list[str]]:
        """For each identifier of ``values`` (as ``kg.text.identifiers`` reads them: "M-1057", case does not
        matter), the visible chunks whose text holds exactly it, at most ``limit``, by document id and position;
        an identifier no visible chunk holds is left out. An exact index: M-1070 never answers for M-1057."""
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

    def put_principal(self, principal: Principal) -> None:
        """Create or replace the principal named ``principal.name`` (its groups, roles and key hash)."""
        ...

    def principal(self, name: str) -> Principal | None:
        """The principal of that name, or ``None``."""
        ...

    def principal_by_key(self, key_id: str) -> Principal | None:
        """The principal whose current API key has the public part ``key_id``, or ``None``."""
        ...

    def principals(self) -> list[Principal]:
        """Every principal, ordered by name; an empty list means the store has no registry (its owner acts)."""
        ...

    def remove_principal(self, name: str) -> bool:
        """Forget a principal and its key; ``False`` when there was none of that name. Documents are untouched."""
        ...

    def writer(self, waiting: Callable[[str], None]) -> AbstractContextManager[None]:
        """Hold the store's writer lock for the block: ingestions write one at a time, so that each resolves its
        entities against everything the other wrote and two at once give the graph of one after the other. While
        another process or connection holds it, call ``waiting`` once with who holds it, then block until it is
        released (or, on a server, its holder's lease ends because the holder died)."""
        ...

    def close(self) -> None: ...
