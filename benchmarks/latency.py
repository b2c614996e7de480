"""Query latency, store round trips and encoder calls per query, ingestion rate and peak memory, per store.

    python -m benchmarks.latency                                           # data/corpus with data/questions.json
    python -m benchmarks.latency --bench ../shared/bench/hotpotqa_dev100 --limit 30
    NEO4J_URI=bolt://127.0.0.1:7730 python -m benchmarks.latency --json     # Neo4j beside the embedded store

Each corpus is ingested into a fresh store (the embedded store in a temporary folder, and the Neo4j database of
``--neo4j`` or ``NEO4J_URI`` when given: its kgrag nodes are deleted first), then every question is asked once
after one warm-up query. Round trips are the store protocol calls a query makes, counted by a wrapper around the
store, so the count is the same on both backends; encoder calls are counted by a wrapper around the encoder.
Peak RSS is the process's high-water mark when that store's row was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.multihop import load_set, passage_text
from benchmarks.neo4j import CountingStore
from kg.embedding import Embedder
from kgrag.api import IngestReport, KnowledgeGraph, TextRecord
from kgrag.settings import Settings

DATA = Path(__file__).resolve().parent.parent / "data"


class CountingEncoder:
    """An encoder that counts its ``encode`` calls and the texts they carry; everything else is the encoder's."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self.calls = 0
        self.texts = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._embedder, name)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        return self._embedder.encode(texts)


class Corpus:
    """A named corpus: how to ingest it into a graph, and the questions to ask it."""

    def __init__(
        self, name: str, settings: Settings, ingest: Callable[[KnowledgeGraph], IngestReport], questions: list[str]
    ) -> None:
        self.name = name
        self.settings = settings
        self.ingest = ingest
        self.questions = questions


def data_corpus(limit: int | None) -> Corpus:
    questions = [q["question"] for q in json.loads((DATA / "questions.json").read_text(encoding="utf-8"))]
    settings = Settings(domain=str(DATA / "domain" / "pharma.json"))
    return Corpus("data/corpus", settings, lambda kg: kg.ingest([DATA / "corpus"]), questions[:limit])


def bench_corpus(prefix: Path, limit: int | None, passages: int | None) -> Corpus:
    bench = load_set(prefix, limit)
    corpus = bench.corpus[:passages] if passages else bench.corpus
    records = [TextRecord(str(p["id"]), p["title"], passage_text(p)) for p in corpus]
    questions = [q["question"] for q in bench.questions]
    return Corpus(bench.name, Settings(), lambda kg: kg.ingest_texts(records), questions)


def percentile(values: Sequence[float], q: float) -> float:
    return round(1000 * float(np.percentile(values, q)), 1) if values else 0.0


def measure(location: str, corpus: Corpus) -> dict[str, Any]:
    """Ingest ``corpus`` into the store at ``location`` (emptied first), then ask every question once."""
    with KnowledgeGraph.open(location, corpus.settings) as kg:
        kg.clear()
        kg.embedder.encode(["warm up"])  # load the models before timing
        kg.pipeline.extractor.nlp  # noqa: B018
        started = time.perf_counter()
        report = corpus.ingest(kg)
        seconds = time.perf_counter() - started
        counting = CountingStore(kg.store)
        encoder = CountingEncoder(kg.embedder)
        kg.store = counting  # type: ignore[assignment]  # the retriever is built on first query, through these
        kg.embedder = encoder  # type: ignore[assignment]
        kg.query(corpus.questions[0])  # warm up: caches, query plans
        counting.calls.clear()
        encoder.calls = encoder.texts = 0
        latencies = []
        for question in corpus.questions:
            started = time.perf_counter()
            kg.query(question)
            latencies.append(time.perf_counter() - started)
        kg.store = counting._store
        kg.clear()
    asked = len(corpus.questions)
    return {
        "passages": report.chunks,
        "relations": report.relations,
        "ingest_seconds": round(seconds, 1),
        "passages_per_second": round(report.chunks / seconds, 1),
        "relations_per_second": round(report.relations / seconds, 1),
        "queries": asked,
        "query_p50_ms": percentile(latencies, 50),
        "query_p95_ms": percentile(latencies, 95),
        "query_p99_ms": percentile(latencies, 99),
        "round_trips_per_query": round(sum(counting.calls.values()) / asked, 1),
        "encoder_calls_per_query": round(encoder.calls / asked, 2),
        "encoded_texts_per_query": round(encoder.texts / asked, 1),
        "top_calls": ", ".join(f"{n} {round(c / asked, 1)}" for n, c in counting.calls.most_common(5)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", type=Path, action="append", default=[], help="a benchmark set prefix (repeatable)")
    parser.add_argument("--no-data", action="store_true", help="skip data/corpus")
    parser.add_argument("--limit", type=int, help="only the first N questions of each corpus")
    parser.add_argument("--passages", type=int, help="only the first N passages of each benchmark set")
    parser.add_argument("--neo4j", default=os.environ.get("NEO4J_URI"), help="also measure this Neo4j database")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    corpora = [] if args.no_data else [data_corpus(args.limit)]
    corpora += [bench_corpus(prefix, args.limit, args.passages) for prefix in args.bench]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for corpus in corpora:
            stores = {"embedded": str(Path(folder) / "graph.db")} | ({"neo4j": args.neo4j} if args.neo4j else {})
            for store, location in stores.items():
                rows.append({"corpus": corpus.name, "store": store, **measure(location, corpus)})
                if not args.json:
                    print(format_row(rows[-1]), flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


def format_row(row: dict[str, Any]) -> str:
    lines = [f"== {row['corpus']} on {row['store']}"]
    lines += [f"{key:>24}  {value}" for key, value in row.items() if key not in ("corpus", "store")]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
