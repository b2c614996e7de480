"""A store location that does not exist is an error for every command that reads one; only ingestion, migration
(its target) and registering the first principal create a store."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.errors import NotFoundError
from kgrag.api import KnowledgeGraph
from kgrag.cli import cli


@pytest.mark.parametrize(
    "command",
    [
        ["query", "Who acquired Nordlys Bio?"],
        ["show", "some-doc"],
        ["documents"],
        ["stats"],
        ["audit"],
        ["acl", "set", "some-doc", "board"],
        ["delete", "some-doc"],
        ["principals", "list"],
    ],
)
def test_reading_a_missing_store_is_an_error(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "typo.db"
    result = CliRunner().invoke(cli, [*command, "--store", str(missing)])
    assert result.exit_code == 1 and f"no store at {missing}" in result.stderr
    assert not missing.exists(), "nothing was created"


def test_migrating_from_a_missing_store_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["migrate", "--from", str(tmp_path / "a.db"), "--to", str(tmp_path / "b.db")])
    assert result.exit_code == 1 and "no store at" in result.stderr and not (tmp_path / "b.db").exists()


def test_the_api_creates_unless_told_not_to(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no store at"):
        KnowledgeGraph.open(tmp_path / "missing.db", create=False)
    KnowledgeGraph.open(tmp_path / "new.db").close()
    assert (tmp_path / "new.db").is_file()
