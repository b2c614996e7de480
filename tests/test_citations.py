"""Citation verification: a result whose documents changed after retrieval says so; ``show --hash`` refuses
another version. Fast: documents are written to the store directly and retrieval is replaced by a fixed result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.audit import AuditLog
from kg.errors import NotFoundError
from kg.model import DocumentGraph
from kg.sqlite_store import SQLiteStore
from kgrag.api import KnowledgeGraph
from kgrag.cli import cli, format_result
from kgrag.settings import Settings
from retrieval.citations import check_citation
from tests.contract.store_contract import StoreContract, make_graph
from tests.fixed_retrieval import FixedRetriever, evidence_from

CONTRACT = StoreContract()


@pytest.fixture
def kg(tmp_path: Path) -> KnowledgeGraph:
    store = SQLiteStore(tmp_path / "graph.db")
    store.write_document(CONTRACT.acquisition())
    graph = KnowledgeGraph(store, Settings(), audit=AuditLog(tmp_path / "audit.jsonl"))
    graph.retriever = FixedRetriever(graph, evidence_from(CONTRACT.acquisition()))
    yield graph
    graph.close()


def changed_press(**kwargs: object) -> DocumentGraph:
    return make_graph(
        "press",
        ["Halvorsen Therapeutics acquired Nordlys Bio in 2023.", "Nordlys Bio developed Veltrazumab."],
        {"Halvorsen Therapeutics": ("ORG", ["Halvorsen Therapeutics"]), "Nordlys Bio": ("ORG", ["Nordlys Bio"])},
        dim=StoreContract.DIM,
        **kwargs,
    )


def test_unchanged_store_verifies_every_citation(kg: KnowledgeGraph) -> None:
    result = kg.query("Who acquired Nordlys Bio?")
    assert result.citation_problems == ()
    assert all(p.verified for p in result.passages)
    assert all(t.verified for t in result.triples + result.paths[0].triples)
    assert "WARNING" not in format_result(result) and "UNVERIFIED" not in format_result(result)


def test_reingested_document_is_reported_not_shown_as_verified(kg: KnowledgeGraph) -> None:
    kg.store.write_document(changed_press(content_hash="v2"))
    result = kg.query("Who acquired Nordlys Bio?")
    assert [p.verified for p in result.passages] == [False, False]
    assert not result.triples[0].verified and not result.paths[0].triples[0].verified
    assert {c.problem for c in result.citation_problems} == {"citation is for version v1, stored version is v2"}
    text = format_result(result)
    assert "WARNING: unverified citation: citation is for version v1, stored version is v2" in text
    assert text.count("[UNVERIFIED]") == 3
    data = result.to_dict()
    assert [p["verified"] for p in data["passages"]] == [False, False]
    assert data["citation_problems"][0]["stored_hash"] == "v2"


def test_changed_text_under_the_same_hash_is_caught(kg: KnowledgeGraph) -> None:
    """An inconsistent store: same version id, one sentence changed in place. Only its passage is flagged."""
    kg.store.write_document(changed_press(content_hash="v1"))
    result = kg.query("Who acquired Nordlys Bio?")
    assert [p.verified for p in result.passages] == [False, True]
    [problem] = [c for c in result.citation_problems if c.chunk_id == result.passages[0].chunk_id]
    assert problem.problem.startswith("the cited text differs from document press")


def test_deleted_document_is_reported(kg: KnowledgeGraph) -> None:
    kg.store.delete_document("press")
    result = kg.query("Who acquired Nordlys Bio?")
    assert not any(p.verified for p in result.passages)
    assert {c.problem for c in result.citation_problems} == {"document press is no longer stored"}
    assert {c.stored_hash for c in result.citation_problems} == {None}


def test_check_citation_spans() -> None:
    doc = CONTRACT.acquisition().document
    assert check_citation("press", doc, 0, 9, "v1", "Halvorsen").verified
    assert check_citation("press", doc, 0, 9).verified
    outside = check_citation("press", doc, 5, 10_000, "v1")
    assert outside.problem == f"span 5:10000 is outside document press (0:{len(doc.text)})"
    assert check_citation("press", doc, 0, 9, "v2", "Halvorsen").problem == (
        "citation is for version v2, stored version is v1"
    )


def test_verify_citation_api_respects_access(kg: KnowledgeGraph) -> None:
    assert kg.verify_citation("press", 0, 9, content_hash="v1", text="Halvorsen").verified
    assert not kg.verify_citation("press", 0, 9, text="Nordlys B").verified
    kg.store.write_document(CONTRACT.memo())
    with pytest.raises(NotFoundError):
        kg.verify_citation("memo", 0, 9)
    assert kg.verify_citation("memo", 0, 9, groups=["board"]).verified


def test_show_hash_refuses_another_version(tmp_path: Path) -> None:
    store_path = str(tmp_path / "graph.db")
    store = SQLiteStore(store_path)
    store.write_document(changed_press(content_hash="v2"))
    store.close()
    runner = CliRunner()

    ok = runner.invoke(cli, ["show", "press", "--span", "0:9", "--hash", "v2", "--store", store_path, "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["text"] == "Halvorsen"

    stale = runner.invoke(cli, ["show", "press", "--span", "0:9", "--hash", "v1", "--store", store_path])
    assert stale.exit_code == 1
    assert stale.stdout == ""
    assert "citation is for version v1, stored version is v2; nothing printed" in stale.stderr

    # A version as results print it: a prefix of 12 characters or more names it; a shorter one is refused.
    real = SQLiteStore(store_path)
    real.write_document(changed_press(content_hash="9b1c04d2e5f60718293a4b5c6d7e8f90" * 2))
    real.close()
    for prefix, code in (("9b1c04d2e5f6", 0), ("9b1c04d2e5f60718293a", 0), ("9b1c04", 2), ("9b1c04d2e5f7", 1)):
        shown = runner.invoke(cli, ["show", "press", "--span", "0:9", "--hash", prefix, "--store", store_path])
        assert shown.exit_code == code, (prefix, shown.output)
