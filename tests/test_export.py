"""Exports: what a caller may see, in RDF (which ingestion restores), GraphML and CSV, and nothing else."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import astuple, replace
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import Graph

from kg.export import GraphView, read_rdf, to_rdf
from kg.model import DocumentGraph
from kg.sqlite_store import SQLiteStore
from kg.store import GraphStore
from kgrag.api import KnowledgeGraph
from kgrag.cli import cli
from tests.contract.store_contract import StoreContract, make_graph

# What only the board memo says: its title, its relation, its entities and the alias it alone uses.
HIDDEN = ("memo", "Project Aurora", "plan_acquire", "Vesper", "Nevoxil", '"Halvorsen"', "Halvorsen plans")
NAME = "Ingrid Solberg"


def _facts(view: GraphView) -> dict[str, object]:
    """A view's content, independent of the order records were read in."""
    names = {e.id: e.name for e in view.entities}
    return {
        "documents": {(d.id, d.title, d.source, d.content_hash, d.text) for d in view.documents},
        "chunks": {(c.id, c.doc_id, c.index, c.start, c.end, c.text) for c in view.chunks},
        "entities": {(e.id, e.name, e.type, tuple(sorted(e.aliases))) for e in view.entities},
        "mentions": {(m.entity_id, m.chunk_id, m.start, m.end, m.text) for m in view.mentions},
        "relations": sorted(
            (names[r.subject_id], r.predicate, names[r.object_id], *astuple(r.provenance)) for r in view.relations
        ),
    }


class _Fixtures(StoreContract):
    """The contract's public press release and board memo, which share an entity."""

    def person(self) -> DocumentGraph:
        """The press release naming a person, ingested in PII mask mode."""
        graph = make_graph(
            "press",
            ["Halvorsen Therapeutics acquired Nordlys Bio in 2019.", f"{NAME} joined Nordlys Bio."],
            {"Nordlys Bio": ("ORG", ["Nordlys Bio"]), NAME: ("PERSON", [NAME])},
            [(NAME, "join", "Nordlys Bio", 1)],
            dim=self.DIM,
        )
        start = graph.document.text.index(NAME)
        metadata = {**graph.document.metadata, "pii": {"mode": "mask", "spans": [[start, start + len(NAME), "PERSON"]]}}
        return replace(graph, document=replace(graph.document, metadata=metadata))


@pytest.fixture
def kg(any_store: GraphStore) -> KnowledgeGraph:
    """The press release and the board memo in each backend (the backend's fixture closes the store)."""
    fixtures = _Fixtures()
    any_store.write_document(fixtures.acquisition())
    any_store.write_document(fixtures.memo())
    return KnowledgeGraph(any_store)


@pytest.mark.parametrize("fmt", ["turtle", "jsonld", "graphml", "csv"])
def test_a_restricted_export_holds_nothing_hidden(kg: KnowledgeGraph, fmt: str) -> None:
    public = "".join(kg.export(fmt, groups=["public"]).files.values())
    everything = "".join(kg.export(fmt, groups=["public", "board"]).files.values())
    for hidden in HIDDEN:
        assert hidden not in public, hidden
    assert "Nevoxil" in everything and "plan_acquire" in everything


def test_the_rdf_reads_back_as_the_same_records(kg: KnowledgeGraph) -> None:
    view = kg.graph_view(groups=["public", "board"])
    assert {d.id for d in view.documents} == {"memo", "press"}
    for fmt in ("turtle", "json-ld"):
        parsed = Graph().parse(data=to_rdf(view).serialize(format=fmt), format=fmt)
        assert _facts(read_rdf(parsed)) == _facts(view)


def test_the_public_view_names_entities_from_visible_documents_only(kg: KnowledgeGraph) -> None:
    view = kg.graph_view(groups=["public"])
    assert [d.id for d in view.documents] == ["press"]
    halvorsen = next(e for e in view.entities if e.name == "Halvorsen Therapeutics")
    assert halvorsen.aliases == ("Halvorsen Therapeutics",)
    assert {r.predicate for r in view.relations} == {"acquire", "develop"}


