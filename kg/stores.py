"""Choose a store backend from a location: a path is the embedded store, a Bolt URI is Neo4j."""

from __future__ import annotations

from pathlib import Path

from kg.errors import NotFoundError, StoreError
from kg.store import GraphStore
from kg.vector_index import VectorIndexConfig

NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


def is_neo4j_uri(location: str) -> bool:
    return location.startswith(NEO4J_SCHEMES)


def open_store(
    location: str | Path,
    *,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
    create: bool = True,
    vector_index: VectorIndexConfig | None = None,
) -> GraphStore:
    """Open the store at ``location``, creating an embedded one that does not exist only when ``create``: reading
    a mistyped path must say so rather than answer from an empty store.

    ``vector_index`` tunes the embedded store's index (Neo4j uses its own). For Neo4j, credentials and the database
    default to ``NEO4J_USER``, ``NEO4J_PASSWORD`` and ``NEO4J_DATABASE``.
    """
    location = str(location)
    if is_neo4j_uri(location):
        from kg.neo4j_store import Neo4jStore

        return Neo4jStore(location, user=user, password=password, database=database)
    if "://" in location:
        raise StoreError(f"unsupported store URI {location!r}: use a file path or one of {', '.join(NEO4J_SCHEMES)}")
    if not create and location != ":memory:" and not Path(location).is_file():
        raise NotFoundError(f"no store at {location}: ingest into it first (kgrag ingest ... --store {location})")
    from kg.sqlite_store import SQLiteStore

    return SQLiteStore(location, vector_index)
