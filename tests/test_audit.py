"""The audit log: one fsynced JSON line per query, deletion and ACL change, readable back with filters; never a
deleted document's text. Fast tests write documents directly and replace retrieval; one slow test goes end to
end through the CLI."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.audit import AuditEvent, AuditLog, audit_path
from kg.errors import AuditError, ConfigError, NotFoundError
from kg.sqlite_store import SQLiteStore
from kgrag.api import KnowledgeGraph
from kgrag.cli import cli
from kgrag.settings import Settings
from tests.contract.store_contract import StoreContract, make_graph
from tests.fixed_retrieval import FixedRetriever, evidence_from

CONTRACT = StoreContract()
SECRET = "Zyxwvutsrq-secret-4417"


def secret_graph():
    return make_graph("secret", [f"The codename is {SECRET}."], {}, dim=StoreContract.DIM, groups=("board",))


@pytest.fixture
def store_path(tmp_path: Path) -> str:
    path = str(tmp_path / "graph.db")
    store = SQLiteStore(path)
    store.write_document(CONTRACT.acquisition())
    store.write_document(secret_graph())
    store.close()
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_record_and_filter(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "nested" / "audit.jsonl")
    assert log.events() == []
    old = AuditEvent((datetime.now(UTC) - timedelta(days=2)).isoformat(), "delete", "bob", None, doc_ids=("d1",))
    log.record(old)
    log.record(AuditEvent.now("query", user="alice", groups=("public",), question="q1", status="answered"))
    log.record(AuditEvent.now("query", user="alice", groups=("public",), question="q2", status="answered"))
    log.record(AuditEvent.now("acl_set", doc_ids=("d1",), existed=True, acl=("board",)))

    assert [e.action for e in log.events()] == ["delete", "query", "query", "acl_set"]
    assert log.events()[0] == old
    assert [e.question for e in log.events(user="alice")] == ["q1", "q2"]
    assert [e.question for e in log.events(action="query", limit=1)] == ["q2"]
    assert [e.action for e in log.events(since=datetime.now(UTC) - timedelta(days=1))] == ["query", "query", "acl_set"]
    naive = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1)
    assert len(log.events(since=naive)) == 3
    with pytest.raises(AuditError):
        log.events(action="drop")  # type: ignore[arg-type]


def test_concurrent_appends_keep_whole_lines(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")

    def append(user: str) -> None:
        for i in range(40):
            log.record(AuditEvent.now("query", user=user, question=f"question {i} " + "x" * 500))

    threads = [threading.Thread(target=append, args=(f"u{n}",)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(log.events()) == 320
    assert all(len(log.events(user=f"u{n}")) == 40 for n in range(8))


def test_damaged_line_is_an_error(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record(AuditEvent.now("query", question="q"))
    with log.path.open("a", encoding="utf-8") as f:
        f.write('{"time": "2025-01-01T00:00:00+00:00", "act')
    with pytest.raises(AuditError, match="line 2"):
        log.events()


def test_default_locations(tmp_path: Path) -> None:
    assert audit_path("/data/graph.db") == Path("/data/graph.db.audit.jsonl")
    assert audit_path("neo4j://db.internal:7687") == Path(".kgrag/audit.jsonl")
    assert audit_path("bolt+s://db.internal:7687") == Path(".kgrag/audit.jsonl")
    assert audit_path("/data/graph.db", "/var/log/kgrag.jsonl") == Path("/var/log/kgrag.jsonl")


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KGRAG_AUDIT_LOG", str(tmp_path / "a.jsonl"))
    assert Settings.from_env().audit_log == str(tmp_path / "a.jsonl")


def test_open_puts_the_log_beside_the_store(store_path: str, tmp_path: Path) -> None:
    with KnowledgeGraph.open(store_path, Settings()) as kg:
        assert kg.delete("press", user="carol")
    [event] = AuditLog(store_path + ".audit.jsonl").events()
    assert (event.action, event.user, event.doc_ids, event.existed) == ("delete", "carol", ("press",), True)

    with KnowledgeGraph.open(store_path, Settings(audit_log=str(tmp_path / "elsewhere.jsonl"))) as kg:
        kg.delete("press")
        assert [e.existed for e in kg.audit_events()] == [False]


def test_no_log_configured(store_path: str) -> None:
    kg = KnowledgeGraph(SQLiteStore(store_path), Settings())
    kg.delete("nothing")  # not audited, and no error
    with pytest.raises(ConfigError, match="no audit log"):
        kg.audit_events()
    kg.close()


def test_query_delete_and_acl_are_audited_without_text(store_path: str, tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    kg = KnowledgeGraph(SQLiteStore(store_path), Settings(), audit=log)
    kg.retriever = FixedRetriever(kg, evidence_from(CONTRACT.acquisition()))

    result = kg.query("Who acquired Nordlys Bio?", groups=["public", "board"], user="alice")
    kg.set_groups("secret", ["board", "legal"], user="bob")
    with pytest.raises(NotFoundError):
        kg.set_groups("ghost", ["board"], user="bob")
    assert kg.delete("secret", user="bob")
    assert not kg.delete("secret", user="bob")
    kg.close()

    query, acl, failed_acl, delete, repeat = log.events()
    assert (query.action, query.user, query.groups, query.question, query.status) == (
        "query",
        "alice",
        ("board", "public"),
        "Who acquired Nordlys Bio?",
        "answered",
    )
    assert query.doc_ids == ("press",)
    assert query.chunk_ids == tuple(p.chunk_id for p in result.passages)
    assert (acl.action, acl.user, acl.doc_ids, acl.acl, acl.existed) == (
        "acl_set",
        "bob",
        ("secret",),
        ("board", "legal"),
        True,
    )
    assert (failed_acl.doc_ids, failed_acl.existed) == (("ghost",), False)
    assert (delete.action, delete.groups, delete.existed, repeat.existed) == ("delete", None, True, False)
    assert SECRET not in log.path.read_text(encoding="utf-8")
    datetime.fromisoformat(delete.time)  # a valid ISO timestamp


def test_cli_audit(store_path: str) -> None:
    assert run("acl", "set", "secret", "legal", "--as", "bob", "--store", store_path)[0] == 0
    assert run("delete", "secret", "--as", "bob", "--store", store_path)[0] == 0
    assert run("delete", "secret", "--store", store_path)[0] == 1

    code, out, _ = run("audit", "--store", store_path, "--json")
    assert code == 0
    events = json.loads(out)
    assert [(e["action"], e["user"], e["existed"]) for e in events] == [
        ("acl_set", "bob", True),
        ("delete", "bob", True),
        ("delete", None, False),
    ]
    assert SECRET not in Path(store_path + ".audit.jsonl").read_text(encoding="utf-8")

    code, out, _ = run("audit", "--store", store_path, "--user", "bob", "--action", "delete")
    assert code == 0
    [line] = out.splitlines()
    assert "delete" in line and "bob" in line and "secret" in line

    code, out, _ = run("audit", "--store", store_path, "--limit", "1", "--since", "2000-01-01T00:00Z")
    assert code == 0 and "(no such document)" in out and len(out.splitlines()) == 1
    code, _, err = run("audit", "--store", store_path, "--since", "yesterday")
    assert code == 2 and "not an ISO date" in err


def test_question_policies_keep_text_a_keyed_hash_or_nothing(tmp_path: Path) -> None:
    asked = "Does Jane Roe's file mention Veltrazumab?"
    hashed = AuditLog(tmp_path / "hashed.jsonl", questions="hash")
    hashed.record(AuditEvent.now("query", user="alice", question=asked, status="answered"))
    hashed.record(AuditEvent.now("query", user="alice", question="something else", status="answered"))
    assert "Jane Roe" not in hashed.path.read_text(encoding="utf-8")
    [found] = hashed.events(question="  Does Jane Roe's   file mention Veltrazumab? ")  # spacing does not matter
    assert found.question is None and found.question_hash == hashed.digest(asked)
    key_file = Path(str(hashed.path) + ".key")
    assert key_file.stat().st_mode & 0o777 == 0o600
    # The key is kept: a log opened again hashes alike; another key hashes otherwise.
    assert AuditLog(hashed.path, questions="hash").events(question=asked) == [found]
    assert AuditLog(hashed.path, key=b"another secret").events(question=asked) == []

    nothing = AuditLog(tmp_path / "none.jsonl", questions="none")
    nothing.record(AuditEvent.now("query", user="alice", question=asked, status="answered"))
    [event] = nothing.events()
    assert (event.question, event.question_hash, event.status) == (None, None, "answered")
    assert "Jane" not in nothing.path.read_text(encoding="utf-8")
    with pytest.raises(AuditError, match="question policy"):
        AuditLog(tmp_path / "x.jsonl", questions="sometimes")  # type: ignore[arg-type]


def test_scrub_replaces_a_document_everywhere_by_one_token(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", key=b"k")
    log.record(AuditEvent.now("query", user="a", question="q1", doc_ids=("d1", "d2"), chunk_ids=("c1", "c2", "c9")))
    log.record(AuditEvent.now("acl_set", user="b", doc_ids=("d2",), acl=("board",), existed=True))
    log.record(AuditEvent.now("query", user="c", question="q2", doc_ids=("d1",), chunk_ids=("c2",)))
    token, changed = log.scrub("d1", ["c1", "c2"])
    assert changed == 2 and token.startswith("erased:") and "d1" not in token
    first, acl, second = log.events()
    assert first.doc_ids == (token, "d2") and first.chunk_ids == (token, "c9")
    assert acl.doc_ids == ("d2",)
    assert second.doc_ids == (token,) and second.chunk_ids == (token,)
    assert log.scrub("d1") == (token, 0)  # nothing left to scrub; the same token for the same document
    assert not list(tmp_path.glob("*.tmp"))


def test_delete_can_scrub_the_audit_log(store_path: str, tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    kg = KnowledgeGraph(SQLiteStore(store_path), Settings(), audit=log)
    kg.retriever = FixedRetriever(kg, evidence_from(CONTRACT.acquisition()))
    result = kg.query("Who acquired Nordlys Bio?", user="alice")
    kg.set_groups("secret", ["board", "legal"], user="bob")
    assert kg.delete("press", user="dpo", scrub_audit=True)
    kg.close()

    query, acl, delete = log.events()
    text = log.path.read_text(encoding="utf-8")
    assert '"press"' not in text and not any(p.chunk_id in text for p in result.passages)
    [token] = query.doc_ids
    assert set(query.chunk_ids) == {token}
    assert (delete.action, delete.user, delete.doc_ids, delete.existed, delete.scrubbed) == (
        "delete",
        "dpo",
        (token,),
        True,
        1,
    )
    assert acl.doc_ids == ("secret",)  # other documents' events are untouched


def test_audit_policy_from_settings_and_env(store_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KGRAG_AUDIT_QUESTIONS", "hash")
    monkeypatch.setenv("KGRAG_AUDIT_SCRUB", "yes")
    monkeypatch.setenv("KGRAG_AUDIT_KEY", "a shared secret")
    settings = Settings.from_env()
    assert (settings.audit_questions, settings.audit_scrub, settings.audit_key) == ("hash", True, "a shared secret")
    with KnowledgeGraph.open(store_path, settings) as kg:
        kg.retriever = FixedRetriever(kg, evidence_from(CONTRACT.acquisition()))
        kg.query("Who acquired Nordlys Bio?", user="alice")
        assert kg.delete("press")  # scrubs by default now
        query, delete = kg.audit_events()
        assert query.question is None and kg.audit_events(question="Who acquired Nordlys Bio?") == [query]
        assert delete.scrubbed == 1 and query.doc_ids == delete.doc_ids
    monkeypatch.setenv("KGRAG_AUDIT_SCRUB", "perhaps")
    with pytest.raises(ConfigError, match="KGRAG_AUDIT_SCRUB"):
        Settings.from_env()
    with pytest.raises(ConfigError, match="audit_questions"):
        Settings(audit_questions="all")  # type: ignore[arg-type]


def test_cli_scrub_and_question_filter(store_path: str) -> None:
    assert run("acl", "set", "secret", "legal", "--as", "bob", "--store", store_path)[0] == 0
    code, out, _ = run("delete", "secret", "--as", "dpo", "--scrub-audit", "--store", store_path)
    assert code == 0, out
    code, out, _ = run("audit", "--store", store_path)
    assert "secret" not in out and "scrubbed from 1 earlier event(s)" in out
    assert '"secret"' not in Path(store_path + ".audit.jsonl").read_text(encoding="utf-8")
    code, out, _ = run("audit", "--store", store_path, "--question", "never asked", "--json")
    assert code == 0 and json.loads(out) == []


@pytest.mark.slow
def test_cli_query_is_audited_and_verified(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "acquisition.md").write_text(
        "# Halvorsen buys Nordlys\n\nHalvorsen Therapeutics acquired Nordlys Bio in 2019.\n"
        "Nordlys Bio developed Veltrazumab, an antibody for psoriasis.\n",
        encoding="utf-8",
    )
    store = str(tmp_path / "graph.db")
    assert run("ingest", str(corpus), "--store", store)[0] == 0
    code, out, _ = run("query", "Who developed Veltrazumab?", "--store", store, "--as", "alice", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["citation_problems"] == []
    assert result["passages"] and all(p["verified"] for p in result["passages"])

    code, out, _ = run("audit", "--store", store, "--json", "--action", "query")
    [event] = json.loads(out)
    assert (event["user"], event["groups"], event["question"]) == ("alice", ["public"], "Who developed Veltrazumab?")
    assert event["chunk_ids"] == [p["chunk_id"] for p in result["passages"]]
