"""Personal data: identifiers planted in every supported format, redacted before storing or masked in results.

The planted values are those of data/restricted (data/README.md, "Restricted documents"): the adverse event
report becomes a .txt, .md, .html, .pdf and .docx file, the HR table a .csv, .json and .jsonl file.
"""

from __future__ import annotations

import csv
import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document as DocxDocument
from fpdf import FPDF

from extraction.nlp import unwrap
from extraction.pii import PiiDetector
from kg.errors import ConfigError
from kg.model import Access, PiiMode
from kgrag.api import KnowledgeGraph, TextRecord
from kgrag.cli import cli
from kgrag.settings import Settings

pytestmark = pytest.mark.slow

RESTRICTED = Path(__file__).resolve().parent.parent / "data" / "restricted"
LAWFIRM = RESTRICTED.parent / "lawfirm" / "corpus"
REPORT = RESTRICTED / "incident-report-hlv301-0457.txt"
TABLE = RESTRICTED / "hr-compensation-2024.csv"
# The ground truth shared with benchmarks/pii_rate.py; the home address is no kind kgrag detects.
GROUND_TRUTH = json.loads((RESTRICTED.parent / "planted-pii.json").read_text(encoding="utf-8"))
REPORT_VALUES = {v: k for v, k in GROUND_TRUTH[REPORT.name].items() if k != "ADDRESS"}
TABLE_ROWS = list(csv.DictReader(TABLE.read_text(encoding="utf-8").splitlines()))
TABLE_VALUES = GROUND_TRUTH[TABLE.name]
PLANTED = {**REPORT_VALUES, **TABLE_VALUES}
FORMATS = (".txt", ".md", ".html", ".pdf", ".docx", ".csv", ".json", ".jsonl")
QUESTIONS = (
    "Who was admitted with pneumonia after the fourth dose of Veltrazumab?",
    "What are the email address, phone number and date of birth of the Chief Executive Officer?",
    "Which payment card and social security number are on file for the patient?",
    "Who is the medical monitor of the study?",
)


def write_planted(root: Path) -> dict[str, Path]:
    """The two restricted documents in every supported format, one file each."""
    title, *lines = REPORT.read_text(encoding="utf-8").split("\n")
    paragraphs = [" ".join(p.split("\n")) for p in "\n".join(lines).strip().split("\n\n")]
    files = {suffix: root / f"planted{suffix}" for suffix in FORMATS}
    files[".txt"].write_text(REPORT.read_text(encoding="utf-8"), encoding="utf-8")
    files[".md"].write_text(f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    files[".html"].write_text(
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>", encoding="utf-8"
    )
    pdf = FPDF(orientation="L")
    pdf.add_page()
    pdf.set_font("helvetica", "", 9)
    for line in [title, *lines]:  # one source line per PDF line, so no value is wrapped
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT") if line.strip() else pdf.ln(3)
    pdf.output(str(files[".pdf"]))
    docx = DocxDocument()
    docx.add_heading(title, level=1)
    for paragraph in paragraphs:
        docx.add_paragraph(paragraph)
    docx.save(str(files[".docx"]))
    files[".csv"].write_text(TABLE.read_text(encoding="utf-8"), encoding="utf-8")
    files[".json"].write_text(json.dumps([{"name": r["employee"], **r} for r in TABLE_ROWS], indent=1))
    files[".jsonl"].write_text("".join(json.dumps({"name": r["employee"], **r}) + "\n" for r in TABLE_ROWS))
    return files


def store_bytes(store: Path) -> bytes:
    """The store file and its write-ahead log and shared memory, read while the store is open."""
    return b"".join(p.read_bytes() for p in store.parent.glob(store.name + "*"))


def leaked(text: str, values: dict[str, str] = PLANTED) -> list[str]:
    return [value for value in values if value in text]


def results_json(kg: KnowledgeGraph, groups: tuple[str, ...]) -> str:
    return json.dumps([kg.query(q, groups=groups).to_dict() for q in QUESTIONS], ensure_ascii=False)


def open_ingested(root: Path, mode: PiiMode) -> tuple[KnowledgeGraph, Path, dict[str, str]]:
    files = write_planted(root)
    store = root / "graph.db"
    kg = KnowledgeGraph.open(store, Settings())
    report = kg.ingest(list(files.values()), groups=["hr"], pii=mode)
    assert report.failed == () and report.ingested == len(FORMATS), report
    ids = {Path(d.source).suffix: d.id for d in kg.documents(groups=["hr", "pii"])}
    return kg, store, ids


@pytest.fixture(scope="module")
def redacted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KnowledgeGraph, Path, dict[str, str]]]:
    kg, store, ids = open_ingested(tmp_path_factory.mktemp("redact"), "redact")
    yield kg, store, ids
    kg.close()


