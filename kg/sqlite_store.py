"""The embedded store: one SQLite file holding the whole graph, its full-text indexes and its embeddings.

Visibility is decided inside every query by one SQL condition over ``document_groups`` (see ``_VISIBLE``), so a
restricted caller's reads never touch rows they may not see. Erasure is real: ``secure_delete`` zeroes freed
pages, full-text indexes are merged after a deletion, and the write-ahead log is truncated.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

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
from kg.vector_index import VectorIndexConfig, Vectors, assign, cell_blobs, train

log = logging.getLogger(__name__)

SCHEMA_VERSION = 5
PRINCIPALS_TABLE = """CREATE TABLE IF NOT EXISTS principals (
    name TEXT PRIMARY KEY, groups TEXT NOT NULL, roles TEXT NOT NULL, key_id TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL, created TEXT NOT NULL)"""
_IDENTIFIER_TABLE = (
    "CREATE TABLE IF NOT EXISTS chunk_identifiers (value TEXT NOT NULL, chunk_id TEXT NOT NULL, "
    "doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE, idx INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS chunk_identifiers_value ON chunk_identifiers(value, doc_id)",
    "CREATE INDEX IF NOT EXISTS chunk_identifiers_doc ON chunk_identifiers(doc_id)",
)
# The vector index's centroids (kg/vector_index.py); each chunk row holds the number of its cell.
_CELLS_TABLE = "CREATE TABLE IF NOT EXISTS vector_cells (cell INTEGER PRIMARY KEY, centroid BLOB NOT NULL)"
# Statements that bring a store written by an older kgrag to the version after each key; run in order on open.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: ("ALTER TABLE documents DROP COLUMN ingested_at",),
    2: (PRINCIPALS_TABLE,),
    # The exact identifier index, filled from the stored chunks (kgrag_identifiers is kg.text.identifiers).
    3: (
        *_IDENTIFIER_TABLE,
        "INSERT INTO chunk_identifiers SELECT j.value, c.id, c.doc_id, c.idx FROM chunks c, "
        "json_each(kgrag_identifiers(c.text)) j",
    ),
    # The vector index: no chunk has a cell yet, so searches scan every row until the next write trains the cells.
    4: ("ALTER TABLE chunks ADD COLUMN cell INTEGER", _CELLS_TABLE),
}
SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, media_type TEXT NOT NULL,
    content_hash TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS document_groups (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE, grp TEXT NOT NULL, PRIMARY KEY (doc_id, grp));
CREATE INDEX IF NOT EXISTS document_groups_grp ON document_groups(grp, doc_id);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
    embedding BLOB NOT NULL, cell INTEGER);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, idx);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5(text, title, tokenize = 'porter unicode61');
CREATE TABLE IF NOT EXISTS entities (id TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mentions (
    entity_id TEXT NOT NULL REFERENCES entities(id), doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    chunk_id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS mentions_entity ON mentions(entity_id, doc_id);
CREATE INDEX IF NOT EXISTS mentions_chunk ON mentions(chunk_id);
CREATE INDEX IF NOT EXISTS mentions_doc ON mentions(doc_id);
CREATE TABLE IF NOT EXISTS aliases (
    entity_id TEXT NOT NULL, doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE, alias TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS aliases_doc ON aliases(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS alias_fts USING fts5(alias, tokenize = 'unicode61');
CREATE TABLE IF NOT EXISTS relations (
    subject_id TEXT NOT NULL, predicate TEXT NOT NULL, object_id TEXT NOT NULL,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE, chunk_id TEXT NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, extractor TEXT NOT NULL, extractor_version TEXT NOT NULL,
    confidence REAL NOT NULL);
CREATE INDEX IF NOT EXISTS relations_subject ON relations(subject_id);
CREATE INDEX IF NOT EXISTS relations_object ON relations(object_id);
CREATE INDEX IF NOT EXISTS relations_doc ON relations(doc_id);
"""
    + PRINCIPALS_TABLE
    + ";\n"
    + _CELLS_TABLE
    + ";\n"
    + "".join(f"{statement};\n" for statement in _IDENTIFIER_TABLE)
)

