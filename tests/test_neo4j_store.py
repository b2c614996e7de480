"""The Neo4j store against a real server: the shared contract, plus schema, version handling, batching,
idempotency and injection attempts.

Runs when ``NEO4J_URI`` is set (with ``NEO4J_USER``/``NEO4J_PASSWORD``, optionally ``NEO4J_DATABASE``), for example
against ``docker compose up -d``; ``make test`` starts a test server for it. The ``neo`` fixture (tests/conftest.py)
deletes kgrag's nodes in that database: point the tests at a scratch one.
"""

from __future__ import annotations

import numpy as np
import pytest

from kg import cypher
from kg.errors import StoreError
from kg.model import Access, Chunk, Document, DocumentGraph, Entity, Mention, Provenance, Relation, StoreStats
from kg.neo4j_store import Neo4jStore
from tests.contract.store_contract import HOSTILE, StoreContract, entity_id, make_graph

pytestmark = pytest.mark.neo4j

ALL = Access.unrestricted()


class TestNeo4jStore(StoreContract):
    @pytest.fixture
    def store(self, neo: object) -> object:
        return neo

    @pytest.fixture
    def same_store(self, neo: Neo4jStore) -> Neo4jStore:
        again = Neo4jStore(neo.uri)
        yield again
        again.close()


def _rows(store: object, statement: str, **params: object) -> list[dict[str, object]]:
    return store._run(statement, **params)


def test_schema_has_constraints_and_indexes(neo: object) -> None:
    neo.write_document(StoreContract().acquisition())
    names = {r["name"] for r in _rows(neo, "SHOW INDEXES YIELD name RETURN name")}
    assert {"kgrag_chunk_text", "kgrag_mention_text", "kgrag_entity_names", "kgrag_chunk_embedding"} <= names
    constraints = {r["name"] for r in _rows(neo, "SHOW CONSTRAINTS YIELD name RETURN name")}
    assert {"kgrag_document_id", "kgrag_chunk_id", "kgrag_entity_id"} <= constraints
    [vector] = _rows(
        neo, "SHOW INDEXES YIELD name, type, options WHERE name = 'kgrag_chunk_embedding' RETURN type, options"
    )
    assert vector["type"] == "VECTOR"
    config = vector["options"]["indexConfig"]
    assert config["vector.dimensions"] == StoreContract.DIM
    if neo.server.version[:2] >= (5, 23):
        assert config["vector.quantization.enabled"] is False, "quantized scores are not the cosine"


def test_server_version_is_detected(neo: object) -> None:
    from kg.neo4j_store import MIN_VERSION, VECTOR_INDEX_VARIANTS, parse_version, vector_index_statement

    assert neo.server.version[:2] >= MIN_VERSION
    rows = _rows(neo, "CALL dbms.components() YIELD name, versions RETURN name, versions")
    kernel = next(r for r in rows if r["name"] == "Neo4j Kernel")
    assert parse_version(kernel["versions"][0]) == neo.server.version
    expected = next(name for since, name in VECTOR_INDEX_VARIANTS if neo.server.version[:2] >= since)
    assert vector_index_statement(neo.server.version) == expected


def test_graph_reads_naturally_in_browser(neo: object) -> None:
    neo.write_document(StoreContract().acquisition())
    [row] = _rows(
        neo,
        "MATCH (s:Entity:Org {name: 'Halvorsen Therapeutics'})-[r:ACQUIRE]->(o:Entity:Org) "
        "RETURN o.name AS object, r.predicate AS predicate, r.doc_id AS doc, r.extractor AS extractor, "
        "r.start AS start, r.`end` AS stop",
    )
    assert row["object"] == "Nordlys Bio" and row["predicate"] == "acquire" and row["doc"] == "press"
    assert row["extractor"] == "test" and row["stop"] > row["start"]
    [chain] = _rows(
        neo,
        "MATCH (:Document {id: 'press'})-[:HAS_CHUNK]->(a:Chunk)-[:NEXT]->(b:Chunk) "
        "RETURN a.position AS a, b.position AS b",
    )
    assert (chain["a"], chain["b"]) == (0, 1)
    [drug] = _rows(neo, "MATCH (e:Entity:Drug) RETURN e.name AS name, e.aliases AS aliases")
    assert drug == {"name": "Veltrazumab", "aliases": ["Veltrazumab"]}


