"""``kgrag serve`` as a caller meets it: the real server (uvicorn) on 127.0.0.1, called with a real HTTP client, on
both stores. Documents are written directly and retrieval is replaced, so no model loads; ingestion (which needs
the models) is a slow test."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from kg.audit import AuditLog
from kg.sqlite_store import SQLiteStore
from kg.store import GraphStore
from kgrag.api import Caller, KnowledgeGraph
from kgrag.service import ServiceConfig, create_app
from kgrag.settings import Settings
from tests.contract.store_contract import StoreContract
from tests.fixed_retrieval import FixedRetriever, evidence_from

CONTRACT = StoreContract()
NEO4J_URI = os.environ.get("NEO4J_URI")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn serving ``app`` in a thread, stopped at the end of the test."""

    def __init__(self, app: object) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def open_backend(backend: str, tmp_path: Path) -> GraphStore:
    if backend == "sqlite":
        return SQLiteStore(tmp_path / "graph.db")
    from kg.neo4j_store import Neo4jStore

    store = Neo4jStore(NEO4J_URI or "")
    store.clear()
    CONTRACT.empty_registry(store)
    return store


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("neo4j", marks=[pytest.mark.neo4j, pytest.mark.skipif(not NEO4J_URI, reason="no NEO4J_URI")]),
    ]
)
def kg(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KnowledgeGraph]:
    store = open_backend(request.param, tmp_path)
    store.write_document(CONTRACT.acquisition())
    store.write_document(CONTRACT.memo())
    graph = KnowledgeGraph(store, Settings(), audit=AuditLog(tmp_path / "audit.jsonl"))
    graph.retriever = FixedRetriever(graph, evidence_from(CONTRACT.acquisition()))
    yield graph
    CONTRACT.empty_registry(store)
    if request.param == "neo4j":
        store.clear()
    graph.close()


@pytest.fixture
def keys(kg: KnowledgeGraph) -> dict[str, str]:
    """One key per kind of caller; ``admin`` also audits, ``alice`` reads public only."""
    root, admin_key = kg.add_principal("root", ("board", "public"), ["reader", "auditor", "admin"])
    as_root = Caller(root)
    made = {"admin": admin_key}
    for name, groups, roles in [
        ("alice", ["public"], ["reader"]),
        ("carol", ["board", "public"], ["curator"]),
        ("audrey", [], ["auditor"]),
    ]:
        made[name] = kg.add_principal(name, groups, roles, caller=as_root)[1]
    return made


@pytest.fixture
def server(kg: KnowledgeGraph, tmp_path: Path) -> Iterator[Server]:
    config = ServiceConfig(max_body_bytes=4096, rate_per_minute=1000, upload_dir=str(tmp_path / "uploads"))
    with Server(create_app(kg, config, warm=False)) as running:
        yield running


