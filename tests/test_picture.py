"""The evidence picture, checked as a person sees it: drawn by Graphviz, rendered in headless Chromium, and the
nodes and edges read from the rendered page (their text and their size on screen)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kgrag.api import KnowledgeGraph
from kgrag.cli import cli
from kgrag.picture import draw_evidence
from retrieval.result import GraphPath, LinkedEntity, RetrievalResult
from tests.contract.store_contract import StoreContract
from tests.fixed_retrieval import passage, triple

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# In the browser: every drawn node and edge, with its Graphviz title, its text and its size on the page.
READ_DRAWING = """
const read = (g) => {
    const box = g.getBoundingClientRect();
    return {title: g.querySelector('title').textContent, text: [...g.querySelectorAll('text')].map(t => t.textContent),
            width: box.width, height: box.height};
};
return {nodes: [...document.querySelectorAll('g.node')].map(read),
        edges: [...document.querySelectorAll('g.edge')].map(read)};
"""


def need(tool: str | None, what: str) -> None:
    """Skip without ``tool`` on a developer's machine; CI installs it (``.ci/run``), so there it is a failure."""
    if tool is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have {what}: .ci/run installs it")
        pytest.skip(f"{what} is not installed (apt-get install graphviz chromium chromium-driver)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    need(CHROMIUM, "Chromium")
    need(CHROMEDRIVER, "chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}", "--window-size=1600,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def rendered(browser: Any, page: Path) -> dict[str, list[dict[str, Any]]]:
    browser.get(page.as_uri())
    drawing = browser.execute_script(READ_DRAWING)
    for item in drawing["nodes"] + drawing["edges"]:
        assert item["width"] > 0 and item["height"] > 0, item  # drawn on the page, not merely in the markup
    return drawing


def two_hops() -> RetrievalResult:
    """Halvorsen -acquire-> Nordlys Bio -develop-> Veltrazumab: Nordlys Bio is the bridge, the second sentence the
    passage the path leads to."""
    graph = StoreContract().acquisition()
    first, second = triple(graph, 0), triple(graph, 1)
    linked = LinkedEntity("Halvorsen", first.subject_id, first.subject, "ORG", 1.0, "alias")
    path = GraphPath((first.subject, first.object, second.object), (first, second), second.chunk_id, 1.0)
    return RetrievalResult(
        "Which drug did the company Halvorsen bought develop?",
        "answered",
        0.8,
        passages=(passage(graph, 1), passage(graph, 0)),
        triples=(first, second),
        paths=(path,),
        linked_entities=(linked,),
    )


@pytest.mark.parametrize("fmt", ["html", "svg"])
def test_the_picture_draws_entities_bridges_paths_and_passages(browser: Any, tmp_path: Path, fmt: str) -> None:
    need(shutil.which("dot"), "Graphviz")
    result = two_hops()
    page = tmp_path / f"evidence.{fmt}"
    page.write_bytes(draw_evidence(result, fmt))  # type: ignore[arg-type]
    drawing = rendered(browser, page)
    nodes = {n["title"]: " ".join(n["text"]) for n in drawing["nodes"]}
    first, second = result.paths[0].triples
    assert nodes[first.subject_id] == "Halvorsen Therapeutics ORG"
    assert nodes[first.object_id] == "Nordlys Bio (bridge)"
    assert nodes[second.object_id] == "Veltrazumab"
    assert nodes[f"passage_{second.chunk_id}"].startswith("[1] Halvorsen buys Nordlys chars 53-87")
    assert nodes[f"passage_{first.chunk_id}"].startswith("[2] ")
    assert nodes["question"].startswith("Q: Which drug")
    edges = {e["title"]: " ".join(e["text"]) for e in drawing["edges"]}
    assert edges == {
        f"question->{first.subject_id}": "alias: Halvorsen",
        f"{first.subject_id}->{first.object_id}": "acquire [2]",
        f"{first.object_id}->{second.object_id}": "develop [1]",
        f"{second.object_id}->passage_{second.chunk_id}": "leads to [1]",
    }


def test_an_unverified_citation_is_marked(tmp_path: Path) -> None:
    need(shutil.which("dot"), "Graphviz")
    result = two_hops()
    stale = replace(result.passages[0], verified=False)
    svg = draw_evidence(replace(result, passages=(stale, *result.passages[1:])), "svg")
    assert svg.count(b"UNVERIFIED") == 1 and b"#d32f2f" in svg


def test_cli_refuses_an_unknown_picture_format_before_loading_models(tmp_path: Path) -> None:
    store = str(tmp_path / "graph.db")
    for args, message in [
        (["q", "--graph", "x.txt"], "draw the evidence as .svg, .html, .png"),
        (["q1", "q2", "--graph", "x.svg"], "ask one question"),
    ]:
        result = CliRunner().invoke(cli, ["query", *args, "--store", store])
        assert result.exit_code == 2 and message in result.output, result.output


@pytest.mark.slow
def test_the_picture_of_a_data_question_renders(data_graph: KnowledgeGraph, browser: Any, tmp_path: Path) -> None:
    need(shutil.which("dot"), "Graphviz")
    result = data_graph.query(
        "Which European regulator approved the antibody developed by the company Halvorsen bought?"
    )
    assert result.paths and result.passages
    page = tmp_path / "evidence.html"
    page.write_bytes(draw_evidence(result, "html"))
    drawing = rendered(browser, page)
    nodes = {n["title"]: " ".join(n["text"]) for n in drawing["nodes"]}
    edges: dict[str, list[str]] = {}
    for e in drawing["edges"]:
        edges.setdefault(e["title"], []).append(" ".join(e["text"]))
    linked = {e.entity_id for e in result.linked_entities}
    for e in result.linked_entities:
        assert nodes[e.entity_id].startswith(e.name) and f"question->{e.entity_id}" in edges
    for rank, p in enumerate(result.passages, start=1):
        assert nodes[f"passage_{p.chunk_id}"].startswith(f"[{rank}] ")
    marks = {p.chunk_id: rank for rank, p in enumerate(result.passages, start=1)}
    for path in result.paths:
        ids = {t.subject: t.subject_id for t in path.triples} | {t.object: t.object_id for t in path.triples}
        for t in path.triples:
            mark = f"[{marks[t.chunk_id]}]" if t.chunk_id in marks else ""
            assert any(t.predicate in label and mark in label for label in edges[f"{t.subject_id}->{t.object_id}"])
        for name in path.entities[1:-1]:
            assert ids[name] in linked or nodes[ids[name]].endswith("(bridge)")
        if path.chunk_id in marks:
            assert f"{ids[path.entities[-1]]}->passage_{path.chunk_id}" in edges
