"""Callers are authenticated, never self-declared: the principal registry, API keys, and each operation's roles,
through the API on both stores. Documents are written directly and retrieval is replaced, so no model loads."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.audit import AuditLog
from kg.errors import AuthenticationError, InvalidArgument, NotFoundError, PermissionDenied
from kg.model import ROLES
from kg.sqlite_store import SQLiteStore
from kg.store import GraphStore
from kgrag.api import Caller, KnowledgeGraph
from kgrag.auth import ADMIN, AUDIT, CURATE, READ
from kgrag.settings import Settings
from tests.contract.store_contract import StoreContract
from tests.fixed_retrieval import FixedRetriever, evidence_from

CONTRACT = StoreContract()
NEO4J_URI = os.environ.get("NEO4J_URI")
BACKENDS = [
    "sqlite",
    pytest.param(
        "neo4j",
        marks=[pytest.mark.neo4j, pytest.mark.skipif(not NEO4J_URI, reason="NEO4J_URI is not set")],
    ),
]


def open_backend(backend: str, tmp_path: Path) -> GraphStore:
    if backend == "sqlite":
        return SQLiteStore(tmp_path / "graph.db")
    from kg.neo4j_store import Neo4jStore

    store = Neo4jStore(NEO4J_URI or "")
    store.clear()
    CONTRACT.empty_registry(store)
    return store


@pytest.fixture(params=BACKENDS)
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


def registered(kg: KnowledgeGraph, roles: tuple[str, ...], groups: tuple[str, ...] = ("board", "public")) -> Caller:
    """A principal with ``roles`` (the store's first principal is an admin, ``root``)."""
    if not kg.store.principals():
        kg.add_principal("root", (), ["admin"])
    _, key = kg.add_principal("-".join(roles), groups, roles, caller=Caller(kg.store.principal("root")))
    return kg.authenticate(key)


OPERATIONS: dict[str, tuple[frozenset[str], Callable[[KnowledgeGraph, Caller, Path], Any]]] = {
    "query": (READ, lambda kg, c, _: kg.query("Who acquired Nordlys Bio?", caller=c)),
    "documents": (READ, lambda kg, c, _: kg.documents(caller=c)),
    "show": (READ, lambda kg, c, _: kg.document("press", caller=c)),
    "verify_citation": (READ, lambda kg, c, _: kg.verify_citation("press", 0, 5, caller=c)),
    "stats": (CURATE | AUDIT, lambda kg, c, _: kg.stats(caller=c)),
    "audit": (AUDIT, lambda kg, c, _: kg.audit_events(caller=c)),
    "acl_set": (CURATE, lambda kg, c, _: kg.set_groups("memo", ["board", "public"], caller=c)),
    "delete": (CURATE, lambda kg, c, _: kg.delete("memo", caller=c)),
    "clear": (ADMIN, lambda kg, c, _: kg.clear(caller=c)),
    "migrate": (ADMIN, lambda kg, c, tmp: kg.migrate_to(tmp / "copy.db", caller=c)),
    "principals": (ADMIN, lambda kg, c, _: kg.principals(caller=c)),
    "add_principal": (ADMIN, lambda kg, c, _: kg.add_principal("dave", ["public"], ["reader"], caller=c)),
    "grant": (ADMIN, lambda kg, c, _: kg.grant("root", roles=["reader"], caller=c)),
    "rotate": (ADMIN, lambda kg, c, _: kg.rotate_key("root", caller=c)),
    "remove_principal": (ADMIN, lambda kg, c, _: kg.remove_principal("nobody", caller=c)),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_operation_checks_the_role(kg: KnowledgeGraph, tmp_path: Path, role: str) -> None:
    caller = registered(kg, (role,))
    for operation, (allowed, run) in OPERATIONS.items():
        kg.store.write_document(CONTRACT.acquisition())  # what an earlier operation changed, back as it was
        kg.store.write_document(CONTRACT.memo())
        if role in allowed:
            run(kg, caller, tmp_path)
        else:
            with pytest.raises(PermissionDenied, match="needs the"):
                run(kg, caller, tmp_path)
                pytest.fail(f"{role} may {operation}")


@pytest.mark.parametrize("role", ROLES)
def test_ingest_needs_the_curator_role(kg: KnowledgeGraph, role: str) -> None:
    """A curator passes the role check and is then held to its own groups (the real ingestion is a slow test)."""
    caller = registered(kg, (role,), groups=("public",))
    message = "not in: hr" if role in CURATE else "needs the curator or admin role"
    if role == "admin":
        return  # an admin may give any group: nothing to refuse before the models load
    with pytest.raises(PermissionDenied, match=message):
        kg.ingest_texts([], groups=["hr"], caller=caller)


def test_a_store_without_principals_is_its_owners(kg: KnowledgeGraph, tmp_path: Path) -> None:
    """What the README's commands do: no key, every operation, the caller's name as given."""
    assert kg.query("q", groups=["public", "board"], user="anyone").status == "answered"
    assert [d.id for d in kg.documents(groups=["board"])] == ["memo"]
    kg.set_groups("memo", ["board", "legal"], user="bob")
    assert kg.stats().documents == 2
    assert kg.delete("memo", user="bob")
    assert [e.user for e in kg.audit_events()] == ["anyone", "bob", "bob"]


def test_once_there_are_principals_every_call_needs_a_key(kg: KnowledgeGraph) -> None:
    with pytest.raises(InvalidArgument, match="first principal must have the admin role"):
        kg.add_principal("alice", ["public"], ["reader"])
    kg.add_principal("root", (), ["admin"])
    for run in (kg.documents, kg.stats, kg.audit_events, kg.principals, lambda: kg.query("q")):
        with pytest.raises(AuthenticationError, match="give an API key"):
            run()


@pytest.mark.parametrize("key", ["", "secret", "kgrag_", "kgrag_abc_", "kgrag_0000000000000000_wrong"])
def test_malformed_or_unknown_keys_are_refused(kg: KnowledgeGraph, key: str) -> None:
    registered(kg, ("reader",))
    with pytest.raises(AuthenticationError):
        kg.authenticate(key)


def test_a_wrong_secret_for_a_known_key_id_is_refused(kg: KnowledgeGraph) -> None:
    kg.add_principal("root", (), ["admin"])
    _, key = kg.add_principal("alice", ["public"], ["reader"], caller=Caller(kg.store.principal("root")))
    key_id = key.split("_")[1]
    with pytest.raises(AuthenticationError, match="unknown or wrong"):
        kg.authenticate(f"kgrag_{key_id}_{'x' * 43}")
    assert kg.authenticate(key).name == "alice"


def test_rotate_and_remove_end_a_key_at_once(kg: KnowledgeGraph) -> None:
    root = Caller(kg.add_principal("root", (), ["admin"])[0])
    _, key = kg.add_principal("alice", ["public"], ["reader"], caller=root)
    assert kg.authenticate(key).name == "alice"  # verified once, then remembered
    new = kg.rotate_key("alice", caller=root)
    with pytest.raises(AuthenticationError):
        kg.authenticate(key)
    assert kg.authenticate(new).name == "alice"
    assert kg.remove_principal("alice", caller=root)
    with pytest.raises(AuthenticationError):
        kg.authenticate(new)


def test_grants_take_effect_at_the_next_call(kg: KnowledgeGraph) -> None:
    root = Caller(kg.add_principal("root", (), ["admin"])[0])
    _, key = kg.add_principal("alice", ["public"], ["reader"], caller=root)
    assert [d.id for d in kg.documents(caller=kg.authenticate(key))] == ["press"]
    kg.grant("alice", groups=["board"], caller=root)
    assert [d.id for d in kg.documents(caller=kg.authenticate(key))] == ["memo", "press"]
    kg.grant("alice", roles=["reader"], revoke=True, caller=root)
    with pytest.raises(PermissionDenied):
        kg.documents(caller=kg.authenticate(key))


def test_the_last_admin_stays(kg: KnowledgeGraph) -> None:
    root = Caller(kg.add_principal("root", (), ["admin"])[0])
    with pytest.raises(PermissionDenied, match="last admin"):
        kg.remove_principal("root", caller=root)
    with pytest.raises(PermissionDenied, match="last admin"):
        kg.grant("root", roles=["admin"], revoke=True, caller=root)
    kg.add_principal("second", (), ["admin"], caller=root)
    assert kg.remove_principal("root", caller=root)


def test_a_request_narrows_its_groups_but_never_widens_them(kg: KnowledgeGraph) -> None:
    alice = registered(kg, ("reader",), groups=("public",))
    assert [d.id for d in kg.documents(caller=alice)] == ["press"]
    assert kg.documents(groups=[], caller=alice) == []
    for wider in (["board"], ["public", "board"]):
        with pytest.raises(PermissionDenied, match="can only narrow"):
            kg.documents(groups=wider, caller=alice)
        with pytest.raises(PermissionDenied, match="can only narrow"):
            kg.query("q", groups=wider, caller=alice)
    with pytest.raises(NotFoundError):
        kg.document("memo", caller=alice)


def test_a_principal_cannot_act_as_someone_else(kg: KnowledgeGraph) -> None:
    alice = registered(kg, ("reader", "curator"), groups=("public",))
    with pytest.raises(PermissionDenied, match="cannot act as"):
        kg.query("q", user="bob", caller=alice)
    with pytest.raises(PermissionDenied, match="cannot act as"):
        kg.delete("press", user="bob", caller=alice)


def test_a_curator_touches_only_what_it_sees_and_gives_only_its_groups(kg: KnowledgeGraph) -> None:
    curator = registered(kg, ("curator",), groups=("public",))
    assert not kg.delete("memo", caller=curator)  # the board document: as if it did not exist
    with pytest.raises(NotFoundError):
        kg.set_groups("memo", ["public"], caller=curator)
    with pytest.raises(PermissionDenied, match="not in: board"):
        kg.set_groups("press", ["board"], caller=curator)
    assert kg.stats(caller=curator).documents == 2
    kg.set_groups("press", ["public"], caller=curator)
    assert kg.delete("press", caller=curator)


def test_audit_records_carry_the_principal(kg: KnowledgeGraph) -> None:
    root = Caller(kg.add_principal("root", (), ["admin", "auditor"])[0])
    alice = registered(kg, ("reader", "curator"), groups=("public",))
    kg.query("Who acquired Nordlys Bio?", caller=alice)
    kg.delete("press", caller=alice)
    events = kg.audit_events(caller=root)
    assert [(e.action, e.user) for e in events] == [
        ("principal", None),
        ("principal", "root"),
        ("query", "reader-curator"),
        ("delete", "reader-curator"),
    ]
    assert events[0].principal == "root" and events[0].change == "add" and events[0].roles == ("auditor", "admin")
    assert events[2].groups == ("public",)


def test_keys_are_stored_hashed(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    kg = KnowledgeGraph(SQLiteStore(path), Settings(), audit=AuditLog(tmp_path / "audit.jsonl"))
    _, key = kg.add_principal("root", (), ["admin"])
    kg.close()
    secret = key.split("_", 2)[2].encode()
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert secret not in stored
    assert b"scrypt:" in stored


@pytest.mark.parametrize("name", ["", "a b", "*", "50%", "o'brien", '"x"'])
def test_principal_names_are_checked(kg: KnowledgeGraph, name: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid principal name"):
        kg.add_principal(name, (), ["admin"])


def test_unknown_roles_are_refused(kg: KnowledgeGraph) -> None:
    with pytest.raises(InvalidArgument, match="unknown role"):
        kg.add_principal("root", (), ["admin", "superuser"])
    with pytest.raises(InvalidArgument, match="at least one role"):
        kg.add_principal("root", (), [])
