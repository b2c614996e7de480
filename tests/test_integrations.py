"""The LangChain and LlamaIndex retrievers, in a real chain and a real query engine with those packages' own fake
LLMs (no network): the citations and paths arrive in the documents' and nodes' metadata, read as one principal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.audit import AuditLog
from kg.errors import PermissionDenied
from kg.sqlite_store import SQLiteStore
from kgrag.api import Caller, KnowledgeGraph
from kgrag.settings import Settings
from tests.contract.store_contract import StoreContract
from tests.fixed_retrieval import FixedRetriever, evidence_from

pytest.importorskip("langchain_core", reason="the langchain extra is not installed")
pytest.importorskip("llama_index.core", reason="the llamaindex extra is not installed")

from langchain_core.language_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine

from kgrag.integrations.langchain import KgragRetriever
from kgrag.integrations.llamaindex import KgragLlamaRetriever

CONTRACT = StoreContract()
QUESTION = "Who acquired Nordlys Bio?"
ANSWER = "Halvorsen Therapeutics acquired Nordlys Bio [1]."


@pytest.fixture
def kg(tmp_path: Path) -> Iterator[KnowledgeGraph]:
    store = SQLiteStore(tmp_path / "graph.db")
    store.write_document(CONTRACT.acquisition())
    store.write_document(CONTRACT.memo())
    graph = KnowledgeGraph(store, Settings(), audit=AuditLog(tmp_path / "audit.jsonl"))
    graph.retriever = FixedRetriever(graph, evidence_from(CONTRACT.acquisition()))
    yield graph
    graph.close()


@pytest.fixture
def alice(kg: KnowledgeGraph) -> str:
    """The key of a reader of public documents only (the store's first principal is an admin)."""
    root, _ = kg.add_principal("root", ["board", "public"], ["admin"])
    return kg.add_principal("alice", ["public"], ["reader"], caller=Caller(root))[1]


def expected_citations() -> list[dict[str, object]]:
    graph = CONTRACT.acquisition()
    doc = graph.document
    return [
        {
            "doc_id": doc.id,
            "title": doc.title,
            "source": doc.source,
            "start": chunk.start,
            "end": chunk.end,
            "content_hash": doc.content_hash,
            "verified": True,
            "chunk_id": chunk.id,
        }
        for chunk in graph.chunks
    ]


def test_a_langchain_chain_gets_cited_documents(kg: KnowledgeGraph, alice: str) -> None:
    retriever = KgragRetriever.for_key(kg, alice)
    prompt = ChatPromptTemplate.from_template("Answer from the context, citing [n].\n{context}\nQuestion: {question}")

    def context(documents: list) -> str:
        return "\n".join(f"[{d.metadata['rank']}] {d.page_content}" for d in documents)

    llm = FakeListChatModel(responses=[ANSWER])
    chain = RunnablePassthrough.assign(documents=lambda x: retriever.invoke(x["question"])).assign(
        answer=(lambda x: {"context": context(x["documents"]), "question": x["question"]})
        | prompt
        | llm
        | StrOutputParser()
    )
    out = chain.invoke({"question": QUESTION})
    assert out["answer"] == ANSWER
    assert [d.metadata["citation"] for d in out["documents"]] == expected_citations()
    assert out["documents"][0].page_content == CONTRACT.acquisition().chunks[0].text
    assert out["documents"][0].metadata["paths"][0]["text"] == "Halvorsen Therapeutics -[acquire]-> Nordlys Bio"
    assert out["documents"][0].metadata["paths"][0]["triples"][0]["start"] == 0
    assert out["documents"][1].metadata["paths"] == []


def test_a_llamaindex_query_engine_gets_cited_nodes(kg: KnowledgeGraph, alice: str) -> None:
    engine = RetrieverQueryEngine.from_args(KgragLlamaRetriever.for_key(kg, alice), llm=MockLLM())
    response = engine.query(QUESTION)
    assert str(response)  # MockLLM echoes its prompt: the engine ran the LLM over the retrieved nodes
    assert CONTRACT.acquisition().chunks[0].text in str(response)
    nodes = response.source_nodes
    assert [n.node.metadata["citation"] for n in nodes] == expected_citations()
    assert nodes[0].node.metadata["paths"][0]["entities"] == ["Halvorsen Therapeutics", "Nordlys Bio"]
    assert nodes[0].score == 1.0


def test_the_retrievers_read_as_their_principal(kg: KnowledgeGraph, alice: str) -> None:
    KgragRetriever.for_key(kg, alice).invoke(QUESTION)
    KgragLlamaRetriever.for_key(kg, alice).retrieve(QUESTION)
    queries = kg.audit_events(action="query", caller=Caller(kg.store.principal("root")))
    assert [(e.user, e.groups) for e in queries] == [("alice", ("public",))] * 2
    with pytest.raises(PermissionDenied):
        KgragRetriever.for_key(kg, alice, groups=["board"]).invoke(QUESTION)
    with pytest.raises(PermissionDenied):
        KgragLlamaRetriever(kg, caller=kg.authenticate(alice), groups=["board"]).retrieve(QUESTION)


@pytest.mark.slow
def test_on_data_the_citations_verify(data_graph: KnowledgeGraph) -> None:
    question = "Who leads the trial of the drug Halvorsen licensed in 2023?"
    documents = KgragRetriever(graph=data_graph, groups=["public"], k=3).invoke(question)
    nodes = KgragLlamaRetriever(data_graph, groups=["public"], k=3).retrieve(question)
    assert len(documents) == len(nodes) == 3
    for document, node in zip(documents, nodes, strict=True):
        assert document.metadata["citation"] == node.node.metadata["citation"]
        c = document.metadata["citation"]
        check = data_graph.verify_citation(c["doc_id"], c["start"], c["end"], c["content_hash"], document.page_content)
        assert check.verified and c["verified"]
    assert any(d.metadata["paths"] for d in documents)
