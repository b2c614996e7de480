"""What ingestion takes and reports, as plain records: importing them loads no model, so the API and the CLI can
name them without paying for spaCy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TextRecord:
    """A document given as text rather than as a file (an API caller's record, a benchmark passage)."""

    id: str
    title: str
    text: str
    source: str | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class FailedSource:
    source: str
    reason: str


@dataclass(frozen=True)
class IngestReport:
    ingested: int = 0
    unchanged: int = 0
    failed: tuple[FailedSource, ...] = ()
    chunks: int = 0
    relations: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ingested": self.ingested,
            "unchanged": self.unchanged,
            "failed": [{"source": f.source, "reason": f.reason} for f in self.failed],
            "chunks": self.chunks,
            "relations": self.relations,
            "seconds": round(self.seconds, 3),
        }
