"""The benchmark scripts start and measure what they say, without a server or a model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.neo4j import CountingStore, big_document, write_rate
from kg.model import Access, StoreStats
from kg.sqlite_store import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("module", "option"), [("benchmarks.neo4j", "--neo4j"), ("benchmarks.latency", "--passages")])
def test_help_runs(module: str, option: str) -> None:
    command = [sys.executable, "-m", module, "--help"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    assert "usage:" in done.stdout and option in done.stdout


def test_write_rate_counts_every_relationship(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "big.db")
    graph = big_document(300)
    rate = write_rate(store, graph)
    assert store.stats() == StoreStats(documents=1, chunks=300, entities=200, mentions=600, relations=300)
    assert rate["relationships"] == 300 + 299 + 600 + 300 and rate["relationships_per_second"] > 0
    store.close()


def test_counting_store_counts_protocol_calls(tmp_path: Path) -> None:
    counting = CountingStore(SQLiteStore(tmp_path / "graph.db"))
    counting.stats()
    counting.chunk_count(Access.unrestricted())
    counting.stats()
    assert counting.calls == {"stats": 2, "chunk_count": 1}
    counting.close()
