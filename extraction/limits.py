"""Per-file limits: what one file may cost ingestion before it is refused, so that a hostile or broken file costs
itself and never the batch.

Each limit is checked where the cost is paid (bytes before reading, a zip container's declared sizes before
decompressing, rows and records while parsing, nesting before a recursive parser sees it, text after
extraction); wall time and memory are enforced by the reader process (``extraction/reader.py``). Every refusal is
a ``LoadError`` naming the file, the limit and the option that raises it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from kg.errors import ConfigError

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The defaults let a typical enterprise document pass (a 300-page PDF, a DOCX with images, a 20,000-row
    export) and keep a batch of hostile files within a 2 GB machine budget."""

    max_bytes: int = 100 * MB  # size of the file on disk
    max_unzipped: int = 500 * MB  # declared decompressed size of a zip container (DOCX)
    max_rows: int = 20_000  # data rows of a table
    max_records: int = 20_000  # records of a JSON or JSON-lines file, triples of an RDF file
    max_depth: int = 200  # nesting of JSON values or HTML elements
    max_chars: int = 1_000_000  # characters of extracted text (spaCy's own maximum for one text)
    max_seconds: float = 120.0  # wall time to read one file
    max_memory: int = 768 * MB  # address space of the reader process

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value <= 0:
                raise ConfigError(f"limit {f.name} must be positive, got {value}")
        if self.max_memory < 256 * MB:
            raise ConfigError(f"limit max_memory must be at least 256 MB (a reader needs that), got {self.max_memory}")


# The ``kgrag ingest`` flag of each limit, named in every refusal so that the user knows what to raise.
FLAGS = {
    "max_bytes": "--max-bytes",
    "max_unzipped": "--max-unzipped",
    "max_rows": "--max-rows",
    "max_records": "--max-records",
    "max_depth": "--max-depth",
    "max_chars": "--max-chars",
    "max_seconds": "--max-seconds",
    "max_memory": "--max-memory",
}


def refusal(limit: str, what: str, allowed: float) -> str:
    """Why a file over the limit ``limit`` (a field of ``Limits``) is refused: what it has, the limit, the flag."""
    shown = f"{allowed:,}" if isinstance(allowed, int) else f"{allowed:g}"
    return f"{what}: over the {limit.removeprefix('max_')} limit of {shown} ({FLAGS[limit]})"
