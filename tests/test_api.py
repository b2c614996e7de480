"""The API's own guards, without loading any model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kg.api import KnowledgeGraph
from kg.config import Settings
from kg.embedding import model_id
from kg.errors import ConfigError
from kg.sqlite_store import SQLiteStore
from tests.contract.store_contract import StoreContract


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
