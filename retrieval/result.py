"""What a query returns: cited passages, the triples and paths that reach them, and how sure kgrag is.

Each citation is checked against the stored document before the result is handed out (``retrieval/citations.py``);
``verified`` is ``False`` on one that no longer matches, and ``citation_problems`` says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["answered", "insufficient_evidence"]


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    doc_id: str
    title: str
    source: str
    content_hash: str
    start: int
    end: int
    text: str
    score: float
    signals: Mapping[str, float] = field(default_factory=dict)
    verified: bool = True


@dataclass(frozen=True)
class TripleEvidence:
    """One relation record with its provenance: the sentence span in a document version."""

    subject_id: str
    subject: str
    predicate: str
    object_id: str
    object: str
    doc_id: str
    title: str
    content_hash: str
    chunk_id: str
    start: int
    end: int
    extractor: str
    extractor_version: str
    confidence: float
    verified: bool = True


@dataclass(frozen=True)
class GraphPath:
    """How the question reaches a passage: ``entities[0]`` is a question entity, each triple one step."""

    entities: tuple[str, ...]
    triples: tuple[TripleEvidence, ...]
    chunk_id: str
    score: float

    def describe(self) -> str:
        """``A -[p]-> B <-[q]- C``: arrows follow each relation's own direction along the walk."""
        text = self.entities[0]
        for here, there, triple in zip(self.entities, self.entities[1:], self.triples, strict=False):
            arrow = f" -[{triple.predicate}]-> " if triple.subject == here else f" <-[{triple.predicate}]- "
            text += arrow + there
        return text


@dataclass(frozen=True)
class LinkedEntity:
    phrase: str
    entity_id: str
    name: str
    type: str
    score: float
    how: Literal["exact", "alias", "fuzzy", "embedding"]


@dataclass(frozen=True)
class CitationCheck:
    """One citation checked against the stored document; ``problem`` is ``None`` when the stored version and
    span still hold what was cited. ``stored_hash`` is ``None`` when the document is no longer stored."""

    doc_id: str
    start: int
    end: int
    cited_hash: str | None
    stored_hash: str | None
    problem: str | None = None
    chunk_id: str | None = None

    @property
    def verified(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class RetrievalResult:
    question: str
    status: Status
    confidence: float
    passages: tuple[Passage, ...] = ()
    triples: tuple[TripleEvidence, ...] = ()
    paths: tuple[GraphPath, ...] = ()
    linked_entities: tuple[LinkedEntity, ...] = ()
    rounds: int = 1
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    citation_problems: tuple[CitationCheck, ...] = ()

    def cited_doc_ids(self) -> tuple[str, ...]:
        """Every document the result cites (passages first, then triples and paths), once each."""
        triples = [*self.triples, *(t for path in self.paths for t in path.triples)]
        return tuple(dict.fromkeys([p.doc_id for p in self.passages] + [t.doc_id for t in triples]))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["confidence"] = round(self.confidence, 4)
        for passage in data["passages"]:
            passage["score"] = round(passage["score"], 6)
            passage["signals"] = {k: round(v, 6) for k, v in passage["signals"].items()}
        data["timings_ms"] = {k: round(v, 2) for k, v in self.timings_ms.items()}
        return data
