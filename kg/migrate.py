"""Copy a graph between stores (embedded → Neo4j and back), document by document, through the store protocol.

Each document is written whole in the target's own transaction, so an interrupted migration can simply be run
again: documents already copied are rewritten identically.
"""

from __future__ import annotations

from dataclasses import dataclass

from tqdm import tqdm

from kg.errors import StoreError
from kg.model import Access, StoreStats
from kg.store import GraphStore


@dataclass(frozen=True)
class MigrationReport:
    documents: int
    source: StoreStats
    target: StoreStats

    @property
    def complete(self) -> bool:
        """True when the target holds exactly what the source holds (it was empty, or held the same graph)."""
        return self.source == self.target


def migrate(source: GraphStore, target: GraphStore, progress: bool = False) -> MigrationReport:
    """Write every document of ``source``, with all that was derived from it, into ``target``."""
    ids = [doc.id for doc in source.documents(Access.unrestricted())]
    for doc_id in tqdm(ids, desc="migrating", unit="doc", disable=not progress):
        graph = source.document_graph(doc_id)
        if graph is None:
            raise StoreError(f"document {doc_id!r} disappeared from the source during migration")
        target.write_document(graph)
    return MigrationReport(len(ids), source.stats(), target.stats())
