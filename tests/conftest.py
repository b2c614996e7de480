"""Shared fixtures and the Neo4j rule: tests marked ``neo4j`` run against ``NEO4J_URI`` and skip without it,
except in CI (``CI=true``) or with ``KGRAG_REQUIRE_NEO4J=1``, where a skipped Neo4j test fails the run: CI
must prove the Neo4j backend, not skip it. ``make test`` starts a test server for them (tests/with-neo4j.sh)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from kg.neo4j_store import Neo4jStore
    from kg.store import GraphStore
    from kgrag.api import KnowledgeGraph

NO_SERVER = "NEO4J_URI is not set: no Neo4j server to test against"
DATA = Path(__file__).resolve().parent.parent / "data"


def neo4j_required() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("KGRAG_REQUIRE_NEO4J") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    expected_failure = hasattr(report, "wasxfail")
    if report.skipped and not expected_failure and item.get_closest_marker("neo4j") is not None and neo4j_required():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"a Neo4j test skipped where Neo4j is required (CI or KGRAG_REQUIRE_NEO4J=1): {reason}"


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[Neo4jStore]:
    """One connection to the test server for the whole run; kgrag's nodes are cleared before and after."""
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip(NO_SERVER)
    from kg.neo4j_store import Neo4jStore

    store = Neo4jStore(uri)
    store.clear()
    yield store
    store.clear()
    store.close()


@pytest.fixture
def neo(neo4j_server: Neo4jStore) -> Neo4jStore:
    """The Neo4j store, emptied for this test."""
    neo4j_server.clear()
    return neo4j_server


@pytest.fixture(scope="session")
def data_graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeGraph]:
    """data/corpus (public) and data/restricted (board) in an embedded store, ingested once for every suite that
    reads them as they are; suites that ingest otherwise build their own."""
    from kgrag.api import KnowledgeGraph
    from kgrag.settings import Settings

    kg = KnowledgeGraph.open(
        tmp_path_factory.mktemp("data") / "graph.db", Settings(domain=str(DATA / "domain" / "pharma.json"))
    )
    assert not kg.ingest([DATA / "corpus"]).failed
    assert not kg.ingest([DATA / "restricted"], groups=["board"]).failed
    yield kg
    kg.close()


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """An empty store of each backend, for suites that read through the protocol and must agree on both."""
    if request.param == "neo4j":
        yield request.getfixturevalue("neo")
        return
    from kg.sqlite_store import SQLiteStore

    store = SQLiteStore(tmp_path / "graph.db")
    yield store
    store.close()
