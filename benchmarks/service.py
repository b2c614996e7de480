"""The service under load: concurrent clients querying over HTTP while another uploads documents to ingest.

    python -m benchmarks.service                              # 8 clients, 500 queries, data/ on a fresh store
    python -m benchmarks.service --clients 4 --queries 100 --json

Builds a fresh embedded store (data/corpus as ``public``, data/restricted as ``hr``), registers one reader per
group set (``public``; ``public,hr``), starts ``kgrag serve``'s app on 127.0.0.1, and runs the clients, each as one
of the readers, while a curator uploads the restricted files again under new names into the group ``board``,
which no reader is in. Prints throughput, latency p50/p95, errors (any answer but 200) and leaks: a passage,
triple or path step citing a document outside what the client's groups could see before the run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data"


def cited_documents(result: dict[str, Any]) -> set[str]:
    """Every document a query result cites, wherever it cites it."""
    cited = {p["doc_id"] for p in result["passages"]} | {t["doc_id"] for t in result["triples"]}
    cited |= {t["doc_id"] for path in result["paths"] for t in path["triples"]}
    return cited


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else (values[0] if values else 0.0)


def run(clients: int, queries: int, domain: str | None, workdir: Path) -> dict[str, Any]:
    import httpx
    import uvicorn

    from kg.model import Access
    from kgrag.api import KnowledgeGraph
    from kgrag.auth import Caller
    from kgrag.service import ServiceConfig, create_app
    from kgrag.settings import Settings

    kg = KnowledgeGraph.open(workdir / "graph.db", Settings.from_env(domain=domain))
    kg.ingest([DATA / "corpus"], groups=["public"])
    kg.ingest([DATA / "restricted"], groups=["hr"])
    root, _ = kg.add_principal("root", ["board"], ["admin"])
    admin = Caller(root)
    readers = {
        name: kg.add_principal(name, groups, ["reader"], caller=admin)[1]
        for name, groups in (("public-reader", ["public"]), ("hr-reader", ["public", "hr"]))
    }
    curator_key = kg.add_principal("uploader", ["board"], ["curator"], caller=admin)[1]
    visible = {
        name: {d.id for d in kg.store.documents(Access.of(groups))}
        for name, groups in (("public-reader", ["public"]), ("hr-reader", ["public", "hr"]))
    }
    questions = [q["question"] for q in json.loads((DATA / "questions.json").read_text(encoding="utf-8"))]

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = ServiceConfig(rate_per_minute=1_000_000, upload_dir=str(workdir / "uploads"))
    server = uvicorn.Server(uvicorn.Config(create_app(kg, config), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(f"{base}/ready").status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.2)

    latencies: list[float] = []
    errors: list[str] = []
    leaks: list[str] = []
    lock = threading.Lock()
    counter = iter(range(queries))

    def client(n: int) -> None:
        name = list(readers)[n % len(readers)]
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {readers[name]}"}, timeout=120) as http:
            for i in counter:
                started = time.perf_counter()
                response = http.post("/query", json={"question": questions[i % len(questions)], "k": 5})
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        errors.append(f"{name}: {response.status_code} {response.text[:200]}")
                        continue
                    leaks.extend(f"{name}: {d}" for d in cited_documents(response.json()) - visible[name])

    ingest_report: dict[str, Any] = {}

    def uploader() -> None:
        files = [("files", (f"copy-{p.name}", p.read_bytes())) for p in sorted((DATA / "restricted").iterdir())]
        headers = {"Authorization": f"Bearer {curator_key}"}
        started = time.perf_counter()
        response = httpx.post(f"{base}/ingest", files=files, data={"groups": "board"}, headers=headers, timeout=600)
        ingest_report.update(status=response.status_code, seconds=time.perf_counter() - started)
        if response.status_code == 200:
            ingest_report["ingested"] = response.json()["ingested"]
        else:
            with lock:
                errors.append(f"ingest: {response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    upload = threading.Thread(target=uploader)
    started = time.perf_counter()
    upload.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    upload.join()
    seconds = time.perf_counter() - started
    server.should_exit = True
    kg.close()
    return {
        "clients": clients,
        "queries": len(latencies),
        "seconds": round(seconds, 2),
        "queries_per_second": round(len(latencies) / seconds, 2),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "errors": len(errors),
        "leaks": len(leaks),
        "concurrent_ingest": ingest_report,
        "first_problems": (errors + leaks)[:5],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8, help="Concurrent clients (default 8).")
    parser.add_argument("--queries", type=int, default=500, help="Queries in all (default 500).")
    parser.add_argument("--domain", default=str(DATA / "domain" / "pharma.json"), help="Domain pack.")
    parser.add_argument("--json", action="store_true", help="Print JSON.")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="kgrag-service-bench-"))
    try:
        figures = run(args.clients, args.queries, args.domain, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for name, value in figures.items():
            print(f"{name:>20}  {value}")
    return 0 if figures["errors"] == 0 and figures["leaks"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