@pytest.fixture(scope="module")
def masked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KnowledgeGraph, Path, dict[str, str]]]:
    kg, store, ids = open_ingested(tmp_path_factory.mktemp("mask"), "mask")
    yield kg, store, ids
    kg.close()


def test_detector_finds_every_planted_kind() -> None:
    detector = PiiDetector(Settings().spacy_model)
    found = {span.text: span.kind for span in detector.detect(REPORT.read_text(encoding="utf-8"))}
    assert {value: found.get(value) for value in REPORT_VALUES} == REPORT_VALUES
    text = "employee: Siobhan Keane; phone: +353 61 555 0142; date_of_birth: 1976-01-19"
    assert [(s.text, s.kind) for s in detector.detect(text)] == [
        ("Siobhan Keane", "PERSON"),
        ("+353 61 555 0142", "PHONE_NUMBER"),
        ("1976-01-19", "DATE_OF_BIRTH"),
    ]
    assert detector.redact("Call 555-201-8890 now.") == "Call [PHONE_NUMBER] now."


def test_a_person_the_ner_mistypes_is_found_by_the_documents_vote() -> None:
    """The small model takes "Ines Calloway" for an organisation; "Ms. Calloway" and the signature say she is a
    person, so each mention of her is redacted. A firm named after partners keeps its name."""
    detector = PiiDetector(Settings().spacy_model)
    letter = LAWFIRM / "clients" / "sable-ridge-engagement-letter.md"
    persons = {s.text for s in detector.detect(letter.read_text(encoding="utf-8")) if s.kind == "PERSON"}
    assert {"Ines Calloway", "Calloway", "Esther Nwosu"} <= persons
    text = "Judge Strand sat with Ms. Achebe. Ashgrove & Pell LLP acts; Theo Pell leads it. Pell LLP wrote."
    found = [s.text for s in detector.detect(text) if s.kind == "PERSON"]
    assert [any(name in f for f in found) for name in ("Strand", "Achebe", "Theo Pell")] == [True] * 3
    assert not any("Ashgrove" in f for f in found), found


def test_a_person_the_ner_takes_for_an_organisation_is_redacted_by_the_vote_on_her_type() -> None:
    """The small model types "Nadia Frost" an organisation, with no title beside her; the kind noun before her name
    ("the quarry manager, Nadia Frost") votes person, as it does in extraction, so she is redacted."""
    detector = PiiDetector(Settings().spacy_model)
    memo = (LAWFIRM / "clients" / "m-1061-status-memo.txt").read_text(encoding="utf-8")
    parsed = detector.analyzer.nlp_engine.process_text(unwrap(memo), "en").tokens
    assert {e.text: e.label_ for e in parsed.ents}.get("Nadia Frost") == "ORG"  # what the vote must overturn
    redacted = detector.redact(memo)
    assert "Frost" not in redacted and "Darren Mills" not in redacted
    assert "Harlow Mining Group" in redacted