def test_each_relation_is_a_prov_statement_with_its_span_and_version(kg: KnowledgeGraph) -> None:
    graph = Graph().parse(data=kg.export("turtle", groups=["public"]).files["graph.ttl"], format="turtle")
    rows = graph.query(
        """
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX kg: <https://kgrag.dev/ns#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?label ?hash ?start ?end ?doc WHERE {
            ?s a rdf:Statement ; rdf:subject ?subject ; rdf:predicate ?p ; rdf:object ?object ;
               prov:wasDerivedFrom ?doc ; kg:contentHash ?hash ; kg:start ?start ; kg:end ?end .
            ?p rdfs:label ?label .
            ?subject ?p ?object .
            ?doc a prov:Entity ; kg:contentHash ?hash .
        }
        """
    )
    found = sorted((str(r[0]), str(r[1]), int(r[2]), int(r[3]), str(r[4])) for r in rows)
    assert found == [
        ("acquire", "v1", 0, 52, "urn:kgrag:document:press"),
        ("develop", "v1", 53, 87, "urn:kgrag:document:press"),
    ]


def test_graphml_opens_in_networkx_with_the_same_counts(kg: KnowledgeGraph) -> None:
    exported = kg.export("graphml", groups=["public", "board"])
    graph = nx.parse_graphml(exported.files["graph.graphml"], force_multigraph=True)
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (exported.entities, exported.relations) == (5, 4)
    edge = next(d for _, _, d in graph.edges(data=True) if d["predicate"] == "plan_acquire")
    assert (edge["doc_id"], edge["content_hash"], edge["start"], edge["end"]) == ("memo", "v1", 0, 48)
    assert graph.nodes[next(n for n, d in graph.nodes(data=True) if d["name"] == "Nevoxil")]["type"] == "DRUG"


def test_csv_writes_entities_and_relations(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "graph.db")
    store.write_document(_Fixtures().acquisition())
    store.close()
    out = tmp_path / "csv"
    result = CliRunner().invoke(
        cli, ["export", "--store", str(tmp_path / "graph.db"), "--format", "csv", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["relations"] == 2
    relations = list(csv.DictReader(io.StringIO((out / "relations.csv").read_text())))
    assert {(r["subject"], r["predicate"], r["object"], r["doc_id"]) for r in relations} == {
        ("Halvorsen Therapeutics", "acquire", "Nordlys Bio", "press"),
        ("Nordlys Bio", "develop", "Veltrazumab", "press"),
    }
    entities = list(csv.DictReader(io.StringIO((out / "entities.csv").read_text())))
    assert sorted(e["name"] for e in entities) == ["Halvorsen Therapeutics", "Nordlys Bio", "Veltrazumab"]


def test_cli_export_errors_are_one_line(tmp_path: Path) -> None:
    KnowledgeGraph.open(tmp_path / "graph.db").close()  # a store that exists: the missing --out is the mistake
    result = CliRunner().invoke(cli, ["export", "--store", str(tmp_path / "graph.db"), "--format", "csv"])
    assert result.exit_code == 2
    assert "give a folder with --out" in result.output
    assert "Traceback" not in result.output


def test_personal_data_is_masked_for_a_caller_without_clearance(any_store: GraphStore) -> None:
    any_store.write_document(_Fixtures().person())
    kg = KnowledgeGraph(any_store)
    masked = kg.export("turtle", groups=["public"]).files["graph.ttl"]
    cleared = kg.export("turtle", groups=["public", "pii"]).files["graph.ttl"]
    assert NAME not in masked and "[PERSON]" in masked
    assert NAME in cleared and "Nordlys Bio" in masked


@pytest.mark.slow
def test_an_export_of_data_ingested_into_a_fresh_store_restores_it(data_graph: KnowledgeGraph, tmp_path: Path) -> None:
    exported = data_graph.export("turtle", groups=["public"])
    path = tmp_path / "graph.ttl"
    path.write_text(exported.files["graph.ttl"], encoding="utf-8")
    with KnowledgeGraph.open(tmp_path / "fresh.db", data_graph.settings) as fresh:
        report = fresh.ingest([path])
        assert not report.failed
        assert report.ingested == exported.documents
        restored = fresh.graph_view(groups=["public"])
        assert fresh.ingest([path]).unchanged == exported.documents
        regrouped = fresh.ingest([path], groups=["board"])
        assert regrouped.ingested == 0 and len(regrouped.failed) == exported.documents
        assert "stored with groups public" in regrouped.failed[0].reason
        assert len(fresh.documents(groups=["public"])) == exported.documents
        result = fresh.query("Who leads the trial of the drug Halvorsen licensed in 2023?")
    original = data_graph.graph_view(groups=["public"])
    assert exported.relations > 100 and exported.entities > 100
    assert _facts(restored) == _facts(original)
    assert result.status == "answered" and all(p.verified for p in result.passages)
