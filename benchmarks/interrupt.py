"""Interrupted ingestions: ``kill -9`` and SIGTERM at random moments of ``kgrag ingest``, each followed by a re-run,
must leave no corrupt store and no lost or duplicated record, and SIGTERM must still print its report.

Each round ingests the corpus into a fresh embedded store, signals the process after a random delay (up to the
time one whole ingestion takes), runs the same command again to completion, then checks the store's integrity,
that its counts equal an uninterrupted ingestion's, and that no chunk, mention or relation is stored twice.

    .venv/bin/python -m benchmarks.interrupt --rounds 20
    .venv/bin/python -m benchmarks.interrupt --rounds 3 --corpus data/corpus/press
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNTS = {
    "documents": "SELECT count(*) FROM documents",
    "chunks": "SELECT count(*) FROM chunks",
    "entities": "SELECT count(*) FROM entities",
    "mentions": "SELECT count(*) FROM mentions",
    "relations": "SELECT count(*) FROM relations",
}
DUPLICATES = {
    "chunks": "SELECT count(*) - count(DISTINCT id) FROM chunks",
    "mentions": "SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT entity_id, doc_id, start, "
    '"end" FROM mentions)) FROM mentions',
    "relations": "SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT subject_id, predicate, object_id, doc_id, "
    'start, "end" FROM relations)) FROM relations',
}


def ingest(corpus: Path, store: Path, domain: Path | None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "kgrag", "ingest", str(corpus), "--store", str(store)]
    if domain is not None:
        command += ["--domain", str(domain)]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def check(store: Path) -> tuple[bool, dict[str, int], int]:
    """Whether SQLite finds the file sound, its counts, and how many records are stored twice."""
    with closing(sqlite3.connect(store)) as db:
        sound = db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = {name: db.execute(sql).fetchone()[0] for name, sql in COUNTS.items()}
        duplicated = sum(db.execute(sql).fetchone()[0] for sql in DUPLICATES.values())
    return sound, counts, duplicated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="Rounds of each signal (default 20).")
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus", help="The folder to ingest.")
    parser.add_argument("--domain", type=Path, default=ROOT / "data" / "domain" / "pharma.json", help="Domain pack.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="kgrag-interrupt-"))
    try:
        run_rounds(args, rng, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_rounds(args: argparse.Namespace, rng: random.Random, work: Path) -> None:
    """The uninterrupted reference, then each signal's rounds, then the tally."""
    started = time.monotonic()
    reference = ingest(args.corpus, work / "reference.db", args.domain)
    reference.communicate()
    whole = time.monotonic() - started
    _, expected, _ = check(work / "reference.db")
    print(f"uninterrupted: {whole:.1f} s, {expected}")
    tally = {"rounds": 0, "during": 0, "corrupt": 0, "lost_or_extra": 0, "duplicated": 0, "reports": 0}
    for signum in (signal.SIGKILL, signal.SIGTERM):
        for i in range(args.rounds):
            store = work / f"{signum.name.lower()}-{i}.db"
            process = ingest(args.corpus, store, args.domain)
            # Up to 0.8 of the reference's time: on a loaded machine a later run can be faster than it was.
            delay = rng.uniform(0, 0.8 * whole)
            time.sleep(delay)
            during = process.poll() is None
            process.send_signal(signum)
            out, _ = process.communicate()
            tally["during"] += during
            if signum == signal.SIGTERM:
                tally["reports"] += "ingested" in out
            rerun = ingest(args.corpus, store, args.domain)
            rerun.communicate()
            sound, counts, duplicated = check(store)
            tally["rounds"] += 1
            tally["corrupt"] += not sound
            tally["lost_or_extra"] += counts != expected
            tally["duplicated"] += duplicated
            print(
                f"{signum.name} after {delay:5.1f} s: exit {process.returncode}, re-run exit {rerun.returncode}, "
                f"sound {sound}, counts {'same' if counts == expected else counts}, duplicated {duplicated}"
            )
    print(
        f"{tally['rounds']} signalled ingestions ({tally['during']} still running when signalled): {tally['corrupt']} "
        f"corrupt stores, {tally['lost_or_extra']} with lost or extra records, {tally['duplicated']} duplicated "
        f"records; SIGTERM printed its report {tally['reports']}/{args.rounds}"
    )


if __name__ == "__main__":
    main()
