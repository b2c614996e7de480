"""End to end on the project's own data/: ingest the sample corpus, answer its questions through the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kgrag.api import KnowledgeGraph
from kgrag.settings import Settings

DATA = Path(__file__).resolve().parent.parent / "data"
QUESTIONS = json.loads((DATA / "questions.json").read_text(encoding="utf-8"))
ANSWERABLE = [q for q in QUESTIONS if q["supporting"]]
UNANSWERABLE = [q for q in QUESTIONS if not q["supporting"]]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    store = tmp_path_factory.mktemp("e2e") / "graph.db"
    kg = KnowledgeGraph.open(store, Settings(domain=str(DATA / "domain" / "pharma.json")))
    report = kg.ingest([DATA / "corpus"])
    assert report.failed == (), report.failed
    yield kg
    kg.close()


def _source_of(path: str) -> str:
    return str((DATA / path).resolve())


def test_sample_corpus_is_large_enough() -> None:
    formats = {p.suffix for p in (DATA / "corpus").rglob("*") if p.is_file()}
    assert len([p for p in (DATA / "corpus").rglob("*") if p.is_file()]) >= 30
    assert len(formats & {".txt", ".md", ".html", ".pdf", ".docx", ".csv", ".json", ".jsonl"}) >= 5
    assert len(ANSWERABLE) >= 20
    assert UNANSWERABLE


def test_reingesting_unchanged_corpus_changes_nothing(graph: KnowledgeGraph) -> None:
    before = graph.stats()
    report = graph.ingest([DATA / "corpus"])
    assert report.ingested == 0
    assert report.unchanged == before.documents
    assert graph.stats() == before


# Measured on this corpus: all 26 answerable questions get every supporting document in the top 5. The count can
# vary by one with where the corpus lies on disk: document ids derive from source paths and break ranking ties.
# These floors (one below what was measured for completeness) guard against regressions.
FULL_SUPPORT_FLOOR = 25
ANY_SUPPORT_FLOOR = 26


def test_questions_get_their_supporting_documents_and_paths(graph: KnowledgeGraph) -> None:
    complete, partial = [], []
    for question in ANSWERABLE:
        result = graph.query(question["question"], k=5)
        assert result.status == "answered", question["id"]
        sources = [p.source for p in result.passages]
        found = [path for path in question["supporting"] if _source_of(path) in sources]
        if found:
            partial.append(question["id"])
        if len(found) == len(question["supporting"]):
            complete.append(question["id"])
            if len(found) > 1:
                assert result.paths, f"{question['id']}: a multi-hop answer must show the path that connects it"
    incomplete = sorted({q["id"] for q in ANSWERABLE} - set(complete))
    assert len(complete) >= FULL_SUPPORT_FLOOR, f"only {len(complete)} complete; incomplete: {incomplete}"
    assert len(partial) >= ANY_SUPPORT_FLOOR, f"only {len(partial)} with a supporting document"


def test_relations_the_question_names_lead_to_the_answer(graph: KnowledgeGraph) -> None:
    """Both hops of "the chief financial officer of the parent company of X" are relations whose predicates the
    question names; the path is shown first, and the passages stating its hops are returned."""
    [question] = [q for q in ANSWERABLE if q["id"] == "q21"]
    result = graph.query(question["question"], k=5)
    assert result.paths[0].entities == ("Halvorsen Biologics Ireland", "Halvorsen Therapeutics", "Daniel Achterberg")
    assert [t.predicate for t in result.paths[0].triples] == ["parent", "chief_financial_officer_of"]
    stated = {t.chunk_id for t in result.paths[0].triples}
    assert stated <= {p.chunk_id for p in result.passages}
    assert all("path" in p.signals for p in result.passages if p.chunk_id in stated)


def test_a_name_the_question_echoes_picks_the_chain_shown_first(graph: KnowledgeGraph) -> None:
    """ "Which European regulator approved the antibody developed by the company Halvorsen bought in 2019?": through
    Calder Pharmaceuticals and Corvanib to the MHRA is a chain naming as many words as the one through Nordlys Bio
    and Veltrazumab to the European Medicines Agency, whose name holds "European"."""
    [question] = [q for q in ANSWERABLE if q["id"] == "q01"]
    result = graph.query(question["question"], k=5)
    chain = ("Halvorsen Therapeutics", "Nordlys Bio", "Veltrazumab", "European Medicines Agency")
    assert result.paths[0].entities == chain
    assert [t.predicate for t in result.paths[0].triples] == ["acquire", "develop", "approve"]


def test_the_chain_a_question_describes_leads_to_the_page_it_needs(graph: KnowledgeGraph) -> None:
    """ "The neurologist leading the trial of the drug Halvorsen licensed": the licence, the trial's test of the
    drug and its leader (stated as "leads the trial") are a path; where it leads, Rafael Quintero, has a page of his
    own, which says where he was born."""
    [question] = [q for q in ANSWERABLE if q["id"] == "q17"]
    result = graph.query(question["question"], k=5)
    assert result.paths[0].entities == ("Halvorsen Therapeutics", "Lumiprine", "KST-110", "Rafael Quintero")
    sources = {Path(p.source).name for p in result.passages}
    assert {"2023-kestrel-licence.md", "kst-110.json", "rafael-quintero.txt"} <= sources


def test_the_domain_ontology_names_the_hops_of_a_four_hop_chain(graph: KnowledgeGraph) -> None:
    """ "Who runs the company that makes the companion test approved alongside Corvanib?": the pharma pack makes
    ArcSeq CDx a test and the FDA a regulator (not "the company"), "makes" is ``manufacture`` and its ontology
    says that a chief executive officer leads ("runs"), so every hop of the chain is named by the question."""
    [question] = [q for q in ANSWERABLE if q["id"] == "q07"]
    result = graph.query(question["question"], k=5)
    chain = ("Corvanib", "Food and Drug Administration", "ArcSeq CDx", "Arcturus Diagnostics", "Priya Raman")
    assert result.paths[0].entities == chain
    assert [t.predicate for t in result.paths[0].triples][1:] == [
        "approve",
        "manufacture",
        "chief_executive_officer_of",
    ]
    sources = {Path(p.source).name for p in result.passages}
    assert {"fda-corvanib-2023.html", "2022-arcturus-partnership.md", "priya-raman.txt"} <= sources


def test_a_span_is_one_mention_however_many_facts_share_it(graph: KnowledgeGraph) -> None:
    """A sales row states four facts about its product; the product's name in the row is still one mention."""
    [doc] = [d for d in graph.documents() if Path(d.source).name == "sales-2024.csv"]
    mentions = graph.store.document_graph(doc.id).mentions
    spans = [(m.entity_id, m.start, m.end) for m in mentions]
    assert len(spans) == len(set(spans))
    assert any(m.text == "Veltriq" for m in mentions)