def client(server: Server, key: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


def code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


def test_health_needs_no_key_and_docs_are_served(server: Server, keys: dict[str, str]) -> None:
    with client(server) as http:
        assert http.get("/health").json() == {"status": "ok"}
        assert http.get("/ready").json() == {"status": "ready"}
        assert "/query" in http.get("/openapi.json").json()["paths"]
        assert http.get("/docs").status_code == 200


def test_readiness_waits_for_principals(server: Server) -> None:
    with client(server) as http:
        response = http.get("/ready")
    assert response.status_code == 503 and code(response) == "not_ready"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer kgrag_0000_wrong", "Basic abc", "Bearer not-a-key"])
def test_a_missing_or_wrong_key_is_401(server: Server, keys: dict[str, str], header: str | None) -> None:
    with httpx.Client(base_url=server.url, headers={"Authorization": header} if header else {}) as http:
        response = http.post("/query", json={"question": "Who acquired Nordlys Bio?"})
    assert response.status_code == 401 and code(response) == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"


def test_query_answers_as_the_cli_does(server: Server, keys: dict[str, str], kg: KnowledgeGraph) -> None:
    with client(server, keys["alice"]) as http:
        response = http.post("/query", json={"question": "Who acquired Nordlys Bio?", "k": 5})
    assert response.status_code == 200
    expected = kg.query("Who acquired Nordlys Bio?", caller=kg.authenticate(keys["alice"])).to_dict()
    assert response.json() == json.loads(json.dumps(expected))


def test_groups_can_be_narrowed_never_widened(server: Server, keys: dict[str, str]) -> None:
    with client(server, keys["alice"]) as http:
        assert [d["id"] for d in http.get("/documents").json()] == ["press"]
        assert http.get("/documents", params={"groups": "public"}).status_code == 200
        for widened in (
            http.get("/documents", params={"groups": "public,board"}),
            http.post("/query", json={"question": "q", "groups": ["board"]}),
            http.get("/documents/memo", params={"groups": "board"}),
        ):
            assert widened.status_code == 403 and code(widened) == "forbidden"
        hidden = http.get("/documents/memo")
        assert hidden.status_code == 404 and code(hidden) == "not_found"
    with client(server, keys["admin"]) as http:
        assert [d["id"] for d in http.get("/documents").json()] == ["memo", "press"]


def test_roles_per_endpoint(server: Server, keys: dict[str, str]) -> None:
    calls = [  # method, path, JSON body, the callers allowed
        ("GET", "/documents", None, {"alice", "carol", "admin"}),
        ("GET", "/documents/press", None, {"alice", "carol", "admin"}),
        ("POST", "/query", {"question": "Who acquired Nordlys Bio?"}, {"alice", "carol", "admin"}),
        ("GET", "/stats", None, {"carol", "audrey", "admin"}),
        ("GET", "/audit", None, {"audrey", "admin"}),
        ("PUT", "/documents/press/groups", {"groups": ["public"]}, {"carol", "admin"}),
        ("GET", "/principals", None, {"admin"}),
    ]
    for method, path, body, allowed in calls:
        for name, key in keys.items():
            with client(server, key) as http:
                response = http.request(method, path, json=body)
            expected = 200 if name in allowed else 403
            assert response.status_code == expected, (method, path, name, response.text)
    for name in ("alice", "audrey"):
        with client(server, keys[name]) as http:
            assert http.delete("/documents/press").status_code == 403
            assert http.post("/ingest", files={"files": ("a.txt", b"text")}).status_code == 403
    with client(server, keys["carol"]) as http:
        assert http.delete("/documents/press").json() == {"id": "press", "deleted": True}
        assert code(http.delete("/documents/press")) == "not_found"


def test_delete_scrubs_the_audit_log_on_request(server: Server, keys: dict[str, str]) -> None:
    with client(server, keys["carol"]) as http:
        assert http.put("/documents/memo/groups", json={"groups": ["board"]}).status_code == 200
        assert http.delete("/documents/memo", params={"scrub_audit": "true"}).json()["deleted"]
    with client(server, keys["audrey"]) as http:
        events = http.get("/audit").json()
    assert not any("memo" in e["doc_ids"] for e in events)
    [delete] = [e for e in events if e["action"] == "delete"]
    assert delete["scrubbed"] == 1 and delete["doc_ids"][0].startswith("erased:")


def test_answer_needs_the_reader_role_before_any_model_loads(server: Server, keys: dict[str, str]) -> None:
    body = {"question": "Who acquired Nordlys Bio?"}
    with client(server) as http:
        assert http.post("/answer", json=body).status_code == 401
    with client(server, keys["audrey"]) as http:
        refused = http.post("/answer", json=body)
    assert refused.status_code == 403 and code(refused) == "forbidden"
    with client(server, keys["alice"]) as http:
        assert code(http.post("/answer", json={"question": "q", "groups": ["board"]})) == "forbidden"
        assert "/answer" in http.get("/openapi.json").json()["paths"]


def test_show_a_span(server: Server, keys: dict[str, str]) -> None:
    graph = CONTRACT.acquisition()
    chunk = graph.chunks[1]
    with client(server, keys["alice"]) as http:
        shown = http.get(
            "/documents/press",
            params={"start": chunk.start, "end": chunk.end, "content_hash": graph.document.content_hash},
        ).json()
        assert shown["text"] == chunk.text and shown["content_hash"] == "v1"
        outside = http.get("/documents/press", params={"start": 0, "end": 10**6})
        assert outside.status_code == 400 and code(outside) == "invalid_argument"


def test_admin_endpoint_creates_a_working_key(server: Server, keys: dict[str, str]) -> None:
    with client(server, keys["admin"]) as http:
        created = http.post("/principals", json={"name": "bob", "roles": ["reader"], "groups": ["board"]}).json()
        assert created["name"] == "bob" and created["key"].startswith("kgrag_")
        again = http.post("/principals", json={"name": "bob", "roles": ["reader"]})
        assert again.status_code == 400 and code(again) == "invalid_argument"
    with client(server, created["key"]) as http:
        assert [d["id"] for d in http.get("/documents").json()] == ["memo"]


def test_errors_are_json_with_stable_codes(server: Server, keys: dict[str, str]) -> None:
    with client(server, keys["alice"]) as http:
        assert code(http.post("/query", json={"k": 5})) == "invalid_request"
        assert code(http.post("/query", json={"question": "  "})) == "invalid_argument"
        assert code(http.post("/query", json={"question": "q", "k": 0})) == "invalid_request"
        assert code(http.get("/nowhere")) == "not_found"
        assert code(http.get("/documents", params={"groups": "a b"})) == "invalid_argument"
        assert code(http.post("/ingest/path", json={"paths": ["/etc"]})) == "forbidden"


def test_bodies_over_the_limit_are_413(server: Server, keys: dict[str, str]) -> None:
    with client(server, keys["alice"]) as http:
        response = http.post("/query", json={"question": "x" * 5000})
        assert response.status_code == 413 and code(response) == "too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams
            yield b'{"question": "'
            yield b"x" * 5000
            yield b'"}'

        streamed = http.post("/query", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413 and code(streamed) == "too_large"


def test_rate_limit_is_per_principal(kg: KnowledgeGraph, keys: dict[str, str], tmp_path: Path) -> None:
    with Server(create_app(kg, ServiceConfig(rate_per_minute=3), warm=False)) as running:
        with client(running, keys["alice"]) as http:
            statuses = [http.get("/documents").status_code for _ in range(4)]
            limited = http.get("/documents")
        with client(running, keys["carol"]) as http:
            assert http.get("/documents").status_code == 200
    assert statuses == [200, 200, 200, 429]
    assert code(limited) == "rate_limited" and int(limited.headers["retry-after"]) >= 1


def test_every_request_is_audited_with_its_principal(server: Server, keys: dict[str, str], kg: KnowledgeGraph) -> None:
    with client(server, keys["alice"]) as http:
        http.get("/documents")
        http.get("/documents", params={"groups": "board"})
    with client(server, "kgrag_0_x") as http:
        http.get("/documents")
    requests = [e for e in kg.audit.events(action="request")]
    assert [(e.user, e.request, e.status) for e in requests] == [
        ("alice", "GET /documents", "200"),
        ("alice", "GET /documents", "403"),
        (None, "GET /documents", "401"),
    ]


def test_the_load_benchmark_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.service import main

    with pytest.raises(SystemExit) as exit_code:
        main(["--help"])
    assert exit_code.value.code == 0 and "--clients" in capsys.readouterr().out


@pytest.mark.slow
def test_upload_then_query_with_the_models(tmp_path: Path) -> None:
    """The whole way: a curator uploads, the models read it, a reader finds it, a reader of another group does not."""
    kg = KnowledgeGraph.open(tmp_path / "graph.db", Settings())
    root = Caller(kg.add_principal("root", (), ["admin"])[0])
    curator = kg.add_principal("carol", ["oncology"], ["curator"], caller=root)[1]
    reader = kg.add_principal("alice", ["oncology"], ["reader"], caller=root)[1]
    outsider = kg.add_principal("bob", ["public"], ["reader"], caller=root)[1]
    config = ServiceConfig(upload_dir=str(tmp_path / "uploads"))
    with Server(create_app(kg, config)) as running:
        with client(running) as http:
            deadline = time.monotonic() + 300
            while http.get("/ready").status_code != 200:
                assert time.monotonic() < deadline, "models did not load"
                time.sleep(0.5)
        text = b"Halvorsen Therapeutics acquired Nordlys Bio in 2019. Nordlys Bio developed Veltrazumab.\n"
        with client(running, curator) as http:
            report = http.post("/ingest", files={"files": ("deal.txt", text)}, data={"groups": "oncology"}).json()
        assert report["ingested"] == 1
        question = {"question": "Which company acquired Nordlys Bio?"}
        with client(running, reader) as http:
            found = http.post("/query", json=question).json()
        assert found["status"] == "answered" and "Halvorsen" in found["passages"][0]["text"]
        with client(running, outsider) as http:
            assert http.post("/query", json=question).json()["passages"] == []
    kg.close()


def test_export_holds_only_what_the_caller_may_see(server: Server, keys: dict[str, str]) -> None:
    with client(server, keys["alice"]) as http:
        turtle = http.get("/export", params={"format": "turtle"})
        graphml = http.get("/export", params={"format": "graphml"})
        widened = http.get("/export", params={"groups": "public,board"})
        unknown = http.get("/export", params={"format": "csv"})
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    assert "Veltrazumab" in turtle.text and "Nevoxil" not in turtle.text
    assert "Veltrazumab" in graphml.text and "Nevoxil" not in graphml.text
    assert widened.status_code == 403 and code(widened) == "forbidden"
    assert unknown.status_code == 400 and code(unknown) == "invalid_argument"
    with client(server, keys["admin"]) as http:
        assert "Nevoxil" in http.get("/export").text


def test_entity_within_the_callers_groups(server: Server, keys: dict[str, str]) -> None:
    with client(server, keys["alice"]) as http:
        public = http.get("/entity/Halvorsen Therapeutics")
        hidden = http.get("/entity/Nevoxil")
        widened = http.get("/entity/Nevoxil", params={"groups": "board"})
    assert public.status_code == 200
    assert [r["predicate"] for r in public.json()["relations"]] == ["acquire"]
    assert hidden.status_code == 404 and code(hidden) == "not_found"
    assert widened.status_code == 403
    with client(server, keys["admin"]) as http:
        board = http.get("/entity/Halvorsen Therapeutics").json()
    assert [r["predicate"] for r in board["relations"]] == ["acquire", "plan_acquire"]


def test_the_evidence_picture_is_drawn_for_the_caller(server: Server, keys: dict[str, str]) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed (apt-get install graphviz)")
    with client(server, keys["alice"]) as http:
        svg = http.post("/query/picture", json={"question": "Who acquired Nordlys Bio?"})
        page = http.post("/query/picture", json={"question": "Who acquired Nordlys Bio?", "format": "html"})
        wrong = http.post("/query/picture", json={"question": "Who acquired Nordlys Bio?", "format": "gif"})
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert "acquire [1]" in svg.text and "Who acquired Nordlys Bio?" in svg.text
    assert page.headers["content-type"].startswith("text/html") and "<svg" in page.text
    assert wrong.status_code == 400 and code(wrong) == "invalid_argument"
