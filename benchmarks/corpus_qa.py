"""Question answering over a folder corpus: does retrieval hand back the documents and rows a question needs?

    python -m benchmarks.corpus_qa data/lawfirm                                  # no domain pack, as a new user
    python -m benchmarks.corpus_qa data --domain data/domain/pharma.json --json

A set is a folder holding ``corpus/`` and ``questions.json``: a list of ``{"id", "question", "answer", "type",
"supporting", "evidence"}`` where ``supporting`` lists paths relative to the folder and ``evidence`` (optional)
strings that a returned passage must hold (a table row's id, both ids of a comparison). Printed per question type:

- ``R@2`` / ``R@5``: the fraction of supporting documents among the first 2 / 5 distinct documents returned;
- ``evid@5``: the fraction of questions whose every evidence string is in one of the first 5 passages;
- ``first``: the fraction whose first passage holds the first evidence string (the identified row ranked first);
- ``path``: the fraction whose first shown path ends on, or passes through, an entity named like the answer;
- ``abstain``: for questions without supporting documents, the fraction answered "insufficient evidence".
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kg.errors import KgragError
from kgrag import KnowledgeGraph, RetrievalResult, Settings

K = 5
METRICS = ("R@2", "R@5", "evid@5", "first", "path", "abstain")


def load_questions(folder: Path) -> list[dict[str, Any]]:
    path = folder / "questions.json"
    if not (folder / "corpus").is_dir() or not path.is_file():
        raise SystemExit(f"error: {folder} must hold corpus/ and questions.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _folded(text: str) -> str:
    return " ".join(text.lower().replace(",", "").split())


def score(question: dict[str, Any], result: RetrievalResult, folder: Path) -> dict[str, float]:
    """One question's metrics; a metric that does not apply to the question is left out."""
    if not question["supporting"]:
        return {"abstain": float(result.status == "insufficient_evidence")}
    sources = list(dict.fromkeys(p.source for p in result.passages))
    wanted = {str((folder / s).resolve()) for s in question["supporting"]}
    row = {f"R@{k}": len(wanted & set(sources[:k])) / len(wanted) for k in (2, 5)}
    texts = [_folded(p.text) for p in result.passages[:K]]
    evidence = [_folded(e) for e in question.get("evidence", [])]
    if evidence:
        row["evid@5"] = float(all(any(e in t for t in texts) for e in evidence))
        row["first"] = float(bool(texts) and evidence[0] in texts[0])
    if len(question["supporting"]) > 1 and question.get("answer"):
        answer = _folded(question["answer"])
        names = [_folded(n) for n in (result.paths[0].entities if result.paths else ())]
        row["path"] = float(any(answer in n or (n and n in answer) for n in names))
    return row


def summarise(rows: Sequence[tuple[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[dict[str, float]]] = defaultdict(list)
    for kind, row in rows:
        groups["all"].append(row)
        groups[kind].append(row)
    table: dict[str, dict[str, float]] = {}
    for group, members in groups.items():
        table[group] = {"n": len(members)}
        for metric in METRICS:
            values = [m[metric] for m in members if metric in m]
            if values:
                table[group][metric] = 100 * statistics.fmean(values)
    return table


def format_table(table: dict[str, dict[str, float]]) -> str:
    lines = [f"{'type':<14} {'n':>3} " + " ".join(f"{m:>7}" for m in METRICS)]
    for group in sorted(table, key=lambda g: (g != "all", g)):
        row = table[group]
        cells = " ".join(f"{row[m]:7.1f}" if m in row else f"{'-':>7}" for m in METRICS)
        lines.append(f"{group:<14} {int(row['n']):>3} {cells}")
    return "\n".join(lines)


def run(folder: Path, store: str, domain: str | None) -> tuple[dict[str, dict[str, float]], list[dict[str, Any]]]:
    questions = load_questions(folder)
    rows: list[tuple[str, dict[str, float]]] = []
    details: list[dict[str, Any]] = []
    with KnowledgeGraph.open(store, Settings(domain=domain)) as kg:
        report = kg.ingest([folder / "corpus"])
        if report.failed:
            raise SystemExit(f"error: {len(report.failed)} documents failed, e.g. {report.failed[0]}")
        for question in questions:
            result = kg.query(question["question"], k=K)
            row = score(question, result, folder)
            rows.append((question["type"], row))
            details.append(
                {
                    "id": question["id"],
                    "type": question["type"],
                    **row,
                    "top": [Path(p.source).name for p in result.passages],
                    "shown_path": list(result.paths[0].entities) if result.paths else [],
                }
            )
    return summarise(rows), details


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="a folder holding corpus/ and questions.json")
    parser.add_argument("--domain", help="a domain pack (default: none, as a new user would start)")
    parser.add_argument("--store-dir", help="folder for the temporary embedded store")
    parser.add_argument("--details", action="store_true", help="also print each question's result")
    parser.add_argument("--json", action="store_true", help="print the table (and details) as JSON")
    args = parser.parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(dir=args.store_dir) as tmp:
            table, details = run(args.folder, str(Path(tmp) / "graph.db"), args.domain)
    except KgragError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"table": table, **({"details": details} if args.details else {})}, indent=2))
        return 0
    if args.details:
        for d in details:
            print(json.dumps(d))
    print(format_table(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
