"""The per-query context every stage of the query path receives: who asks, what they asked, how large their corpus
is, and the store as they see it, with each record read at most once a query.

A stage never takes the caller's ``Access`` or the corpus size as loose arguments: they travel here, so that no
stage can read with another caller's rights or rank with another corpus's statistics.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from kg.model import Access, Chunk, ChunkHit, Document, Entity, Subgraph
from kg.store import GraphStore, LexicalField
from kg.text import normalise
from retrieval.analysis import QuestionAnalysis


class StoreReads:
    """The store as one caller sees it during one query. Chunks, documents and the pages about a name are cached:
    the stages of a query ask for the same ones many times (a bridge's page, the documents behind a ranking)."""

    def __init__(self, store: GraphStore, access: Access, title_candidates: int) -> None:
        self.store = store
        self.access = access
        self.title_candidates = title_candidates
        self._chunks: dict[str, Chunk | None] = {}
        self._documents: dict[str, Document | None] = {}
        self._pages: dict[str, list[str]] = {}

    def chunks(self, chunk_ids: Iterable[str]) -> list[Chunk]:
        """The visible chunks among ``chunk_ids``, in the order asked; unknown and hidden ids are skipped."""
        ids = list(dict.fromkeys(chunk_ids))
        missing = [i for i in ids if i not in self._chunks]
        if missing:
            found = {c.id: c for c in self.store.chunks(missing, self.access)}
            self._chunks.update({i: found.get(i) for i in missing})
        return [chunk for i in ids if (chunk := self._chunks[i]) is not None]

    def documents(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        """The visible documents among ``doc_ids``, by id."""
        ids = list(dict.fromkeys(doc_ids))
        missing = [i for i in ids if i not in self._documents]
        if missing:
            found = {d.id: d for d in self.store.get_documents(missing, self.access)}
            self._documents.update({i: found.get(i) for i in missing})
        return {i: d for i in ids if (d := self._documents[i]) is not None}

    def read_documents(self) -> list[str]:
        """The ids of the visible documents read so far."""
        return [i for i, d in self._documents.items() if d is not None]

    def lookup(self) -> DocumentLookup:
        """The visible documents as a mapping that reads each one when first asked for: evidence names the
        documents it needs as it is assembled, so only those are read."""
        return DocumentLookup(self)

    def pages_about(self, name: str) -> list[str]:
        """Passages of documents whose title is ``name``, or starts or ends with it ("Curtis Bernhardt", "Dr. Amara
        Okafor: biography", "Company profile: X"): where a corpus keeps what it knows about an entity."""
        return self.pages_about_all([name])[name]

    def pages_about_all(self, names: Iterable[str]) -> dict[str, list[str]]:
        """``pages_about`` for each of ``names``; the names not asked before are searched together, in three store
        reads (their title searches, the chunks found, those chunks' documents) however many they are."""
        asked = list(dict.fromkeys(names))
        missing = [n for n in asked if n not in self._pages and normalise(n)]
        if missing:
            searches = self.store.lexical_searches(missing, self.title_candidates, self.access, "title")
            chunks = {c.id: c for c in self.chunks(h.chunk_id for hits in searches for h in hits)}
            titles = {i: d.title for i, d in self.documents(c.doc_id for c in chunks.values()).items()}
            for name, hits in zip(missing, searches, strict=True):
                key = normalise(name)
                found = [chunks[h.chunk_id] for h in hits if h.chunk_id in chunks]
                self._pages[name] = [c.id for c in found if c.doc_id in titles and _names_title(key, titles[c.doc_id])]
        return {n: self._pages.get(n, []) for n in asked}

    def vector_search(self, vector: np.ndarray, k: int) -> list[ChunkHit]:
        return self.store.vector_search(vector, k, self.access)

    def vector_searches(self, vectors: np.ndarray, k: int) -> list[list[ChunkHit]]:
        return self.store.vector_searches(vectors, k, self.access)

    def lexical_search(self, text: str, k: int, field: LexicalField = "text") -> list[ChunkHit]:
        return self.store.lexical_search(text, k, self.access, field)

    def lexical_searches(self, texts: Sequence[str], k: int, field: LexicalField = "text") -> list[list[ChunkHit]]:
        return self.store.lexical_searches(texts, k, self.access, field)

    def identifier_chunks(self, values: Sequence[str], limit: int) -> dict[str, list[str]]:
        return self.store.identifier_chunks(values, self.access, limit)

    def entity_candidates(self, phrases: Sequence[str], limit: int) -> list[Entity]:
        return self.store.entity_candidates(phrases, self.access, limit=limit)

    def entities(self, entity_ids: Sequence[str]) -> list[Entity]:
        return self.store.entities(entity_ids, self.access)

    def expand(self, entity_ids: Sequence[str], chunk_ids: Sequence[str], hops: int, limit: int) -> Subgraph:
        return self.store.expand(entity_ids, chunk_ids, hops, self.access, limit)

    def chunk_count(self) -> int:
        return self.store.chunk_count(self.access)


class DocumentLookup(Mapping[str, Document]):
    """``StoreReads``'s visible documents by id; ``in`` and ``[]`` read a document the first time it is named."""

    def __init__(self, reads: StoreReads) -> None:
        self._reads = reads

    def __getitem__(self, doc_id: str) -> Document:
        found = self._reads.documents([doc_id])
        if doc_id not in found:
            raise KeyError(doc_id)
        return found[doc_id]

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and doc_id in self._reads.documents([doc_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self._reads.read_documents())

    def __len__(self) -> int:
        return len(self._reads.read_documents())


@dataclass(frozen=True)
class QueryContext:
    """One question as the query path sees it. ``total`` is how many chunks the caller may see: the corpus size
    that specificity and other statistics use, so hidden documents never shift a caller's ranking."""

    question: str
    analysis: QuestionAnalysis
    vector: np.ndarray
    total: int
    reads: StoreReads

    @property
    def access(self) -> Access:
        return self.reads.access

    def specificity(self, frequency: int) -> float:
        return specificity(frequency, self.total)

    def by_document(self, ranking: Sequence[str], head: int) -> list[str]:
        """The ranking with each document's best passage first and its further passages after all others, over
        the first ``head`` passages."""
        top = list(ranking[:head])
        doc_of = {c.id: c.doc_id for c in self.reads.chunks(top)}
        firsts: list[str] = []
        rest: list[str] = []
        seen: set[str] = set()
        for chunk_id in top:
            doc = doc_of.get(chunk_id, chunk_id)
            (rest if doc in seen else firsts).append(chunk_id)
            seen.add(doc)
        return firsts + rest + list(ranking[len(top) :])


def specificity(frequency: int, total_chunks: int) -> float:
    """Inverse document frequency in [0, 1]: an entity in every passage says nothing about which one to read."""
    if total_chunks <= 1:
        return 1.0
    return max(0.0, math.log((total_chunks + 1) / (frequency + 1))) / math.log(total_chunks + 1)


def _names_title(key: str, title: str) -> bool:
    """A page about an entity has its name as the title, or starting or ending it ("Company profile: X")."""
    title_key = normalise(title)
    return title_key == key or title_key.startswith(key + " ") or title_key.endswith(" " + key)
