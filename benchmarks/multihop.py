"""Multi-hop retrieval benchmark: passage Recall@2/@5 of kgrag against BM25 and dense retrieval, in one run.

    python -m benchmarks.multihop ../shared/bench/musique_dev100 ../shared/bench/2wiki_dev
    python -m benchmarks.multihop ../shared/bench            # every set in a folder
    python -m benchmarks.multihop SET --neo4j neo4j://localhost:7687 --limit 20
    python -m benchmarks.multihop ../shared/bench --union    # each set against all sets' passages at once

A set is ``NAME_questions.json`` (``id``, ``question``, ``type``, ``gold_ids``) beside ``NAME_corpus.json``
(``id``, ``title``, ``text``); each passage is indexed as its title and text together. Recall@k is the
fraction of a question's gold passages among the first k distinct passages returned, averaged over questions.

With ``--union``, the sets' corpora are indexed together (ids become ``SET/ID``; a passage repeated in another set
is kept once) and every set's questions run against the whole, so that the other sets' passages are distractors:
the figures say how recall holds up in a larger corpus.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from kg.embedding import Embedder
from kg.errors import KgragError
from kgrag.api import KnowledgeGraph, TextRecord

log = logging.getLogger(__name__)

KS = (2, 5)
RANKING_DEPTH = 10
SYSTEMS = ("bm25", "dense", "kgrag")


@dataclass(frozen=True)
class BenchSet:
    name: str
    questions: list[dict[str, Any]]
    corpus: list[dict[str, Any]]


@dataclass
class SystemRun:
    """One system's rankings over a set, with the time it took to index and to answer."""

    name: str
    index_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    rankings: dict[str, list[tuple[str, float]]] = field(default_factory=dict)


def discover(paths: Sequence[str]) -> list[Path]:
    """Set prefixes (``…/NAME``) from prefixes, question files or folders holding sets."""
    prefixes: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            prefixes.extend(sorted(Path(str(q)[: -len("_questions.json")]) for q in path.glob("*_questions.json")))
        elif path.name.endswith("_questions.json"):
            prefixes.append(Path(str(path)[: -len("_questions.json")]))
        else:
            prefixes.append(path)
    for prefix in prefixes:
        for suffix in ("_questions.json", "_corpus.json"):
            if not Path(f"{prefix}{suffix}").is_file():
                raise SystemExit(f"error: {prefix}{suffix} not found")
    if not prefixes:
        raise SystemExit(f"error: no benchmark sets in {', '.join(paths)}")
    return prefixes


def load_set(prefix: Path, limit: int | None = None) -> BenchSet:
    questions = json.loads(Path(f"{prefix}_questions.json").read_text(encoding="utf-8"))
    corpus = json.loads(Path(f"{prefix}_corpus.json").read_text(encoding="utf-8"))
    return BenchSet(prefix.name, questions[:limit] if limit else questions, corpus)


def union(sets: Sequence[BenchSet]) -> tuple[BenchSet, list[BenchSet]]:
    """One set holding every set's passages and questions, ids qualified by the set's name, and a view of each
    original set's questions over that union (to summarise per set)."""
    corpus: list[dict[str, Any]] = []
    kept: dict[tuple[str, str], str] = {}
    questions: list[dict[str, Any]] = []
    views: list[BenchSet] = []
    for bench in sets:
        renamed: dict[str, str] = {}
        for passage in bench.corpus:
            qualified = f"{bench.name}/{passage['id']}"
            key = (passage["title"], passage["text"])
            if key not in kept:
                kept[key] = qualified
                corpus.append({**passage, "id": qualified})
            renamed[str(passage["id"])] = kept[key]
        asked = [
            {**q, "id": f"{bench.name}/{q['id']}", "gold_ids": [renamed[str(g)] for g in q["gold_ids"]]}
            for q in bench.questions
        ]
        questions.extend(asked)
        views.append(BenchSet(f"{bench.name}+union", asked, corpus))
    return BenchSet("union", questions, corpus), views


def passage_text(passage: dict[str, Any]) -> str:
    return f"{passage['title']}\n{passage['text']}"


