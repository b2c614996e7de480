"""The production store: the same graph in Neo4j 5.11+ (2025.x included), readable in Neo4j Browser.

Schema: ``(:Document)-[:HAS_CHUNK]->(:Chunk)-[:NEXT]->(:Chunk)``, ``(:Chunk)-[:MENTIONS]->(:Entity)`` and one
relationship per relation record between entities, typed by its predicate (``ACQUIRE``, ``BEAR_IN``) and carrying
its provenance. Entities also get a label for their type (``:Entity:Org``). Every statement is a file in ``cypher/``;
values are parameters, and the only names built at run time (labels, relationship types) pass an allow-list.

Visibility is decided inside each statement by the caller's groups against ``Document.groups``, as in the
embedded store; walks are fetched hop by hop with the same rules, so that ranking in ``retrieval/`` sees the same
subgraph on both backends.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from kg import cypher
from kg.backend import document_entities, entity_view, neighbourhood, validate_graph
from kg.errors import NotFoundError, StoreError
from kg.model import (
    Access,
    Chunk,
    ChunkHit,
    Document,
    DocumentGraph,
    Entity,
    Mention,
    Principal,
    Provenance,
    Relation,
    StoreStats,
    Subgraph,
    clean_groups,
)
from kg.store import LexicalField
from kg.text import fts_query, identifiers

log = logging.getLogger(__name__)

T = TypeVar("T")

MIN_VERSION = (5, 11)
VECTOR_INDEX = "kgrag_chunk_embedding"
# Version-specific statements, chosen once at connect time: the newest variant the server supports wins.
VECTOR_INDEX_VARIANTS: tuple[tuple[tuple[int, int], str], ...] = (
    ((5, 23), "schema/vector_index_exact"),
    ((5, 15), "schema/vector_index"),
    ((5, 11), "schema/vector_index_procedure"),
)
BATCH = 1000
INDEX_WAIT_SECONDS = 300
WRITER_LOCK = "writer"
WRITER_LEASE_SECONDS = 30  # renewed every third of it while held
WRITER_POLL_SECONDS = 1.0
# Labels and relationship types kgrag itself uses; extracted names may not take them.
RESERVED_LABELS = frozenset({"Document", "Chunk", "Entity", "KgragMeta", "KgragPrincipal", "KgragLock"})
RESERVED_TYPES = frozenset({"HAS_CHUNK", "NEXT", "MENTIONS"})
FALLBACK_TYPE = "RELATED_TO"


def parse_version(text: str) -> tuple[int, ...]:
    """``"5.26.1"`` → ``(5, 26, 1)``; calendar versions (``"2025.01.0"``) compare above every 5.x."""
    numbers = re.findall(r"\d+", text.split("-")[0])
    if not numbers:
        raise StoreError(f"cannot read the Neo4j server version {text!r}")
    return tuple(int(n) for n in numbers)


def vector_index_statement(version: tuple[int, ...]) -> str:
    """The statement that creates the vector index on this server version."""
    for since, name in VECTOR_INDEX_VARIANTS:
        if version[:2] >= since:
            return name
    raise StoreError(
        f"Neo4j {'.'.join(map(str, version))} has no vector index; kgrag needs Neo4j "
        f"{'.'.join(map(str, MIN_VERSION))} or newer"
    )


def entity_label(entity_type: str) -> str | None:
    """A Browser-friendly label for an entity type (``ORG`` → ``Org``), or ``None`` when none is safe."""
    words = re.findall(r"[A-Za-z0-9]+", entity_type)
    label = "".join(w[:1].upper() + w[1:].lower() for w in words)
    if not label or not cypher.IDENTIFIER.fullmatch(label) or label in RESERVED_LABELS:
        return None
    return label


def relation_type(predicate: str) -> str:
    """A readable relationship type for a predicate (``bear_in`` → ``BEAR_IN``); ``RELATED_TO`` when unsafe."""
    name = re.sub(r"[^A-Z0-9]+", "_", predicate.upper()).strip("_")
    if not name or not cypher.IDENTIFIER.fullmatch(name) or name in RESERVED_TYPES:
        return FALLBACK_TYPE
    return name


@dataclass(frozen=True)
class ServerInfo:
    version: tuple[int, ...]
    edition: str

    @property
    def label(self) -> str:
        return f"Neo4j {'.'.join(map(str, self.version))} {self.edition}"


def _groups(access: Access) -> list[str] | None:
    return None if access.groups is None else sorted(access.groups)


def _batches(rows: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class Neo4jStore:
    """A ``GraphStore`` over one Neo4j database; the driver is opened once and reused for every call."""

    def __init__(
        self,
        uri: str,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
    ) -> None:
        import neo4j
        from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable

        self.uri = uri
        self.database = database or os.environ.get("NEO4J_DATABASE") or None
        user = user or os.environ.get("NEO4J_USER") or os.environ.get("NEO4J_USERNAME") or "neo4j"
        password = password if password is not None else os.environ.get("NEO4J_PASSWORD")
        self._errors: tuple[type[Exception], ...] = (Neo4jError, DriverError)
        self._neo4j = neo4j
        try:
            # "Property key does not exist" notices (a store without principals yet, say) are expected here and
            # would print a driver warning per query; deprecations and performance hints still come through.
            self._driver = neo4j.GraphDatabase.driver(
                uri, auth=(user, password or ""), notifications_disabled_classifications=["UNRECOGNIZED"]
            )
            self._driver.verify_connectivity()
        except AuthError as e:
            raise StoreError(f"{uri}: Neo4j refused the credentials of user {user!r} (set NEO4J_PASSWORD)") from e
        except (ServiceUnavailable, OSError) as e:
            raise StoreError(f"{uri}: cannot reach Neo4j: {e}") from e
        except (Neo4jError, DriverError, ValueError) as e:
            raise StoreError(f"{uri}: cannot connect to Neo4j: {e}") from e
        try:
            self.server = self._server_info()
            self._vector_index_statement = vector_index_statement(self.server.version)
            # The (dimension, model) this store has already fixed and indexed: later writes skip the schema's three
            # round trips. ``clear`` drops the index, and forgets it.
            self._indexed: tuple[int, str | None] | None = None
            for statement in cypher.statements("schema/constraints"):
                self._run(statement, write=True)
            self._run(cypher.load("schema/await_indexes"), seconds=INDEX_WAIT_SECONDS)
        except StoreError:
            self._driver.close()
            raise
        log.info("connected to %s at %s", self.server.label, uri)

    # -- writes ---------------------------------------------------------------------------------------------

    def write_document(self, graph: DocumentGraph) -> None:
        validate_graph(graph)
        doc = graph.document
        if graph.chunks:
            self._ensure_vector_index(graph.embeddings.shape[1], graph.embedding_model, doc.id)
        entity_ids = sorted({e.id for e in graph.entities} | {m.entity_id for m in graph.mentions})

        def work(tx: Any) -> None:
            touched = self._remove(tx, doc.id)
            base = tx.run(cypher.load("meta_next_sequence"), count=len(graph.mentions) + len(graph.relations)).single()[
                "base"
            ]
            tx.run(
                cypher.load("document_create"),
                properties={
                    "id": doc.id,
                    "source": doc.source,
                    "title": doc.title,
                    "media_type": doc.media_type,
                    "content_hash": doc.content_hash,
                    "text": doc.text,
                    "metadata": json.dumps(dict(doc.metadata), sort_keys=True),
                    "groups": sorted(set(doc.groups)),
                    "entity_ids": entity_ids,
                },
            ).consume()
            chunk_rows = [
                {
                    "id": c.id,
                    "doc_id": doc.id,
                    "position": int(c.index),
                    "start": int(c.start),
                    "end": int(c.end),
                    "text": c.text,
                    "title": doc.title,
                    "identifier_text": " ".join(identifiers(c.text)),
                    "embedding": np.asarray(v, dtype=np.float32).tolist(),
                }
                for c, v in zip(graph.chunks, graph.embeddings, strict=True)
            ]
            for rows in _batches(chunk_rows):
                tx.run(cypher.load("chunks_create"), doc_id=doc.id, rows=rows).consume()
            tx.run(cypher.load("chunks_link"), doc_id=doc.id).consume()
            entity_rows = [{"id": e.id, "name": e.name, "type": e.type} for e in graph.entities]
            for rows in _batches(entity_rows):
                tx.run(cypher.load("entities_merge"), rows=rows).consume()
            by_type: dict[str, list[str]] = {}
            for e in graph.entities:
                by_type.setdefault(e.type, []).append(e.id)
            for kind, ids in sorted(by_type.items()):
                label = entity_label(kind)
                if label is None:
                    continue
                statement = cypher.with_identifier("entities_label", "__LABEL__", label)
                for chunk in _batches(ids):
                    tx.run(statement, ids=list(chunk), type=kind).consume()
            mention_rows = [
                {
                    "chunk_id": m.chunk_id,
                    "entity_id": m.entity_id,
                    "properties": {
                        "doc_id": doc.id,
                        "start": int(m.start),
                        "end": int(m.end),
                        "text": m.text,
                        "seq": base + i,
                    },
                }
                for i, m in enumerate(graph.mentions)
            ]
            for rows in _batches(mention_rows):
                tx.run(cypher.load("mentions_create"), rows=rows).consume()
            by_predicate: dict[str, list[dict[str, Any]]] = {}
            for i, r in enumerate(graph.relations, start=len(graph.mentions)):
                p = r.provenance
                by_predicate.setdefault(relation_type(r.predicate), []).append(
                    {
                        "subject_id": r.subject_id,
                        "object_id": r.object_id,
                        "properties": {
                            "predicate": r.predicate,
                            "doc_id": doc.id,
                            "chunk_id": p.chunk_id,
                            "start": int(p.start),
                            "end": int(p.end),
                            "extractor": p.extractor,
                            "extractor_version": p.extractor_version,
                            "confidence": float(p.confidence),
                            "seq": base + i,
                        },
                    }
                )
            for kind, relation_rows in sorted(by_predicate.items()):
                statement = cypher.with_identifier("relations_create", "__TYPE__", kind)
                for rows in _batches(relation_rows):
                    tx.run(statement, rows=list(rows)).consume()
            self._refresh_entities(tx, sorted(set(touched) | set(entity_ids)))

        self._write(work, f"document {doc.id!r}")

    def delete_document(self, doc_id: str) -> bool:
        def work(tx: Any) -> bool:
            if tx.run(cypher.load("document_version"), doc_id=doc_id).single() is None:
                return False
            self._refresh_entities(tx, self._remove(tx, doc_id))
            return True

        return self._write(work, f"document {doc_id!r}")

    def set_groups(self, doc_id: str, groups: Sequence[str]) -> None:
        cleaned = list(clean_groups(groups))

        def work(tx: Any) -> bool:
            return tx.run(cypher.load("document_set_groups"), doc_id=doc_id, groups=cleaned).single() is not None

        if not self._write(work, f"document {doc_id!r}"):
            raise NotFoundError(f"no document {doc_id!r}")

    def clear(self) -> None:
        """Delete every kgrag node and the vector index (whose dimension is fixed), leaving other data alone."""
        while self._run(cypher.load("clear_batch"), batch=BATCH, write=True)[0]["deleted"]:
            pass
        self._run(cypher.load("schema/drop_vector_index"), write=True)
        self._indexed = None

    # -- reads ----------------------------------------------------------------------------------------------

    def embedding_model(self) -> str | None:
        rows = self._run(cypher.load("meta_embeddings"))
        return rows[0]["embedding_model"] if rows else None

    def document_version(self, doc_id: str) -> str | None:
        rows = self._run(cypher.load("document_version"), doc_id=doc_id)
        return rows[0]["content_hash"] if rows else None

    def get_document(self, doc_id: str, access: Access) -> Document | None:
        rows = self._run(cypher.load("document_get"), doc_id=doc_id, groups=_groups(access))
        return self._document(rows[0]["document"]) if rows else None

    def get_documents(self, doc_ids: Sequence[str], access: Access) -> list[Document]:
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return []
        found = {
            d.id: d
            for d in (
                self._document(r["document"])
                for r in self._run(cypher.load("documents_get"), ids=ids, groups=_groups(access))
            )
        }
        return [found[i] for i in ids if i in found]

    def documents(self, access: Access) -> Iterator[Document]:
        for row in self._run(cypher.load("documents_list"), groups=_groups(access)):
            yield self._document(row["document"])

    def document_graph(self, doc_id: str) -> DocumentGraph | None:
        doc = self.get_document(doc_id, Access.unrestricted())
        if doc is None:
            return None
        chunk_rows = self._run(cypher.load("document_chunks"), doc_id=doc_id)
        chunks = tuple(Chunk(r["id"], doc_id, r["position"], r["start"], r["stop"], r["text"]) for r in chunk_rows)
        embeddings = (
            np.array([r["embedding"] for r in chunk_rows], dtype=np.float32)
            if chunk_rows
            else np.zeros((0, self._dimension() or 0), dtype=np.float32)
        )
        mentions = tuple(
            Mention(r["entity_id"], doc_id, r["chunk_id"], r["start"], r["stop"], r["text"])
            for r in self._run(cypher.load("document_mentions"), doc_id=doc_id)
        )
        relations = tuple(self._relation(r) for r in self._run(cypher.load("document_relations"), doc_id=doc_id))
        entities = document_entities(
            mentions,
            relations,
            lambda ids: {r["id"]: (r["name"], r["type"]) for r in self._run(cypher.load("entities_stored"), ids=ids)},
        )
        return DocumentGraph(doc, chunks, embeddings, entities, mentions, relations, self.embedding_model())

    def chunks(self, chunk_ids: Sequence[str], access: Access) -> list[Chunk]:
        ids = list(dict.fromkeys(chunk_ids))
        if not ids:
            return []
        found = {
            r["id"]: Chunk(r["id"], r["doc_id"], r["position"], r["start"], r["stop"], r["text"])
            for r in self._run(cypher.load("chunks_get"), ids=ids, groups=_groups(access))
        }
        return [found[i] for i in ids if i in found]

    def vector_search(self, vector: np.ndarray, k: int, access: Access) -> list[ChunkHit]:
        return self.vector_searches(np.asarray(vector, dtype=np.float32).reshape(1, -1), k, access)[0]

    def vector_searches(self, vectors: np.ndarray, k: int, access: Access) -> list[list[ChunkHit]]:
        queries = np.asarray(vectors, dtype=np.float32)
        if queries.ndim != 2:
            raise StoreError(f"query vectors must be a matrix (one row a query), got shape {queries.shape}")
        if k < 1 or not len(queries) or self._dimension() is None:
            return [[] for _ in queries]
        norms = np.linalg.norm(queries, axis=1)
        usable = [i for i, n in enumerate(norms) if n > 0 and np.isfinite(n)]
        unit = [(queries[i] / norms[i]).astype(np.float32).tolist() for i in usable]
        found = self._oversampled(cypher.load("vector_searches"), "vectors", unit, k, access)
        results: list[list[ChunkHit]] = [[] for _ in queries]
        for i, rows in zip(usable, found, strict=True):
            # The index reports cosine rescaled to [0, 1]; give callers the cosine itself, as the embedded store does.
            results[i] = [ChunkHit(r["id"], 2.0 * float(r["score"]) - 1.0) for r in rows]
        return results

    def lexical_search(self, query: str, k: int, access: Access, field: LexicalField = "text") -> list[ChunkHit]:
        return self.lexical_searches([query], k, access, field)[0]

    def lexical_searches(
        self, queries: Sequence[str], k: int, access: Access, field: LexicalField = "text"
    ) -> list[list[ChunkHit]]:
        if field not in ("text", "title"):
            raise StoreError(f"unknown lexical field {field!r}: use 'text' or 'title'")
        matches = [fts_query(q) for q in queries]
        usable = [i for i, m in enumerate(matches) if m is not None]
        results: list[list[ChunkHit]] = [[] for _ in queries]
        if k < 1 or not usable:
            return results
        scoped = [f"{field}:({matches[i]})" for i in usable]
        found = self._oversampled(cypher.load("lexical_searches"), "queries", scoped, k, access)
        for i, rows in zip(usable, found, strict=True):
            results[i] = [ChunkHit(r["id"], float(r["score"])) for r in rows]
        return results

    def identifier_chunks(self, values: Sequence[str], access: Access, limit: int = 20) -> dict[str, list[str]]:
        # Only what kg.text.identifiers accepts reaches the index query: letters, digits and dashes, quoted.
        wanted = [v.upper() for v in dict.fromkeys(values) if identifiers(v) == [v.upper()]]
        if not wanted:
            return {}
        query = " OR ".join(f'"{v}"' for v in wanted)
        held: dict[str, list[str]] = {}
        for row in self._run(cypher.load("identifier_chunks"), query=query, groups=_groups(access)):
            for value in set(row["identifiers"].split()) & set(wanted):
                if len(held.setdefault(value, [])) < limit:
                    held[value].append(row["id"])
        return {v: held[v] for v in wanted if v in held}

    def entity_candidates(self, phrases: Sequence[str], access: Access, limit: int = 50) -> list[Entity]:
        ranked: dict[str, tuple[int, float]] = {}
        for phrase in phrases:
            match = fts_query(phrase)
            if match is None:
                continue
            rows = self._run(
                cypher.load("entity_candidates"),
                query=match,
                candidates=limit * 20,
                limit=limit * 4,
                groups=_groups(access),
            )
            best: dict[str, tuple[int, float]] = {}
            wanted = phrase.strip().lower()
            for row in rows:
                key = (0 if row["alias"].lower() == wanted else 1, -float(row["score"]))
                if row["entity_id"] not in best or key < best[row["entity_id"]]:
                    best[row["entity_id"]] = key
            for entity_id, key in sorted(best.items(), key=lambda item: (item[1], item[0]))[:limit]:
                if entity_id not in ranked or key < ranked[entity_id]:
                    ranked[entity_id] = key
        return self.entities(sorted(ranked, key=lambda i: (ranked[i], i)), access)

    def entities(self, entity_ids: Sequence[str], access: Access) -> list[Entity]:
        ids = list(dict.fromkeys(entity_ids))
        if not ids:
            return []
        groups = _groups(access)
        stored = {r["id"]: (r["name"], r["type"]) for r in self._run(cypher.load("entities_stored"), ids=ids)}
        forms: dict[str, list[tuple[str, int]]] = {}
        for r in self._run(cypher.load("entity_forms"), ids=ids, groups=groups):
            forms.setdefault(r["entity_id"], []).append((r["text"], r["uses"]))
        frequency = {
            r["entity_id"]: r["frequency"] for r in self._run(cypher.load("entity_frequency"), ids=ids, groups=groups)
        }
        related = (
            {r["id"] for r in self._run(cypher.load("entity_related"), ids=ids, groups=groups)}
            if access.groups is not None
            else set()
        )
        views = (
            entity_view(i, stored[i], forms.get(i, []), frequency.get(i, 0), i in related, access.groups is not None)
            for i in ids
            if i in stored
        )
        return [view for view in views if view is not None]

    def expand(
        self,
        entity_ids: Sequence[str],
        chunk_ids: Sequence[str],
        hops: int,
        access: Access,
        limit: int = 2000,
    ) -> Subgraph:
        groups = _groups(access)

        def column(name: str, key: str) -> Callable[[list[str]], list[str]]:
            return lambda ids: [r[key] for r in self._run(cypher.load(name), ids=ids, groups=groups)]

        entity_depth, chunk_set = neighbourhood(
            [e.id for e in self.entities(entity_ids, access)],
            [c.id for c in self.chunks(chunk_ids, access)],
            hops,
            limit,
            chunks_of=column("expand_entity_chunks", "chunk_id"),
            neighbours_of=column("expand_entity_neighbours", "id"),
            entities_in=column("expand_chunk_entities", "id"),
        )
        entities = {e.id: e for e in self.entities(list(entity_depth), access)}
        ids = sorted(entities)
        relations = tuple(self._relation(r) for r in self._run(cypher.load("expand_relations"), ids=ids, groups=groups))
        mentions = tuple(
            Mention(r["entity_id"], r["doc_id"], r["chunk_id"], r["start"], r["stop"], r["text"])
            for r in self._run(cypher.load("expand_mentions"), ids=ids, chunks=sorted(chunk_set), groups=groups)
        )
        return Subgraph(entities, relations, mentions)

    def chunk_count(self, access: Access) -> int:
        return int(self._run(cypher.load("chunk_count"), groups=_groups(access))[0]["chunks"])

    def stats(self) -> StoreStats:
        row = self._run(cypher.load("stats"))[0]
        return StoreStats(row["documents"], row["chunks"], row["entities"], row["mentions"], row["relations"])

    # -- principals -----------------------------------------------------------------------------------------

    def put_principal(self, principal: Principal) -> None:
        p = principal
        self._run(
            cypher.load("principal_put"),
            write=True,
            name=p.name,
            groups=list(p.groups),
            roles=list(p.roles),
            key_id=p.key_id,
            key_hash=p.key_hash,
            created=p.created,
        )

    def principal(self, name: str) -> Principal | None:
        rows = self._run(cypher.load("principal_get"), name=name)
        return self._principal(rows[0]["principal"]) if rows else None

    def principal_by_key(self, key_id: str) -> Principal | None:
        rows = self._run(cypher.load("principal_by_key"), key_id=key_id)
        return self._principal(rows[0]["principal"]) if rows else None

    def principals(self) -> list[Principal]:
        return [self._principal(row["principal"]) for row in self._run(cypher.load("principals_list"))]

    def remove_principal(self, name: str) -> bool:
        return bool(self._run(cypher.load("principal_remove"), write=True, name=name)[0]["removed"])

    @contextmanager
    def writer(self, waiting: Callable[[str], None]) -> Iterator[None]:
        """A lock node (``:KgragLock``) held on a lease that a thread renews while the block runs, so that a
        writer that dies without releasing it holds it at most ``WRITER_LEASE_SECONDS`` longer."""
        owner = f"pid {os.getpid()} on {socket.gethostname()} ({uuid.uuid4().hex[:8]})"
        lease = {"name": WRITER_LOCK, "owner": owner, "lease": WRITER_LEASE_SECONDS * 1000}
        told = False
        while not (row := self._run(cypher.load("writer_lock_take"), write=True, **lease)[0])["taken"]:
            if not told:
                waiting(row["owner"])
                told = True
            time.sleep(WRITER_POLL_SECONDS)
        done = threading.Event()

        def renew() -> None:
            while not done.wait(WRITER_LEASE_SECONDS / 3):
                try:
                    self._run(cypher.load("writer_lock_renew"), write=True, **lease)
                except StoreError as e:
                    log.warning("cannot renew the writer lock on %s: %s", self.uri, e)

        renewing = threading.Thread(target=renew, name="kgrag-writer-lease", daemon=True)
        renewing.start()
        try:
            yield
        finally:
            done.set()
            renewing.join()
            self._run(cypher.load("writer_lock_release"), write=True, name=WRITER_LOCK, owner=owner)

    def close(self) -> None:
        self._driver.close()

    # -- internals ------------------------------------------------------------------------------------------

    def _server_info(self) -> ServerInfo:
        rows = self._run(cypher.load("server_version"))
        kernel = next((r for r in rows if r["name"] == "Neo4j Kernel"), rows[0] if rows else None)
        if kernel is None:
            raise StoreError(f"{self.uri}: the server did not report its version")
        return ServerInfo(parse_version(kernel["version"]), kernel["edition"])

    def _dimension(self) -> int | None:
        rows = self._run(cypher.load("meta_embeddings"))
        return rows[0]["dimension"] if rows else None

    def _ensure_vector_index(self, dimension: int, model: str | None, doc_id: str) -> None:
        """Fix the store's dimension and embedding model on first write and build the vector index for them
        (schema changes cannot share a transaction with data writes, so this runs before the document's); once per
        store and model, as neither changes while the store is open."""
        if self._indexed == (dimension, model):
            return
        [stored] = self._run(cypher.load("meta_set_embeddings"), dimension=int(dimension), model=model, write=True)
        if stored["dimension"] != dimension:
            raise StoreError(
                f"document {doc_id!r}: embeddings have {dimension} dimensions but this store holds "
                f"{stored['dimension']}; use the embedding model the store was built with"
            )
        if model is not None and stored["embedding_model"] != model:
            raise StoreError(
                f"document {doc_id!r}: embeddings come from {model!r} but this store holds "
                f"{stored['embedding_model']!r}'s; use the embedding model the store was built with"
            )
        if not self._run(cypher.load("schema/index_info"), name=VECTOR_INDEX):
            statement = self._vector_index_statement
            if "__DIMENSIONS__" in cypher.load(statement):
                self._run(cypher.with_integer(statement, "__DIMENSIONS__", int(dimension), 1, 4096), write=True)
            else:
                self._run(cypher.load(statement), dimensions=int(dimension), write=True)
        self._run(cypher.load("schema/await_index"), name=VECTOR_INDEX, seconds=INDEX_WAIT_SECONDS)
        self._indexed = (dimension, model)

    def _oversampled(
        self, statement: str, name: str, items: list[Any], k: int, access: Access
    ) -> list[list[dict[str, Any]]]:
        """Run a batched top-k index query (``items`` as the list parameter ``name``; rows carry their item's
        ``row``), widening the index's candidate list for the items with fewer than ``k`` readable rows until they
        have ``k`` or the index has nothing more to give. Rows of each item come back best first."""
        results: list[list[dict[str, Any]]] = [[] for _ in items]
        pending = list(range(len(items)))
        candidates = max(4 * k, 50)
        total: int | None = None
        while pending:
            rows = self._run(
                statement, k=k, candidates=candidates, groups=_groups(access), **{name: [items[i] for i in pending]}
            )
            by_row: dict[int, list[dict[str, Any]]] = {}
            for r in rows:
                by_row.setdefault(int(r["row"]), []).append(r)
            for position, item in enumerate(pending):
                results[item] = sorted(by_row.get(position, []), key=lambda r: (-float(r["score"]), r["id"]))
            if access.groups is None:
                break
            total = total if total is not None else self.chunk_count(Access.unrestricted())
            if candidates >= total:
                break
            pending = [i for i in pending if len(results[i]) < k]
            candidates *= 4
        return results

    def _remove(self, tx: Any, doc_id: str) -> list[str]:
        tx.run(cypher.load("document_remove_relations"), doc_id=doc_id).consume()
        row = tx.run(cypher.load("document_remove"), doc_id=doc_id).single()
        return list(row["touched"]) if row else []

    def _refresh_entities(self, tx: Any, entity_ids: Sequence[str]) -> None:
        for ids in _batches(list(entity_ids)):
            tx.run(cypher.load("entities_refresh"), ids=list(ids)).consume()

    def _write(self, work: Callable[[Any], T], what: str) -> T:
        """One managed write transaction: retried by the driver on transient errors, rolled back on any other."""
        try:
            with self._driver.session(database=self.database) as session:
                return session.execute_write(work)
        except self._errors as e:
            raise StoreError(f"{self.uri}: writing {what} failed: {e}") from e

    def _run(self, statement: str, write: bool = False, **params: Any) -> list[dict[str, Any]]:
        routing = self._neo4j.RoutingControl.WRITE if write else self._neo4j.RoutingControl.READ
        try:
            records = self._driver.execute_query(
                statement, parameters_=params, database_=self.database, routing_=routing
            ).records
        except self._errors as e:
            raise StoreError(f"{self.uri}: query failed: {e}") from e
        return [record.data() for record in records]

    @staticmethod
    def _document(row: dict[str, Any]) -> Document:
        return Document(
            row["id"],
            row["source"],
            row["title"],
            row["media_type"],
            row["content_hash"],
            row["text"],
            tuple(sorted(row["groups"] or ())),
            json.loads(row["metadata"] or "{}"),
        )

    @staticmethod
    def _principal(row: dict[str, Any]) -> Principal:
        return Principal(
            row["name"], tuple(row["groups"]), tuple(row["roles"]), row["key_id"], row["key_hash"], row["created"]
        )

    @staticmethod
    def _relation(row: dict[str, Any]) -> Relation:
        provenance = Provenance(
            row["doc_id"],
            row["chunk_id"],
            row["start"],
            row["stop"],
            row["extractor"],
            row["extractor_version"],
            row["confidence"],
        )
        return Relation(row["subject_id"], row["predicate"], row["object_id"], provenance)
