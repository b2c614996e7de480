"""The store contract as tests: every backend's test class subclasses ``StoreContract`` and provides a ``store``
fixture (a fresh, empty store per test) whose embeddings have ``DIM`` dimensions, and ``same_store``, a second
connection to it (as another process would open).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from kg.errors import NotFoundError, StoreError
from kg.model import (
    Access,
    Chunk,
    Document,
    DocumentGraph,
    Entity,
    Mention,
    Principal,
    Provenance,
    Relation,
    StoreStats,
    stable_id,
)
from kg.store import GraphStore

ALL = Access.unrestricted()
PUBLIC = Access.of(["public"])
BOARD = Access.of(["board"])
NOBODY = Access.of(["nobody"])

HOSTILE = [
    '"unterminated',
    "NEAR(a b) OR * AND NOT",
    "') DETACH DELETE n //",
    "`backtick` {brace} [bracket] (paren)",
    "title: text: col:umn ^boost~2 \\escape",
    "MATCH (n) RETURN n; DROP TABLE documents; --",
]


def vector(dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


def make_graph(
    doc_id: str,
    sentences: list[str],
    entities: dict[str, tuple[str, list[str]]],
    relations: list[tuple[str, str, str, int]] = (),
    *,
    dim: int,
    groups: tuple[str, ...] = ("public",),
    title: str | None = None,
    content_hash: str = "v1",
    seed: int = 0,
) -> DocumentGraph:
    """One chunk per sentence; ``entities`` maps an entity name to (type, surface forms found in the text);
    ``relations`` are (subject name, predicate, object name, sentence index)."""
    text = " ".join(sentences)
    doc = Document(
        doc_id,
        f"file:///{doc_id}.txt",
        title or f"Title of {doc_id}",
        "text/plain",
        content_hash,
        text,
        groups,
        {"pages": 1, "author": "test"},
    )
    chunks, offset = [], 0
    for i, sentence in enumerate(sentences):
        chunk_id = stable_id(doc_id, content_hash, str(i))
        chunks.append(Chunk(chunk_id, doc_id, i, offset, offset + len(sentence), sentence))
        offset += len(sentence) + 1
    ids = {name: stable_id("entity", name) for name in entities}
    mentions = []
    for name, (_, forms) in entities.items():
        for chunk in chunks:
            for form in forms:
                at = chunk.text.find(form)
                if at >= 0:
                    start = chunk.start + at
                    mentions.append(Mention(ids[name], doc_id, chunk.id, start, start + len(form), form))
    seen_forms = {m.entity_id: [] for m in mentions}
    for m in mentions:
        if m.text not in seen_forms[m.entity_id]:
            seen_forms[m.entity_id].append(m.text)
    entity_records = tuple(
        Entity(ids[name], name, kind, tuple(seen_forms.get(ids[name], ()))) for name, (kind, _) in entities.items()
    )
    relation_records = tuple(
        Relation(ids[s], p, ids[o], Provenance(doc_id, chunks[i].id, chunks[i].start, chunks[i].end, "test", "1", 0.9))
        for s, p, o, i in relations
    )
    embeddings = np.stack([vector(dim, seed * 100 + i) for i in range(len(chunks))])
    return DocumentGraph(doc, tuple(chunks), embeddings, entity_records, tuple(mentions), relation_records)


def entity_id(name: str) -> str:
    return stable_id("entity", name)


class StoreContract:
    DIM = 8

    # -- fixtures shared by the tests ---------------------------------------------------------------------------

    def acquisition(self, **kwargs: object) -> DocumentGraph:
        return make_graph(
            "press",
            ["Halvorsen Therapeutics acquired Nordlys Bio in 2019.", "Nordlys Bio developed Veltrazumab."],
            {
                "Halvorsen Therapeutics": ("ORG", ["Halvorsen Therapeutics"]),
                "Nordlys Bio": ("ORG", ["Nordlys Bio"]),
                "Veltrazumab": ("DRUG", ["Veltrazumab"]),
            },
            [("Halvorsen Therapeutics", "acquire", "Nordlys Bio", 0), ("Nordlys Bio", "develop", "Veltrazumab", 1)],
            dim=self.DIM,
            title="Halvorsen buys Nordlys",
            **kwargs,
        )

    def memo(self, **kwargs: object) -> DocumentGraph:
        """A board-only document sharing an entity with the public one, with a relation known only here."""
        return make_graph(
            "memo",
            ["Halvorsen plans to acquire Vesper Neurosciences.", "Vesper Neurosciences developed Nevoxil."],
            {
                "Halvorsen Therapeutics": ("ORG", ["Halvorsen"]),
                "Vesper Neurosciences": ("ORG", ["Vesper Neurosciences"]),
                "Nevoxil": ("DRUG", ["Nevoxil"]),
            },
            [
                ("Halvorsen Therapeutics", "plan_acquire", "Vesper Neurosciences", 0),
                ("Vesper Neurosciences", "develop", "Nevoxil", 1),
            ],
            dim=self.DIM,
            groups=("board",),
            title="Project Aurora",
            seed=7,
            **kwargs,
        )

    # -- writes -------------------------------------------------------------------------------------------------

    def test_one_writer_at_a_time(self, store: GraphStore, same_store: GraphStore) -> None:
        """A second writer waits, told who holds the lock, and goes on once the first is done."""
        waited: list[str] = []
        order: list[str] = []

        def second() -> None:
            with same_store.writer(waited.append):
                order.append("second")

        with store.writer(lambda holder: pytest.fail(f"the lock was free, but held by {holder}")):
            thread = threading.Thread(target=second)
            thread.start()
            deadline = time.monotonic() + 30
            while not waited and time.monotonic() < deadline:
                time.sleep(0.05)
            order.append("first")
        thread.join(timeout=60)
        assert order == ["first", "second"]
        assert len(waited) == 1 and "pid" in waited[0]
        with store.writer(lambda holder: pytest.fail(f"released, yet held by {holder}")):
            pass

    def test_satisfies_protocol(self, store: GraphStore) -> None:
        assert isinstance(store, GraphStore)

    def test_round_trip(self, store: GraphStore) -> None:
        graph = self.acquisition()
        store.write_document(graph)
        back = store.document_graph("press")
        assert back is not None
        assert back.document == graph.document
        assert back.chunks == graph.chunks
        np.testing.assert_allclose(back.embeddings, graph.embeddings, rtol=1e-6)
        assert sorted(back.mentions, key=lambda m: m.start) == sorted(graph.mentions, key=lambda m: m.start)
        assert sorted(back.relations, key=lambda r: r.key) == sorted(graph.relations, key=lambda r: r.key)
        assert {(e.id, e.name, e.type, e.aliases) for e in back.entities} == {
            (e.id, e.name, e.type, e.aliases) for e in graph.entities
        }

    def test_missing_document(self, store: GraphStore) -> None:
        assert store.document_graph("nope") is None
        assert store.get_document("nope", ALL) is None
        assert store.document_version("nope") is None
        assert store.delete_document("nope") is False

    def test_rewrite_is_idempotent(self, store: GraphStore) -> None:
        store.write_document(self.acquisition())
        first = store.stats()
        store.write_document(self.acquisition())
        assert store.stats() == first == StoreStats(documents=1, chunks=2, entities=3, mentions=4, relations=2)

    def test_new_version_replaces_old(self, store: GraphStore) -> None:
        store.write_document(self.acquisition())
        store.write_document(self.memo())
        changed = make_graph(
            "press",
            ["Halvorsen Therapeutics sold Nordlys Bio."],
            {"Halvorsen Therapeutics": ("ORG", ["Halvorsen Therapeutics"]), "Nordlys Bio": ("ORG", ["Nordlys Bio"])},
            [("Halvorsen Therapeutics", "sell", "Nordlys Bio", 0)],
            dim=self.DIM,
            content_hash="v2",
        )
        store.write_document(changed)
        assert store.document_version("press") == "v2"
        back = store.document_graph("press")
        assert back is not None and [c.text for c in back.chunks] == ["Halvorsen Therapeutics sold Nordlys Bio."]
        assert [r.predicate for r in back.relations] == ["sell"]
        ids = {e.id for e in store.entities([entity_id(n) for n in ("Veltrazumab", "Nordlys Bio")], ALL)}
        assert ids == {entity_id("Nordlys Bio")}, "an entity left without evidence is removed"
        assert store.stats().documents == 2

    def test_existing_entity_keeps_stored_name_and_type(self, store: GraphStore) -> None:
        store.write_document(self.acquisition())
        store.write_document(self.memo())
        [entity] = store.entities([entity_id("Halvorsen Therapeutics")], ALL)
        assert (entity.name, entity.type) == ("Halvorsen Therapeutics", "ORG")

    def test_invalid_graph_changes_nothing(self, store: GraphStore) -> None:
        store.write_document(self.acquisition())
        before = store.stats()
        good = self.acquisition(content_hash="v2")
        bad_mention = Mention("unknown-entity", "press", good.chunks[0].id, 0, 5, "Halvo")
        bad = DocumentGraph(
            good.document, good.chunks, good.embeddings, good.entities, (*good.mentions, bad_mention), good.relations
        )
        with pytest.raises(StoreError):
            store.write_document(bad)
        assert store.stats() == before
        assert store.document_version("press") == "v1"

    def test_embedding_model_is_recorded_and_enforced(self, store: GraphStore) -> None:
        assert store.embedding_model() is None
        store.write_document(replace(self.acquisition(), embedding_model="model-a"))
        assert store.embedding_model() == "model-a"
        with pytest.raises(StoreError, match="model-a"):
            store.write_document(replace(self.memo(), embedding_model="model-b"))
        store.write_document(self.memo())
        back = store.document_graph("memo")
        assert back is not None and back.embedding_model == "model-a"

    def test_embedding_shape_is_checked(self, store: GraphStore) -> None:
        good = self.acquisition()
        bad = DocumentGraph(
            good.document, good.chunks, good.embeddings[:1], good.entities, good.mentions, good.relations
        )
        with pytest.raises(StoreError):
            store.write_document(bad)
        assert store.stats().documents == 0

    def test_delete_removes_everything_derived(self, store: GraphStore) -> None:
        store.write_document(self.acquisition())
        store.write_document(self.memo())
        assert store.delete_document("memo") is True
        assert store.stats() == StoreStats(documents=1, chunks=2, entities=3, mentions=4, relations=2)
        assert store.entities([entity_id("Nevoxil"), entity_id("Vesper Neurosciences")], ALL) == []
        [halvorsen] = store.entities([entity_id("Halvorsen Therapeutics")], ALL)
        assert halvorsen.aliases == ("Halvorsen Therapeutics",)
        assert store.lexical_search("Vesper Nevoxil", 5, ALL) == []

    # -- access -------------------------------------------------------------------------------------------------

    def test_set_groups_takes_effect_at_once(self, store: GraphStore) -> None:
        store.write_document(self.acquisition())
        assert store.get_document("press", BOARD) is None
        store.set_groups("press", ["board", "staff"])
        doc = store.get_document("press", BOARD)
        assert doc is not None and sorted(doc.groups) == ["board", "staff"]
        assert store.get_document("press", PUBLIC) is None
        with pytest.raises(NotFoundError):
            store.set_groups("nope", ["board"])

    def test_reads_are_filtered_by_groups(self, store: GraphStore) -> None:
        press, memo = self.acquisition(), self.memo()
        store.write_document(press)
        store.write_document(memo)
        assert [d.id for d in store.documents(PUBLIC)] == ["press"]
        assert [d.id for d in store.documents(BOARD)] == ["memo"]
        assert [d.id for d in store.documents(ALL)] == ["memo", "press"]
        assert list(store.documents(NOBODY)) == []
        memo_chunks = [c.id for c in memo.chunks]
        assert store.chunks(memo_chunks, PUBLIC) == []
        assert [c.id for c in store.chunks(memo_chunks, BOARD)] == memo_chunks
        hits = store.vector_search(memo.embeddings[0], 10, PUBLIC)
        assert {h.chunk_id for h in hits} == {c.id for c in press.chunks}
        assert store.lexical_search("Vesper Nevoxil", 10, PUBLIC) == []
        assert store.lexical_search("Aurora", 10, PUBLIC, field="title") == []
        assert store.entity_candidates(["Nevoxil", "Vesper"], PUBLIC) == []

    def test_restricted_caller_gets_k_visible_hits_when_the_nearest_are_hidden(self, store: GraphStore) -> None:
        """Filtering is inside the search: the caller's k hits are not what is left of everyone's k."""
        query = vector(self.DIM, 999)
        rng = np.random.default_rng(3)
        graphs = []
        for n in range(12):
            public = n % 4 == 0
            graph = make_graph(
                f"doc{n:02d}",
                [f"Sentence {i} of document {n}." for i in range(3)],
                {},
                dim=self.DIM,
                groups=("public",) if public else ("board",),
            )
            near = query + (0.6 if public else 0.1) * rng.standard_normal((3, self.DIM)).astype(np.float32)
            graphs.append(replace(graph, embeddings=near / np.linalg.norm(near, axis=1, keepdims=True)))
            store.write_document(graphs[-1])
        stored = {c.id: v for g in graphs for c, v in zip(g.chunks, g.embeddings, strict=True)}
        public_chunks = {c.id for g in graphs if g.document.groups == ("public",) for c in g.chunks}
        assert store.vector_search(query, 3, ALL)[0].chunk_id not in public_chunks
        hits = store.vector_search(query, 5, PUBLIC)
        assert len(hits) == 5 and len({h.chunk_id for h in hits}) == 5
        assert {h.chunk_id for h in hits} <= public_chunks
        assert [h.score for h in hits] == pytest.approx([float(stored[h.chunk_id] @ query) for h in hits], abs=1e-5)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert {h.chunk_id for h in store.vector_search(query, 50, PUBLIC)} == public_chunks
        assert store.vector_search(query, 5, NOBODY) == []

    def test_entity_seen_through_visible_documents_only(self, store: GraphStore) -> None:
        store.write_document(self.acquisition())
        store.write_document(self.memo())
        [public_view] = store.entities([entity_id("Halvorsen Therapeutics")], PUBLIC)
        assert public_view.aliases == ("Halvorsen Therapeutics",) and public_view.frequency == 1
        [board_view] = store.entities([entity_id("Halvorsen Therapeutics")], BOARD)
        assert board_view.aliases == ("Halvorsen",) and board_view.name == "Halvorsen"
        assert board_view.frequency == 1
        [everyone] = store.entities([entity_id("Halvorsen Therapeutics")], ALL)
        assert set(everyone.aliases) == {"Halvorsen", "Halvorsen Therapeutics"} and everyone.frequency == 2
        assert store.entities([entity_id("Nevoxil")], PUBLIC) == []

    def test_expand_never_walks_through_hidden_documents(self, store: GraphStore) -> None:
        store.write_document(self.acquisition())
        store.write_document(self.memo())
        public = store.expand([entity_id("Halvorsen Therapeutics")], [], 3, PUBLIC)
        assert set(public.entities) == {entity_id(n) for n in ("Halvorsen Therapeutics", "Nordlys Bio", "Veltrazumab")}
        assert {r.predicate for r in public.relations} == {"acquire", "develop"}
        assert all(r.provenance.doc_id == "press" for r in public.relations)
        assert all(m.doc_id == "press" for m in public.mentions)
        board = store.expand([entity_id("Halvorsen Therapeutics")], [], 3, BOARD)
        assert entity_id("Nevoxil") in board.entities and entity_id("Veltrazumab") not in board.entities

    # -- search -------------------------------------------------------------------------------------------------

    def test_vector_search_orders_by_cosine(self, store: GraphStore) -> None:
        press = self.acquisition()
        store.write_document(press)
        store.write_document(self.memo())
        hits = store.vector_search(press.embeddings[1], 3, ALL)
        assert len(hits) == 3
        assert hits[0].chunk_id == press.chunks[1].id and hits[0].score == pytest.approx(1.0, abs=1e-4)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert store.vector_search(press.embeddings[0], 0, ALL) == []

    def test_batched_reads_answer_as_single_reads(self, store: GraphStore) -> None:
        press, memo = self.acquisition(), self.memo()
        store.write_document(press)
        store.write_document(memo)
        for access in (ALL, PUBLIC, BOARD, NOBODY):
            asked = ["memo", "nope", "press", "memo"]
            singles = [d for i in dict.fromkeys(asked) if (d := store.get_document(i, access)) is not None]
            assert store.get_documents(asked, access) == singles
            vectors = np.stack([press.embeddings[1], memo.embeddings[0], press.embeddings[0]])
            batched = store.vector_searches(vectors, 2, access)
            singles_hits = [store.vector_search(v, 2, access) for v in vectors]
            assert [[h.chunk_id for h in hits] for hits in batched] == [
                [h.chunk_id for h in hits] for hits in singles_hits
            ]
            assert [h.score for hits in batched for h in hits] == pytest.approx(
                [h.score for hits in singles_hits for h in hits], abs=1e-5
            )
            queries = ["Veltrazumab", "the of", "Vesper Nevoxil", "Halvorsen"]
            for field in ("text", "title"):
                expected = [store.lexical_search(q, 3, access, field) for q in queries]
                assert store.lexical_searches(queries, 3, access, field) == expected
        assert [len(hits) for hits in store.vector_searches(vectors, 2, PUBLIC)] == [2, 2, 2]
        assert store.vector_searches(np.zeros((0, self.DIM), dtype=np.float32), 2, ALL) == []
        assert store.lexical_searches([], 2, ALL) == [] and store.get_documents([], ALL) == []
        assert store.vector_searches(vectors, 0, ALL) == [[], [], []]

    def test_lexical_search_on_text_and_title(self, store: GraphStore) -> None:
        press = self.acquisition()
        store.write_document(press)
        store.write_document(self.memo())
        hits = store.lexical_search("Which company developed Veltrazumab?", 5, ALL)
        assert hits and hits[0].chunk_id == press.chunks[1].id
        titled = store.lexical_search("Project Aurora", 5, ALL, field="title")
        assert titled and all(h.chunk_id in {c.id for c in self.memo().chunks} for h in titled)
        assert store.lexical_search("the of and", 5, ALL) == []

    def test_identifier_chunks_match_exactly_and_per_caller(self, store: GraphStore) -> None:
        """M-1070 never answers for M-1057 (a dense encoder takes them for one another); each asked identifier gets
        its own chunks, so a comparison of two finds both; hidden and deleted documents hold none."""
        matters = make_graph(
            "matters",
            ["Matter M-1057 billed 412.5 hours.", "Matter M-1070 billed 286 hours for case HC-2023-0412."],
            {},
            dim=self.DIM,
        )
        memo = make_graph(
            "memo", ["The board discussed matter m-1057 in private."], {}, dim=self.DIM, groups=("board",)
        )
        store.write_document(matters)
        store.write_document(memo)
        first, second = (c.id for c in matters.chunks)
        assert store.identifier_chunks(["M-1057"], PUBLIC) == {"M-1057": [first]}
        assert store.identifier_chunks(["m-1057", "M-1070", "M-1099"], PUBLIC) == {
            "M-1057": [first],
            "M-1070": [second],
        }
        assert store.identifier_chunks(["HC-2023-0412"], ALL) == {"HC-2023-0412": [second]}
        assert store.identifier_chunks(["M-1057"], ALL) == {"M-1057": [first, memo.chunks[0].id]}
        assert store.identifier_chunks(["M-1057"], BOARD) == {"M-1057": [memo.chunks[0].id]}
        assert store.identifier_chunks(["M-105", "1057", *HOSTILE], ALL) == {}
        store.delete_document("matters")
        assert store.identifier_chunks(["M-1070"], ALL) == {}

    @pytest.mark.parametrize("text", HOSTILE)
    def test_hostile_search_text_is_only_text(self, store: GraphStore, text: str) -> None:
        store.write_document(self.acquisition())
        store.lexical_search(text, 5, ALL)
        store.lexical_search(text, 5, ALL, field="title")
        store.entity_candidates([text], ALL)
        assert store.stats().documents == 1

    def test_hostile_values_are_stored_verbatim(self, store: GraphStore) -> None:
        name = HOSTILE[2]
        graph = make_graph(
            "odd",
            [f"The company {name} was named in a filing."],
            {name: ("ORG", [name])},
            dim=self.DIM,
            title=HOSTILE[3],
        )
        store.write_document(graph)
        back = store.document_graph("odd")
        assert back is not None and back.document.title == HOSTILE[3]
        assert [e.name for e in back.entities] == [name]

    def test_entity_candidates(self, store: GraphStore) -> None:
        store.write_document(self.acquisition())
        names = [e.name for e in store.entity_candidates(["Nordlys"], ALL)]
        assert names == ["Nordlys Bio"]
        found = store.entity_candidates(["Veltrazumab", "halvorsen therapeutics"], ALL)
        assert {e.name for e in found} == {"Veltrazumab", "Halvorsen Therapeutics"}
        assert store.entity_candidates(["zebra"], ALL) == []

    def test_expand_hops_and_limit(self, store: GraphStore) -> None:
        store.write_document(self.acquisition())
        zero = store.expand([entity_id("Veltrazumab")], [], 0, ALL)
        assert set(zero.entities) == {entity_id("Veltrazumab")}
        one = store.expand([entity_id("Veltrazumab")], [], 1, ALL)
        assert entity_id("Nordlys Bio") in one.entities
        assert {m.chunk_id for m in one.mentions} == {self.acquisition().chunks[1].id}
        limited = store.expand([entity_id("Veltrazumab")], [], 3, ALL, limit=2)
        assert len(limited.entities) == 2
        from_chunk = store.expand([], [self.acquisition().chunks[0].id], 1, ALL)
        assert set(from_chunk.entities) == {entity_id("Halvorsen Therapeutics"), entity_id("Nordlys Bio")}

    def test_chunk_count_is_per_caller(self, store: GraphStore) -> None:
        assert store.chunk_count(ALL) == 0
        store.write_document(self.acquisition())
        store.write_document(self.memo())
        assert (store.chunk_count(ALL), store.chunk_count(PUBLIC), store.chunk_count(BOARD)) == (4, 2, 2)
        assert store.chunk_count(NOBODY) == 0

    def test_clear_erases_everything_and_the_recorded_model(self, store: GraphStore) -> None:
        store.write_document(self.acquisition())
        store.write_document(self.memo())
        store.clear()
        assert store.stats() == StoreStats(0, 0, 0, 0, 0)
        assert store.embedding_model() is None
        assert store.vector_search(np.ones(self.DIM, dtype=np.float32), 5, ALL) == []
        store.write_document(self.acquisition())
        assert store.stats().documents == 1

    def test_stats(self, store: GraphStore) -> None:
        assert store.stats() == StoreStats(0, 0, 0, 0, 0)
        store.write_document(self.acquisition())
        store.write_document(self.memo())
        assert store.stats() == StoreStats(documents=2, chunks=4, entities=5, mentions=8, relations=4)

    # -- the principal registry -----------------------------------------------------------------------------

    @staticmethod
    def principal(name: str, key_id: str, roles: tuple[str, ...] = ("reader",)) -> Principal:
        return Principal(name, ("board", "public"), roles, key_id, f"scrypt:hash-of-{key_id}", "2026-01-01T00:00:00")

    @staticmethod
    def empty_registry(store: GraphStore) -> None:
        """A server store keeps its principals across ``clear``: start each registry test from none."""
        for p in store.principals():
            store.remove_principal(p.name)

    def test_principals_round_trip(self, store: GraphStore) -> None:
        self.empty_registry(store)
        assert store.principals() == []
        alice, bob = self.principal("alice", "k1"), self.principal("bob", "k2", ("curator", "reader"))
        store.put_principal(bob)
        store.put_principal(alice)
        assert store.principals() == [alice, bob]
        assert store.principal("bob") == bob
        assert store.principal_by_key("k1") == alice
        assert store.principal("carol") is None
        assert store.principal_by_key("nope") is None
        self.empty_registry(store)

    def test_principal_is_replaced_whole(self, store: GraphStore) -> None:
        self.empty_registry(store)
        store.put_principal(self.principal("alice", "k1"))
        rotated = replace(self.principal("alice", "k9", ("admin",)), groups=("hr",))
        store.put_principal(rotated)
        assert store.principals() == [rotated]
        assert store.principal_by_key("k1") is None
        assert store.principal_by_key("k9") == rotated
        self.empty_registry(store)

    def test_remove_principal(self, store: GraphStore) -> None:
        self.empty_registry(store)
        store.put_principal(self.principal("alice", "k1"))
        assert store.remove_principal("alice") is True
        assert store.remove_principal("alice") is False
        assert store.principal_by_key("k1") is None
        assert store.principals() == []

    def test_clear_keeps_the_registry(self, store: GraphStore) -> None:
        self.empty_registry(store)
        alice = self.principal("alice", "k1")
        store.put_principal(alice)
        store.write_document(self.acquisition())
        store.clear()
        assert store.principals() == [alice]
        self.empty_registry(store)

    @pytest.mark.parametrize("text", HOSTILE)
    def test_hostile_principal_values_are_stored_verbatim(self, store: GraphStore, text: str) -> None:
        self.empty_registry(store)
        store.put_principal(self.principal(text, text))
        assert store.principal(text) == self.principal(text, text)
        assert store.principal_by_key(text) == self.principal(text, text)
        self.empty_registry(store)
