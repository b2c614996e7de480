"""Migration between stores on the project's data/: nothing lost, provenance intact, the same answers.

The embedded-to-embedded round trip always runs; the round trip through Neo4j, and the check that both backends
return the same supporting documents, run when ``NEO4J_URI`` is set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
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
from kgrag.settings import Settings

DATA = Path(__file__).resolve().parent.parent / "data"
SETTINGS = Settings(domain=str(DATA / "domain" / "pharma.json"))
ALL = Access.unrestricted()

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeGraph]:
    path = tmp_path_factory.mktemp("migrate") / "source.db"
    kg = KnowledgeGraph.open(path, SETTINGS)
    kg.ingest([DATA / "corpus"])
    kg.ingest([DATA / "restricted"], groups=["board"])
    yield kg
    kg.close()


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


@pytest.mark.neo4j
@pytest.mark.skipif(not os.environ.get("NEO4J_URI"), reason="NEO4J_URI is not set: no Neo4j server to test against")
def test_round_trip_through_neo4j_gives_the_same_graph_and_answers(source: KnowledgeGraph, tmp_path: Path) -> None:
    from kg.neo4j_store import Neo4jStore

    neo = Neo4jStore(os.environ["NEO4J_URI"])
    neo.clear()
    try:
        assert migrate(source.store, neo).complete
        assert_same_graph(source.store, neo)
        back = SQLiteStore(tmp_path / "back.db")
        assert migrate(neo, back).complete
        assert_same_graph(source.store, back)
        back.close()
        questions = json.loads((DATA / "questions.json").read_text(encoding="utf-8"))
        on_neo4j = KnowledgeGraph(neo, SETTINGS)
        for q in questions:
            for groups in (["public"], ["public", "board"]):
                embedded = source.query(q["question"], groups=groups)
                server = on_neo4j.query(q["question"], groups=groups)
                supporting = {str((DATA / path).resolve()) for path in q["supporting"]}
                assert server.status == embedded.status, q["id"]
                found = [{p.source for p in r.passages} & supporting for r in (embedded, server)]
                assert found[0] == found[1], q["id"]
    finally:
        neo.clear()
        neo.close()
