"""The API's own guards: the fast ones load no model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kg.embedding import model_id
from kg.errors import ConfigError
from kg.sqlite_store import SQLiteStore
from kgrag.api import KnowledgeGraph, TextRecord
from kgrag.settings import Settings
from tests.contract.store_contract import StoreContract

DATA = Path(__file__).resolve().parent.parent / "data"


def test_a_store_is_queried_only_with_the_model_that_embedded_it(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "graph.db")
    store.write_document(replace(StoreContract().acquisition(), embedding_model="other-model"))
    kg = KnowledgeGraph(store, Settings())
    with pytest.raises(ConfigError, match="other-model"):
        kg.query("Who acquired Nordlys Bio?")
    with pytest.raises(ConfigError, match="--embedding-model other-model"):
        kg.ingest_texts([])
    kg.close()


def test_the_default_model_has_one_name() -> None:
    assert model_id("sentence-transformers/all-MiniLM-L6-v2") == model_id("all-MiniLM-L6-v2")
    assert model_id("/models/my-encoder") == "/models/my-encoder"


@pytest.mark.slow
def test_documents_read_by_another_extractor_are_read_again(tmp_path: Path) -> None:
    """An unchanged document is skipped only if it was read the way this pipeline reads: a new domain pack (or
    extractor version, spaCy pipeline, chunk size) reads other relations, which re-ingesting must pick up."""
    record = TextRecord(id="arc", title="Nordlys", text="Halvorsen Therapeutics bought Nordlys Bio.")
    store = tmp_path / "graph.db"
    with KnowledgeGraph.open(store) as kg:
        assert kg.ingest_texts([record]).ingested == 1
        assert kg.ingest_texts([record]).unchanged == 1
        plain = kg.document("arc").metadata["extraction"]
        assert _predicates(kg) == {"buy"}
    with KnowledgeGraph.open(store, Settings(domain=str(DATA / "domain" / "pharma.json"))) as kg:
        assert kg.ingest_texts([record]).ingested == 1
        assert kg.ingest_texts([record]).unchanged == 1
        pharma = kg.document("arc").metadata["extraction"]
        assert _predicates(kg) == {"acquire"}
        assert kg.stats().documents == 1
    assert plain.startswith("kgrag.spacy-dep ") and "domain none" in plain and "domain pharma@" in pharma


def _predicates(kg: KnowledgeGraph) -> set[str]:
    graph = kg.store.document_graph("arc")
    assert graph is not None
    return {r.predicate for r in graph.relations}
