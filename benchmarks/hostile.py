"""A hostile batch in one ``kgrag ingest`` call: hundreds of bad files of the kinds a tester throws at ingestion
(truncated and bit-flipped PDFs, random bytes, empty files, a DOCX bomb, a 200,000-row CSV, deeply nested HTML
and JSON, XML entity bombs, NUL bytes, symlink loops, hostile names) among good files.

Prints files tried, refused by kind, time, exit code, peak resident memory of the whole process tree, and how
many good files were stored. ``--scale 0.2`` is a quick run; ``--checkout`` measures another checkout's code
(``python -m kgrag`` runs the code of the folder it starts in).

    .venv/bin/python -m benchmarks.hostile --scale 0.2
    .venv/bin/python -m benchmarks.hostile --checkout ../main --timeout 420
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "corpus"
# One good file of each format, stored when ingestion works.
GOOD = [
    "press/2019-nordlys-acquisition.md",
    "people/priya-raman.txt",
    "people/amara-okafor.docx",
    "trials/hlv-301-results.pdf",
    "trials/registry.csv",
    "trials/kst-110.json",
    "regulatory/ema-veltrazumab-2022.html",
    "ontology/products.ttl",
]
# Bad files per kind at scale 1 (at least one of each at any scale): 551 in all.
BAD = {
    "truncated pdf": 100,
    "bit-flipped pdf": 100,
    "random bytes": 120,
    "empty": 50,
    "docx bomb": 2,
    "zip of zeros": 1,
    "200k-row csv": 1,
    "nested html": 20,
    "unclosed html": 20,
    "nested json": 20,
    "entity bomb xml": 5,
    "xxe xml": 5,
    "nul bytes": 40,
    "invalid text": 40,
    "symlink loop": 10,
    "hostile name": 17,
}
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + ']><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
    '<rdf:Description rdf:about="http://example.org/a"><ex:p>&lol9;</ex:p></rdf:Description></rdf:RDF>'
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
    '<rdf:Description rdf:about="http://example.org/a"><ex:p>&xxe;</ex:p></rdf:Description></rdf:RDF>'
)


def docx_bomb(megabytes: int) -> bytes:
    """A DOCX whose document part inflates to ``megabytes`` MB of XML from a file of about a thousandth of that."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0"?><w:document><w:body><w:p><w:r><w:t>')
            block = b"a" * (1024 * 1024)
            for _ in range(megabytes):
                part.write(block)
            part.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return buffer.getvalue()


def zip_of_zeros(megabytes: int) -> bytes:
    """A zip whose one member declares ``megabytes`` MB of zeros."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros", "w", force_zip64=True) as f,
    ):
        block = bytes(1024 * 1024)
        for _ in range(megabytes):
            f.write(block)
    return buffer.getvalue()


def generate(folder: Path, scale: float, seed: int = 0) -> dict[str, str]:
    """Write the batch into ``folder``; returns each file's name (relative) and its kind (``good`` for the good)."""
    rng = random.Random(seed)
    kinds: dict[str, str] = {}

    def put(name: str, kind: str, data: bytes | str) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        kinds[name] = kind

    for name in GOOD:
        put(f"good/{Path(name).name}", "good", (CORPUS / name).read_bytes())
    pdf = (CORPUS / "trials" / "hlv-301-results.pdf").read_bytes()
    counts = {kind: max(1, round(n * scale)) for kind, n in BAD.items()}
    for i in range(counts["truncated pdf"]):
        put(f"pdf/truncated-{i}.pdf", "truncated pdf", pdf[: rng.randrange(10, len(pdf) - 1)])
    for i in range(counts["bit-flipped pdf"]):
        flipped = bytearray(pdf)
        for _ in range(rng.randrange(1, 50)):
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        put(f"pdf/flipped-{i}.pdf", "bit-flipped pdf", bytes(flipped))
    for i in range(counts["random bytes"]):
        put(
            f"random/random-{i}{('.pdf', '.docx', '.txt')[i % 3]}",
            "random bytes",
            rng.randbytes(rng.randrange(1, 20_000)),
        )
    for i in range(counts["empty"]):
        put(f"empty/empty-{i}{('.txt', '.md', '.csv', '.json', '.html')[i % 5]}", "empty", b"")
    for i in range(counts["docx bomb"]):
        put(f"bombs/bomb-{i}.docx", "docx bomb", docx_bomb(550))
    for i in range(counts["zip of zeros"]):
        put(f"bombs/zeros-{i}.docx", "zip of zeros", zip_of_zeros(1024))
    for i in range(counts["200k-row csv"]):
        rows = "".join(f"ROW-{r},Company {r % 977},{r * 7 % 10_000}\n" for r in range(200_000))
        put(f"tables/big-{i}.csv", "200k-row csv", "id,company,amount\n" + rows)
    for i in range(counts["nested html"]):
        put(f"html/nested-{i}.html", "nested html", "<html><body>" + "<div>" * 100_000 + "deep" + "</div>" * 100_000)
    for i in range(counts["unclosed html"]):
        put(f"html/unclosed-{i}.html", "unclosed html", "<html><body>" + "<table><tr><td><p><b><i>x" * 20_000)
    for i in range(counts["nested json"]):
        put(f"json/nested-{i}.json", "nested json", "[" * 100_000 + '"deep"' + "]" * 100_000)
    for i in range(counts["entity bomb xml"]):
        put(f"xml/laughs-{i}.rdf", "entity bomb xml", BILLION_LAUGHS)
    for i in range(counts["xxe xml"]):
        put(f"xml/xxe-{i}.rdf", "xxe xml", XXE)
    for i in range(counts["nul bytes"]):
        put(f"text/nul-{i}.txt", "nul bytes", b"Halvorsen\x00Therapeutics " * rng.randrange(1, 200))
    for i in range(counts["invalid text"]):
        put(
            f"text/invalid-{i}.txt",
            "invalid text",
            bytes(rng.randrange(128, 256) for _ in range(rng.randrange(8, 2000))),
        )
    for i in range(counts["symlink loop"]):
        (folder / "links").mkdir(exist_ok=True)
        a, b = folder / "links" / f"loop-{i}a.txt", folder / "links" / f"loop-{i}b.txt"
        a.symlink_to(b.name)
        b.symlink_to(a.name)
        (folder / "links" / f"up-{i}").symlink_to("..")
        kinds[f"links/loop-{i}a.txt"] = kinds[f"links/loop-{i}b.txt"] = "symlink loop"
    names = [
        "-rf.txt",
        "--help.txt",
        "a;rm -rf ~.txt",
        "$(reboot).txt",
        "spaces  in  name.txt",
        "ünïcödé-名前.txt",
        "x" * 240 + ".txt",
        "quote'\"s.txt",
        "back\\slash.txt",
        "new\nline.txt",
        "tab\tname.txt",
        "%s%n.txt",
        "<script>.txt",
        "..dots...txt",
        "null%00.txt",
        "emoji-🧪.txt",
        "CON.txt",
    ]
    for i in range(counts["hostile name"]):
        put(f"names/{names[i % len(names)]}", "hostile name", f"Note {i}: Halvorsen Therapeutics acquired Nordlys Bio.")
    return kinds


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        here = todo.pop()
        total += rss.get(here, 0)
        todo.extend(children.get(here, []))
    return total


