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
    """What an ingestion did. ``regrouped``: unchanged documents whose groups it changed (audited as ACL changes);
    ``skipped``: files of unsupported types found in folders; ``not_reached``: sources left when it was stopped
    (``stopped`` says why, e.g. ``SIGTERM``)."""

    ingested: int = 0
    unchanged: int = 0
    failed: tuple[FailedSource, ...] = ()
    chunks: int = 0
    relations: int = 0
    seconds: float = 0.0
    regrouped: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    not_reached: int = 0
    stopped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ingested": self.ingested,
            "unchanged": self.unchanged,
            "regrouped": list(self.regrouped),
            "skipped": list(self.skipped),
            "failed": [{"source": f.source, "reason": f.reason} for f in self.failed],
            "not_reached": self.not_reached,
            "stopped": self.stopped,
            "chunks": self.chunks,
            "relations": self.relations,
            "seconds": round(self.seconds, 3),
        }


class Stop:
    """Asks an ingestion to stop after the document it is working on (``kgrag ingest`` sets it on SIGINT and
    SIGTERM); ``reason`` is reported."""

    def __init__(self) -> None:
        self.reason: str | None = None

    def set(self, reason: str) -> None:
        self.reason = reason
