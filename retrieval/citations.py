"""Citation checks: does the stored document still say, at the cited span of the cited version, what a result
shows? A document re-ingested or changed between retrieval and display, or an inconsistent store, must be
reported, never shown as if verified."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from kg.errors import InvalidArgument
from kg.model import Document
from retrieval.result import CitationCheck, GraphPath, Passage, RetrievalResult, TripleEvidence

# The shortest version prefix a caller may cite: what results print, and far beyond any accidental match.
MIN_VERSION_PREFIX = 12


def version_problem(cited_hash: str, stored_hash: str) -> str | None:
    if cited_hash == stored_hash:
        return None
    return f"citation is for version {cited_hash}, stored version is {stored_hash}"


def version_prefix_problem(cited: str, stored_hash: str) -> str | None:
    """Like ``version_problem`` for a version a person typed: the full SHA-256, or a prefix of it as results print
    it, of at least ``MIN_VERSION_PREFIX`` characters so that no other version can match by accident."""
    cited = cited.strip()
    if cited == stored_hash or (len(cited) >= MIN_VERSION_PREFIX and stored_hash.startswith(cited.lower())):
        return None
    if cited and stored_hash.startswith(cited.lower()):
        raise InvalidArgument(
            f"{cited!r} is too short to name a version: give at least {MIN_VERSION_PREFIX} characters"
        )
    return version_problem(cited, stored_hash)


def check_citation(
    doc_id: str,
    doc: Document | None,
    start: int,
    end: int,
    content_hash: str | None = None,
    text: str | None = None,
    chunk_id: str | None = None,
) -> CitationCheck:
    """Check a citation of ``doc_id`` (``doc`` is what the store holds for it now, or ``None``)."""
    if doc is None:
        return CitationCheck(doc_id, start, end, content_hash, None, f"document {doc_id} is no longer stored", chunk_id)
    problem = version_problem(content_hash, doc.content_hash) if content_hash is not None else None
    if problem is None and not 0 <= start <= end <= len(doc.text):
        problem = f"span {start}:{end} is outside document {doc_id} (0:{len(doc.text)})"
    if problem is None and text is not None and doc.text[start:end] != text:
        problem = f"the cited text differs from document {doc_id} at {start}:{end}"
    return CitationCheck(doc_id, start, end, content_hash, doc.content_hash, problem, chunk_id)


def verify_result(result: RetrievalResult, fetch: Callable[[str], Document | None]) -> RetrievalResult:
    """``result`` with every passage and triple (in ``triples`` and in ``paths``) checked against the stored
    documents; ``fetch`` is called once per cited document."""
    documents = {doc_id: fetch(doc_id) for doc_id in result.cited_doc_ids()}
    problems: dict[CitationCheck, None] = {}

    def passage(p: Passage) -> Passage:
        check = check_citation(p.doc_id, documents[p.doc_id], p.start, p.end, p.content_hash, p.text, p.chunk_id)
        if check.verified:
            return p
        problems[check] = None
        return replace(p, verified=False)

    def triple(t: TripleEvidence) -> TripleEvidence:
        check = check_citation(t.doc_id, documents[t.doc_id], t.start, t.end, t.content_hash, chunk_id=t.chunk_id)
        if check.verified:
            return t
        problems[check] = None
        return replace(t, verified=False)

    def path(g: GraphPath) -> GraphPath:
        return replace(g, triples=tuple(map(triple, g.triples)))

    checked = replace(
        result,
        passages=tuple(map(passage, result.passages)),
        triples=tuple(map(triple, result.triples)),
        paths=tuple(map(path, result.paths)),
    )
    return replace(checked, citation_problems=tuple(problems)) if problems else checked
