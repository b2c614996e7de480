"""The house's layers, read from the code's own imports: each package imports only the packages below it, and no
two packages import each other, inside functions included. Fails on the first upward import, naming it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What each package may import of the project's own packages. retrieval and extraction are siblings: what both need
# (text rules, records, the store protocol, the encoder) lives below them, in kg.
ALLOWED: dict[str, frozenset[str]] = {
    # Benchmarks measure what users get: retrieval only through the API, so its trust step included.
    "benchmarks": frozenset({"kgrag", "extraction", "kg"}),
    "kgrag": frozenset({"retrieval", "extraction", "kg", "cypher"}),
    "retrieval": frozenset({"kg"}),
    "extraction": frozenset({"kg"}),
    "kg": frozenset({"cypher"}),
    "cypher": frozenset(),
}
# Below the application layer, only these modules of kg may name a backend: the factory that opens one by location.
BACKENDS = frozenset({"kg.sqlite_store", "kg.neo4j_store"})
BACKEND_USERS = frozenset({"kg/stores.py"})


def _imports(path: Path) -> set[str]:
    return _imported(path.read_text(encoding="utf-8"), path.relative_to(ROOT).with_suffix("").parts[:-1])


def _imported(source: str, package: tuple[str, ...]) -> set[str]:
    """Every module a source imports, top level or inside a function, as dotted names (relative imports resolved
    against ``package``, the parts of the importing module's package)."""
    tree = ast.parse(source)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join((*package[: len(package) - node.level + 1], base)).strip(".")
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    own = set(ALLOWED)
    for path in _files(package):
        for module in _imports(path):
            top = module.split(".")[0]
            if top in own and top != package:
                assert top in ALLOWED[package], (
                    f"{path.relative_to(ROOT)} imports {module}: {package} may not import {top}"
                )


def test_only_the_store_factory_names_a_backend_below_the_application() -> None:
    for package in ("retrieval", "extraction", "kg", "benchmarks"):
        for path in _files(package):
            rel = path.relative_to(ROOT).as_posix()
            if rel in BACKEND_USERS or path.with_suffix("").relative_to(ROOT).as_posix().replace("/", ".") in BACKENDS:
                continue
            named = {m for m in _imports(path) if any(m == b or m.startswith(b + ".") for b in BACKENDS)}
            assert not named, f"{rel} imports {sorted(named)}: open stores through kg.stores.open_store"


def test_the_checker_sees_imports_inside_functions_and_relative_ones() -> None:
    source = "def f():\n    from kgrag.api import KnowledgeGraph\n    from ..retrieval import paths\n"
    found = _imported(source, ("kg", "sub"))
    assert {"kgrag.api", "kg.retrieval.paths"} <= found


def test_the_command_line_starts_without_loading_models() -> None:
    """``kgrag --help``, ``stats``, ``documents`` and ``audit`` import no model library; only commands that read or
    write text load spaCy and the encoder, when they first need them."""
    heavy = ("spacy", "torch", "sentence_transformers", "networkx", "rapidfuzz", "transformers")
    code = f"import sys, kgrag.cli; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.strip() == ""


MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60


@pytest.mark.parametrize("path", _files("retrieval"), ids=lambda p: p.name)
def test_the_query_path_stays_readable(path: Path) -> None:
    """No module of the query path over 400 lines and no function over 60: each stage small enough to read."""
    source = path.read_text(encoding="utf-8")
    assert source.count("\n") <= MAX_FILE_LINES, f"{path.name} has {source.count(chr(10))} lines"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{path.name}:{node.lineno} {node.name} has {length} lines"
