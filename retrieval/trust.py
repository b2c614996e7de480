"""The trust step: the one place a result passes before anyone sees it. Every citation is checked against the
stored document, the query and what it returned are audited, and personal data is masked for a caller without
clearance. ``HybridRetriever.retrieve`` ends here, so the API, the CLI, the benchmarks and any service get results
that are verified, recorded and masked, or none at all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from kg.audit import AuditEvent, AuditLog
from kg.model import Access
from kg.store import GraphStore
from retrieval.citations import verify_result
from retrieval.config import check_query
from retrieval.masking import ResultMasker, StoredDocuments
from retrieval.result import RetrievalResult


class TrustStep:
    def __init__(self, store: GraphStore, audit: AuditLog | None = None) -> None:
        """``audit``: where queries are recorded; without one nothing is recorded (a library caller's choice,
        never the API's: ``KnowledgeGraph`` always supplies its log)."""
        self.store = store
        self.audit = audit

    def __call__(self, result: RetrievalResult, access: Access) -> RetrievalResult:
        # Citation checks and masking read the same stored documents: each is fetched once per result, the cited
        # ones in one store read.
        stored = StoredDocuments(self.store)
        stored.read(result.cited_doc_ids())
        verified = verify_result(result, stored.get)
        if self.audit is not None:
            groups = None if access.groups is None else tuple(sorted(access.groups))
            self.audit.record(
                AuditEvent.now(
                    "query",
                    user=access.user,
                    groups=groups,
                    question=result.question,
                    status=verified.status,
                    doc_ids=verified.cited_doc_ids(),
                    chunk_ids=tuple(p.chunk_id for p in verified.passages),
                    citation_problems=len(verified.citation_problems),
                )
            )
        return ResultMasker(self.store, stored).mask(verified, access)


class Retriever(ABC):
    """The template every retriever follows (neo4j-graphrag's ``retrievers/base.py``): ``retrieve`` checks the
    arguments, runs the retriever's own ranking (``_rank``) and hands the result to the trust step, which a
    subclass cannot skip."""

    def __init__(self, store: GraphStore, default_k: int, audit: AuditLog | None = None) -> None:
        self.store = store
        self.default_k = default_k
        self.trust = TrustStep(store, audit)

    def retrieve(self, question: str, access: Access, k: int | None = None) -> RetrievalResult:
        """Cited evidence for ``question`` as a caller with ``access`` may see it: verified, audited, masked."""
        k = check_query(question, self.default_k if k is None else k)
        return self.trust(self._rank(question, access, k), access)

    @abstractmethod
    def _rank(self, question: str, access: Access, k: int) -> RetrievalResult:
        """The evidence for ``question``, as read from the store with ``access``, before any check."""
