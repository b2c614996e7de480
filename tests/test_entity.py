"""``kgrag entity``: a visible entity, its relations with provenance and its neighbours, within the caller's groups."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.errors import NotFoundError
from kg.sqlite_store import SQLiteStore
from kg.store import GraphStore
from kgrag.api import KnowledgeGraph
from kgrag.cli import cli
from tests.test_export import NAME, _Fixtures


@pytest.fixture
def store_path(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "graph.db"
    store = SQLiteStore(path)
    fixtures = _Fixtures()
    store.write_document(fixtures.acquisition())
    store.write_document(fixtures.memo())
    store.close()
    yield path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture
def kg(any_store: GraphStore) -> KnowledgeGraph:
    fixtures = _Fixtures()
    any_store.write_document(fixtures.acquisition())
    any_store.write_document(fixtures.memo())
    return KnowledgeGraph(any_store)


def test_entity_with_relations_provenance_and_neighbours(kg: KnowledgeGraph) -> None:
    report = kg.entity("nordlys bio")
    assert (report.entity.name, report.entity.type) == ("Nordlys Bio", "ORG")
    found = [(r.triple.subject, r.triple.predicate, r.triple.object, r.triple.doc_id, r.text) for r in report.relations]
    assert found == [
        (
            "Halvorsen Therapeutics",
            "acquire",
            "Nordlys Bio",
            "press",
            "Halvorsen Therapeutics acquired Nordlys Bio in 2019.",
        ),
        ("Nordlys Bio", "develop", "Veltrazumab", "press", "Nordlys Bio developed Veltrazumab."),
    ]
    assert {r.triple.content_hash for r in report.relations} == {"v1"}
    assert [n.name for n in report.neighbours] == ["Halvorsen Therapeutics", "Veltrazumab"]


def test_a_restricted_caller_sees_only_its_groups(kg: KnowledgeGraph) -> None:
    public = kg.entity("Halvorsen Therapeutics", groups=["public"])
    board = kg.entity("Halvorsen Therapeutics", groups=["public", "board"])
    with pytest.raises(NotFoundError):
        kg.entity("Nevoxil", groups=["public"])
    with pytest.raises(NotFoundError):
        kg.entity("Halvorsen", groups=["public"])  # an alias only the board memo uses
    assert public.entity.aliases == ("Halvorsen Therapeutics",)
    assert [r.triple.predicate for r in public.relations] == ["acquire"]
    assert "Vesper Neurosciences" not in json.dumps(public.to_dict())
    assert [r.triple.predicate for r in board.relations] == ["acquire", "plan_acquire"]
    assert {n.name for n in board.neighbours} == {"Nordlys Bio", "Vesper Neurosciences"}


def test_the_cli_prints_text_and_json(store_path: Path) -> None:
    code, text = run("entity", "Veltrazumab", "--store", str(store_path))
    assert code == 0
    assert "Veltrazumab (DRUG)" in text and "Nordlys Bio -[develop]-> Veltrazumab" in text
    assert "> Nordlys Bio developed Veltrazumab." in text
    code, out = run("entity", "Veltrazumab", "--store", str(store_path), "--json")
    assert code == 0 and json.loads(out)["relations"][0]["start"] == 53


def test_an_unknown_entity_is_one_line_with_suggestions(store_path: Path) -> None:
    code, text = run("entity", "Nordlys", "--store", str(store_path), "--groups", "public")
    assert code == 1
    assert text.strip() == "Error: no entity 'Nordlys'; did you mean: Nordlys Bio"


def test_a_person_is_masked_without_clearance(any_store: GraphStore) -> None:
    any_store.write_document(_Fixtures().person())
    kg = KnowledgeGraph(any_store)
    masked = kg.entity("Nordlys Bio", groups=["public"])
    cleared = kg.entity("Nordlys Bio", groups=["public", "pii"])
    assert [n.name for n in cleared.neighbours] == [NAME] and NAME in cleared.relations[0].text
    assert [n.name for n in masked.neighbours] == ["[PERSON]"]
    assert NAME not in json.dumps(masked.to_dict())
