"""Neo4j beside the embedded store: write rate, query latency and store calls per query.

    python -m benchmarks.neo4j --neo4j bolt://127.0.0.1:7687            # the kgrag nodes of that database are deleted
    python -m benchmarks.neo4j --neo4j bolt://127.0.0.1:7687 --chunks 5000 --json

Write rate: one synthetic document (``--chunks`` passages, each mentioning two entities, with one relation
between them; no model is loaded) written in one transaction, in relationships (``HAS_CHUNK``, ``NEXT``,
``MENTIONS`` and typed relations) per second, on both stores. Queries: data/corpus is ingested into the embedded
store and migrated to Neo4j, then every data/questions.json question is asked on both: p50/p95 latency, store
protocol calls per query, and for Neo4j the server round trips (statements sent) per query.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from kg.migrate import migrate
from kg.model import Chunk, Document, DocumentGraph, Entity, Mention, Provenance, Relation, stable_id
from kg.store import GraphStore
from kg.stores import open_store
from kgrag.api import KnowledgeGraph
from kgrag.settings import Settings

DATA = Path(__file__).resolve().parent.parent / "data"
DIM = 384


class CountingStore:
    """A store that counts the protocol calls made through it, by method name."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._store, name)
        if not callable(value) or name.startswith("_"):
            return value

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return value(*args, **kwargs)

        return counted


def big_document(chunks: int) -> DocumentGraph:
    """``chunks`` passages, each naming two entities of a pool of 200 and stating one relation between them."""
    rng = np.random.default_rng(7)
    names = [f"Entity {i}" for i in range(200)]
    entities = tuple(Entity(stable_id("bench", n), n, "ORG") for n in names)
    text_parts, chunk_rows, mentions, relations, start = [], [], [], [], 0
    for i in range(chunks):
        a, b = names[i % 200], names[(7 * i + 3) % 200]
        sentence = f"{a} acquired {b} in year {i}. "
        chunk = Chunk(f"big-{i}", "big", i, start, start + len(sentence), sentence)
        chunk_rows.append(chunk)
        mentions.append(Mention(entities[i % 200].id, "big", chunk.id, start, start + len(a), a))
        b_at = start + sentence.index(b)
        mentions.append(Mention(entities[(7 * i + 3) % 200].id, "big", chunk.id, b_at, b_at + len(b), b))
        relations.append(
            Relation(
                entities[i % 200].id,
                "acquire",
                entities[(7 * i + 3) % 200].id,
                Provenance("big", chunk.id, start, start + len(sentence), "bench", "1"),
            )
        )
        text_parts.append(sentence)
        start += len(sentence)
    vectors = rng.standard_normal((chunks, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    doc = Document("big", "file:///big.txt", "Big", "text/plain", "bench", "".join(text_parts))
    return DocumentGraph(doc, tuple(chunk_rows), vectors, entities, tuple(mentions), tuple(relations), "bench")


def write_rate(store: GraphStore, graph: DocumentGraph) -> dict[str, Any]:
    relationships = 2 * len(graph.chunks) - 1 + len(graph.mentions) + len(graph.relations)
    started = time.perf_counter()
    store.write_document(graph)
    seconds = time.perf_counter() - started
    return {
        "relationships": relationships,
        "write_seconds": round(seconds, 2),
        "relationships_per_second": round(relationships / seconds),
        "passages_per_second": round(len(graph.chunks) / seconds),
    }


def query_costs(
    store: GraphStore, settings: Settings, questions: list[str], round_trips: Callable[[], int] | None
) -> dict[str, Any]:
    counting = CountingStore(store)
    kg = KnowledgeGraph(counting, settings)  # type: ignore[arg-type]
    kg.query(questions[0])  # warm up: models, caches, query plans
    counting.calls.clear()
    trips_before = round_trips() if round_trips else 0
    latencies = []
    for question in questions:
        started = time.perf_counter()
        kg.query(question)
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    result = {
        "queries": len(questions),
        "latency_p50_ms": round(1000 * statistics.median(latencies), 1),
        "latency_p95_ms": round(1000 * latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1),
        "store_calls_per_query": round(sum(counting.calls.values()) / len(questions), 1),
    }
    if round_trips:
        result["round_trips_per_query"] = round((round_trips() - trips_before) / len(questions), 1)
    return result


def counting_round_trips(store: Any) -> Callable[[], int]:
    """Count every statement the Neo4j store sends (its ``_run`` and ``_write`` are its only ways out)."""
    sent = Counter[str]()
    for name in ("_run", "_write"):
        original = getattr(store, name)

        def counted(*args: Any, _original: Callable[..., Any] = original, **kwargs: Any) -> Any:
            sent["statements"] += 1
            return _original(*args, **kwargs)

        setattr(store, name, counted)
    return lambda: sent["statements"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neo4j", required=True, help="a Neo4j URI; its kgrag nodes are deleted first")
    parser.add_argument("--chunks", type=int, default=2000, help="passages in the synthetic document (2000)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    settings = Settings(domain=str(DATA / "domain" / "pharma.json"))
    questions = [q["question"] for q in json.loads((DATA / "questions.json").read_text(encoding="utf-8"))]
    graph = big_document(args.chunks)
    neo = open_store(args.neo4j)
    neo.clear()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        embedded = open_store(Path(folder) / "big.db")
        results["embedded"] = write_rate(embedded, graph)
        embedded.close()
        results["neo4j"] = write_rate(neo, graph)
        neo.clear()
        kg = KnowledgeGraph.open(Path(folder) / "graph.db", settings)
        kg.ingest([DATA / "corpus"])
        migrate(kg.store, neo)
        results["embedded"] |= query_costs(kg.store, settings, questions, None)
        results["neo4j"] |= query_costs(neo, settings, questions, counting_round_trips(neo))
        kg.close()
    neo.clear()
    neo.close()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        keys = list(dict.fromkeys(k for r in results.values() for k in r))
        print(f"{'':>26}  {'embedded':>10}  {'neo4j':>10}")
        for key in keys:
            print(f"{key:>26}  {results['embedded'].get(key, '-')!s:>10}  {results['neo4j'].get(key, '-')!s:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
