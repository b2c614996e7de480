"""Migration between stores on the project's data/: nothing lost, provenance intact, the same answers.

The embedded-to-embedded round trip is here; the round trip through Neo4j, and the check that both backends give
the same answers, are in tests/test_neo4j_data.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kg.migrate import migrate
from kg.model import Access
from kg.sqlite_store import SQLiteStore
from kg.store import GraphStore
from kgrag.api import KnowledgeGraph
from kgrag.cli import cli

ALL = Access.unrestricted()

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def source(data_graph: KnowledgeGraph) -> KnowledgeGraph:
    return data_graph


def assert_same_graph(a: GraphStore, b: GraphStore) -> None:
    assert a.stats() == b.stats()
    ids = [d.id for d in a.documents(ALL)]
    assert ids == [d.id for d in b.documents(ALL)]
    for doc_id in ids:
        left, right = a.document_graph(doc_id), b.document_graph(doc_id)
        assert left is not None and right is not None
        assert left.document == right.document
        assert left.chunks == right.chunks
        np.testing.assert_allclose(left.embeddings, right.embeddings, rtol=1e-6)
        assert sorted(left.mentions, key=repr) == sorted(right.mentions, key=repr)
        assert sorted(left.relations, key=repr) == sorted(right.relations, key=repr)
        assert sorted(left.entities, key=repr) == sorted(right.entities, key=repr)


def test_round_trip_between_embedded_stores(source: KnowledgeGraph, tmp_path: Path) -> None:
    target = SQLiteStore(tmp_path / "copy.db")
    report = migrate(source.store, target)
    assert report.complete and report.documents == source.stats().documents
    assert_same_graph(source.store, target)
    again = migrate(source.store, target)
    assert again.complete, "migrating twice changes nothing"
    target.close()


def test_migrate_command(source: KnowledgeGraph, tmp_path: Path) -> None:
    source_path = source.store.path
    result = CliRunner().invoke(cli, ["migrate", "--from", source_path, "--to", str(tmp_path / "cli.db"), "--json"])
    assert result.exit_code == 0, result.output
    assert '"complete": true' in result.stdout