def test_large_documents_are_written_in_batches(neo: object) -> None:
    sentences = [f"Compound K-{i} was studied by Halvorsen Therapeutics." for i in range(2500)]
    graph = make_graph(
        "big",
        sentences,
        {"Halvorsen Therapeutics": ("ORG", ["Halvorsen Therapeutics"])},
        dim=StoreContract.DIM,
    )
    neo.write_document(graph)
    assert neo.stats() == StoreStats(documents=1, chunks=2500, entities=1, mentions=2500, relations=0)
    [halvorsen] = neo.entities([entity_id("Halvorsen Therapeutics")], ALL)
    assert halvorsen.frequency == 2500
    neo.write_document(graph)
    assert neo.stats().chunks == 2500
    assert neo.delete_document("big") and neo.stats() == StoreStats(0, 0, 0, 0, 0)


def test_rewriting_creates_no_duplicate_relationships(neo: object) -> None:
    contract = StoreContract()
    for _ in range(3):
        neo.write_document(contract.acquisition())
        neo.write_document(contract.memo())
    counts = _rows(
        neo,
        "MATCH ()-[r]->() RETURN type(r) AS type, count(r) AS n ORDER BY type",
    )
    assert {r["type"]: r["n"] for r in counts} == {
        "ACQUIRE": 1,
        "DEVELOP": 2,
        "HAS_CHUNK": 4,
        "MENTIONS": 8,
        "NEXT": 2,
        "PLAN_ACQUIRE": 1,
    }
    assert _rows(neo, "MATCH (m:KgragMeta) RETURN count(m) AS n") == [{"n": 1}]


def test_injection_attempts_are_stored_as_data(neo: object) -> None:
    """Quotes, backticks and Cypher fragments in names, texts, types and predicates never become Cypher."""
    neo.write_document(StoreContract().acquisition())
    before = neo.stats()
    base = make_graph(
        "hostile",
        [f"{HOSTILE[2]} met {HOSTILE[3]}.", f"Then {HOSTILE[5]} happened."],
        {HOSTILE[2]: ("ORG`) DETACH DELETE (n", [HOSTILE[2]]), HOSTILE[3]: ("PERSON", [HOSTILE[3]])},
        dim=StoreContract.DIM,
        title=HOSTILE[0],
    )
    subject, obj = (e.id for e in base.entities)
    hostile_relation = Relation(
        subject,
        "meet`]->(x) WITH x MATCH (n) DETACH DELETE n //",
        obj,
        Provenance("hostile", base.chunks[0].id, 0, 10, "x' OR 1=1 --", "1"),
    )
    graph = DocumentGraph(
        base.document, base.chunks, base.embeddings, base.entities, base.mentions, (hostile_relation,)
    )
    neo.write_document(graph)
    assert neo.stats().documents == before.documents + 1
    assert neo.document_graph("press") is not None
    back = neo.document_graph("hostile")
    assert back is not None and back.document.title == HOSTILE[0]
    assert {e.name for e in back.entities} == {HOSTILE[2], HOSTILE[3]}
    assert back.relations == (hostile_relation,)
    for text in HOSTILE:
        # Access.of refuses such group names; the store must hold even when handed one directly.
        hostile_access = Access(groups=frozenset([text]))
        neo.lexical_search(text, 5, ALL)
        neo.entity_candidates([text], hostile_access)
        assert list(neo.documents(hostile_access)) == []
    assert neo.stats().documents == before.documents + 1


