"""The per-query context: the store as one caller sees it, each record read at most once a query."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kg.model import Access
from kg.sqlite_store import SQLiteStore
from kg.store import GraphStore
from retrieval.context import StoreReads
from tests.contract.store_contract import StoreContract

CONTRACT = StoreContract()


class Counting:
    """Counts the protocol calls made through it."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        return getattr(self.store, name)


@pytest.fixture
def store(tmp_path: Path) -> Counting:
    sqlite = SQLiteStore(tmp_path / "graph.db")
    sqlite.write_document(CONTRACT.acquisition())
    sqlite.write_document(CONTRACT.memo())
    return Counting(sqlite)


def test_records_are_read_once_and_only_visible_ones(store: Counting) -> None:
    reads = StoreReads(store, Access.of(["public"]), 5)  # type: ignore[arg-type]
    press = CONTRACT.acquisition()
    memo = CONTRACT.memo()
    ids = [c.id for c in (*press.chunks, *memo.chunks)]
    assert [c.id for c in reads.chunks(iter(ids))] == [c.id for c in press.chunks]
    assert [c.id for c in reads.chunks(reversed(ids))] == [c.id for c in reversed(press.chunks)]
    assert list(reads.documents(d for d in ("press", "memo", "press"))) == ["press"]
    assert reads.documents(["memo"]) == {}
    assert (store.calls["chunks"], store.calls["get_documents"]) == (1, 1)
    lookup = reads.lookup()
    assert "press" in lookup and "memo" not in lookup and list(lookup) == ["press"]


def test_the_pages_about_a_name_are_those_whose_title_names_it(store: Counting) -> None:
    reads = StoreReads(store, Access.of(["public"]), 5)  # type: ignore[arg-type]
    pages = reads.pages_about("Halvorsen buys Nordlys")
    assert sorted(pages) == sorted(c.id for c in CONTRACT.acquisition().chunks)
    assert reads.pages_about("Halvorsen buys Nordlys") == pages
    assert reads.pages_about("buys") == [], "a title that only mentions a word is not its page"
    assert reads.pages_about("Project Aurora") == [], "a hidden document's title is no page"
    assert store.calls["lexical_searches"] == 3


def test_the_pages_about_many_names_are_read_together(store: Counting) -> None:
    reads = StoreReads(store, Access.of(["board"]), 5)  # type: ignore[arg-type]
    pages = reads.pages_about_all(["Project Aurora", "Halvorsen buys Nordlys", "", "Project Aurora"])
    assert {name: sorted(found) for name, found in pages.items()} == {
        "Project Aurora": sorted(c.id for c in CONTRACT.memo().chunks),
        "Halvorsen buys Nordlys": [],
        "": [],
    }, "a hidden document's title is no page, and a blank name has none"
    assert reads.pages_about("Project Aurora") == pages["Project Aurora"]
    assert (store.calls["lexical_searches"], store.calls["chunks"], store.calls["get_documents"]) == (1, 1, 1)
