"""The trust step on every public entry point: the API, the CLI and the retriever itself. Each is given a store that
changed or was tampered with under the evidence, and a document whose personal data is masked: every result marks
the broken citations unverified and masks the value for a caller without clearance. (Benchmarks reach retrieval
only through the API: ``tests/test_layers.py`` forbids them to import ``retrieval``.)"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.audit import AuditLog
from kg.model import Access, DocumentGraph
from kg.sqlite_store import SQLiteStore
from kgrag.api import KnowledgeGraph, TextRecord
from kgrag.cli import cli
from kgrag.settings import Settings
from retrieval.result import RetrievalResult
from tests.contract.store_contract import StoreContract, make_graph
from tests.fixed_retrieval import FixedRetriever, evidence_from, passage

CONTRACT = StoreContract()
NAME = "Ngozi Eze"


def hr_note() -> DocumentGraph:
    graph = make_graph(
        "hr-note",
        [f"Nordlys Bio hired {NAME} as chief scientist.", "She leads the antibody programme."],
        {"Nordlys Bio": ("ORG", ["Nordlys Bio"])},
        dim=StoreContract.DIM,
        groups=("public",),
    )
    start = graph.document.text.index(NAME)
    metadata = {**graph.document.metadata, "pii": {"mode": "mask", "spans": [[start, start + len(NAME), "PERSON"]]}}
    return replace(graph, document=replace(graph.document, metadata=metadata))


def evidence() -> RetrievalResult:
    """What retrieval saw: the press release's passages and triple, and the masked note's first passage."""
    found = evidence_from(CONTRACT.acquisition())
    return replace(found, passages=(*found.passages, passage(hr_note(), 0)))


@pytest.fixture
def store_path(tmp_path: Path) -> str:
    path = str(tmp_path / "graph.db")
    store = SQLiteStore(path)
    store.write_document(CONTRACT.acquisition())
    store.write_document(hr_note())
    # The press release changes after retrieval read it: its citations must not be shown as verified.
    store.write_document(CONTRACT.acquisition(content_hash="v2"))
    store.close()
    return path


def assert_trusted(data: dict) -> None:
    by_doc = {p["doc_id"]: p for p in data["passages"]}
    assert by_doc["press"]["verified"] is False
    assert all(t["verified"] is False for t in data["triples"])
    assert data["citation_problems"], "the stale citations are reported"
    note = by_doc["hr-note"]
    assert note["verified"] is True
    assert NAME not in note["text"] and "[PERSON]" in note["text"]
    assert len(note["text"]) == note["end"] - note["start"], "a mask keeps the cited span's length"


def test_the_api_verifies_audits_and_masks(store_path: str, tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    kg = KnowledgeGraph(SQLiteStore(store_path), Settings(), audit=log)
    kg.retriever = FixedRetriever(kg, evidence())
    assert_trusted(kg.query("Who joined Nordlys Bio?", groups=["public"]).to_dict())
    cleared = kg.query("Who joined Nordlys Bio?", groups=["public", "pii"])
    assert any(NAME in p.text for p in cleared.passages)
    kg.close()
    assert [e.action for e in log.events()] == ["query", "query"]
    assert log.events()[0].citation_problems > 0


def test_the_cli_verifies_and_masks(store_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(KnowledgeGraph, "retriever", property(lambda kg: FixedRetriever(kg, evidence())))
    result = CliRunner().invoke(cli, ["query", "Who joined Nordlys Bio?", "--store", store_path, "--json"])
    assert result.exit_code == 0, result.output
    assert_trusted(json.loads(result.stdout))
    human = CliRunner().invoke(cli, ["query", "Who joined Nordlys Bio?", "--store", store_path])
    assert "UNVERIFIED" in human.stdout and NAME not in human.stdout


@pytest.mark.slow
def test_the_retriever_itself_verifies_and_masks(tmp_path: Path) -> None:
    """``HybridRetriever.retrieve``, the public retrieval entry point, with the real models, on a store whose stored
    text was altered behind kgrag's back and a document ingested in mask mode."""
    path = tmp_path / "graph.db"
    with KnowledgeGraph.open(path, Settings()) as kg:
        kg.ingest_texts(
            [TextRecord("press", "Nordlys acquisition", "Halvorsen Therapeutics acquired Nordlys Bio in 2019.")]
        )
        kg.ingest_texts(
            [TextRecord("note", "Nordlys hire", f"Nordlys Bio hired {NAME} as its chief scientist in 2020.")],
            pii="mask",
        )
    with sqlite3.connect(path) as db:
        db.execute("UPDATE documents SET text = replace(text, 'acquired', 'ACQUIRED') WHERE id = 'press'")
    with KnowledgeGraph.open(path, Settings()) as kg:
        result = kg.retriever.retrieve("Who did Nordlys Bio hire and who acquired it?", Access.of(["public"]))
    by_doc = {p.doc_id: p for p in result.passages}
    assert by_doc["press"].verified is False
    assert by_doc["note"].verified is True
    assert NAME not in by_doc["note"].text