def test_schema_is_checked_once_per_store_until_cleared(neo: Neo4jStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The embeddings' meta record and the vector index cost three round trips: on the first write, not on each."""
    calls: list[str] = []
    run = neo._run

    def counting(statement: str, **params: object) -> object:
        calls.append(statement)
        return run(statement, **params)

    monkeypatch.setattr(neo, "_run", counting)
    contract = StoreContract()
    schema = (cypher.load("meta_set_embeddings"), cypher.load("schema/index_info"), cypher.load("schema/await_index"))
    neo.write_document(contract.acquisition())
    neo.write_document(contract.memo())
    neo.write_document(contract.acquisition())
    assert sum(c in schema for c in calls) == 3
    neo.clear()
    neo.write_document(contract.memo())  # the index was dropped: it is made again
    assert sum(c in schema for c in calls) == 6
    assert neo.vector_search(np.ones(StoreContract.DIM, dtype=np.float32), 1, ALL)


def test_dimension_mismatch_is_refused(neo: object) -> None:
    neo.write_document(StoreContract().acquisition())
    other = make_graph("other", ["Another sentence about Nordlys Bio."], {}, dim=StoreContract.DIM + 4)
    with pytest.raises(StoreError, match="dimensions"):
        neo.write_document(other)
    assert neo.document_version("other") is None


def test_restricted_vector_search_widens_until_enough_visible(neo: object) -> None:
    """The vector index returns nearest nodes regardless of access; the store asks again until k readable remain."""
    target = StoreContract().acquisition()
    neo.write_document(target)
    query = target.embeddings[0]
    for i in range(60):
        near = query + np.float32(1e-3 * (i + 1))
        chunk = Chunk(f"secret-chunk-{i}", f"secret-{i}", 0, 0, 12, "Secret text.")
        doc = Document(f"secret-{i}", f"file:///s{i}", "Secret", "text/plain", "v1", "Secret text.", ("board",))
        neo.write_document(DocumentGraph(doc, (chunk,), np.stack([near / np.linalg.norm(near)]), (), (), ()))
    hits = neo.vector_search(query, 2, Access.of(["public"]))
    assert [h.chunk_id for h in hits] == [c.id for c in target.chunks]
    assert neo.vector_search(query, 2, Access.of(["board"]))[0].chunk_id.startswith("secret-chunk-")


def test_entity_records_keep_their_first_type(neo: object) -> None:
    contract = StoreContract()
    neo.write_document(contract.acquisition())
    relabelled = make_graph(
        "again",
        ["Halvorsen Therapeutics announced results."],
        {"Halvorsen Therapeutics": ("PERSON", ["Halvorsen Therapeutics"])},
        dim=StoreContract.DIM,
    )
    neo.write_document(relabelled)
    [row] = _rows(neo, "MATCH (e:Entity {name: 'Halvorsen Therapeutics'}) RETURN e.type AS type, labels(e) AS labels")
    assert row["type"] == "ORG" and "Person" not in row["labels"]
    assert isinstance(neo.entities([entity_id("Halvorsen Therapeutics")], ALL)[0], Entity)
    assert all(isinstance(m, Mention) for m in neo.document_graph("again").mentions)


def test_erasure_leaves_nothing_of_the_document_on_the_server(neo: object) -> None:
    """After delete_document, no node, relationship, property or index entry holds the document or its text."""
    contract = StoreContract()
    memo = contract.memo()
    neo.write_document(contract.acquisition())
    neo.write_document(memo)
    assert neo.delete_document("memo")
    everything = _rows(
        neo,
        "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN labels(n) AS labels, properties(n) AS node, "
        "type(r) AS type, properties(r) AS relationship",
    )
    stored = repr(everything)
    for word in ("memo", "Vesper", "Nevoxil", "Project Aurora", "plans to acquire", "PLAN_ACQUIRE"):
        assert word not in stored, f"{word!r} is still on the server"
    for index in ("kgrag_chunk_text", "kgrag_entity_names"):
        hits = _rows(neo, "CALL db.index.fulltext.queryNodes($index, 'Vesper') YIELD node RETURN node", index=index)
        assert hits == [], index
    mentions = "CALL db.index.fulltext.queryRelationships('kgrag_mention_text', 'Vesper') YIELD relationship RETURN 1"
    assert _rows(neo, mentions) == []
    nearest = _rows(
        neo,
        "CALL db.index.vector.queryNodes('kgrag_chunk_embedding', 10, $vector) YIELD node RETURN node.doc_id AS doc",
        vector=memo.embeddings[0].tolist(),
    )
    assert nearest and {r["doc"] for r in nearest} == {"press"}
    [halvorsen] = neo.entities([entity_id("Halvorsen Therapeutics")], ALL)
    assert halvorsen.aliases == ("Halvorsen Therapeutics",), "the alias read only from the memo is gone"


def test_batched_searches_use_no_deprecated_cypher(neo: Neo4jStore, caplog: pytest.LogCaptureFixture) -> None:
    """The server's deprecation notices reach users as driver warnings: the batched searches must not cause any."""
    graph = StoreContract().acquisition()
    neo.write_document(graph)
    with caplog.at_level("INFO", logger="neo4j.notifications"):
        lexical = neo.lexical_searches(["Nordlys", "acquired"], 2, Access.of(["public"]))
        vector = neo.vector_searches(graph.embeddings[:2], 1, ALL)
    assert all(lexical) and [hits[0].chunk_id for hits in vector] == [c.id for c in graph.chunks[:2]]
    notices = [r.getMessage() for r in caplog.records if r.name == "neo4j.notifications"]
    assert not [n for n in notices if "deprecat" in n.lower()], notices


def test_an_empty_store_reads_without_driver_warnings(neo: Neo4jStore, caplog: pytest.LogCaptureFixture) -> None:
    """Reading principals and searching a store that has none yet names property keys the database has never
    seen; the server's notices about that must not reach the user as a warning per query."""
    with caplog.at_level("INFO", logger="neo4j.notifications"):
        assert neo.principals() == [] and neo.principal_by_key("nope") is None
        neo.lexical_searches(["Nordlys"], 2, ALL)
    assert [r.getMessage() for r in caplog.records if r.name == "neo4j.notifications"] == []
