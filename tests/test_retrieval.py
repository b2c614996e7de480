"""The retriever's next hop, on a corpus where plain search cannot reach the answer: the question names a river,
the answer is a waterfall in the river's country, and many other waterfalls read more like the question."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import InvalidArgument
from kgrag.api import KnowledgeGraph, TextRecord
from retrieval.config import (
    BridgeSettings,
    ConfidenceSettings,
    LinkSettings,
    NextHopSettings,
    RetrievalConfig,
    WalkSettings,
)

pytestmark = pytest.mark.slow

QUESTION = "What is the name of the waterfall in the country where the Bubye River is found?"
PAGES = {
    "bubye": (
        "Bubye River",
        "The Bubye River is a tributary of the Limpopo River. It rises in Gwanda District and flows south through "
        "Beitbridge District in Zimbabwe before it joins the Limpopo.",
    ),
    "victoria": (
        "Victoria Falls",
        "Victoria Falls is a waterfall on the Zambezi River. It lies on the border between Zambia and Zimbabwe and is "
        "one of the largest curtains of falling water in the world.",
    ),
    "kalandula": (
        "Kalandula Falls",
        "Kalandula Falls is a waterfall on the Lucala River in Malanje Province, Angola. The river drops about 105 "
        "metres over the falls.",
    ),
    "metlako": (
        "Metlako Falls",
        "Metlako Falls is a waterfall on Eagle Creek in the Columbia River Gorge in Oregon, United States.",
    ),
    "tat-sae": (
        "Tat Sae Waterfalls",
        "Tat Sae Waterfalls is a waterfall in Luang Prabang Province, Laos, on a tributary of the Mekong River.",
    ),
    "abshir-ata": (
        "Abshir Ata Waterfall",
        "Abshir Ata Waterfall is a waterfall in the Fergana Valley of Kyrgyzstan, fed by melting snow of the nearby "
        "mountains.",
    ),
    "augrabies": (
        "Augrabies Falls",
        "Augrabies Falls is a waterfall on the Orange River in the Northern Cape province of South Africa.",
    ),
    "tugela": (
        "Tugela Falls",
        "Tugela Falls is a waterfall in the Drakensberg mountains of KwaZulu-Natal, South Africa, and one of the "
        "highest in the world.",
    ),
    "murchison": (
        "Murchison Falls",
        "Murchison Falls is a waterfall on the White Nile River in Uganda, where the river forces its way through a "
        "narrow gorge.",
    ),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("next-hop") / "graph.db"
    with KnowledgeGraph.open(path) as kg:
        kg.ingest_texts(
            [TextRecord(id=key, title=title, text=f"{title}\n{text}") for key, (title, text) in PAGES.items()]
        )
    return path


def test_the_next_hop_reaches_the_page_that_only_the_bridge_connects(store: Path) -> None:
    with KnowledgeGraph.open(store) as kg:
        result = kg.query(QUESTION, k=5)
    ranking = [p.doc_id for p in result.passages]
    assert ranking[0] == "bubye"
    assert "victoria" in ranking
    victoria = next(p for p in result.passages if p.doc_id == "victoria")
    assert victoria.signals["next_hop"] > victoria.signals["dense"]
    assert result.rounds == 2


def test_without_a_second_round_the_answer_page_is_out_of_reach(store: Path) -> None:
    with KnowledgeGraph.open(store, retrieval=RetrievalConfig(bridges=BridgeSettings(enabled=False))) as kg:
        result = kg.query(QUESTION, k=5)
    assert "victoria" not in [p.doc_id for p in result.passages]
    assert all("next_hop" not in p.signals for p in result.passages)


@pytest.mark.parametrize(
    ("settings", "field", "value"),
    [
        (NextHopSettings, "passages", 0),
        (NextHopSettings, "entities", 0),
        (NextHopSettings, "candidates", 0),
        (BridgeSettings, "pages", -1),
        (NextHopSettings, "specificity", 1.5),
        (WalkSettings, "damping", 1.0),
        (LinkSettings, "threshold", 0),
        (ConfidenceSettings, "min_confidence", 2.0),
    ],
)
def test_retrieval_settings_are_checked(settings: type, field: str, value: float) -> None:
    with pytest.raises(InvalidArgument, match=rf"{settings.__name__}\.{field}"):
        settings(**{field: value})


def test_a_settings_group_must_be_of_its_type() -> None:
    with pytest.raises(InvalidArgument, match=r"RetrievalConfig\.walk"):
        RetrievalConfig(walk=LinkSettings())  # type: ignore[arg-type]