# True when the row's document shares a group with the caller; :groups is a JSON list, or NULL for unrestricted.
_VISIBLE = (
    "(:groups IS NULL OR {col} IN (SELECT doc_id FROM document_groups "
    "WHERE grp IN (SELECT value FROM json_each(:groups))))"
)
_IDS = "(SELECT value FROM json_each(:{name}))"


def _visible(col: str) -> str:
    return _VISIBLE.format(col=col)


def _ids(name: str) -> str:
    return _IDS.format(name=name)


def _groups_param(access: Access) -> str | None:
    return None if access.groups is None else json.dumps(sorted(access.groups))


class SQLiteStore:
    """The default store: no server, one file, transactional per document."""

    def __init__(self, path: str | Path, index: VectorIndexConfig | None = None) -> None:
        self.path = str(path)
        self.index = index or VectorIndexConfig()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA secure_delete = ON")
            self._db.create_function("kgrag_identifiers", 1, lambda text: json.dumps(identifiers(text or "")))
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode = WAL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path}: store schema {version} is newer than this kgrag ({SCHEMA_VERSION})")
            if self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                with _Transaction(self._db):
                    for step in range(version, SCHEMA_VERSION):
                        for statement in MIGRATIONS.get(step, ()):
                            self._db.execute(statement)
            self._db.executescript(SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: cannot open store: {e}") from e
        self._lock = threading.RLock()
        self._writer = threading.Lock()  # an in-memory store's writer lock; a file's is a lock file beside it
        self._matrix: Vectors | None = None
        # Per caller's groups, which rows of the matrix they may read; dropped with the matrix and on any group
        # change, and both are dropped when another connection commits (``PRAGMA data_version`` moves).
        self._masks: dict[str | None, np.ndarray] = {}
        self._data_version = self._db.execute("PRAGMA data_version").fetchone()[0]

    # -- writes ---------------------------------------------------------------------------------------------

    def write_document(self, graph: DocumentGraph) -> None:
        validate_graph(graph)
        doc = graph.document
        with self._lock, self._transaction():
            if graph.chunks:
                self._set_embeddings(graph.embeddings.shape[1], graph.embedding_model, doc.id)
            orphans = self._remove_derived(doc.id)
            cells = self._cells_of(graph.embeddings) if graph.chunks else []
            self._db.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    doc.id,
                    doc.source,
                    doc.title,
                    doc.media_type,
                    doc.content_hash,
                    doc.text,
                    json.dumps(dict(doc.metadata), sort_keys=True),
                ),
            )
            self._db.executemany("INSERT INTO document_groups VALUES (?, ?)", [(doc.id, g) for g in set(doc.groups)])
            for chunk, vector, cell in zip(graph.chunks, graph.embeddings, cells, strict=True):
                cursor = self._db.execute(
                    "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        chunk.id,
                        doc.id,
                        chunk.index,
                        chunk.start,
                        chunk.end,
                        chunk.text,
                        np.asarray(vector, dtype=np.float32).tobytes(),
                        cell,
                    ),
                )
                self._db.execute(
                    "INSERT INTO chunk_fts(rowid, text, title) VALUES (?, ?, ?)",
                    (cursor.lastrowid, chunk.text, doc.title),
                )
                self._db.executemany(
                    "INSERT INTO chunk_identifiers VALUES (?, ?, ?, ?)",
                    [(value, chunk.id, doc.id, chunk.index) for value in identifiers(chunk.text)],
                )
            self._db.executemany(
                "INSERT OR IGNORE INTO entities VALUES (?, ?, ?)", [(e.id, e.name, e.type) for e in graph.entities]
            )
            self._db.executemany(
                "INSERT INTO mentions VALUES (?, ?, ?, ?, ?, ?)",
                [(m.entity_id, doc.id, m.chunk_id, m.start, m.end, m.text) for m in graph.mentions],
            )
            aliases = {(m.entity_id, m.text) for m in graph.mentions}
            for entity_id, alias in sorted(aliases):
                cursor = self._db.execute("INSERT INTO aliases VALUES (?, ?, ?)", (entity_id, doc.id, alias))
                self._db.execute("INSERT INTO alias_fts(rowid, alias) VALUES (?, ?)", (cursor.lastrowid, alias))
            self._db.executemany(
                "INSERT INTO relations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.subject_id,
                        r.predicate,
                        r.object_id,
                        doc.id,
                        r.provenance.chunk_id,
                        r.provenance.start,
                        r.provenance.end,
                        r.provenance.extractor,
                        r.provenance.extractor_version,
                        r.provenance.confidence,
                    )
                    for r in graph.relations
                ],
            )
            self._remove_orphans(orphans)
            if graph.chunks:
                self._train_cells()
            self._forget_vectors()

    def delete_document(self, doc_id: str) -> bool:
        with self._lock:
            with self._transaction():
                if self._db.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone() is None:
                    return False
                self._remove_orphans(self._remove_derived(doc_id))
                self._forget_vectors()
            self._scrub()
        return True

    def clear(self) -> None:
        with self._lock:
            with self._transaction():
                self._db.execute("DELETE FROM chunk_fts")
                self._db.execute("DELETE FROM alias_fts")
                for table in (
                    "relations",
                    "mentions",
                    "aliases",
                    "chunk_identifiers",
                    "chunks",
                    "document_groups",
                    "documents",
                ):
                    self._db.execute(f"DELETE FROM {table}")
                self._db.execute("DELETE FROM entities")
                self._db.execute("DELETE FROM vector_cells")
                self._db.execute("DELETE FROM meta WHERE key IN ('dimension', 'embedding_model', 'cells_trained')")
                self._forget_vectors()
            self._scrub()

    def set_groups(self, doc_id: str, groups: Sequence[str]) -> None:
        cleaned = list(clean_groups(groups))
        with self._lock, self._transaction():
            if self._db.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone() is None:
                raise NotFoundError(f"no document {doc_id!r}")
            self._db.execute("DELETE FROM document_groups WHERE doc_id = ?", (doc_id,))
            self._db.executemany("INSERT INTO document_groups VALUES (?, ?)", [(doc_id, g) for g in cleaned])
            self._masks.clear()

    # -- reads ----------------------------------------------------------------------------------------------

    def embedding_model(self) -> str | None:
        with self._lock:
            return self._meta("embedding_model")

    def document_version(self, doc_id: str) -> str | None:
        row = self._one("SELECT content_hash FROM documents WHERE id = ?", (doc_id,))
        return row[0] if row else None

    def get_document(self, doc_id: str, access: Access) -> Document | None:
        rows = self._all(
            f"SELECT * FROM documents WHERE id = :id AND {_visible('id')}",
            {"id": doc_id, "groups": _groups_param(access)},
        )
        return self._documents(rows)[0] if rows else None

    def get_documents(self, doc_ids: Sequence[str], access: Access) -> list[Document]:
        ids = list(dict.fromkeys(doc_ids))
        rows = self._all(
            f"SELECT * FROM documents WHERE id IN {_ids('ids')} AND {_visible('id')}",
            {"ids": json.dumps(ids), "groups": _groups_param(access)},
        )
        found = {d.id: d for d in self._documents(rows)}
        return [found[i] for i in ids if i in found]

    def documents(self, access: Access) -> Iterator[Document]:
        rows = self._all(
            f"SELECT * FROM documents WHERE {_visible('id')} ORDER BY id", {"groups": _groups_param(access)}
        )
        yield from self._documents(rows)

    def document_graph(self, doc_id: str) -> DocumentGraph | None:
        rows = self._all("SELECT * FROM documents WHERE id = ?", (doc_id,))
        if not rows:
            return None
        doc = self._documents(rows)[0]
        chunk_rows = self._all(
            'SELECT id, idx, start, "end", text, embedding FROM chunks WHERE doc_id = ? ORDER BY idx', (doc_id,)
        )
        chunks = tuple(Chunk(r[0], doc_id, r[1], r[2], r[3], r[4]) for r in chunk_rows)
        dim = self._dimension() or 0
        embeddings = (
            np.stack([np.frombuffer(r[5], dtype=np.float32) for r in chunk_rows])
            if chunk_rows
            else np.zeros((0, dim), dtype=np.float32)
        )
        mentions = tuple(
            Mention(r[0], doc_id, r[1], r[2], r[3], r[4])
            for r in self._all(
                'SELECT entity_id, chunk_id, start, "end", text FROM mentions WHERE doc_id = ? ORDER BY rowid',
                (doc_id,),
            )
        )
        relations = tuple(
            Relation(r[0], r[1], r[2], Provenance(doc_id, r[3], r[4], r[5], r[6], r[7], r[8]))
            for r in self._all(
                'SELECT subject_id, predicate, object_id, chunk_id, start, "end", extractor, extractor_version, '
                "confidence FROM relations WHERE doc_id = ? ORDER BY rowid",
                (doc_id,),
            )
        )
        entities = document_entities(
            mentions,
            relations,
            lambda ids: {
                r[0]: (r[1], r[2])
                for r in self._all(
                    f"SELECT id, name, type FROM entities WHERE id IN {_ids('ids')}", {"ids": json.dumps(ids)}
                )
            },
        )
        return DocumentGraph(doc, chunks, embeddings, entities, mentions, relations, self.embedding_model())

    def chunks(self, chunk_ids: Sequence[str], access: Access) -> list[Chunk]:
        rows = self._all(
            f'SELECT id, doc_id, idx, start, "end", text FROM chunks WHERE id IN {_ids("ids")} '
            f"AND {_visible('doc_id')}",
            {"ids": json.dumps(list(chunk_ids)), "groups": _groups_param(access)},
        )
        found = {r[0]: Chunk(*r) for r in rows}
        return [found[i] for i in dict.fromkeys(chunk_ids) if i in found]

    def vector_search(self, vector: np.ndarray, k: int, access: Access) -> list[ChunkHit]:
        return self.vector_searches(np.asarray(vector, dtype=np.float32).reshape(1, -1), k, access)[0]

    def vector_searches(self, vectors: np.ndarray, k: int, access: Access) -> list[list[ChunkHit]]:
        queries = np.asarray(vectors, dtype=np.float32)
        if queries.ndim != 2:
            raise StoreError(f"query vectors must be a matrix (one row a query), got shape {queries.shape}")
        if k < 1 or not len(queries):
            return [[] for _ in queries]
        vectors, readable = self._searchable(access)
        if not vectors.ids:
            return [[] for _ in queries]
        if queries.shape[1] != vectors.matrix.shape[1]:
            held = vectors.matrix.shape[1]
            raise StoreError(f"query vector has {queries.shape[1]} dimensions, the store holds {held}")
        # Access filtering inside the search: only visible rows are scored, and the search reads further cells until
        # k visible hits are found or none is left, so k visible hits come back when k exist.
        return [
            [ChunkHit(vectors.ids[row], score) for row, score in hits]
            for hits in vectors.search(queries, k, readable, self.index.probe)
        ]

    def lexical_search(self, query: str, k: int, access: Access, field: LexicalField = "text") -> list[ChunkHit]:
        if field not in ("text", "title"):
            raise StoreError(f"unknown lexical field {field!r}: use 'text' or 'title'")
        match = fts_query(query)
        if match is None or k < 1:
            return []
        rows = self._all(
            f"SELECT c.id, bm25(chunk_fts) AS score FROM chunk_fts JOIN chunks c ON c.rowid = chunk_fts.rowid "
            f"WHERE chunk_fts MATCH :match AND {_visible('c.doc_id')} ORDER BY score, c.id LIMIT :k",
            {"match": f"{field} : ({match})", "groups": _groups_param(access), "k": k},
        )
        return [ChunkHit(r[0], -float(r[1])) for r in rows]

    def lexical_searches(
        self, queries: Sequence[str], k: int, access: Access, field: LexicalField = "text"
    ) -> list[list[ChunkHit]]:
        with self._lock:
            return [self.lexical_search(query, k, access, field) for query in queries]

    def identifier_chunks(self, values: Sequence[str], access: Access, limit: int = 20) -> dict[str, list[str]]:
        wanted = list(dict.fromkeys(v.upper() for v in values))
        held: dict[str, list[str]] = {}
        for value, chunk_id in self._all(
            f"SELECT value, chunk_id FROM chunk_identifiers WHERE value IN {_ids('ids')} AND {_visible('doc_id')} "
            "ORDER BY value, doc_id, idx",
            {"ids": json.dumps(wanted), "groups": _groups_param(access)},
        ):
            if len(held.setdefault(value, [])) < limit:
                held[value].append(chunk_id)
        return {v: held[v] for v in wanted if v in held}

    def entity_candidates(self, phrases: Sequence[str], access: Access, limit: int = 50) -> list[Entity]:
        ranked: dict[str, tuple[int, float]] = {}
        groups = _groups_param(access)
        for phrase in phrases:
            match = fts_query(phrase)
            if match is None:
                continue
            rows = self._all(
                f"SELECT a.entity_id, a.alias, bm25(alias_fts) AS score FROM alias_fts "
                f"JOIN aliases a ON a.rowid = alias_fts.rowid WHERE alias_fts MATCH :match "
                f"AND {_visible('a.doc_id')} ORDER BY score LIMIT :n",
                {"match": match, "groups": groups, "n": limit * 4},
            )
            best: dict[str, tuple[int, float]] = {}
            wanted = phrase.strip().lower()
            for entity_id, alias, score in rows:
                key = (0 if alias.lower() == wanted else 1, float(score))
                if entity_id not in best or key < best[entity_id]:
                    best[entity_id] = key
            for entity_id, key in sorted(best.items(), key=lambda item: (item[1], item[0]))[:limit]:
                if entity_id not in ranked or key < ranked[entity_id]:
                    ranked[entity_id] = key
        order = sorted(ranked, key=lambda i: (ranked[i], i))
        return self.entities(order, access)

    def entities(self, entity_ids: Sequence[str], access: Access) -> list[Entity]:
        ids = list(dict.fromkeys(entity_ids))
        if not ids:
            return []
        params = {"ids": json.dumps(ids), "groups": _groups_param(access)}
        stored = {
            r[0]: (r[1], r[2])
            for r in self._all(
                f"SELECT id, name, type FROM entities WHERE id IN {_ids('ids')}", params | {"groups": None}
            )
        }
        forms: dict[str, list[tuple[str, int]]] = {}
        frequency: dict[str, int] = {}
        for entity_id, text, count in self._all(
            f"SELECT entity_id, text, COUNT(*) FROM mentions WHERE entity_id IN {_ids('ids')} "
            f"AND {_visible('doc_id')} GROUP BY entity_id, text ORDER BY entity_id, MIN(rowid)",
            params,
        ):
            forms.setdefault(entity_id, []).append((text, count))
        for entity_id, count in self._all(
            f"SELECT entity_id, COUNT(DISTINCT chunk_id) FROM mentions WHERE entity_id IN {_ids('ids')} "
            f"AND {_visible('doc_id')} GROUP BY entity_id",
            params,
        ):
            frequency[entity_id] = count
        related = set()
        if access.groups is not None:
            related = {
                r[0]
                for r in self._all(
                    f"SELECT subject_id FROM relations WHERE subject_id IN {_ids('ids')} AND {_visible('doc_id')} "
                    f"UNION SELECT object_id FROM relations WHERE object_id IN {_ids('ids')} AND {_visible('doc_id')}",
                    params,
                )
            }
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
        groups = _groups_param(access)

        def rows(sql: str, ids: list[str]) -> list[str]:
            return [r[0] for r in self._all(sql, {"ids": json.dumps(ids), "groups": groups})]

        entity_depth, chunk_set = neighbourhood(
            [e.id for e in self.entities(entity_ids, access)],
            [c.id for c in self.chunks(chunk_ids, access)],
            hops,
            limit,
            chunks_of=lambda ids: rows(
                f"SELECT DISTINCT chunk_id FROM mentions WHERE entity_id IN {_ids('ids')} AND {_visible('doc_id')}",
                ids,
            ),
            neighbours_of=lambda ids: rows(
                f"SELECT object_id FROM relations WHERE subject_id IN {_ids('ids')} AND {_visible('doc_id')} "
                f"UNION ALL SELECT subject_id FROM relations WHERE object_id IN {_ids('ids')} "
                f"AND {_visible('doc_id')}",
                ids,
            ),
            entities_in=lambda ids: rows(
                f"SELECT entity_id FROM mentions WHERE chunk_id IN {_ids('ids')} AND {_visible('doc_id')}", ids
            ),
        )
        entities = {e.id: e for e in self.entities(list(entity_depth), access)}
        params = {"ids": json.dumps(sorted(entities)), "chunks": json.dumps(sorted(chunk_set)), "groups": groups}
        relations = tuple(
            Relation(r[0], r[1], r[2], Provenance(*r[3:]))
            for r in self._all(
                'SELECT subject_id, predicate, object_id, doc_id, chunk_id, start, "end", extractor, '
                f"extractor_version, confidence FROM relations WHERE subject_id IN {_ids('ids')} "
                f"AND object_id IN {_ids('ids')} AND {_visible('doc_id')} ORDER BY rowid",
                params,
            )
        )
        mentions = tuple(
            Mention(*r)
            for r in self._all(
                'SELECT entity_id, doc_id, chunk_id, start, "end", text FROM mentions '
                f"WHERE entity_id IN {_ids('ids')} AND chunk_id IN {_ids('chunks')} AND {_visible('doc_id')} "
                "ORDER BY rowid",
                params,
            )
        )
        return Subgraph(entities, relations, mentions)

    def chunk_count(self, access: Access) -> int:
        row = self._one(f"SELECT COUNT(*) FROM chunks WHERE {_visible('doc_id')}", {"groups": _groups_param(access)})
        return int(row[0]) if row else 0

    def stats(self) -> StoreStats:
        counts = [
            self._one(f"SELECT COUNT(*) FROM {table}")[0]
            for table in ("documents", "chunks", "entities", "mentions", "relations")
        ]
        return StoreStats(*counts)

    # -- principals -----------------------------------------------------------------------------------------

    def put_principal(self, principal: Principal) -> None:
        p = principal
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO principals VALUES (?, ?, ?, ?, ?, ?)",
                (p.name, json.dumps(list(p.groups)), json.dumps(list(p.roles)), p.key_id, p.key_hash, p.created),
            )

    def principal(self, name: str) -> Principal | None:
        return self._principal("name", name)

    def principal_by_key(self, key_id: str) -> Principal | None:
        return self._principal("key_id", key_id)

    def principals(self) -> list[Principal]:
        return [_principal(row) for row in self._all(f"{_PRINCIPAL_SELECT} ORDER BY name")]

    def remove_principal(self, name: str) -> bool:
        with self._lock, self._transaction():
            return self._db.execute("DELETE FROM principals WHERE name = ?", (name,)).rowcount > 0

    def _principal(self, column: Literal["name", "key_id"], value: str) -> Principal | None:
        row = self._one(f"{_PRINCIPAL_SELECT} WHERE {column} = ?", (value,))
        return _principal(row) if row else None

    @contextmanager
    def writer(self, waiting: Callable[[str], None]) -> Iterator[None]:
        """An exclusive ``flock`` on ``<store>.lock``, which names its holder; the system releases it when the
        holder's process ends, however it ends."""
        if self.path == ":memory:":
            with self._writer:
                yield
            return
        with open(self.path + ".lock", "a+", encoding="utf-8") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.seek(0)
                waiting(f.read().strip() or "another process")
                fcntl.flock(f, fcntl.LOCK_EX)
            f.seek(0)
            f.truncate()
            f.write(f"pid {os.getpid()} on {socket.gethostname()} since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
            f.flush()
            try:
                yield
            finally:
                f.truncate(0)
                fcntl.flock(f, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- internals ------------------------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def _one(self, sql: str, params: Any = ()) -> tuple[Any, ...] | None:
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as e:
                raise StoreError(f"{self.path}: query failed: {e}") from e

    def _documents(self, rows: Iterable[tuple[Any, ...]]) -> list[Document]:
        rows = list(rows)
        groups: dict[str, list[str]] = {}
        for doc_id, grp in self._all(
            f"SELECT doc_id, grp FROM document_groups WHERE doc_id IN {_ids('ids')} ORDER BY grp",
            {"ids": json.dumps([r[0] for r in rows])},
        ):
            groups.setdefault(doc_id, []).append(grp)
        return [
            Document(r[0], r[1], r[2], r[3], r[4], r[5], tuple(groups.get(r[0], ())), json.loads(r[6])) for r in rows
        ]

    def _searchable(self, access: Access) -> tuple[Vectors, np.ndarray | None]:
        """The stored vectors and which of their rows the caller may read (``None``: all)."""
        with self._lock:
            vectors = self._embeddings()
            if access.groups is None:
                return vectors, None
            key = _groups_param(access)
            if key not in self._masks:
                visible = {r[0] for r in self._all(f"SELECT id FROM documents WHERE {_visible('id')}", {"groups": key})}
                # A set lookup per chunk: np.isin on object arrays sorts them, which cost 37 ms a search on 1,890
                # chunks; the mask is kept until the store changes.
                doc_ids = vectors.doc_ids
                self._masks[key] = np.fromiter((doc in visible for doc in doc_ids), dtype=bool, count=len(doc_ids))
            return vectors, self._masks[key]

    def _embeddings(self) -> Vectors:
        with self._lock:
            version = self._db.execute("PRAGMA data_version").fetchone()[0]
            if version != self._data_version:  # another connection committed: what it wrote is read again
                self._data_version = version
                self._forget_vectors()
            if self._matrix is None:
                rows = self._db.execute("SELECT id, doc_id, embedding, cell FROM chunks ORDER BY rowid").fetchall()
                dim = self._dimension() or 0
                matrix = (
                    np.stack([np.frombuffer(r[2], dtype=np.float32) for r in rows])
                    if rows
                    else np.zeros((0, dim), dtype=np.float32)
                )
                centroids = self._centroids()
                # A cell number without its centroid (a damaged table) is read as no cell: that row is always scanned.
                known = 0 if centroids is None else len(centroids)
                cells = np.array([r[3] if r[3] is not None and r[3] < known else -1 for r in rows], dtype=np.int64)
                doc_ids = np.array([r[1] for r in rows], dtype=object)
                self._matrix = Vectors([r[0] for r in rows], doc_ids, matrix, cells, centroids)
            return self._matrix

    def _centroids(self) -> np.ndarray | None:
        rows = self._db.execute("SELECT cell, centroid FROM vector_cells ORDER BY cell").fetchall()
        if not rows or [r[0] for r in rows] != list(range(len(rows))):
            return None
        return np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])

    def _cells_of(self, embeddings: np.ndarray) -> list[int | None]:
        """The cell of each new chunk vector, or ``None`` while the store has no trained cells."""
        centroids = self._centroids()
        if centroids is None:
            return [None] * len(embeddings)
        return [int(c) for c in assign(np.asarray(embeddings, dtype=np.float32), centroids)]

    def _train_cells(self) -> None:
        """Train the index's cells on every stored vector, in the writing transaction, when the store reaches
        ``min_chunks``, has no cells, or has grown ``retrain_growth`` times since they were trained."""
        count = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        if count < self.index.min_chunks:
            return
        trained = self._meta("cells_trained")
        grown = trained is None or count >= int(trained) * self.index.retrain_growth
        if not grown and self._centroids() is not None:
            return
        rows = self._db.execute("SELECT rowid, embedding FROM chunks ORDER BY rowid").fetchall()
        matrix = np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
        centroids = train(matrix, self.index, seed=count)
        cells = assign(matrix, centroids)
        self._db.execute("DELETE FROM vector_cells")
        self._db.executemany("INSERT INTO vector_cells VALUES (?, ?)", cell_blobs(centroids))
        self._db.executemany(
            "UPDATE chunks SET cell = ? WHERE rowid = ?", [(int(c), r[0]) for c, r in zip(cells, rows, strict=True)]
        )
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('cells_trained', ?)", (str(count),))
        log.info("vector index: %d cells trained on %d chunks", len(centroids), count)

    def _forget_vectors(self) -> None:
        self._matrix = None
        self._masks.clear()

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _dimension(self) -> int | None:
        value = self._meta("dimension")
        return int(value) if value is not None else None

    def _set_embeddings(self, dimension: int, model: str | None, doc_id: str) -> None:
        stored = self._dimension()
        if stored is None:
            self._db.execute("INSERT INTO meta VALUES ('dimension', ?)", (str(dimension),))
        elif stored != dimension:
            raise StoreError(
                f"document {doc_id!r}: embeddings have {dimension} dimensions but this store holds {stored}; "
                "use the embedding model the store was built with"
            )
        if model is None:
            return
        stored_model = self._meta("embedding_model")
        if stored_model is None:
            self._db.execute("INSERT INTO meta VALUES ('embedding_model', ?)", (model,))
        elif stored_model != model:
            raise StoreError(
                f"document {doc_id!r}: embeddings come from {model!r} but this store holds {stored_model!r}'s; "
                "use the embedding model the store was built with"
            )

    def _remove_derived(self, doc_id: str) -> set[str]:
        """Delete a document and all rows derived from it; returns the entities that may now be orphans."""
        touched = {
            r[0]
            for r in self._db.execute(
                "SELECT entity_id FROM mentions WHERE doc_id = ? "
                "UNION SELECT subject_id FROM relations WHERE doc_id = ? "
                "UNION SELECT object_id FROM relations WHERE doc_id = ?",
                (doc_id, doc_id, doc_id),
            )
        }
        self._db.execute("DELETE FROM chunk_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE doc_id = ?)", (doc_id,))
        self._db.execute("DELETE FROM alias_fts WHERE rowid IN (SELECT rowid FROM aliases WHERE doc_id = ?)", (doc_id,))
        for table in ("relations", "mentions", "aliases", "chunk_identifiers", "chunks", "document_groups"):
            self._db.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))
        self._db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        return touched

    def _remove_orphans(self, candidates: set[str]) -> None:
        self._db.execute(
            f"DELETE FROM entities WHERE id IN {_ids('ids')} "
            "AND NOT EXISTS (SELECT 1 FROM mentions WHERE entity_id = entities.id) "
            "AND NOT EXISTS (SELECT 1 FROM relations WHERE subject_id = entities.id OR object_id = entities.id)",
            {"ids": json.dumps(sorted(candidates))},
        )

    def _scrub(self) -> None:
        """Leave no erased bytes behind: merge full-text segments, then empty the write-ahead log."""
        self._db.execute("INSERT INTO chunk_fts(chunk_fts) VALUES ('optimize')")
        self._db.execute("INSERT INTO alias_fts(alias_fts) VALUES ('optimize')")
        if self.path != ":memory:":
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


_PRINCIPAL_SELECT = "SELECT name, groups, roles, key_id, key_hash, created FROM principals"


def _principal(row: tuple[Any, ...]) -> Principal:
    name, groups, roles, key_id, key_hash, created = row
    return Principal(name, tuple(json.loads(groups)), tuple(json.loads(roles)), key_id, key_hash, created)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error: a document is written whole or not at all."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
            return
        self._db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.DatabaseError):
            raise StoreError(f"write failed: {exc}") from exc
