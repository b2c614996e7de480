"""Choose a store backend from a location: a path is the embedded store, a Bolt URI is Neo4j."""

from __future__ import annotations

from pathlib import Path

from kg.errors import StoreError
from kg.store import GraphStore

NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


def is_neo4j_uri(location: str) -> bool:
    return location.startswith(NEO4J_SCHEMES)


def open_store(location: str | Path) -> GraphStore:
    """Open (creating if needed) the store at ``location``."""
    location = str(location)
    if is_neo4j_uri(location):
        raise StoreError(
            f"{location}: the Neo4j store is not available in this version yet; use an embedded store path"
        )
    if "://" in location:
        raise StoreError(f"unsupported store URI {location!r}: use a file path or one of {', '.join(NEO4J_SCHEMES)}")
    from kg.sqlite_store import SQLiteStore

    return SQLiteStore(location)
