"""Per-file limits and the reader process: each limit refuses a small file over it, naming the file, the limit and
its flag; the reader survives a file that overruns its time or memory and reads the next one."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from extraction.limits import Limits
from extraction.loaders import load_file
from extraction.reader import Reader
from kg.errors import ConfigError, LoadError


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def docx_bytes(text: str) -> bytes:
    """A DOCX holding ``text``: deflated, a long repetitive text is a small file that decompresses large."""
    from docx import Document

    document = Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "limits", "flag"),
    [
        ("big.txt", "word " * 300, Limits(max_bytes=1000), "--max-bytes"),
        ("bomb.docx", docx_bytes("a" * 200_000), Limits(max_unzipped=100_000), "--max-unzipped"),
        ("rows.csv", "name,value\n" + "".join(f"r{i},{i}\n" for i in range(11)), Limits(max_rows=10), "--max-rows"),
        ("records.json", json.dumps([{"name": f"r{i}"} for i in range(11)]), Limits(max_records=10), "--max-records"),
        ("records.jsonl", "".join(f'{{"name": "r{i}"}}\n' for i in range(11)), Limits(max_records=10), "--max-records"),
        ("deep.json", "[" * 30 + '"x"' + "]" * 30, Limits(max_depth=20), "--max-depth"),
        ("deep.html", "<html><body>" + "<div>" * 30 + "x", Limits(max_depth=20), "--max-depth"),
        ("long.txt", "Long text. " * 200, Limits(max_chars=1000), "--max-chars"),
    ],
)
def test_each_limit_refuses_a_file_over_it(
    tmp_path: Path, name: str, content: str | bytes, limits: Limits, flag: str
) -> None:
    path = write(tmp_path / name, content)
    load_file(path)  # within the defaults
    with pytest.raises(LoadError, match=f"over the .* limit of .*{flag}") as caught:
        load_file(path, limits)
    assert caught.value.path == str(path)


def test_a_json_string_full_of_brackets_is_not_deep(tmp_path: Path) -> None:
    path = write(tmp_path / "flat.json", json.dumps({"name": "x", "text": "[[[[{{{{" * 10}))
    assert load_file(path, Limits(max_depth=3)).title == "x"


def test_limits_are_checked() -> None:
    with pytest.raises(ConfigError, match="max_rows must be positive"):
        Limits(max_rows=0)
    with pytest.raises(ConfigError, match="max_memory must be at least"):
        Limits(max_memory=1024)


def test_reader_refuses_a_slow_file_and_reads_the_next(tmp_path: Path) -> None:
    # Sniffing and reading a large CSV takes far longer than 10 ms; the small file after it is read by a new reader.
    slow = write(tmp_path / "slow.csv", "name,value\n" + "".join(f"row {i},{i}\n" for i in range(15_000)))
    fine = write(tmp_path / "fine.txt", "Fine text.")
    with Reader(Limits(max_seconds=0.01)) as reader:
        (_, first), (_, second) = reader.read_all([slow, fine])
    assert isinstance(first, LoadError) and "--max-seconds" in first.reason and first.path == str(slow)
    assert not isinstance(second, LoadError) and second.text == "Fine text."


def test_reader_survives_a_file_over_its_memory(tmp_path: Path) -> None:
    # 40 MB of text decoded, normalised and split into lines needs several times that: over a 256 MB address space.
    big = write(tmp_path / "big.txt", ("é" * 99 + "\n") * 200_000)
    fine = write(tmp_path / "fine.txt", "Fine text.")
    with Reader(Limits(max_memory=256 * 1024 * 1024)) as reader:
        results = dict(reader.read_all([big, fine, fine]))
    refused = results[big]
    assert isinstance(refused, LoadError) and "--max-memory" in refused.reason
    assert not isinstance(results[fine], LoadError) and results[fine].text == "Fine text."


def test_reader_reports_refusals_as_the_loader_does(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.txt", "  ")
    with Reader() as reader:
        ((path, result),) = reader.read_all([empty])
    assert path == empty and isinstance(result, LoadError) and result.reason == "empty file"


def test_xml_entity_declarations_are_refused_before_parsing(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
        '<rdf:Description rdf:about="http://example.org/x"><ex:p>&b;</ex:p></rdf:Description></rdf:RDF>'
    )
    with pytest.raises(LoadError, match="declares entities"):
        load_file(write(tmp_path / "laughs.rdf", laughs))
