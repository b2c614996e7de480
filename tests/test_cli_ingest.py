"""``kgrag ingest`` on hostile input, through the CLI and checked through the API: limits by flag, files refused
one by one while every good file is stored, encodings recorded."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgrag.api import KnowledgeGraph
from kgrag.cli import cli

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NOTES = 24

GOOD = {
    "acquisition.md": "# Halvorsen buys Nordlys\n\nHalvorsen Therapeutics acquired Nordlys Bio in 2019.\n",
    "approval.txt": "Veltrazumab was approved by the European Medicines Agency in March 2022.\n",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mixed")
    for name, text in GOOD.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "latin.txt").write_bytes("Zoë Brandt leads the café trial at Limerick.".encode("cp1252"))
    (root / "utf16.txt").write_bytes("Lumiprine is licensed to Halvorsen Therapeutics.".encode("utf-16"))
    (root / "rows.csv").write_text("name,value\n" + "".join(f"r{i},{i}\n" for i in range(50)), encoding="utf-8")
    (root / "deep.json").write_text("[" * 500 + '"x"' + "]" * 500, encoding="utf-8")
    (root / "random.pdf").write_bytes(bytes(range(256)) * 4)
    (root / "empty.txt").write_bytes(b"")
    (root / "picture.png").write_bytes(b"\x89PNG")
    (root / "loop-a.txt").symlink_to("loop-b.txt")
    (root / "loop-b.txt").symlink_to("loop-a.txt")
    return root


@pytest.fixture(scope="module")
def ingested(mixed: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, tuple[int, str, str]]:
    store = str(tmp_path_factory.mktemp("store") / "graph.db")
    return store, run("ingest", str(mixed), "--store", store, "--max-rows", "20", "--json")


def test_bad_files_are_refused_by_name_and_good_ones_stored(ingested: tuple[str, tuple[int, str, str]]) -> None:
    store, (code, out, _) = ingested
    report = json.loads(out)
    assert code == 1 and report["ingested"] == 4
    assert [Path(p).name for p in report["skipped"]] == ["picture.png"], "unsupported: counted, not failed"
    reasons = {Path(f["source"]).name: f["reason"] for f in report["failed"]}
    assert set(reasons) == {"rows.csv", "deep.json", "random.pdf", "empty.txt", "loop-a.txt", "loop-b.txt"}
    assert reasons["loop-a.txt"] == "a broken or looping symbolic link"
    assert "over the rows limit of 20 (--max-rows)" in reasons["rows.csv"]
    assert "over the depth limit of 200 (--max-depth)" in reasons["deep.json"]
    assert "corrupt PDF" in reasons["random.pdf"] and reasons["empty.txt"] == "empty file"
    with KnowledgeGraph.open(store) as kg:
        stored = {Path(d.source).name: d for d in kg.documents()}
    assert set(stored) == {*GOOD, "latin.txt", "utf16.txt"}
    assert stored["latin.txt"].metadata["encoding"] == "cp1252" and "Zoë Brandt" in stored["latin.txt"].text
    assert stored["utf16.txt"].metadata["encoding"] == "utf-16"


def test_a_file_over_its_time_costs_only_itself(mixed: Path, tmp_path: Path) -> None:
    slow = tmp_path / "slow.csv"  # sniffed and read as 19,000 rows: far longer than 0.1 s
    slow.write_text("name,value\n" + "".join(f"row {i},{i}\n" for i in range(19_000)), encoding="utf-8")
    store = str(tmp_path / "graph.db")
    code, out, err = run("ingest", str(slow), str(mixed / "approval.txt"), "--store", store, "--max-seconds", "0.1")
    assert code == 1 and "ingested 1, unchanged 0, failed 1" in out
    assert "slow.csv: reading it took too long: over the seconds limit of 0.1 (--max-seconds)" in err


def test_sigterm_stops_after_a_document_and_reports(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # Eight passages a note: the encoder's batch of 64 passages fills every eight notes, so the first eight are
    # written while the others are still to come.
    paragraph = "Halvorsen Therapeutics filed report {i} in Oslo. " * 20
    for i in range(NOTES):
        text = "\n\n".join(paragraph.format(i=f"{i}.{p}") for p in range(8))
        (corpus / f"note-{i:02}.txt").write_text(f"Note {i}\n\n{text}\n", encoding="utf-8")
    store = tmp_path / "graph.db"
    command = [sys.executable, "-m", "kgrag", "ingest", str(corpus), "--store", str(store)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while documents(store) == 0 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 143, err
    assert "stopped by SIGTERM" in err
    done = re.search(r"ingested (\d+), unchanged 0, failed 0, not reached (\d+)", out)
    assert done is not None, out
    assert int(done[1]) == documents(store) and int(done[1]) + int(done[2]) == NOTES
    code, out, _ = run("ingest", str(corpus), "--store", str(store))
    assert code == 0 and f"ingested {NOTES - int(done[1])}, unchanged {done[1]}, failed 0" in out
    assert documents(store) == NOTES


def documents(store: Path) -> int:
    """Documents committed so far, read as another process would, while the ingestion writes."""
    if not store.exists():
        return 0
    with closing(sqlite3.connect(store, timeout=30)) as db:
        try:
            return db.execute("SELECT count(*) FROM documents").fetchone()[0]
        except sqlite3.OperationalError:  # the schema is not created yet
            return 0


def test_a_group_change_by_reingestion_is_reported_and_audited(mixed: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "graph.db")
    assert run("ingest", str(mixed / "approval.txt"), "--store", store)[0] == 0
    code, out, _ = run("ingest", str(mixed / "approval.txt"), "--store", store, "--acl", "board", "--as", "carol")
    assert code == 0 and "ingested 0, unchanged 0, regrouped 1, failed 0" in out
    with KnowledgeGraph.open(store) as kg:
        (doc,) = kg.documents(groups=["board"])
        (event,) = kg.audit_events(action="acl_set")
    assert event.user == "carol" and event.doc_ids == (doc.id,) and event.acl == ("board",) and event.existed
    code, out, _ = run("ingest", str(mixed / "approval.txt"), "--store", store, "--acl", "board")
    assert "ingested 0, unchanged 1, failed 0" in out, "the same groups again are no change"


def test_force_twice_leaves_the_graph_of_once(mixed: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "graph.db")
    run("ingest", str(mixed), "--store", store)
    counts = []
    for _ in range(2):
        assert "ingested 5," in run("ingest", str(mixed), "--store", store, "--force")[1]
        counts.append(json.loads(run("stats", "--store", store, "--json")[1]))
    assert counts[0] == counts[1]
