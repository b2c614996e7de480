"""The embedded store: the shared contract, plus what only a file-based store promises."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from kg.errors import StoreError
from kg.model import Access, Principal
from kg.sqlite_store import SCHEMA_VERSION, SQLiteStore
from kg.text import fts_query
from tests.contract.store_contract import StoreContract, make_graph


class TestSQLiteStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> SQLiteStore:
        store = SQLiteStore(tmp_path / "graph.db")
        yield store
        store.close()

    @pytest.fixture
    def same_store(self, store: SQLiteStore) -> SQLiteStore:
        again = SQLiteStore(store.path)
        yield again
        again.close()


def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "graph.db"
    store = SQLiteStore(path)
    store.write_document(StoreContract().acquisition())
    store.close()
    reopened = SQLiteStore(path)
    assert reopened.document_version("press") == "v1"
    assert reopened.stats().chunks == 2
    reopened.close()


def test_erased_text_leaves_no_bytes_in_the_store_files(tmp_path: Path) -> None:
    marker = "Zyxwvutsrq-marker-8271"
    store = SQLiteStore(tmp_path / "graph.db")
    store.write_document(StoreContract().acquisition())
    secret = make_graph(
        "secret",
        [f"The codename {marker} appears in {marker} filings.", "Nothing else is here."],
        {marker: ("ORG", [marker])},
        dim=StoreContract.DIM,
        groups=("board",),
        title=f"About {marker}",
        seed=5,
    )
    store.write_document(secret)
    traces = {
        "text": marker.encode(),
        "index entry": marker.split("-")[0].lower().encode(),
        "document id": b"secret",
        **{f"chunk id {c.index}": c.id.encode() for c in secret.chunks},
        **{f"embedding {i}": vector.tobytes()[:32] for i, vector in enumerate(secret.embeddings)},
    }
    for what, trace in traces.items():
        assert any(trace in p.read_bytes() for p in tmp_path.iterdir()), f"the test's {what} was never written"
    assert store.delete_document("secret")
    store.close()
    for path in tmp_path.iterdir():
        data = path.read_bytes()
        for what, trace in traces.items():
            assert trace not in data, f"{path.name} still holds the erased {what}"


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('Who "acquired" NEAR(Nordlys*) OR Bio?') == '"acquired" OR "near" OR "nordlys" OR "bio"'
    assert fts_query("the of ?!") is None


def test_a_store_without_the_identifier_index_is_migrated_and_filled(tmp_path: Path) -> None:
    """A schema-3 store (before the identifier index) gets the table on open, filled from its stored chunks."""
    path = tmp_path / "graph.db"
    store = SQLiteStore(path)
    graph = make_graph("matters", ["Matter M-1057 billed 412.5 hours."], {}, dim=StoreContract.DIM)
    store.write_document(graph)
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE chunk_identifiers")
        db.execute("PRAGMA user_version = 3")
    reopened = SQLiteStore(path)
    assert reopened.identifier_chunks(["M-1057"], Access.unrestricted()) == {"M-1057": [graph.chunks[0].id]}
    reopened.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer"):
        SQLiteStore(path)


def test_embedding_dimension_is_fixed_per_store(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "graph.db")
    store.write_document(StoreContract().acquisition())
    other = make_graph(
        "other",
        ["Another sentence about Nordlys Bio."],
        {"Nordlys Bio": ("ORG", ["Nordlys Bio"])},
        dim=StoreContract.DIM * 2,
    )
    with pytest.raises(StoreError, match="dimensions"):
        store.write_document(other)
    assert store.get_document("other", Access.unrestricted()) is None
    store.close()


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open store"):
        SQLiteStore(path)


def test_a_version_2_store_gains_the_principal_registry(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    SQLiteStore(path).close()
    with closing(sqlite3.connect(path)) as db:
        db.execute("DROP TABLE principals")
        db.execute("PRAGMA user_version = 3")
        db.commit()
    store = SQLiteStore(path)
    principal = Principal("alice", ("public",), ("reader",), "k1", "scrypt:h", "2026-01-01T00:00:00")
    store.put_principal(principal)
    assert store.principals() == [principal]
    store.close()
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
