"""Chunking on sentence boundaries, so that a cited passage never starts or ends mid-sentence."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from kg.errors import InvalidArgument
from kg.model import Chunk, stable_id


def chunk_text(
    doc_id: str,
    content_hash: str,
    text: str,
    sentences: Sequence[tuple[int, int]],
    max_chars: int = 1200,
    records: Sequence[tuple[int, int]] = (),
) -> list[Chunk]:
    """Group consecutive sentences into chunks of at most ``max_chars``.

    A chunk at least half full ends at a paragraph break (a blank line) rather than running into the next
    paragraph; a sentence longer than ``max_chars`` is split at whitespace. No chunk runs across the start or
    end of one of ``records`` (a table row, a JSON record with its text): a row is one fact about one thing, and
    grouped with its neighbours it would be cited, embedded and ranked as a blur of a dozen rows.
    """
    if max_chars < 1:
        raise InvalidArgument(f"max_chars must be positive, got {max_chars}")
    bounds = sorted({offset for span in records for offset in span})
    spans: list[tuple[int, int]] = []
    for start, end in sentences:
        spans.extend(_split_long(text, *_trim(text, start, end), max_chars))
    groups: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for start, end in spans:
        if start >= end:
            continue
        if current is None:
            current = (start, end)
            continue
        too_long = end - current[0] > max_chars
        paragraph_break = "\n\n" in text[current[1] : start] and current[1] - current[0] >= max_chars // 2
        record_bound = bisect.bisect_left(bounds, current[1]) < bisect.bisect_right(bounds, start)
        if too_long or paragraph_break or record_bound:
            groups.append(current)
            current = (start, end)
        else:
            current = (current[0], end)
    if current is not None:
        groups.append(current)
    return [
        Chunk(stable_id(doc_id, content_hash, str(i)), doc_id, i, start, end, text[start:end])
        for i, (start, end) in enumerate(groups)
    ]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars)
        if cut <= start:
            cut = start + max_chars
        pieces.append(_trim(text, start, cut))
        start = _trim(text, cut, end)[0]
    pieces.append((start, end))
    return pieces
