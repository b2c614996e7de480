"""The CLI on a small corpus: each command, human and JSON output, errors and exit codes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from extraction import pipeline
from kgrag.cli import cli

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    (root / "acquisition.md").write_text(
        "# Halvorsen buys Nordlys\n\nHalvorsen Therapeutics acquired Nordlys Bio in 2019 for $1.2 billion.\n"
        "Nordlys Bio developed Veltrazumab, an antibody for psoriasis.\n",
        encoding="utf-8",
    )
    (root / "approval.txt").write_text(
        "Veltrazumab was approved by the European Medicines Agency in March 2022.\n"
        "The approval followed the trial led by Dr. Amara Okafor in Lagos.\n",
        encoding="utf-8",
    )
    (root / "broken.pdf").write_bytes(b"%PDF-1.7 this is not really a pdf")
    return root


@pytest.fixture(scope="module")
def first_ingest(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, tuple[int, str, str]]:
    """A store the corpus was ingested into, and what that first ``kgrag ingest`` printed: every test of this
    module can run alone."""
    store = str(tmp_path_factory.mktemp("store") / "graph.db")
    return store, run("ingest", str(corpus), "--store", store)


@pytest.fixture(scope="module")
def store(first_ingest: tuple[str, tuple[int, str, str]]) -> str:
    return first_ingest[0]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_ingest_reports_failures_and_goes_on(first_ingest: tuple[str, tuple[int, str, str]]) -> None:
    code, out, err = first_ingest[1]
    assert code == 1
    assert "ingested 2, unchanged 0, failed 1" in out
    assert "broken.pdf" in err


def test_reingest_is_unchanged_and_json(corpus: Path, store: str) -> None:
    files = [str(corpus / "acquisition.md"), str(corpus / "approval.txt")]
    code, out, _ = run("ingest", *files, "--store", store, "--json")
    assert code == 0
    assert json.loads(out) | {"seconds": 0} == {
        "ingested": 0,
        "unchanged": 2,
        "regrouped": [],
        "skipped": [],
        "failed": [],
        "not_reached": 0,
        "stopped": None,
        "chunks": 0,
        "relations": 0,
        "seconds": 0,
    }


def test_query_json_cites_sources(store: str) -> None:
    code, out, _ = run(
        "query",
        "Which agency approved the drug developed by the company Halvorsen acquired?",
        "--store",
        store,
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["status"] == "answered"
    sources = {Path(p["source"]).name for p in data["passages"]}
    assert {"acquisition.md", "approval.txt"} <= sources
    for p in data["passages"]:
        assert {"doc_id", "title", "source", "content_hash", "start", "end", "score", "text"} <= set(p)


def test_query_human_output(store: str) -> None:
    code, out, _ = run("query", "Who developed Veltrazumab?", "--store", store)
    assert code == 0
    assert "[1]" in out and "chars" in out


def test_show_span_and_stats_and_acl_and_delete(store: str) -> None:
    code, out, _ = run("documents", "--store", store, "--json")
    docs = json.loads(out)
    assert code == 0 and len(docs) == 2
    doc = next(d for d in docs if d["title"].startswith("Halvorsen"))

    code, out, _ = run("show", doc["id"], "--store", store, "--json")
    start = json.loads(out)["text"].index("Nordlys Bio")
    code, out, _ = run("show", doc["id"], "--span", f"{start}:{start + 11}", "--store", store, "--json")
    assert code == 0 and json.loads(out)["text"] == "Nordlys Bio"
    code, _, err = run("show", doc["id"], "--span", "5:99999", "--store", store)
    assert code == 2 and "outside the document" in err

    code, out, _ = run("acl", "set", doc["id"], "board", "--store", store)
    assert code == 0
    code, out, _ = run("documents", "--store", store, "--json")
    assert doc["id"] not in {d["id"] for d in json.loads(out)}
    code, out, _ = run("documents", "--store", store, "--groups", "board", "--json")
    assert [d["id"] for d in json.loads(out)] == [doc["id"]]

    code, out, _ = run("delete", doc["id"], "--store", store)
    assert code == 0
    code, _, err = run("delete", doc["id"], "--store", store)
    assert code == 1 and "no document" in err
    code, out, _ = run("stats", "--store", store, "--json")
    assert json.loads(out)["documents"] == 1


def test_delete_by_source_path(corpus: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "graph.db")
    code, _, _ = run("ingest", str(corpus / "approval.txt"), "--store", store)
    assert code == 0
    code, out, _ = run("delete", str(corpus / "approval.txt"), "--store", store, "--json")
    assert code == 0 and json.loads(out)["deleted"] is True
    code, out, _ = run("stats", "--store", store, "--json")
    assert json.loads(out)["documents"] == 0


def test_ids_survive_a_move_and_a_lone_reingest(corpus: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "graph.db")
    run("ingest", str(corpus), "--store", store)
    moved = tmp_path / "elsewhere" / corpus.name
    shutil.copytree(corpus, moved)
    code, out, _ = run("ingest", str(moved), "--store", store)
    assert "ingested 0, unchanged 2, failed 1" in out, "a moved folder is the same documents"
    (moved / "approval.txt").write_text("Veltrazumab was approved in 2022.\n", encoding="utf-8")
    code, out, _ = run("ingest", str(moved / "approval.txt"), "--store", store)
    assert "ingested 1, unchanged 0, failed 0" in out
    code, out, _ = run("stats", "--store", store, "--json")
    assert json.loads(out)["documents"] == 2, "a file ingested on its own replaces its copy from the folder"
    code, out, _ = run("delete", str(moved / "approval.txt"), "--store", store, "--json")
    assert code == 0 and json.loads(out)["deleted"] is True


def test_reingest_moves_an_absolute_id_store_to_relative_ids(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = str(tmp_path / "graph.db")
    with monkeypatch.context() as m:  # how stores were written before ids were relative
        m.setattr(pipeline, "document_keys", lambda path, given: [str(path.resolve())])
        run("ingest", str(corpus), "--store", store)
    _, out, _ = run("documents", "--store", store, "--json")
    old_ids = {d["id"] for d in json.loads(out)}
    _, out, _ = run("ingest", str(corpus), "--store", store)
    assert "ingested 2, unchanged 0, failed 1" in out
    _, out, _ = run("documents", "--store", store, "--json")
    assert len(json.loads(out)) == 2 and not old_ids & {d["id"] for d in json.loads(out)}


def test_two_files_of_one_name_are_not_one_document(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "notes.txt").write_text(f"Folder {folder} notes about Nordlys Bio.\n", encoding="utf-8")
    store = str(tmp_path / "graph.db")
    files = [str(tmp_path / folder / "notes.txt") for folder in ("a", "b")]
    code, out, err = run("ingest", *files, "--store", store)
    assert code == 1 and "ingested 1, unchanged 0, failed 1" in out
    assert "same id as" in err and "ingest the folder that holds both" in err


def test_bad_store_uri_is_a_clear_error() -> None:
    code, _, err = run("stats", "--store", "mysql://nowhere")
    assert code == 1 and "unsupported store URI" in err
    code, _, err = run("stats", "--store", "bolt://127.0.0.1:1")
    assert code == 1 and "bolt://127.0.0.1:1: cannot reach Neo4j" in err


def _commands(group, prefix: str = ""):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


@pytest.mark.parametrize("name", [name for name, _ in _commands(cli)])
def test_every_command_has_help_and_is_documented(name: str) -> None:
    code, out, _ = run(*name.split(), "--help")
    assert code == 0 and "Usage:" in out
    assert re.search(rf"kgrag {re.escape(name)}\b", README.read_text(encoding="utf-8")), f"README lacks kgrag {name}"
