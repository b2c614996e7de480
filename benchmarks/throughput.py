"""Ingestion throughput and query latency on a fresh store.

    python -m benchmarks.throughput                                   # data/corpus with data/questions.json
    python -m benchmarks.throughput --bench ../shared/bench/hotpotqa_dev100
    python -m benchmarks.throughput --store neo4j://localhost:7687 --json

Prints documents and passages (chunks) indexed per second, query latency p50/p95 over the question set, and the
peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.multihop import load_set, passage_text, wipe_if_server
from kgrag.api import KnowledgeGraph, TextRecord
from kgrag.settings import Settings

DATA = Path(__file__).resolve().parent.parent / "data"


def measure(kg: KnowledgeGraph, ingest: Any, questions: list[str]) -> dict[str, Any]:
    kg.pipeline.extractor.nlp  # noqa: B018 - load the models before timing
    kg.embedder.encode(["warm up"])
    started = time.perf_counter()
    report = ingest()
    seconds = time.perf_counter() - started
    latencies = []
    for question in questions:
        started = time.perf_counter()
        kg.query(question)
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    return {
        "documents": report.ingested,
        "failed": len(report.failed),
        "passages": report.chunks,
        "relations": report.relations,
        "ingest_seconds": round(seconds, 2),
        "documents_per_second": round(report.ingested / seconds, 2),
        "passages_per_second": round(report.chunks / seconds, 2),
        "relations_per_second": round(report.relations / seconds, 2),
        "queries": len(latencies),
        "latency_p50_ms": round(1000 * statistics.median(latencies), 1),
        "latency_p95_ms": round(1000 * latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", type=Path, help="a benchmark set prefix instead of data/corpus")
    parser.add_argument(
        "--store",
        help="store location (default: a fresh temporary embedded store); a Neo4j database loses its kgrag nodes first",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        store = args.store or str(Path(folder) / "graph.db")
        if args.bench:
            bench = load_set(args.bench)
            name = bench.name
            kg = KnowledgeGraph.open(store)
            wipe_if_server(kg)
            records = [TextRecord(str(p["id"]), p["title"], passage_text(p)) for p in bench.corpus]
            questions = [q["question"] for q in bench.questions]
            result = measure(kg, lambda: kg.ingest_texts(records), questions)
        else:
            name = "data/corpus"
            kg = KnowledgeGraph.open(store, Settings(domain=str(DATA / "domain" / "pharma.json")))
            wipe_if_server(kg)
            questions = [q["question"] for q in json.loads((DATA / "questions.json").read_text(encoding="utf-8"))]
            result = measure(kg, lambda: kg.ingest([DATA / "corpus"]), questions)
        kg.close()
    result = {"corpus": name, "store": "neo4j" if args.store and "://" in args.store else "embedded", **result}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>22}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