def recall(ranking: Sequence[str], gold: Sequence[str], k: int) -> float:
    """Fraction of ``gold`` among the first ``k`` distinct ids of ``ranking``."""
    top = list(dict.fromkeys(ranking))[:k]
    wanted = {str(g) for g in gold}
    return len(wanted & set(top)) / len(wanted) if wanted else 0.0


def run_bm25(bench: BenchSet) -> SystemRun:
    import bm25s

    run = SystemRun("bm25")
    ids = [str(p["id"]) for p in bench.corpus]
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize([passage_text(p) for p in bench.corpus], stopwords="en", show_progress=False),
        show_progress=False,
    )
    run.index_seconds = time.perf_counter() - started
    for q in bench.questions:
        started = time.perf_counter()
        tokens = bm25s.tokenize([q["question"]], stopwords="en", show_progress=False)
        docs, scores = retriever.retrieve(tokens, k=min(RANKING_DEPTH, len(ids)), show_progress=False)
        run.latencies.append(time.perf_counter() - started)
        run.rankings[str(q["id"])] = [(ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True)]
    return run


def run_dense(bench: BenchSet, embedder: Embedder) -> SystemRun:
    run = SystemRun("dense")
    ids = [str(p["id"]) for p in bench.corpus]
    started = time.perf_counter()
    matrix = embedder.encode([passage_text(p) for p in bench.corpus])
    run.index_seconds = time.perf_counter() - started
    for q in bench.questions:
        started = time.perf_counter()
        scores = matrix @ embedder.encode([q["question"]])[0]
        top = np.argsort(-scores)[:RANKING_DEPTH]
        run.latencies.append(time.perf_counter() - started)
        run.rankings[str(q["id"])] = [(ids[i], float(scores[i])) for i in top]
    return run


def run_kgrag(bench: BenchSet, store: str) -> SystemRun:
    run = SystemRun("kgrag")
    records = [TextRecord(id=str(p["id"]), title=p["title"], text=passage_text(p)) for p in bench.corpus]
    with KnowledgeGraph.open(store) as kg:
        kg.clear()  # a benchmark needs a fresh store: a Neo4j database may hold an earlier run's graph
        started = time.perf_counter()
        report = kg.ingest_texts(records, progress=sys.stderr.isatty())
        run.index_seconds = time.perf_counter() - started
        if report.failed:
            log.warning("%d passages failed to index, e.g. %s", len(report.failed), report.failed[0])
        kg.query(bench.questions[0]["question"])  # load the models before timing queries
        for q in tqdm(bench.questions, desc=f"kgrag {bench.name}", disable=not sys.stderr.isatty(), leave=False):
            started = time.perf_counter()
            result = kg.query(q["question"], k=RANKING_DEPTH)
            run.latencies.append(time.perf_counter() - started)
            run.rankings[str(q["id"])] = [(p.doc_id, p.score) for p in result.passages]
    return run


def summarise(bench: BenchSet, runs: Sequence[SystemRun]) -> dict[str, Any]:
    types = sorted({q["type"] for q in bench.questions})
    summary: dict[str, Any] = {
        "set": bench.name,
        "questions": len(bench.questions),
        "passages": len(bench.corpus),
        "systems": {},
    }
    for run in runs:
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for q in bench.questions:
            ranking = [doc for doc, _ in run.rankings.get(str(q["id"]), [])]
            row = {f"R@{k}": recall(ranking, q["gold_ids"], k) for k in KS}
            groups["all"].append(row)
            groups[q["type"]].append(row)
        table = {
            group: {**{f"R@{k}": 100 * statistics.fmean(r[f"R@{k}"] for r in rows) for k in KS}, "n": len(rows)}
            for group, rows in groups.items()
            if group == "all" or group in types
        }
        latencies = sorted(run.latencies)
        summary["systems"][run.name] = {
            "recall": table,
            "index_seconds": round(run.index_seconds, 2),
            "passages_per_second": round(len(bench.corpus) / run.index_seconds, 1) if run.index_seconds else None,
            "latency_ms": {
                "p50": round(1000 * _percentile(latencies, 50), 1),
                "p95": round(1000 * _percentile(latencies, 95), 1),
            },
        }
    return summary


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def format_summary(summary: dict[str, Any]) -> str:
    lines = [f"== {summary['set']}: {summary['questions']} questions, {summary['passages']} passages"]
    lines.append(f"{'system':<8} {'type':<22} {'R@2':>6} {'R@5':>6} {'n':>4}")
    for name, data in summary["systems"].items():
        for group, row in sorted(data["recall"].items(), key=lambda item: (item[0] != "all", item[0])):
            lines.append(f"{name:<8} {group:<22} {row['R@2']:6.1f} {row['R@5']:6.1f} {row['n']:4d}")
    lines.append(f"{'system':<8} {'index s':>8} {'passages/s':>11} {'p50 ms':>8} {'p95 ms':>8}")
    for name, data in summary["systems"].items():
        rate = data["passages_per_second"]
        lines.append(
            f"{name:<8} {data['index_seconds']:8.1f} {rate if rate is not None else '-':>11} "
            f"{data['latency_ms']['p50']:8.1f} {data['latency_ms']['p95']:8.1f}"
        )
    return "\n".join(lines)


