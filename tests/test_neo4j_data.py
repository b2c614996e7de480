"""The project's data/ on a real Neo4j server: migration both ways gives the same graph, both stores give the same
outcome and supporting documents, and the saved Browser queries (cypher/browser) show something meaningful,
through Bolt as Browser sends them. Runs when ``NEO4J_URI`` is set, and must in CI (tests/conftest.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kg import cypher
from kg.migrate import migrate
from kg.model import Access
from kg.neo4j_store import Neo4jStore
from kg.sqlite_store import SQLiteStore
from kgrag.api import KnowledgeGraph
from kgrag.settings import Settings
from retrieval.result import RetrievalResult
from tests.test_migrate import assert_same_graph

DATA = Path(__file__).resolve().parent.parent / "data"
SETTINGS = Settings(domain=str(DATA / "domain" / "pharma.json"))
QUESTIONS = json.loads((DATA / "questions.json").read_text(encoding="utf-8"))
CALLERS = [["public"], ["public", "board"]]

pytestmark = [pytest.mark.slow, pytest.mark.neo4j]


@pytest.fixture(scope="module")
def on_neo4j(data_graph: KnowledgeGraph, neo4j_server: Neo4jStore) -> Iterator[KnowledgeGraph]:
    neo4j_server.clear()
    assert migrate(data_graph.store, neo4j_server).complete
    yield KnowledgeGraph(neo4j_server, SETTINGS)
    neo4j_server.clear()


def test_round_trip_through_neo4j_gives_the_same_graph(
    data_graph: KnowledgeGraph, on_neo4j: KnowledgeGraph, tmp_path: Path
) -> None:
    assert_same_graph(data_graph.store, on_neo4j.store)
    back = SQLiteStore(tmp_path / "back.db")
    assert migrate(on_neo4j.store, back).complete
    assert_same_graph(data_graph.store, back)
    back.close()


def answer(result: RetrievalResult, supporting: set[str]) -> dict[str, Any]:
    """What agrees between stores: the outcome and the supporting documents among the top passages. Lower-ranked
    passages and the ranking of paths can differ where lexical scores do (Lucene scores each field, SQLite's FTS5
    the whole row): the README's Neo4j section gives the measured difference."""
    return {"status": result.status, "supporting": sorted({p.source for p in result.passages} & supporting)}


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q["id"])
def test_both_stores_give_the_same_answers(
    data_graph: KnowledgeGraph, on_neo4j: KnowledgeGraph, question: dict[str, Any]
) -> None:
    supporting = {str((DATA / path).resolve()) for path in question["supporting"]}
    for groups in CALLERS:
        embedded = answer(data_graph.query(question["question"], groups=groups), supporting)
        server = answer(on_neo4j.query(question["question"], groups=groups), supporting)
        assert server == embedded, groups


def browser_query(name: str) -> tuple[str, dict[str, Any]]:
    """A saved query and the example parameters its ``:param`` comments give, as a Browser user would run it."""
    text = cypher.load(f"browser/{name}")
    params = {
        key: eval_literal(value) for key, value in re.findall(r"^//.*:param (\w+) => (.+)$", text, flags=re.MULTILINE)
    }
    return text, params


def eval_literal(value: str) -> Any:
    import ast

    return ast.literal_eval(value.strip())


def run(store: Neo4jStore, statement: str, **params: Any) -> list[Any]:
    """The records as Browser receives them: nodes, relationships and paths, not plain maps."""
    with store._driver.session(database=store.database) as session:
        return list(session.run(statement, params))


def test_neighbourhood_shows_related_entities_and_passages(on_neo4j: KnowledgeGraph) -> None:
    statement, params = browser_query("neighbourhood")
    rows = run(on_neo4j.store, statement, **params)
    assert {r["e"]["name"] for r in rows} == {params["name"]}
    assert {r["other"]["name"] for r in rows if r["other"]} >= {"Nordlys Bio"}
    passages = [r["c"]["text"] for r in rows if r["c"]]
    aliases = rows[0]["e"]["aliases"]
    assert passages and all(any(a in text for a in aliases) for text in passages)


def test_relation_provenance_leads_back_to_the_sentence(on_neo4j: KnowledgeGraph) -> None:
    statement, params = browser_query("relation_provenance")
    rows = run(on_neo4j.store, statement, **params)
    assert rows and {r["relation"] for r in rows} >= {"ACQUIRE"}
    for r in rows:
        assert "Nordlys" in r["sentence"] and r["version"] and r["source"].startswith(str(DATA))