def test_detection_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """tldextract would fetch the public suffix list and Presidio a spaCy model; neither may happen."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    spans = PiiDetector(Settings().spacy_model).detect("Write to ngozi.eze@mail.example.net today.")
    assert [(s.text, s.kind) for s in spans] == [("ngozi.eze@mail.example.net", "EMAIL_ADDRESS")]


def test_without_presidio_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "presidio_analyzer", None)
    with pytest.raises(ConfigError, match=r"kgrag\[pii\]"):
        PiiDetector(Settings().spacy_model).detect("Ngozi Eze")


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ConfigError, match="pii_mode"):
        Settings(pii_mode="scramble")  # type: ignore[arg-type]


def test_redact_stores_no_planted_value(redacted: tuple[KnowledgeGraph, Path, dict[str, str]]) -> None:
    kg, store, ids = redacted
    assert sorted(ids) == sorted(FORMATS)
    data = store_bytes(store)
    assert [v for v in PLANTED if v.encode("utf-8") in data] == []
    for suffix, doc_id in ids.items():
        doc = kg.store.get_document(doc_id, Access.unrestricted())
        assert doc is not None
        assert leaked(doc.text + doc.title + json.dumps(doc.metadata)) == [], suffix
        assert doc.metadata["pii"]["mode"] == "redact"
        assert doc.metadata["pii"]["counts"]["PERSON"] >= 4, suffix
        assert "[PERSON]" in doc.text and "[EMAIL_ADDRESS]" in doc.text and "[DATE_OF_BIRTH]" in doc.text, suffix
        chunks = kg.store.document_graph(doc_id)
        assert chunks is not None and all(c.text == doc.text[c.start : c.end] for c in chunks.chunks)


def test_redacted_values_never_become_entities(redacted: tuple[KnowledgeGraph, Path, dict[str, str]]) -> None:
    kg, _, ids = redacted
    for doc_id in ids.values():
        graph = kg.store.document_graph(doc_id)
        assert graph is not None
        names = [e.name for e in graph.entities] + [m.text for m in graph.mentions]
        assert [n for n in names if "[" in n or leaked(n)] == []


def test_redacted_results_hold_no_planted_value(redacted: tuple[KnowledgeGraph, Path, dict[str, str]]) -> None:
    kg, _, _ = redacted
    shown = results_json(kg, ("hr", "pii"))
    assert "[PERSON]" in shown
    assert leaked(shown) == []


def test_mask_keeps_values_but_records_only_where_they_are(
    masked: tuple[KnowledgeGraph, Path, dict[str, str]],
) -> None:
    kg, _, ids = masked
    for suffix, doc_id in ids.items():
        doc = kg.store.get_document(doc_id, Access.unrestricted())
        assert doc is not None
        values = REPORT_VALUES if suffix in (".txt", ".md", ".html", ".pdf", ".docx") else TABLE_VALUES
        assert leaked(doc.text, values) == list(values), suffix
        assert leaked(json.dumps(doc.metadata)) == []
        recorded = {doc.text[s:e]: kind for s, e, kind in doc.metadata["pii"]["spans"]}
        assert {v: recorded.get(v) for v in values} == values, suffix


def test_mask_hides_values_from_callers_without_clearance(
    masked: tuple[KnowledgeGraph, Path, dict[str, str]],
) -> None:
    kg, _, ids = masked
    shown = results_json(kg, ("hr",))
    assert leaked(shown) == []
    for doc_id in ids.values():
        stored = kg.document(doc_id, groups=["hr", "pii"])
        seen = kg.document(doc_id, groups=["hr"])
        assert leaked(seen.text + seen.title) == []
        assert len(seen.text) == len(stored.text)  # masks keep lengths: cited spans still slice the shown text
    assert leaked(json.dumps([d.title for d in kg.documents(groups=["hr"])])) == []
    for question in QUESTIONS:
        for passage in kg.query(question, groups=["hr"]).passages:
            assert passage.text == kg.document(passage.doc_id, groups=["hr"]).text[passage.start : passage.end]


def test_mask_shows_values_to_the_pii_group(masked: tuple[KnowledgeGraph, Path, dict[str, str]]) -> None:
    kg, _, _ = masked
    shown = results_json(kg, ("hr", "pii"))
    assert len(leaked(shown)) >= 5
    assert "4111 1111 1111 1111" in shown


def test_changing_the_mode_reingests(tmp_path: Path) -> None:
    record = TextRecord(id="note", title="Call note", text="Ngozi Eze (phone 555-201-8890) called about her brother.")
    with KnowledgeGraph.open(tmp_path / "graph.db", Settings()) as kg:
        assert kg.ingest_texts([record], groups=["hr"], pii="mask").ingested == 1
        assert kg.ingest_texts([record], groups=["hr"], pii="mask").unchanged == 1
        assert kg.ingest_texts([record], groups=["hr"], pii="redact").ingested == 1
        assert (
            kg.document("note", groups=["hr", "pii"]).text
            == "[PERSON] (phone [PHONE_NUMBER]) called about her brother."
        )


def test_cli_ingest_pii_and_show(tmp_path: Path) -> None:
    store = str(tmp_path / "graph.db")
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", str(REPORT), "--acl", "hr", "--pii", "mask", "--store", store, "--json"])
    assert result.exit_code == 0, result.output
    docs = json.loads(runner.invoke(cli, ["documents", "--groups", "hr", "--store", store, "--json"]).stdout)
    shown = runner.invoke(cli, ["show", docs[0]["id"], "--groups", "hr", "--store", store, "--json"]).stdout
    assert leaked(json.loads(shown)["text"]) == []
    cleared = runner.invoke(cli, ["show", docs[0]["id"], "--groups", "hr,pii", "--store", store, "--json"]).stdout
    assert leaked(json.loads(cleared)["text"]) == list(REPORT_VALUES)
