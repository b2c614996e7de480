"""The growth curve: one store grown to each size in turn, measured at each.

    python -m benchmarks.scale                                  # 1k, 10k, 30k and 100k passages, embedded store
    python -m benchmarks.scale --sizes 1000,3000 --questions 10
    NEO4J_URI=bolt://127.0.0.1:7782 python -m benchmarks.scale --sizes 1000   # Neo4j beside the embedded store

The corpus is the bench sets' passages (``--bench``), the gold passages of the asked questions first so that every
size holds them, then the other bench passages, then generated ones (``benchmarks/passages.py``: deterministic,
each naming earlier generated people, films, companies and towns, so the graph grows with the text). Each store is
ingested up to the first size, measured, ingested on to the next size, and so on: indexing time is cumulative, and
passages/s is that of the step that reached the size. At each size every question is asked once (after one
warm-up query) for p50/p95 and Recall@5; store size is the store's files on disk (Neo4j: not measured), peak RSS the
process's high-water mark so far. Every row is a real ingestion: no size is filled by writing vectors directly.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.latency import percentile
from benchmarks.multihop import discover, load_set, passage_text, recall, union
from benchmarks.passages import passage
from kgrag.api import KnowledgeGraph, TextRecord

BENCH = Path(__file__).resolve().parent.parent.parent / "shared" / "bench"
DEPTH = 10


def corpus(
    prefixes: list[Path], questions_per_set: int, size: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The first ``size`` passages in growth order, and the questions whose gold passages lead it."""
    combined, _ = union([load_set(prefix, questions_per_set) for prefix in prefixes])
    gold = list(dict.fromkeys(g for q in combined.questions for g in q["gold_ids"]))
    if size < len(gold):
        raise SystemExit(f"error: the smallest size must hold the {len(gold)} gold passages; ask fewer --questions")
    by_id = {p["id"]: p for p in combined.corpus}
    ordered = [by_id[g] for g in gold] + [p for p in combined.corpus if p["id"] not in set(gold)]
    ordered += [passage(n) for n in range(max(0, size - len(ordered)))]
    return ordered[:size], combined.questions


def store_bytes(location: str) -> int | None:
    if "://" in location:
        return None
    return sum(p.stat().st_size for p in Path(location).parent.glob(Path(location).name + "*"))


def measure(kg: KnowledgeGraph, questions: list[dict[str, Any]]) -> dict[str, Any]:
    kg.query(questions[0]["question"])  # warm up: the models, the vectors in memory, query plans
    latencies, recalls = [], []
    for q in questions:
        started = time.perf_counter()
        result = kg.query(q["question"], k=DEPTH)
        latencies.append(time.perf_counter() - started)
        recalls.append(recall([p.doc_id for p in result.passages], q["gold_ids"], 5))
    return {
        "query_p50_ms": percentile(latencies, 50),
        "query_p95_ms": percentile(latencies, 95),
        "recall_at_5": round(100 * statistics.fmean(recalls), 1),
    }


def grow(location: str, prefixes: list[Path], sizes: list[int], questions_per_set: int) -> Iterator[dict[str, Any]]:
    """Grow the store at ``location`` (emptied first) to each size in turn and measure it there: one row a size."""
    passages, questions = corpus(prefixes, questions_per_set, max(sizes))
    with KnowledgeGraph.open(location) as kg:
        kg.clear()
        kg.embedder.encode(["warm up"])
        indexed, total_seconds = 0, 0.0
        for size in sizes:
            records = [TextRecord(str(p["id"]), p["title"], passage_text(p)) for p in passages[indexed:size]]
            started = time.perf_counter()
            report = kg.ingest_texts(records)
            step = time.perf_counter() - started
            total_seconds += step
            indexed = size
            stats = kg.store.stats()
            stored = store_bytes(location)
            yield {
                "passages": size,
                "chunks": stats.chunks,
                "entities": stats.entities,
                "relations": stats.relations,
                "failed": len(report.failed),
                "index_seconds": round(total_seconds, 1),
                "passages_per_second": round(len(records) / step, 1) if step else None,
                "store_mb": round(stored / 1e6, 1) if stored is not None else None,
                **measure(kg, questions),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "load_average": round(os.getloadavg()[0], 1),
            }
        kg.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,30000,100000", help="comma-separated passage counts")
    parser.add_argument("--bench", default=str(BENCH), help="bench sets: a folder or set prefixes, comma-separated")
    parser.add_argument("--questions", type=int, default=30, help="questions asked from each set")
    parser.add_argument("--neo4j", default=os.environ.get("NEO4J_URI"), help="also grow this Neo4j database")
    parser.add_argument("--store-dir", help="folder for the embedded store (default: a temporary one)")
    parser.add_argument("--json", action="store_true", help="print one JSON object a row")
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    prefixes = discover(args.bench.split(","))
    with tempfile.TemporaryDirectory(dir=args.store_dir) as folder:
        stores = {"embedded": str(Path(folder) / "graph.db")} | ({"neo4j": args.neo4j} if args.neo4j else {})
        for store, location in stores.items():
            if not args.json:
                print(f"== {store}: {len(sizes)} sizes, {args.questions} questions a set", flush=True)
                print(" ".join(f"{h:>{w}}" for h, w in COLUMNS), flush=True)
            for row in grow(location, prefixes, sizes, args.questions):
                row = {"store": store, **row}
                print(json.dumps(row) if args.json else format_row(row), flush=True)
    return 0


COLUMNS = (
    ("passages", 8),
    ("chunks", 7),
    ("entities", 8),
    ("relations", 9),
    ("index_seconds", 13),
    ("passages_per_second", 19),
    ("store_mb", 8),
    ("query_p50_ms", 12),
    ("query_p95_ms", 12),
    ("recall_at_5", 11),
    ("peak_rss_mb", 11),
    ("load_average", 12),
)


def format_row(row: dict[str, Any]) -> str:
    return " ".join(f"{'-' if row[h] is None else row[h]!s:>{w}}" for h, w in COLUMNS)


if __name__ == "__main__":
    sys.exit(main())
