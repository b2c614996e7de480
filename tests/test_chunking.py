"""Chunking: whole sentences, exact offsets, bounded size, paragraph breaks preferred."""

from __future__ import annotations

import re

import pytest

from extraction.chunking import chunk_text


def sentences_of(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^.\n]+\.", text)]


def test_chunks_are_exact_slices_covering_every_sentence() -> None:
    text = " ".join(f"Sentence number {i} says something." for i in range(40))
    chunks = chunk_text("d", "h", text, sentences_of(text), max_chars=200)
    assert len(chunks) > 1
    for i, chunk in enumerate(chunks):
        assert chunk.text == text[chunk.start : chunk.end]
        assert len(chunk.text) <= 200 and chunk.index == i
        assert not chunk.text[0].isspace() and not chunk.text[-1].isspace()
    covered = "".join(c.text for c in chunks).replace(" ", "")
    assert covered == text.replace(" ", "")


def test_paragraph_break_ends_a_half_full_chunk() -> None:
    first = "Alpha one is here. Alpha two is here. Alpha three is here."
    text = first + "\n\nBeta starts a new paragraph."
    chunks = chunk_text("d", "h", text, sentences_of(text), max_chars=100)
    assert [c.text for c in chunks] == [first, "Beta starts a new paragraph."]


def test_long_sentence_is_split_at_whitespace() -> None:
    text = "word " * 100 + "end."
    chunks = chunk_text("d", "h", text, [(0, len(text))], max_chars=120)
    assert all(len(c.text) <= 120 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == text.split()


def test_ids_are_stable_and_depend_on_version() -> None:
    text = "One. Two."
    a = chunk_text("d", "h1", text, sentences_of(text))
    assert [c.id for c in a] == [c.id for c in chunk_text("d", "h1", text, sentences_of(text))]
    assert [c.id for c in a] != [c.id for c in chunk_text("d", "h2", text, sentences_of(text))]


def test_bad_size_is_refused() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        chunk_text("d", "h", "x.", [(0, 2)], max_chars=0)


def test_a_record_is_never_split_nor_joined() -> None:
    """Rows of a table are each a passage: split, a row loses its subject; joined, a dozen rows blur into one."""
    rows = [f"product: P{i}; quarter: Q{i % 4 + 1} 2024; region: Europe; sales: {i}" for i in range(12)]
    text = "\n".join(rows)
    records, at = [], 0
    for row in rows:
        records.append((at, at + len(row)))
        at += len(row) + 1
    # The parser's sentences cut rows at their semicolons.
    sentences = [(m.start(), m.end()) for m in re.finditer(r"[^;\n]+;?", text)]
    chunks = chunk_text("d", "h", text, sentences, max_chars=200, records=records)
    assert [c.text for c in chunks] == rows


def test_a_record_with_prose_is_one_passage() -> None:
    first = "name: A; kind: x\nAbout A. More about A."
    text = first + "\nname: B; kind: y"
    sentences = [(0, 16), (17, 25), (26, len(first)), (len(first) + 1, len(text))]
    chunks = chunk_text(
        "d", "h", text, sentences, max_chars=500, records=[(0, len(first)), (len(first) + 1, len(text))]
    )
    assert [c.text for c in chunks] == [first, "name: B; kind: y"]