def write_rankings(path: Path, bench: BenchSet, runs: Sequence[SystemRun]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for q in bench.questions:
            row: dict[str, Any] = {
                "id": q["id"],
                "type": q["type"],
                "question": q["question"],
                "gold_ids": [str(g) for g in q["gold_ids"]],
            }
            for run in runs:
                ranking = run.rankings.get(str(q["id"]), [])
                row[run.name] = {
                    "top": [[doc, round(score, 6)] for doc, score in ranking],
                    **{f"R@{k}": recall([d for d, _ in ranking], q["gold_ids"], k) for k in KS},
                }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def run_set(prefix: Path, args: argparse.Namespace, embedder: Callable[[], Embedder]) -> dict[str, Any]:
    bench = load_set(prefix, args.limit)
    runs = run_systems(bench, args, embedder)
    return report(bench, runs, args.out)


def report(bench: BenchSet, runs: Sequence[SystemRun], out: Path) -> dict[str, Any]:
    summary = summarise(bench, runs)
    write_rankings(out / f"{bench.name}.jsonl", bench, runs)
    (out / f"{bench.name}.summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def run_systems(bench: BenchSet, args: argparse.Namespace, embedder: Callable[[], Embedder]) -> list[SystemRun]:
    runs: list[SystemRun] = []
    if "bm25" in args.systems:
        runs.append(run_bm25(bench))
    if "dense" in args.systems:
        runs.append(run_dense(bench, embedder()))
    if "kgrag" in args.systems:
        if args.neo4j:
            runs.append(run_kgrag(bench, args.neo4j))
        else:
            with tempfile.TemporaryDirectory(dir=args.store_dir) as folder:
                runs.append(run_kgrag(bench, str(Path(folder) / "graph.db")))
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="+", help="set prefixes (…/musique_dev100), question files or folders")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated: bm25,dense,kgrag")
    parser.add_argument("--limit", type=int, help="only the first N questions of each set")
    parser.add_argument("--out", type=Path, default=Path("bench-out"), help="folder for rankings and summaries")
    parser.add_argument("--store-dir", help="folder for the temporary embedded stores")
    parser.add_argument(
        "--neo4j", help="build the kgrag store in this Neo4j database instead (its kgrag nodes are deleted first)"
    )
    parser.add_argument(
        "--union", action="store_true", help="index all sets' passages together and run each set against the whole"
    )
    parser.add_argument("--json", action="store_true", help="print the summaries as JSON")
    args = parser.parse_args(argv)
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(args.systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    logging.basicConfig(level=logging.WARNING)
    shared: list[Embedder] = []

    def embedder() -> Embedder:
        if not shared:
            shared.append(Embedder())
        return shared[0]

    summaries = []
    try:
        if args.union:
            combined, views = union([load_set(prefix, args.limit) for prefix in discover(args.sets)])
            runs = run_systems(combined, args, embedder)
            summaries = [report(view, runs, args.out) for view in views]
            if not args.json:
                print("\n".join(format_summary(s) for s in summaries), flush=True)
        else:
            for prefix in discover(args.sets):
                summary = run_set(prefix, args, embedder)
                summaries.append(summary)
                if not args.json:
                    print(format_summary(summary), flush=True)
    except KgragError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summaries, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
