"""Access control under attack, on every store: public and restricted documents share entities (Halvorsen, Lena
Berg, Zentoril, HLV-412), and some relations are known only from restricted ones (Halvorsen plans to acquire
Vesper Neurosciences). For many questions and callers, nothing a caller may not read appears in a result: not a
passage, a document, a chunk or version id, an entity, an alias, a triple, a path step or its provenance.

The embedded store always runs; Neo4j runs when ``NEO4J_URI`` is set (the same graph, migrated into it), and
must run in CI (tests/conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.embedding import Embedder
from kg.migrate import migrate
from kg.model import Access, ChunkHit, Document
from kg.store import GraphStore
from kgrag.api import KnowledgeGraph
from kgrag.settings import Settings
from retrieval.result import RetrievalResult

DATA = Path(__file__).resolve().parent.parent / "data"
SETTINGS = Settings(domain=str(DATA / "domain" / "pharma.json"))
RESTRICTED = {
    "board-memo-aurora.md": ("board",),
    "safety-memo-zentoril.txt": ("safety",),
    "incident-report-hlv301-0457.txt": ("safety", "pharmacovigilance"),
    "hr-compensation-2024.csv": ("hr",),
}
# Facts and values known only from each restricted document (the fixture checks that no public text holds them).
SECRETS = {
    "board-memo-aurora.md": ["Vesper", "Nevoxil", "Project Aurora", "Claire Dubois", "$900 million"],
    "safety-memo-zentoril.txt": ["liver transplant", "Rotterdam"],
    "incident-report-hlv301-0457.txt": ["412-68-3095", "MRN 00-482-1193", "4111 1111 1111 1111", "example.net"],
    "hr-compensation-2024.csv": [],
}
CALLERS = [
    ("public",),
    ("public", "board"),
    ("public", "safety"),
    ("public", "hr"),
    ("board",),
    ("pharmacovigilance",),
    ("nobody",),
]
PROBES = [
    "Which company does Halvorsen plan to acquire?",
    "Who developed Nevoxil?",
    "What is Project Aurora?",
    "How much will Halvorsen pay for Vesper Neurosciences?",
    "Who advises Halvorsen on the Vesper deal?",
    "Who is the chief executive of Vesper Neurosciences?",
    "Which patient needed a liver transplant in HLV-412?",
    "When did Dr. Helen Marsh recommend stopping HLV-412?",
    "Who is the head of pharmacovigilance at Halvorsen?",
    "What happened at the site in Rotterdam?",
    "What is the salary of Lena Berg?",
    "What is the card number on file for the chief financial officer?",
    "Which trial did the patient with MRN 00-482-1193 join?",
    "Nevoxil Vesper Aurora Dubois Morrow",
    "') DETACH DELETE n // Vesper",
]
QUESTIONS = [q["question"] for q in json.loads((DATA / "questions.json").read_text(encoding="utf-8"))] + PROBES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeGraph]:
    kg = KnowledgeGraph.open(tmp_path_factory.mktemp("adversarial") / "graph.db", SETTINGS)
    assert not kg.ingest([DATA / "corpus"]).failed
    for name, groups in RESTRICTED.items():
        assert not kg.ingest([DATA / "restricted" / name], groups=groups).failed
    public_text = "\n".join(d.text for d in kg.documents(groups=["public"]))
    for secrets in SECRETS.values():
        for secret in secrets:
            assert secret not in public_text, f"{secret!r} is in a public document: not a secret"
    yield kg
    kg.close()


@pytest.fixture(scope="module", params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def graph(request: pytest.FixtureRequest, embedded: KnowledgeGraph) -> Iterator[KnowledgeGraph]:
    if request.param == "embedded":
        yield embedded
        return
    store = request.getfixturevalue("neo4j_server")
    store.clear()
    assert migrate(embedded.store, store).complete
    yield KnowledgeGraph(store, SETTINGS)
    store.clear()


def hidden_documents(kg: KnowledgeGraph, caller: tuple[str, ...]) -> list[Document]:
    return [d for d in kg.store.documents(Access.unrestricted()) if set(d.groups).isdisjoint(caller)]


def assert_nothing_hidden(kg: KnowledgeGraph, caller: tuple[str, ...], result: RetrievalResult) -> None:
    access = Access.of(caller)
    visible = {d.id for d in kg.store.documents(access)}
    for p in result.passages:
        assert p.doc_id in visible, f"passage from hidden document {p.title!r}"
    for t in (*result.triples, *(t for path in result.paths for t in path.triples)):
        assert t.doc_id in visible, f"triple {t.subject} -{t.predicate}-> {t.object} cites a hidden document"
    # Every entity shown is visible to the caller, under a name or alias read from visible documents only.
    shown: dict[str, set[str]] = {}
    for link in result.linked_entities:
        shown.setdefault(link.entity_id, set()).add(link.name)
    for t in (*result.triples, *(t for path in result.paths for t in path.triples)):
        shown.setdefault(t.subject_id, set()).add(t.subject)
        shown.setdefault(t.object_id, set()).add(t.object)
    views = {e.id: e for e in kg.store.entities(sorted(shown), access)}
    for entity_id, names in shown.items():
        assert entity_id in views, f"entity {names} is known only from hidden documents"
        allowed = {views[entity_id].name, *views[entity_id].aliases}
        assert names <= allowed, f"{names - allowed} is a name read from a hidden document"
    # The question is the caller's own text: what they asked may name a secret; what kgrag answers may not.
    data = result.to_dict()
    data.pop("question")
    for link in data["linked_entities"]:
        link.pop("phrase")
    text = json.dumps(data, ensure_ascii=False)
    for doc in hidden_documents(kg, caller):
        for value in (doc.id, doc.content_hash, doc.source, doc.title):
            assert value not in text, f"{value!r} of hidden document {doc.title!r} is in the result"
        graph = kg.store.document_graph(doc.id)
        assert graph is not None
        for chunk in graph.chunks:
            assert chunk.id not in text and chunk.text not in text
    for name, secrets in SECRETS.items():
        if set(RESTRICTED[name]).isdisjoint(caller):
            for secret in secrets:
                assert secret not in text, f"{secret!r} (from {name}) is in the result"


@pytest.mark.parametrize("caller", CALLERS, ids=",".join)
def test_no_result_reveals_what_the_caller_may_not_read(graph: KnowledgeGraph, caller: tuple[str, ...]) -> None:
    for question in QUESTIONS:
        result = graph.query(question, groups=caller, user="adversary")
        assert_nothing_hidden(graph, caller, result)


def probe_store_reads(store: GraphStore, embedder: Embedder, caller: tuple[str, ...]) -> None:
    """Every store read a query makes, as ``caller``: none may return a hidden row. Hits are traced to their
    documents with an unrestricted read, so that a leak in one read is not hidden by the filter of another."""
    access = Access.of(caller)
    everything = Access.unrestricted()
    visible = {d.id for d in store.documents(access)}
    assert visible == {d.id for d in store.documents(everything) if not set(d.groups).isdisjoint(caller)}
    hidden = [d for d in store.documents(everything) if set(d.groups).isdisjoint(caller)]
    hidden_chunks = [c.id for d in hidden for c in store.document_graph(d.id).chunks]
    assert store.chunks(hidden_chunks, access) == []
    assert all(store.get_document(d.id, access) is None for d in hidden)

    def documents_of(hits: list[ChunkHit]) -> set[str]:
        return {c.doc_id for c in store.chunks([h.chunk_id for h in hits], everything)}

    vector = embedder.encode(["Halvorsen plans to acquire Vesper Neurosciences for $900 million"])[0]
    assert documents_of(store.vector_search(vector, 50, access)) <= visible
    for probe in PROBES:
        for field in ("text", "title"):
            assert documents_of(store.lexical_search(probe, 50, access, field)) <= visible
        for entity in store.entity_candidates([probe, *probe.split()], access):
            for name, secrets in SECRETS.items():
                if set(RESTRICTED[name]).isdisjoint(caller):
                    assert not any(s in form for s in secrets for form in (entity.name, *entity.aliases)), entity


@pytest.mark.parametrize("caller", CALLERS, ids=",".join)
def test_store_reads_never_return_hidden_rows(graph: KnowledgeGraph, caller: tuple[str, ...]) -> None:
    probe_store_reads(graph.store, graph.embedder, caller)


class LeakyStore:
    """A store with one read's access filter removed: the probes above must catch each such leak."""

    def __init__(self, store: GraphStore, leak: str) -> None:
        self._store = store
        self._leak = leak

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)
        if name != self._leak:
            return method
        return lambda *args, **kwargs: method(
            *(Access.unrestricted() if isinstance(a, Access) else a for a in args),
            **{k: Access.unrestricted() if isinstance(v, Access) else v for k, v in kwargs.items()},
        )


@pytest.mark.parametrize(
    "leak", ["documents", "chunks", "get_document", "vector_search", "lexical_search", "entity_candidates"]
)
def test_the_probes_catch_a_store_read_without_its_filter(embedded: KnowledgeGraph, leak: str) -> None:
    with pytest.raises(AssertionError):
        probe_store_reads(LeakyStore(embedded.store, leak), embedded.embedder, ("public",))  # type: ignore[arg-type]


def test_a_document_regrouped_is_hidden_at_once(embedded: KnowledgeGraph) -> None:
    [memo] = [d for d in embedded.documents(groups=["board"]) if d.title.startswith("Confidential board memo")]
    question = "Which company does Halvorsen plan to acquire?"
    assert any(p.doc_id == memo.id for p in embedded.query(question, groups=["board"]).passages)
    embedded.set_groups(memo.id, ["board-archive"])
    try:
        result = embedded.query(question, groups=["public", "board"])
        assert_nothing_hidden(embedded, ("public", "board"), result)
        assert all(p.doc_id != memo.id for p in result.passages)
    finally:
        embedded.set_groups(memo.id, ["board"])
