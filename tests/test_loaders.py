"""Loaders: every format to citable text, structured facts with exact spans, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docx import Document as DocxDocument
from fpdf import FPDF

from extraction.loaders import SINGLE_BYTE, SUPPORTED_EXTENSIONS, LoadedDocument, iter_files, load_file, load_text
from kg.errors import LoadError
from kg.model import sha256_bytes


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def assert_facts_slice(doc: LoadedDocument) -> None:
    for fact in doc.facts:
        assert doc.text[fact.subject_start : fact.subject_end] == fact.subject
        assert doc.text[fact.object_start : fact.object_end] == fact.object
        assert fact.start <= fact.object_start < fact.object_end <= fact.end


def test_txt_keeps_text_and_hashes_raw_bytes(tmp_path: Path) -> None:
    raw = b"Nordlys Bio developed Veltrazumab.  \r\nIt was approved in 2022.\r\n"
    doc = load_file(write(tmp_path / "a.txt", raw))
    assert doc.text == "Nordlys Bio developed Veltrazumab.\nIt was approved in 2022."
    assert doc.content_hash == sha256_bytes(raw)
    assert doc.media_type == "text/plain"
    assert doc.title == "Nordlys Bio developed Veltrazumab."
    assert doc.source == str((tmp_path / "a.txt").resolve())


def test_markdown_strips_markup(tmp_path: Path) -> None:
    doc = load_file(
        write(tmp_path / "m.md", "# The Deal\n\nHalvorsen **acquired** [Nordlys](http://x).\n\n- one\n- two\n")
    )
    assert doc.title == "The Deal"
    assert "Halvorsen acquired Nordlys." in doc.text
    assert "**" not in doc.text and "http" not in doc.text and "#" not in doc.text


def test_html_drops_clutter(tmp_path: Path) -> None:
    html = (
        "<html><head><title>EMA decision</title><script>var x = 1;</script></head><body>"
        "<nav>Home | News</nav><h1>Heading</h1><p>The EMA approved <b>Veltrazumab</b>.</p>"
        "<footer>Copyright</footer></body></html>"
    )
    doc = load_file(write(tmp_path / "p.html", html))
    assert doc.title == "EMA decision"
    assert "The EMA approved Veltrazumab." in doc.text
    for clutter in ("var x", "Home | News", "Copyright"):
        assert clutter not in doc.text


def test_pdf_text_and_title(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.set_title("Trial summary")
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "CDR-204 enrolled 312 patients.")
    path = tmp_path / "t.pdf"
    pdf.output(str(path))
    doc = load_file(path)
    assert doc.title == "Trial summary"
    assert "CDR-204 enrolled 312 patients." in doc.text
    assert doc.metadata["pages"] == 1


def test_docx_paragraphs_tables_and_title(tmp_path: Path) -> None:
    document = DocxDocument()
    document.core_properties.title = "Biography"
    document.add_paragraph("Lena Berg was born in Bergen.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Role"
    table.rows[0].cells[1].text = "CEO"
    path = tmp_path / "b.docx"
    document.save(str(path))
    doc = load_file(path)
    assert doc.title == "Biography"
    assert doc.text == "Lena Berg was born in Bergen.\n\nRole | CEO"


def test_csv_rows_become_lines_and_facts(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "trials.csv", "trial_id,drug,Sponsor Name\nHLV-301,Veltrazumab,Halvorsen\n"))
    assert doc.text == "trial_id: HLV-301; drug: Veltrazumab; Sponsor Name: Halvorsen"
    assert [(f.subject, f.predicate, f.object) for f in doc.facts] == [
        ("HLV-301", "drug", "Veltrazumab"),
        ("HLV-301", "sponsor_name", "Halvorsen"),
    ]
    assert doc.title == "trials"
    assert_facts_slice(doc)


def test_json_records_prose_and_facts(tmp_path: Path) -> None:
    records = [
        {"name": "Nordlys Bio", "parent": "Halvorsen", "tags": ["bio", "norway"], "hq": {"city": "Tromsø"}},
        {"title": "Memo", "text": "Line one.\n\n\n\nLine two.", "year": 2024},
    ]
    doc = load_file(write(tmp_path / "r.json", json.dumps(records)))
    assert "name: Nordlys Bio; parent: Halvorsen; tags: bio, norway; hq.city: Tromsø" in doc.text
    assert "Line one.\n\nLine two." in doc.text
    assert ("Nordlys Bio", "hq_city", "Tromsø") in [(f.subject, f.predicate, f.object) for f in doc.facts]
    assert_facts_slice(doc)


def record_texts(doc: LoadedDocument) -> list[str]:
    return [doc.text[start:end].strip() for start, end in doc.records]


def test_rows_and_records_are_the_units_of_a_structured_file(tmp_path: Path) -> None:
    table = load_file(write(tmp_path / "t.csv", "trial,drug\nHLV-301,Veltrazumab\nCDR-204,Corvanib\n"))
    assert record_texts(table) == ["trial: HLV-301; drug: Veltrazumab", "trial: CDR-204; drug: Corvanib"]
    records = [{"name": "A", "kind": "x", "text": "About A."}, {"name": "B", "kind": "y"}]
    doc = load_file(write(tmp_path / "r.json", json.dumps(records)))
    assert record_texts(doc) == ["name: A; kind: x\nAbout A.", "name: B; kind: y"]
    ttl = (
        "@prefix ex: <https://example.org/> .\nex:V ex:developedBy ex:N ; ex:treats ex:P .\nex:N ex:basedIn ex:Oslo .\n"
    )
    graph = load_file(write(tmp_path / "o.ttl", ttl))
    assert record_texts(graph) == ["N basedIn Oslo.", "V developedBy N.\nV treats P."]
    assert load_file(write(tmp_path / "plain.txt", "Just prose.")).records == ()


def test_jsonl_and_its_line_errors(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "d.jsonl", '{"name": "A", "value": "1"}\n\n{"name": "B", "value": "2"}\n'))
    assert [f.subject for f in doc.facts] == ["A", "B"]
    with pytest.raises(LoadError, match="line 2"):
        load_file(write(tmp_path / "bad.jsonl", '{"name": "A"}\n{broken\n'))


def test_rdf_triples_become_sentences(tmp_path: Path) -> None:
    ttl = (
        "@prefix ex: <https://example.org/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'ex:V rdfs:label "Veltrazumab" ; ex:developedBy ex:N .\nex:N rdfs:label "Nordlys Bio" .\n'
    )
    doc = load_file(write(tmp_path / "o.ttl", ttl))
    assert doc.text == "Veltrazumab developedBy Nordlys Bio."
    assert [(f.subject, f.predicate, f.object) for f in doc.facts] == [("Veltrazumab", "developedby", "Nordlys Bio")]
    assert_facts_slice(doc)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"   \n", "empty file"),
        ("binary.txt", b"abc\x00def", "binary content"),
        ("random.txt", bytes(range(128, 256)) * 8, "not valid UTF-8 .* offset 0.* nor text in"),
        ("broken.pdf", b"%PDF-1.7 this is not a pdf", "corrupt PDF"),
        ("broken.docx", b"PK\x03\x04 not a zip", "corrupt DOCX"),
        ("broken.json", b'{"a": ', "invalid JSON at line 1"),
        ("short.csv", b"only,a,header\n", "header row and at least one data row"),
        ("bad.ttl", b"this is not turtle", "invalid RDF"),
        ("image.png", b"\x89PNG", "unsupported file type '.png'"),
    ],
)
def test_unreadable_files_name_the_file_and_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = write(tmp_path / name, content)
    with pytest.raises(LoadError, match=reason) as caught:
        load_file(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Zentoril is café-made: “quoted”.".encode(), "utf-8"),
        ("\ufeffZentoril is café-made: “quoted”.".encode(), "utf-8"),
        ("Zentoril is café-made: “quoted”.".encode("utf-16"), "utf-16"),
        ("Zentoril is café-made: “quoted”.".encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_are_read_and_recorded(tmp_path: Path, data: bytes, encoding: str) -> None:
    doc = load_file(write(tmp_path / "u.txt", data))
    assert doc.text == "Zentoril is café-made: “quoted”." and doc.metadata["encoding"] == encoding


def test_latin1_text_is_read_as_a_single_byte_encoding(tmp_path: Path) -> None:
    text = "Le café est très bon à côté de l'église où naïve Zoë dînait."
    doc = load_file(write(tmp_path / "fr.csv", f"name,note\nZoë,{text}\n".encode("latin-1")))
    assert text in doc.text and doc.metadata["encoding"] in SINGLE_BYTE


def test_iter_files_recurses_sorted_and_skips(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "b")
    write(tmp_path / "a" / "c.md", "c")
    write(tmp_path / ".hidden" / "d.txt", "d")
    write(tmp_path / ".e.txt", "e")
    write(tmp_path / "f.png", b"\x89PNG")
    (tmp_path / "g.txt").symlink_to("g.txt")
    skipped: list[Path] = []
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path], skipped)]
    assert found == ["a/c.md", "b.txt", "g.txt"], "a looping link is yielded, for its reader to report"
    assert skipped == [tmp_path / "f.png"]
    assert list(iter_files([tmp_path / "f.png"])) == [tmp_path / "f.png"], "a file named explicitly is kept"
    with pytest.raises(LoadError, match="no such file"):
        list(iter_files([tmp_path / "missing"]))


def test_load_text_and_supported_extensions() -> None:
    doc = load_text("  Body text.\r\n", source="record:1", title="T")
    assert (doc.text, doc.title, doc.source) == ("  Body text.", "T", "record:1")
    with pytest.raises(LoadError):
        load_text(" \n ", source="record:2", title="T")
    assert {".txt", ".md", ".html", ".pdf", ".docx", ".csv", ".json", ".jsonl", ".ttl"} <= SUPPORTED_EXTENSIONS
