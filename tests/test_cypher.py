"""The Cypher layer without a server: every statement the code names exists, names built at run time are safe,
and the version branch picks the statement each Neo4j release supports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg import cypher
from kg.errors import CypherNotFound, StoreError
from kg.neo4j_store import (
    FALLBACK_TYPE,
    entity_label,
    parse_version,
    relation_type,
    vector_index_statement,
)
from tests.contract.store_contract import HOSTILE

ROOT = Path(__file__).resolve().parent.parent
CYPHER_FILES = sorted((ROOT / "cypher").rglob("*.cypher"))


def _referenced_names() -> set[str]:
    source = (ROOT / "kg" / "neo4j_store.py").read_text(encoding="utf-8")
    names = set(re.findall(r'(?:cypher\.(?:load|statements|with_identifier)|column)\("([^"]+)"', source))
    names |= set(re.findall(r'"(schema/[a-z_]+)"', source))
    return names


def test_every_statement_the_store_runs_is_a_file() -> None:
    names = _referenced_names()
    assert len(names) > 30
    for name in names:
        assert cypher.load(name).strip(), name


def test_every_query_file_is_used_or_is_for_users_tools() -> None:
    used = _referenced_names()
    for path in CYPHER_FILES:
        name = path.relative_to(ROOT / "cypher").with_suffix("").as_posix()
        assert name in used or name.startswith(("browser/", "graphrag/")), f"{name}.cypher is not used"


@pytest.mark.parametrize("path", CYPHER_FILES, ids=lambda p: p.name)
def test_statements_take_values_as_parameters_only(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    assert not re.search(r"\{[a-z_0-9]*\}|%s|%\(", code), "no Python formatting slots: values are $parameters"
    assert "fulltext.query" not in code or "'\"' +" not in code, "no search syntax built from values"
    placeholders = set(re.findall(r"__[A-Z]+__", code))
    assert placeholders <= {"__LABEL__", "__TYPE__", "__DIMENSIONS__"}


def test_schema_file_splits_into_statements() -> None:
    statements = cypher.statements("schema/constraints")
    assert len(statements) == 11
    assert all(not s.endswith(";") and "//" not in s for s in statements)
    assert sum(s.startswith("CREATE CONSTRAINT") for s in statements) == 7


def test_unknown_statement_is_a_clear_error() -> None:
    with pytest.raises(CypherNotFound):
        cypher.load("no_such_statement")


@pytest.mark.parametrize("identifier", [*HOSTILE, "", "1abc", "a b", "A" * 65, "Org`) DETACH DELETE (n"])
def test_unsafe_identifiers_are_refused(identifier: str) -> None:
    with pytest.raises(ValueError):
        cypher.with_identifier("relations_create", "__TYPE__", identifier)


@pytest.mark.parametrize("value", [0, 4097, -1, True, "384", 384.0, "384}}; MATCH (n) DETACH DELETE n //"])
def test_vector_dimensions_must_be_a_checked_integer(value: object) -> None:
    with pytest.raises(ValueError):
        cypher.with_integer("schema/vector_index", "__DIMENSIONS__", value, 1, 4096)


@pytest.mark.parametrize("name", ["schema/vector_index", "schema/vector_index_exact"])
def test_vector_index_statement_takes_the_dimension(name: str) -> None:
    statement = cypher.with_integer(name, "__DIMENSIONS__", 384, 1, 4096)
    assert "`vector.dimensions`: 384," in statement and "__" not in statement


def test_vector_index_keeps_full_precision_where_the_server_quantizes() -> None:
    assert "`vector.quantization.enabled`: false" in cypher.load("schema/vector_index_exact")


def test_identifiers_are_backticked() -> None:
    statement = cypher.with_identifier("relations_create", "__TYPE__", "ACQUIRE")
    assert "[r:`ACQUIRE`]" in statement and "__TYPE__" not in statement


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        ("acquire", "ACQUIRE"),
        ("bear_in", "BEAR_IN"),
        ("not_approve", "NOT_APPROVE"),
        ("acquire ... for", "ACQUIRE_FOR"),
        ("mentions", FALLBACK_TYPE),
        ("next", FALLBACK_TYPE),
        ("", FALLBACK_TYPE),
        ("123", FALLBACK_TYPE),
        ("`]->() DETACH DELETE n //", "DETACH_DELETE_N"),
    ],
)
def test_relation_types_are_readable_and_safe(predicate: str, expected: str) -> None:
    assert relation_type(predicate) == expected
    assert cypher.IDENTIFIER.fullmatch(relation_type(predicate))


@pytest.mark.parametrize(
    ("entity_type", "expected"),
    [("ORG", "Org"), ("PERSON", "Person"), ("DRUG", "Drug"), ("WORK_OF_ART", "WorkOfArt"), ("entity", None)],
)
def test_entity_labels_are_readable_and_safe(entity_type: str, expected: str | None) -> None:
    assert entity_label(entity_type) == expected


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_types_give_safe_names(hostile: str) -> None:
    label = entity_label(hostile)
    assert label is None or cypher.IDENTIFIER.fullmatch(label)
    assert cypher.IDENTIFIER.fullmatch(relation_type(hostile))


@pytest.mark.parametrize(
    ("version", "statement"),
    [
        ("5.11.0", "schema/vector_index_procedure"),
        ("5.14.0", "schema/vector_index_procedure"),
        ("5.15.0", "schema/vector_index"),
        ("5.22.0", "schema/vector_index"),
        ("5.23.0", "schema/vector_index_exact"),
        ("5.26.12", "schema/vector_index_exact"),
        ("2025.01.0", "schema/vector_index_exact"),
        ("2025.10.1", "schema/vector_index_exact"),
        ("2026.01.0-aura", "schema/vector_index_exact"),
    ],
)
def test_vector_index_statement_follows_the_server_version(version: str, statement: str) -> None:
    assert vector_index_statement(parse_version(version)) == statement


@pytest.mark.parametrize("version", ["5.10.0", "4.4.30"])
def test_servers_without_vector_indexes_are_refused(version: str) -> None:
    with pytest.raises(StoreError, match=r"5\.11 or newer"):
        vector_index_statement(parse_version(version))


def test_unreadable_version_is_a_clear_error() -> None:
    with pytest.raises(StoreError):
        parse_version("unknown")
