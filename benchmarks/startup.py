"""How long the commands that need no model take to start, and which heavy libraries they import.

    python -m benchmarks.startup               # --help, stats, documents and audit on a fresh empty store
    python -m benchmarks.startup --runs 10 --json

Each command runs in a fresh interpreter (``python -m kgrag.cli ...``), as a user's shell would start it; the figure
is the median wall time of ``--runs`` runs, with the CPU time beside it (on a loaded machine, wall time
measures the load; CPU time measures the command). The target is under 0.5 s: models load only for commands
that use them.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("spacy", "torch", "sentence_transformers", "transformers", "networkx", "rapidfuzz")


def commands(store: str) -> dict[str, list[str]]:
    return {
        "kgrag --help": ["--help"],
        "kgrag stats": ["stats", "--store", store],
        "kgrag documents": ["documents", "--store", store],
        "kgrag audit": ["audit", "--store", store],
    }


def measure(args: list[str], runs: int) -> dict[str, object]:
    """Median seconds over ``runs`` fresh interpreters, and the heavy modules the command imported."""
    seconds, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kgrag.cli", *args], capture_output=True, check=True)
        seconds.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    traced = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kgrag.cli", *args], capture_output=True, text=True, check=True
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in traced.stderr.splitlines() if "|" in line}
    return {
        "median_s": round(statistics.median(seconds), 3),
        "median_cpu_s": round(statistics.median(cpu), 3),
        "heavy_imports": sorted(imported & set(HEAVY)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per command (default 5)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        store = str(Path(folder) / "graph.db")
        from kgrag.api import KnowledgeGraph

        KnowledgeGraph.open(store).close()  # an empty store, so read commands have one to read
        figures = {name: measure(cmd, args.runs) for name, cmd in commands(store).items()}
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{'command':<18} {'wall s':>7} {'cpu s':>6}  heavy modules imported")
    for name, figure in figures.items():
        heavy = ", ".join(figure["heavy_imports"]) or "none"
        print(f"{name:<18} {figure['median_s']:>7.3f} {figure['median_cpu_s']:>6.3f}  {heavy}")


if __name__ == "__main__":
    main()
