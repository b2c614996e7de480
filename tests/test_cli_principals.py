"""``kgrag principals`` and the roles it grants, through the CLI, on both stores; no model loads (documents are
written directly, and only commands that do not read text run)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.sqlite_store import SQLiteStore
from kgrag.cli import cli
from tests.contract.store_contract import StoreContract

CONTRACT = StoreContract()
NEO4J_URI = os.environ.get("NEO4J_URI")


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("neo4j", marks=[pytest.mark.neo4j, pytest.mark.skipif(not NEO4J_URI, reason="no NEO4J_URI")]),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("KGRAG_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    monkeypatch.delenv("KGRAG_KEY", raising=False)
    if request.param == "sqlite":
        location = str(tmp_path / "graph.db")
        backend = SQLiteStore(location)
    else:
        from kg.neo4j_store import Neo4jStore

        location = NEO4J_URI or ""
        backend = Neo4jStore(location)
        backend.clear()
        CONTRACT.empty_registry(backend)
    backend.write_document(CONTRACT.acquisition())
    backend.write_document(CONTRACT.memo())
    backend.close()
    yield location
    if request.param == "neo4j":
        from kg.neo4j_store import Neo4jStore

        backend = Neo4jStore(location)
        CONTRACT.empty_registry(backend)
        backend.clear()
        backend.close()


def run(store: str, *args: str, key: str | None = None) -> tuple[int, str, str]:
    extra = ["--store", store] + (["--key", key] if key else [])
    result = CliRunner().invoke(cli, [*args, *extra])
    return result.exit_code, result.stdout, result.stderr


def add(store: str, name: str, roles: str, groups: str = "board,public", key: str | None = None) -> str:
    code, out, err = run(store, "principals", "add", name, "--roles", roles, "--groups", groups, "--json", key=key)
    assert code == 0, err
    created = json.loads(out)
    assert created["name"] == name and created["roles"] == roles.split(",")
    return created["key"]


def test_principals_commands(store: str) -> None:
    code, _, err = run(store, "principals", "add", "alice", "--roles", "reader")
    assert code == 2 and "first principal must have the admin role" in err
    root = add(store, "root", "admin", groups="")
    code, _, err = run(store, "principals", "list")
    assert code == 1 and "give an API key" in err
    alice = add(store, "alice", "reader", groups="public", key=root)
    code, out, _ = run(store, "principals", "list", "--json", key=root)
    listed = {p["name"]: p for p in json.loads(out)}
    assert set(listed) == {"alice", "root"} and "key" not in listed["alice"] and listed["alice"]["groups"] == ["public"]

    code, out, _ = run(store, "principals", "grant", "alice", "--groups", "board", "--roles", "curator", key=root)
    assert code == 0 and "reader,curator" in out and "board,public" in out
    code, out, _ = run(store, "principals", "grant", "alice", "--roles", "curator", "--revoke", "--json", key=root)
    assert json.loads(out)["roles"] == ["reader"]

    code, out, _ = run(store, "principals", "rotate", "alice", "--json", key=root)
    new = json.loads(out)["key"]
    assert run(store, "documents", key=alice)[0] == 1
    code, out, _ = run(store, "documents", "--json", key=new)
    assert code == 0 and {d["id"] for d in json.loads(out)} == {"memo", "press"}

    assert run(store, "principals", "remove", "alice", key=root)[:2] == (0, "removed alice\n")
    code, _, err = run(store, "documents", key=new)
    assert code == 1 and "unknown or wrong API key" in err
    code, _, err = run(store, "principals", "remove", "root", key=root)
    assert code == 1 and "last admin" in err


def test_each_command_checks_the_role(store: str, tmp_path: Path) -> None:
    root = add(store, "root", "admin")
    keys = {role: add(store, role, role, key=root) for role in ("reader", "curator", "auditor")} | {"admin": root}
    commands = {  # command: the roles that may run it
        ("documents",): {"reader", "curator", "admin"},
        ("show", "press"): {"reader", "curator", "admin"},
        ("stats",): {"curator", "auditor", "admin"},
        ("audit",): {"auditor", "admin"},
        ("acl", "set", "press", "public"): {"curator", "admin"},
        ("principals", "list"): {"admin"},
        ("migrate-to", str(tmp_path / "copy.db")): {"admin"},
        ("delete",): {"curator", "admin"},
    }
    for command, allowed in commands.items():
        for role, key in keys.items():
            if command[0] == "migrate-to":
                result = CliRunner().invoke(cli, ["migrate", "--from", store, "--to", command[1], "--key", key])
                code, err = result.exit_code, result.stderr
            elif command[0] == "delete":  # each allowed role erases a document of its own
                code, _, err = run(store, "delete", "press" if role == "admin" else "memo", key=key)
            else:
                code, _, err = run(store, *command, key=key)
            if role in allowed:
                assert code == 0, (command, role, err)
            else:
                assert code == 1 and "needs the" in err, (command, role, err)


def test_groups_can_be_narrowed_not_widened(store: str) -> None:
    root = add(store, "root", "admin", groups="")
    alice = add(store, "alice", "reader", groups="public", key=root)
    code, out, _ = run(store, "documents", "--json", key=alice)
    assert [d["id"] for d in json.loads(out)] == ["press"]
    code, _, err = run(store, "documents", "--groups", "public,board", key=alice)
    assert code == 1 and "can only narrow" in err
    code, _, err = run(store, "show", "memo", "--groups", "board", key=alice)
    assert code == 1 and "not in group(s) board" in err
