"""The graph's records: what every store holds and every pipeline step passes on.

Spans are character offsets into ``Document.text`` (the text kgrag extracted from the source file), so a
citation can always be checked by slicing that text. Records are frozen: a changed document is a new
version written whole, never an object mutated in place.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from kg.errors import InvalidArgument

PUBLIC_GROUP = "public"
# What ingestion does with personal data: nothing, remove it before storing, or store it and mask it in results.
PiiMode = Literal["off", "redact", "mask"]
PII_MODES: tuple[PiiMode, ...] = ("off", "redact", "mask")
# Access group names: a letter or digit, then letters, digits and ``_ . : -``, at most 64 characters. Wildcards,
# spaces and quotes are refused, so that a group name can never be read as a pattern by any store or log filter.
GROUP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


def clean_groups(groups: Iterable[str], *, required: bool = True) -> tuple[str, ...]:
    """Access groups as every layer stores and compares them: stripped, each checked against ``GROUP_NAME``,
    de-duplicated and sorted. ``required``: a document needs at least one group (a caller may have none)."""
    cleaned = sorted({g.strip() for g in groups if g.strip()})
    for group in cleaned:
        if not GROUP_NAME.fullmatch(group):
            raise InvalidArgument(
                f"invalid group name {group!r}: use letters, digits and _ . : - (at most 64, starting with a letter "
                "or digit)"
            )
    if required and not cleaned:
        raise InvalidArgument("give at least one access group, e.g. public")
    return tuple(cleaned)


def stable_id(*parts: str, length: int = 24) -> str:
    """A content-derived id, so that writing the same input twice produces the same records."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Access:
    """Who is asking. ``groups=None`` is the unrestricted system view (ingestion, migration, admin)."""

    groups: frozenset[str] | None = None
    user: str | None = None

    @classmethod
    def unrestricted(cls, user: str | None = None) -> Access:
        return cls(groups=None, user=user)

    @classmethod
    def of(cls, groups: Iterable[str], user: str | None = None) -> Access:
        return cls(groups=frozenset(clean_groups(groups, required=False)), user=user)


@dataclass(frozen=True)
class Document:
    """One source document, in one version (``content_hash`` of its raw bytes)."""

    id: str
    source: str
    title: str
    media_type: str
    content_hash: str
    text: str
    groups: tuple[str, ...] = (PUBLIC_GROUP,)
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences; ``text == document.text[start:end]``."""

    id: str
    doc_id: str
    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Entity:
    """A resolved entity: one node for all its surface forms.

    ``aliases`` and ``frequency`` (how many chunks mention it) are derived from mentions; when a store reads
    an entity for a restricted caller they come only from documents that caller may see.
    """

    id: str
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    frequency: int = 0


@dataclass(frozen=True)
class Mention:
    """An entity's occurrence in a chunk, at ``[start, end)`` of the document text."""

    entity_id: str
    doc_id: str
    chunk_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Provenance:
    """Where a fact was read: the sentence span in a document version, and which extractor read it."""

    doc_id: str
    chunk_id: str
    start: int
    end: int
    extractor: str
    extractor_version: str
    confidence: float = 1.0


@dataclass(frozen=True)
class Relation:
    """One piece of evidence for ``subject -predicate-> object``.

    The same fact read from two sentences is two ``Relation`` records with the same ``key``; a store keeps
    each, so that erasing one document removes exactly its evidence.
    """

    subject_id: str
    predicate: str
    object_id: str
    provenance: Provenance

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.subject_id, self.predicate, self.object_id)


@dataclass(frozen=True)
class DocumentGraph:
    """Everything derived from one document version: the unit a store writes atomically."""

    document: Document
    chunks: tuple[Chunk, ...]
    embeddings: np.ndarray  # float32, shape (len(chunks), dim), rows L2-normalised
    entities: tuple[Entity, ...]
    mentions: tuple[Mention, ...]
    relations: tuple[Relation, ...]
    # The model the embeddings come from (``kg.embedding.model_id``); a store holds one model's vectors only.
    embedding_model: str | None = None


@dataclass(frozen=True)
class ChunkHit:
    chunk_id: str
    score: float


@dataclass(frozen=True)
class Subgraph:
    """A neighbourhood fetched from a store, for ranking in Python (the same code for every backend)."""

    entities: Mapping[str, Entity]
    relations: tuple[Relation, ...]
    mentions: tuple[Mention, ...]


# What a principal may do: read (query, documents, show), curate (ingest, regroup, delete), read the audit log,
# manage principals. Roles are independent: an admin who should also query is given ``reader`` too.
Role = Literal["reader", "curator", "auditor", "admin"]
ROLES: tuple[Role, ...] = ("reader", "curator", "auditor", "admin")


@dataclass(frozen=True)
class Principal:
    """A registered caller. ``groups`` bound what they may read (a request can narrow them, never widen them);
    ``roles`` what they may do. ``key_id`` is the public part of their API key, by which it is looked up;
    ``key_hash`` is the salted scrypt hash of its secret part. The key itself is never stored."""

    name: str
    groups: tuple[str, ...]
    roles: tuple[Role, ...]
    key_id: str
    key_hash: str
    created: str  # UTC, ISO 8601


@dataclass(frozen=True)
class StoreStats:
    documents: int
    chunks: int
    entities: int
    mentions: int
    relations: int
