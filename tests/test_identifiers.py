"""Identifier-aware retrieval: what counts as an identifier, and an exact match leading near-miss dense hits."""

from __future__ import annotations

import pytest

from kg.text import identifier_shape, identifiers
from kgrag.api import KnowledgeGraph, TextRecord


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How many hours were billed on matter M-1057?", ["M-1057"]),
        ("Compare m\u20131070 with HC-2023-0412 and INV-2024-0318.", ["M-1070", "HC-2023-0412", "INV-2024-0318"]),
        ("Part SKU4471 of the A320, trial KST-110's arm, COVID-19.", ["SKU4471", "A320", "KST-110", "COVID-19"]),
        ("On 2023-03-14, in the mid-1990s, a 4-letter word, the 3rd Phase-3 study in 2007.", []),
        ("self-driving x-ray H2O mp3", []),
    ],
)
def test_identifiers(text: str, expected: list[str]) -> None:
    assert identifiers(text) == expected


def test_identifier_shape_groups_one_kind() -> None:
    assert identifier_shape("M-1057") == identifier_shape("M-1099") != identifier_shape("INV-2024-0318")


ROWS = {
    "M-1057": ("Brightwater Logistics", "Theo Pell", 412.5),
    "M-1058": ("Tindall Textiles", "Callum Reyes", 61.0),
    "M-1070": ("Corvale Foods", "Theo Pell", 286.0),
    "M-1075": ("Brightwater Logistics", "Esther Nwosu", 198.0),
    "M-1107": ("Corvale Foods", "Esther Nwosu", 233.75),
}


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    records = [
        TextRecord(
            id=f"matter-{matter}",
            title="Matters",
            text=f"matter_id: {matter}\nclient: {client}\nresponsible_partner: {partner}\nhours_billed: {hours}",
        )
        for matter, (client, partner, hours) in ROWS.items()
    ]
    records.append(
        TextRecord(
            id="invoice",
            title="Invoices",
            text="invoice: INV-2024-0311\nmatter: M-1057\nhours: 38.5\namount_gbp: 11120",
        )
    )
    records.append(
        TextRecord(
            id="letter",
            title="Engagement letter: Corvale Foods, matter M-1107",
            text="Engagement letter: Corvale Foods, matter M-1107\nWe have opened matter M-1107 for the hours billed "
            "on the supply dispute. Esther Nwosu will lead it.",
        )
    )
    records.append(
        TextRecord(
            id="firm",
            title="Firm profile",
            text="Ashgrove & Pell LLP records time in tenths of an hour against each matter and bills monthly.",
        )
    )
    kg = KnowledgeGraph.open(tmp_path_factory.mktemp("ids") / "graph.db")
    kg.ingest_texts(records)
    yield kg
    kg.close()


@pytest.mark.slow
def test_the_row_keyed_by_the_asked_identifier_comes_first(graph: KnowledgeGraph) -> None:
    """Before the letter titled by M-1107 too: it only refers to the matter, the row is keyed by it."""
    for matter in ROWS:
        result = graph.query(f"How many hours were billed on matter {matter}?")
        assert result.passages[0].doc_id == f"matter-{matter}", matter


@pytest.mark.slow
def test_a_comparison_of_two_identifiers_returns_both_rows(graph: KnowledgeGraph) -> None:
    result = graph.query("Which matter billed more hours, M-1075 or M-1107?")
    assert [p.doc_id for p in result.passages[:2]] == ["matter-M-1075", "matter-M-1107"]


@pytest.mark.slow
def test_an_identifier_the_corpus_does_not_hold_has_no_support(graph: KnowledgeGraph) -> None:
    """M-1099 is a matter number among matter numbers, so none of them is evidence for it; an identifier of a kind
    the corpus never writes decides nothing (the corpus may word it otherwise)."""
    assert graph.query("How many hours were billed on matter M-1099?").status == "insufficient_evidence"
    assert graph.query("How many hours were billed on matter M-1070?").status == "answered"
    assert graph.query("How does Ashgrove & Pell record time for the Q-77 review?").status == "answered"