def test_a_table_row_is_a_passage_of_its_own(graph: KnowledgeGraph) -> None:
    result = graph.query("How much did Veltriq sell in Europe in Q4 2024?", k=5)
    rows = [p.text for p in result.passages if Path(p.source).name == "sales-2024.csv"]
    assert rows and all(text.count("\n") == 0 and text.startswith("product: ") for text in rows)
    assert "product: Veltriq; active_ingredient: Veltrazumab; quarter: Q4 2024; region: Europe" in rows[0]


@pytest.mark.parametrize("question", UNANSWERABLE, ids=[q["id"] for q in UNANSWERABLE])
def test_unanswerable_question_gets_insufficient_evidence(graph: KnowledgeGraph, question: dict) -> None:
    result = graph.query(question["question"], k=5)
    assert result.status == "insufficient_evidence"
    assert result.passages == ()


def test_every_passage_cites_a_checkable_span(graph: KnowledgeGraph) -> None:
    result = graph.query(ANSWERABLE[0]["question"], k=5)
    for p in result.passages:
        doc = graph.document(p.doc_id)
        assert doc.text[p.start : p.end] == p.text
        assert doc.content_hash == p.content_hash
    for t in result.triples:
        doc = graph.document(t.doc_id)
        assert 0 <= t.start < t.end <= len(doc.text)