def run(folder: Path, store: Path, checkout: Path, timeout: float) -> dict[str, object]:
    """One ``kgrag ingest`` of the batch; its time, exit code, peak tree RSS and JSON report (when it finished)."""
    command = [sys.executable, "-m", "kgrag", "ingest", str(folder), "--store", str(store), "--json"]
    started = time.monotonic()
    # The report goes to a file: hundreds of refusals fill a pipe nobody reads while the process is watched.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as report_file:
        process = subprocess.Popen(
            command, cwd=checkout, stdout=report_file, stderr=subprocess.DEVNULL, text=True, start_new_session=True
        )
        peak, killed = 0, False
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid))
            if time.monotonic() - started > timeout:
                os.killpg(process.pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(0.2)
        process.wait()
        seconds = time.monotonic() - started
        report_file.seek(0)
        out = report_file.read()
    try:
        report = json.loads(out) if out.strip() else None
    except json.JSONDecodeError:
        report = None
    return {"seconds": seconds, "exit_code": process.returncode, "peak_rss": peak, "killed": killed, "report": report}


def stored_texts(store: Path) -> dict[str, str]:
    """Each stored document's source and text."""
    if not store.exists():
        return {}
    with closing(sqlite3.connect(store)) as db:
        try:
            return dict(db.execute("SELECT source, text FROM documents"))
        except sqlite3.OperationalError:
            return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of the bad files (default 1: 551).")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="The kgrag checkout to run (default this one).")
    parser.add_argument("--timeout", type=float, default=600, help="Kill the ingestion after this many seconds.")
    parser.add_argument("--keep", type=Path, help="Generate the batch here and keep it (default: a temporary folder).")
    args = parser.parse_args()
    if args.scale <= 0:
        parser.error("--scale must be positive")
    work = Path(tempfile.mkdtemp(prefix="kgrag-hostile-"))
    folder = args.keep or work / "batch"
    try:
        kinds = generate(folder, args.scale)
        store = work / "graph.db"
        done = run(folder, store, args.checkout.resolve(), args.timeout)
        report = done["report"]
        refused: Counter[str] = Counter()
        if isinstance(report, dict):
            for failure in report["failed"]:
                name = Path(failure["source"]).resolve().relative_to(folder.resolve()).as_posix()
                refused[kinds.get(name, "other")] += 1
        texts = stored_texts(store)
        stored = {Path(s).resolve().relative_to(folder.resolve()).as_posix() for s in texts}
        made = Counter(kinds.values())
        print(f"files tried        {len(kinds)} ({made['good']} good, {len(kinds) - made['good']} bad)")
        print(f"time               {done['seconds']:.1f} s{' (killed at the timeout)' if done['killed'] else ''}")
        print(f"exit code          {done['exit_code']}")
        print(f"peak RSS (tree)    {done['peak_rss'] / 1024**2:.0f} MB")
        print(f"good files stored  {sum(kinds[n] == 'good' for n in stored)}/{made['good']}")
        print(f"XXE expanded       {'yes' if any('root:' in text for text in texts.values()) else 'no'}")
        if not isinstance(report, dict):
            print("no report: the ingestion did not finish")
            return
        print(f"report             ingested {report['ingested']}, failed {len(report['failed'])}")
        for failure in report["failed"]:
            if "--max-seconds" in failure["reason"] or "--max-memory" in failure["reason"]:
                print(f"  {Path(failure['source']).name}: {failure['reason']}")
        print(f"{'kind':<18} {'files':>6} {'refused':>8} {'stored':>7}")
        for kind in ["good", *BAD]:
            kept = sum(kinds.get(n) == kind for n in stored)
            print(f"{kind:<18} {made[kind]:>6} {refused.get(kind, 0):>8} {kept:>7}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
