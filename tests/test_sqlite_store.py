"""The embedded store: the shared contract, plus what only a file-based store promises."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kg.errors import StoreError
from kg.model import Access, DocumentGraph, Principal
from kg.sqlite_store import SCHEMA_VERSION, SQLiteStore
from kg.text import fts_query
from kg.vector_index import VectorIndexConfig
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
        db.execute("DROP TABLE vector_cells")
        db.execute("ALTER TABLE chunks DROP COLUMN cell")
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
        db.execute("DROP TABLE vector_cells")
        db.execute("ALTER TABLE chunks DROP COLUMN cell")
        db.execute("PRAGMA user_version = 3")
        db.commit()
    store = SQLiteStore(path)
    principal = Principal("alice", ("public",), ("reader",), "k1", "scrypt:h", "2026-01-01T00:00:00")
    store.put_principal(principal)
    assert store.principals() == [principal]
    store.close()
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5


class TestIndexedSQLiteStore(TestSQLiteStore):
    """The whole contract again with the vector index trained from the first few chunks on."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> SQLiteStore:
        store = SQLiteStore(tmp_path / "graph.db", INDEXED)
        yield store
        store.close()

    @pytest.fixture
    def same_store(self, store: SQLiteStore) -> SQLiteStore:
        again = SQLiteStore(store.path, INDEXED)
        yield again
        again.close()


INDEXED = VectorIndexConfig(min_chunks=4, probe=0.25)


def clustered_graphs(count: int, seed: int = 0) -> list[DocumentGraph]:
    """``count`` one-chunk documents whose vectors lie around 20 directions, as sentence embeddings do."""
    rng = np.random.default_rng(seed)
    dim = StoreContract.DIM
    centres = rng.standard_normal((20, dim)).astype(np.float32)
    graphs = []
    for n in range(count):
        graph = make_graph(f"d{n:04d}", [f"Passage number {n}."], {}, dim=dim, groups=("public",) if n % 3 else ("x",))
        v = centres[n % 20] + 0.5 * rng.standard_normal((1, dim)).astype(np.float32)
        graphs.append(replace(graph, embeddings=v / np.linalg.norm(v)))
    return graphs


def index_recall(indexed: SQLiteStore, exact: SQLiteStore, queries: np.ndarray, access: Access) -> float:
    found = [
        len({h.chunk_id for h in a} & {h.chunk_id for h in b}) / len(b)
        for a, b in zip(
            indexed.vector_searches(queries, 10, access), exact.vector_searches(queries, 10, access), strict=True
        )
    ]
    return float(np.mean(found))


def test_index_finds_what_a_full_scan_finds_through_deletions_and_rewrites(tmp_path: Path) -> None:
    indexed = SQLiteStore(tmp_path / "indexed.db", VectorIndexConfig(min_chunks=100, probe=0.3))
    exact = SQLiteStore(tmp_path / "exact.db")
    graphs = clustered_graphs(600)
    for graph in graphs:
        indexed.write_document(graph)
        exact.write_document(graph)
    with closing(sqlite3.connect(indexed.path)) as db:
        cells = db.execute("SELECT count(*) FROM vector_cells").fetchone()[0]
        assert cells > 5 and db.execute("SELECT count(*) FROM chunks WHERE cell IS NULL").fetchone()[0] == 0
    queries = np.stack([g.embeddings[0] for g in graphs[::7]]) + 0.05
    for access in (Access.unrestricted(), Access.of(["x"])):
        assert index_recall(indexed, exact, queries, access) >= 0.95
        for a, b in zip(
            indexed.vector_searches(queries, 5, access), exact.vector_searches(queries, 5, access), strict=True
        ):
            common = {h.chunk_id: h.score for h in b}
            assert all(h.score == pytest.approx(common[h.chunk_id], abs=1e-6) for h in a if h.chunk_id in common)
    for graph in graphs[::2]:
        assert indexed.delete_document(graph.document.id) and exact.delete_document(graph.document.id)
    moved = replace(graphs[1], embeddings=graphs[3].embeddings, document=replace(graphs[1].document, content_hash="v2"))
    indexed.write_document(moved)
    exact.write_document(moved)
    gone = {c.id for g in graphs[::2] for c in g.chunks}
    hits = indexed.vector_searches(queries, 10, Access.unrestricted())
    assert not gone & {h.chunk_id for row in hits for h in row}
    assert index_recall(indexed, exact, queries, Access.unrestricted()) >= 0.95
    [top, *_] = indexed.vector_search(graphs[3].embeddings[0], 2, Access.unrestricted())
    assert top.score == pytest.approx(1.0, abs=1e-5)
    indexed.close()
    exact.close()


def test_a_write_that_fails_while_training_leaves_the_index_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SQLiteStore(tmp_path / "graph.db", VectorIndexConfig(min_chunks=50))
    graphs = clustered_graphs(50)
    for graph in graphs[:49]:
        store.write_document(graph)

    def crash(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("kg.sqlite_store.train", crash)
    with pytest.raises(StoreError):
        store.write_document(graphs[49])
    monkeypatch.undo()
    with closing(sqlite3.connect(store.path)) as db:
        assert db.execute("SELECT count(*) FROM vector_cells").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM chunks").fetchone()[0] == 49
    [hit] = store.vector_search(graphs[10].embeddings[0], 1, Access.unrestricted())
    assert hit.chunk_id == graphs[10].chunks[0].id
    store.write_document(graphs[49])
    with closing(sqlite3.connect(store.path)) as db:
        assert db.execute("SELECT count(*) FROM vector_cells").fetchone()[0] > 0
        assert db.execute("SELECT count(*) FROM chunks WHERE cell IS NULL").fetchone()[0] == 0
    store.close()


def test_a_store_without_the_index_scans_until_the_next_write_builds_it(tmp_path: Path) -> None:
    """A schema-4 store (before the index), or one whose cells table was lost, is read by a full scan; the next
    write trains the cells from the stored vectors."""
    path = tmp_path / "graph.db"
    store = SQLiteStore(path, VectorIndexConfig(min_chunks=50))
    graphs = clustered_graphs(80)
    for graph in graphs[:79]:
        store.write_document(graph)
    store.close()
    with closing(sqlite3.connect(path)) as db:
        db.execute("DROP TABLE vector_cells")
        db.execute("ALTER TABLE chunks DROP COLUMN cell")
        db.execute("PRAGMA user_version = 4")
        db.commit()
    reopened = SQLiteStore(path, VectorIndexConfig(min_chunks=50))
    query = graphs[5].embeddings[0]
    assert reopened.vector_search(query, 1, Access.unrestricted())[0].chunk_id == graphs[5].chunks[0].id
    reopened.write_document(graphs[79])
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT count(*) FROM vector_cells").fetchone()[0] > 0
        assert db.execute("SELECT count(*) FROM chunks WHERE cell IS NULL").fetchone()[0] == 0
    assert reopened.vector_search(query, 1, Access.unrestricted())[0].chunk_id == graphs[5].chunks[0].id
    reopened.close()