def test_paths_between_connect_the_two_entities(on_neo4j: KnowledgeGraph) -> None:
    statement, params = browser_query("paths_between")
    rows = run(on_neo4j.store, statement, **params)
    assert rows
    for r in rows:
        names = [n["name"] for n in r["p"].nodes]
        assert names[0] == params["from"] and names[-1] == params["to"]
        assert all(rel["doc_id"] and rel["predicate"] for rel in r["p"].relationships)


def test_answer_documents_show_what_a_query_returned(data_graph: KnowledgeGraph, on_neo4j: KnowledgeGraph) -> None:
    result = on_neo4j.query(QUESTIONS[0]["question"], groups=["public"])
    chunk_ids = [p.chunk_id for p in result.passages]
    statement, _ = browser_query("answer_documents")
    rows = run(on_neo4j.store, statement, chunk_ids=chunk_ids)
    assert len(rows) == len(chunk_ids)
    assert {r["text"] for r in rows} == {p.text for p in result.passages}
    assert {r["source"] for r in rows} == {p.source for p in result.passages}
    assert any(r["entities"] for r in rows)


def test_document_graph_draws_a_document(data_graph: KnowledgeGraph, on_neo4j: KnowledgeGraph) -> None:
    doc = next(d for d in data_graph.documents(groups=["public"]) if d.source.endswith("2019-nordlys-acquisition.md"))
    statement, _ = browser_query("document_graph")
    rows = run(on_neo4j.store, statement, doc_id=doc.id)
    assert {r["d"]["id"] for r in rows} == {doc.id}
    assert {r["e"]["name"] for r in rows if r["e"]} >= {"Halvorsen Therapeutics", "Nordlys Bio"}
    assert any(r["r"] is not None and r["r"]["doc_id"] == doc.id for r in rows)


def test_neo4j_graphrag_retrievers_read_kgrag_chunks(on_neo4j: KnowledgeGraph) -> None:
    """A neo4j-graphrag user's three retrievers on kgrag's indexes, as the README shows them."""
    retrievers = pytest.importorskip("neo4j_graphrag.retrievers", reason="the graphrag extra is not installed")
    from neo4j_graphrag.embeddings import SentenceTransformerEmbeddings
    from neo4j_graphrag.types import RetrieverResultItem

    from kg.embedding import resolve_model_path

    driver = on_neo4j.store._driver
    embedder = SentenceTransformerEmbeddings(model=resolve_model_path(SETTINGS.embedding_model))
    question = "Which company acquired Nordlys Bio?"

    vector = retrievers.VectorRetriever(driver, "kgrag_chunk_embedding", embedder, return_properties=["text", "doc_id"])
    hits = vector.search(query_text=question, top_k=3).items
    assert len(hits) == 3 and any("Nordlys" in hit.content for hit in hits)

    hybrid = retrievers.HybridRetriever(
        driver, "kgrag_chunk_embedding", "kgrag_chunk_text", embedder, return_properties=["text", "doc_id"]
    )
    assert any("Nordlys" in hit.content for hit in hybrid.search(query_text=question, top_k=3).items)

    with_document = retrievers.VectorCypherRetriever(
        driver,
        "kgrag_chunk_embedding",
        cypher.load("graphrag/chunk_with_document"),
        embedder,
        result_formatter=lambda record: RetrieverResultItem(content=record["text"], metadata=dict(record)),
    )
    # The filter runs on the index's top_k: a restricted caller may get fewer than top_k hits, never another's.
    asked = {"public": question, "board": "Which company does Halvorsen plan to acquire in Project Aurora?"}
    for group, text in asked.items():
        items = with_document.search(query_text=text, top_k=10, query_params={"groups": [group]}).items
        assert items, group
        for hit in items:
            cited = hit.metadata or {}
            doc = on_neo4j.store.get_document(cited["doc_id"], Access.unrestricted())
            assert doc is not None and group in doc.groups, "the groups filter holds"
            assert doc.text[cited["start"] : cited["end"]] == hit.content
            assert (cited["content_hash"], cited["title"], cited["source"]) == (doc.content_hash, doc.title, doc.source)
