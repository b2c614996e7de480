"""The Neo4j rule of tests/conftest.py: a Neo4j test without a server skips on a user's machine, and fails the run
in CI or with KGRAG_REQUIRE_NEO4J=1, so that CI can never pass by skipping the Neo4j backend."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).resolve().parent / "conftest.py").read_text(encoding="utf-8")
NEEDS_SERVER = """
import pytest

@pytest.mark.neo4j
def test_needs_a_server(neo4j_server):
    pass

@pytest.mark.neo4j
@pytest.mark.xfail(reason="a known, named failure is no skip")
def test_known_failure():
    raise AssertionError

def test_plain():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("CI", "KGRAG_REQUIRE_NEO4J", "NEO4J_URI"):
        monkeypatch.delenv(name, raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_needs_server=NEEDS_SERVER)
    return pytester


def test_without_a_server_neo4j_tests_skip_with_the_reason(suite: pytest.Pytester) -> None:
    result = suite.runpytest_inprocess("-rs")
    result.assert_outcomes(passed=1, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(["*NEO4J_URI is not set*"])


@pytest.mark.parametrize(("name", "value"), [("CI", "true"), ("KGRAG_REQUIRE_NEO4J", "1")])
def test_where_neo4j_is_required_a_skip_fails(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    result = suite.runpytest_inprocess()
    result.assert_outcomes(passed=1, errors=1, xfailed=1)
    result.stdout.fnmatch_lines(["*a Neo4j test skipped where Neo4j is required*"])
