"""Identifier lookups: a question that names a matter, case, invoice or trial number ("How many hours were billed
on matter M-1057?") is answered first by the passage that holds exactly that identifier.

A dense encoder takes M-1057 and M-1070 for one another, and lexical search cuts them into "m" and "1057", so
neither can tell the asked row from its neighbour. The stores index every chunk's identifiers exactly
(``GraphStore.identifier_chunks``); here each identifier the question names leads the ranking with its best
passage, the one keyed by it (a table row or record whose first field holds it, else a passage whose first
identifier it is, as a page titled by it) before those that only refer to it, so that a comparison of two identified
things returns both. A question about an identifier the corpus does not hold, while it holds others of the same
kind (M-1099 among M-1057 and M-1070), has no support to show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kg.text import identifier_shape, identifiers
from retrieval.context import QueryContext

# Chunks fetched per asked identifier: enough to find the one keyed by it among the rows that refer to it.
CHUNKS_PER_IDENTIFIER = 20


@dataclass(frozen=True)
class IdentifierMatch:
    """The question's identifiers and the visible chunks holding each exactly (absent when none does)."""

    asked: tuple[str, ...] = ()
    held: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def lead(self, ctx: QueryContext, ranking: Sequence[str], k: int) -> list[str]:
        """The best passage for each asked identifier, in the question's order, at most ``k``: the chunk that says
        most of the question's words ("fee cap" in the letter, "hours billed" in the row), then one keyed by the
        identifier, then one holding more of the asked identifiers, then the better ranked."""
        position = {c: i for i, c in enumerate(ranking)}
        texts = {c.id: c.text for c in ctx.reads.chunks(c for ids in self.held.values() for c in ids)}
        held_by = {c: set(identifiers(t)) & set(self.asked) for c, t in texts.items()}
        said = {c: _words_said(t, ctx.analysis.terms) for c, t in texts.items()}
        lead: list[str] = []
        for value in self.asked:
            candidates = [c for c in self.held.get(value, ()) if c in texts and c not in lead]
            if candidates:
                lead.append(
                    min(
                        candidates,
                        key=lambda c: (
                            -said[c],
                            not _row_keyed(texts[c], value),
                            identifiers(texts[c])[:1] != [value],
                            -len(held_by[c]),
                            position.get(c, len(position)),
                            c,
                        ),
                    )
                )
        return lead[:k]

    def unheld(self, ctx: QueryContext, ranking: Sequence[str]) -> bool:
        """True when the question names identifiers, no visible passage holds any of them, and the passages
        retrieved for it hold others of the same kind: the corpus knows such things, but not the one asked about.
        An identifier of a kind the corpus never writes may be worded otherwise there, and decides nothing."""
        if not self.asked or self.held:
            return False
        shapes = {identifier_shape(v) for v in self.asked}
        return any(
            identifier_shape(v) in shapes for chunk in ctx.reads.chunks(ranking) for v in identifiers(chunk.text)
        )


def _words_said(text: str, terms: Sequence[frozenset[str]]) -> int:
    """How many of the question's content words a chunk holds (any form; a column's ``hours_billed`` is two)."""
    words = set(re.findall(r"[^\W_]+", text.lower()))
    return sum(bool(forms & words) for forms in terms)


def _row_keyed(text: str, value: str) -> bool:
    """Whether a line of ``text`` is a row or record whose first field is ``value`` ("matter: M-1083; client: ..."),
    as the table and JSON loaders write them: a letter titled "..., matter M-1083" only refers to it."""
    row = rf"^[^:;\n]{{1,60}}:\s*{re.escape(value)}\s*(?:;|$)"
    return re.search(row, text, re.MULTILINE | re.IGNORECASE) is not None


def match_identifiers(ctx: QueryContext) -> IdentifierMatch:
    asked = tuple(identifiers(ctx.question))
    if not asked:
        return IdentifierMatch()
    return IdentifierMatch(asked, ctx.reads.identifier_chunks(asked, CHUNKS_PER_IDENTIFIER))
