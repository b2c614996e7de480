"""The benchmark scripts start and measure what they say, without a server or a model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.multihop import BenchSet, recall, union
from benchmarks.neo4j import CountingStore, big_document, write_rate
from kg.model import Access, StoreStats
from kg.sqlite_store import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("module", "option"),
    [
        ("benchmarks.neo4j", "--neo4j"),
        ("benchmarks.latency", "--passages"),
        ("benchmarks.multihop", "--union"),
        ("benchmarks.hostile", "--scale"),
        ("benchmarks.interrupt", "--rounds"),
        ("benchmarks.scale", "--sizes"),
    ],
)
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


def test_union_qualifies_ids_and_keeps_a_repeated_passage_once() -> None:
    shared = {"title": "Lyon", "text": "Lyon is a city in France."}
    first = BenchSet(
        "a",
        [{"id": 1, "question": "q", "type": "t", "gold_ids": [0, 1]}],
        [{"id": 0, **shared}, {"id": 1, "title": "Paris", "text": "Paris is the capital."}],
    )
    second = BenchSet(
        "b",
        [{"id": 1, "question": "q2", "type": "t", "gold_ids": [5]}],
        [{"id": 5, **shared}, {"id": 0, "title": "Rome", "text": "Rome is in Italy."}],
    )
    combined, (view_a, view_b) = union([first, second])
    assert [p["id"] for p in combined.corpus] == ["a/0", "a/1", "b/0"]
    assert [q["id"] for q in combined.questions] == ["a/1", "b/1"]
    assert view_a.questions[0]["gold_ids"] == ["a/0", "a/1"]
    assert view_b.questions[0]["gold_ids"] == ["a/0"]  # the same passage, kept once under its first id
    assert view_b.name == "b+union" and view_b.corpus is combined.corpus
    assert recall(["b/0", "a/0"], view_b.questions[0]["gold_ids"], 2) == 1.0


def test_answer_metrics_normalise_as_squad_does_and_bin_confidence() -> None:
    from benchmarks.answers import exact_match, fit_logistic, token_f1

    assert exact_match("The European Medicines Agency.", ["european medicines agency"]) == 1.0
    assert exact_match("", ["x"]) == 0.0
    assert token_f1("Enugu", ["Enugu, Nigeria"]) == pytest.approx(2 / 3)
    assert token_f1("Lagos", ["Enugu"]) == 0.0
    import numpy as np

    x = np.array([[0.1], [0.2], [0.8], [0.9]] * 10)
    y = np.array([0.0, 0.0, 1.0, 1.0] * 10)
    weights, bias = fit_logistic(x, y)
    assert weights[0] > 0 and 0.1 * weights[0] + bias < 0 < 0.9 * weights[0] + bias


def test_answers_benchmark_help_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.answers", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "--fit" in done.stdout and "--no-removed" in done.stdout


def test_hostile_batch_has_every_kind(tmp_path: Path) -> None:
    from benchmarks.hostile import BAD, GOOD, generate

    kinds = generate(tmp_path, scale=0.01)
    assert set(kinds.values()) == {"good", *BAD}
    assert sum(kind == "good" for kind in kinds.values()) == len(GOOD)
    assert (tmp_path / "bombs" / "bomb-0.docx").stat().st_size < 2_000_000, "a bomb is small on disk"


def test_generated_passages_are_fixed_by_number_and_name_earlier_entities() -> None:
    from benchmarks.passages import passage

    assert passage(1234) == passage(1234) and passage(1234) != passage(1235)
    titles = {passage(n)["title"] for n in range(500)}
    later = [passage(n)["text"] for n in range(500, 600)]
    assert len(titles) > 400
    assert all(any(title in text for title in titles) for text in later)


def test_every_size_of_the_growth_corpus_holds_the_gold_passages(tmp_path: Path) -> None:
    import json

    from benchmarks.scale import corpus

    questions = [{"id": f"q{i}", "question": f"Q{i}?", "type": "t", "gold_ids": [i, i + 10]} for i in range(5)]
    passages = [{"id": i, "title": f"T{i}", "text": f"Text {i}."} for i in range(40)]
    (tmp_path / "s_questions.json").write_text(json.dumps(questions))
    (tmp_path / "s_corpus.json").write_text(json.dumps(passages))
    small, asked = corpus([tmp_path / "s"], 5, 12)
    big, _ = corpus([tmp_path / "s"], 5, 60)
    gold = {g for q in asked for g in q["gold_ids"]}
    assert len(small) == 12 and gold <= {p["id"] for p in small}
    assert big[:12] == small and len(big) == 60 and big[-1]["id"] == "gen/19"
    with pytest.raises(SystemExit, match="gold passages"):
        corpus([tmp_path / "s"], 5, 9)
