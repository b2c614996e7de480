"""The Python API: one object that ingests, queries and administers a graph. The CLI is a thin layer over it."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from types import TracebackType

from extraction.domain import load_domain
from extraction.nlp import Extractor
from extraction.pipeline import FailedSource, IngestionPipeline, IngestReport, TextRecord
from kg.config import DEFAULT_STORE, Settings
from kg.embedding import Embedder
from kg.errors import NotFoundError
from kg.model import PUBLIC_GROUP, Access, Document, StoreStats
from kg.store import GraphStore
from kg.stores import open_store
from retrieval.config import RetrievalConfig
from retrieval.result import RetrievalResult
from retrieval.retriever import HybridRetriever

__all__ = ["FailedSource", "IngestReport", "KnowledgeGraph", "TextRecord"]


class KnowledgeGraph:
    """A store plus the models that fill and query it; models load on first use, not on open."""

    def __init__(
        self, store: GraphStore, settings: Settings | None = None, retrieval: RetrievalConfig | None = None
    ) -> None:
        self.store = store
        self.settings = settings or Settings.from_env()
        self.retrieval_config = retrieval or RetrievalConfig()

    @classmethod
    def open(
        cls,
        store: str | Path | None = None,
        settings: Settings | None = None,
        *,
        retrieval: RetrievalConfig | None = None,
    ) -> KnowledgeGraph:
        """Open the embedded store at a path (created if missing); without one, ``KGRAG_STORE`` or
        ``.kgrag/graph.db``."""
        location = str(store or os.environ.get("KGRAG_STORE") or DEFAULT_STORE)
        return cls(open_store(location), settings, retrieval)

    def __enter__(self) -> KnowledgeGraph:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    @cached_property
    def extractor(self) -> Extractor:
        domain = load_domain(self.settings.domain) if self.settings.domain else None
        return Extractor(self.settings.spacy_model, domain=domain)

    @cached_property
    def embedder(self) -> Embedder:
        return Embedder(self.settings.embedding_model, batch_size=self.settings.embedding_batch_size)

    @cached_property
    def pipeline(self) -> IngestionPipeline:
        return IngestionPipeline(
            self.store, self.extractor, self.embedder, chunk_max_chars=self.settings.chunk_max_chars
        )

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.store, self.embedder, self.extractor.nlp, self.retrieval_config)

    def ingest(
        self,
        paths: Sequence[str | Path],
        groups: Sequence[str] = (PUBLIC_GROUP,),
        progress: bool = False,
        force: bool = False,
    ) -> IngestReport:
        """Ingest files and folders; unchanged documents are skipped unless ``force``."""
        return self.pipeline.ingest_paths(paths, groups=groups, progress=progress, force=force)

    def ingest_texts(
        self,
        records: Iterable[TextRecord],
        groups: Sequence[str] = (PUBLIC_GROUP,),
        progress: bool = False,
        force: bool = False,
    ) -> IngestReport:
        """Ingest in-memory texts, each with its own document id."""
        return self.pipeline.ingest_records(records, groups=groups, progress=progress, force=force)

    def query(
        self,
        question: str,
        k: int | None = None,
        groups: Sequence[str] | None = None,
        user: str | None = None,
    ) -> RetrievalResult:
        """Retrieve cited evidence for ``question`` as seen by a caller in ``groups`` (default: public only)."""
        return self.retriever.retrieve(question, self._access(groups, user), k=k)

    def document(self, doc_id: str, groups: Sequence[str] | None = None) -> Document:
        found = self.store.get_document(doc_id, self._access(groups, None))
        if found is None:
            raise NotFoundError(f"no document {doc_id!r}")
        return found

    def documents(self, groups: Sequence[str] | None = None) -> list[Document]:
        return list(self.store.documents(self._access(groups, None)))

    def delete(self, doc_id: str) -> bool:
        return self.store.delete_document(doc_id)

    def set_groups(self, doc_id: str, groups: Sequence[str]) -> None:
        self.store.set_groups(doc_id, groups)

    def stats(self) -> StoreStats:
        return self.store.stats()

    @staticmethod
    def _access(groups: Sequence[str] | None, user: str | None) -> Access:
        return Access.of(groups if groups is not None else (PUBLIC_GROUP,), user=user)
