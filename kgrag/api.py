"""The Python API: one object that ingests, queries and administers a graph. The CLI is a thin layer over it."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from contextlib import closing
from datetime import datetime
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from extraction.records import FailedSource, IngestReport, Stop, TextRecord
from kg.audit import Action, AuditEvent, AuditLog, audit_path
from kg.embedding import model_id
from kg.errors import AuthenticationError, ConfigError, InvalidArgument, NotFoundError, PermissionDenied, StaleCitation
from kg.export import Export, GraphView, check_format, read_view, serialise
from kg.migrate import MigrationReport, migrate
from kg.model import PUBLIC_GROUP, Access, Document, PiiMode, Principal, StoreStats, clean_groups
from kg.store import GraphStore
from kg.stores import open_store
from kgrag.auth import (
    ADMIN,
    AUDIT,
    CURATE,
    OWNER,
    READ,
    Caller,
    KeyCache,
    check_name,
    clean_roles,
    new_key,
    now,
    split_key,
)
from kgrag.explore import EntityReport, describe_entity
from kgrag.settings import DEFAULT_STORE, Settings
from retrieval.answer import Answer, AnswerSettings
from retrieval.citations import check_citation, version_prefix_problem
from retrieval.config import RetrievalConfig, check_query
from retrieval.masking import cleared, mask_document, mask_view
from retrieval.result import CitationCheck, RetrievalResult

if TYPE_CHECKING:  # the models and what uses them load on first use, so that opening a store stays fast
    from extraction.nlp import Extractor
    from extraction.pipeline import IngestionPipeline
    from extraction.suggest import Suggestion
    from kg.embedding import Embedder
    from retrieval.answering import Answering
    from retrieval.generator import ChatGenerator
    from retrieval.retriever import HybridRetriever

__all__ = ["Caller", "FailedSource", "IngestReport", "KnowledgeGraph", "Stop", "TextRecord"]


def _audit_log(path: str | Path, settings: Settings) -> AuditLog:
    key = None if settings.audit_key is None else settings.audit_key.encode("utf-8")
    return AuditLog(path, questions=settings.audit_questions, key=key)


class KnowledgeGraph:
    """A store plus the models that fill and query it; models load on first use, not on open."""

    def __init__(
        self,
        store: GraphStore,
        settings: Settings | None = None,
        retrieval: RetrievalConfig | None = None,
        *,
        audit: AuditLog | None = None,
        key: str | None = None,
        answers: AnswerSettings | None = None,
    ) -> None:
        """``audit`` records queries, deletions and ACL changes; without it, ``settings.audit_log`` when set
        (``open`` always supplies a log: beside the store by default). ``key``: the API key every call runs
        with (see ``caller``). ``answers``: how ``answer`` abstains and retries."""
        self.store = store
        self.settings = settings or Settings.from_env()
        self.retrieval_config = retrieval or RetrievalConfig()
        self.audit = audit or (_audit_log(self.settings.audit_log, self.settings) if self.settings.audit_log else None)
        self.answer_settings = answers or AnswerSettings()
        self._recorded_model: str | None = None
        self._keys = KeyCache()
        self.caller: Caller | None = self.authenticate(key) if key is not None else None

    @classmethod
    def open(
        cls,
        store: str | Path | None = None,
        settings: Settings | None = None,
        *,
        retrieval: RetrievalConfig | None = None,
        auth: tuple[str, str] | None = None,
        database: str | None = None,
        key: str | None = None,
        create: bool = True,
    ) -> KnowledgeGraph:
        """Open a store: a path is the embedded store (created if missing, unless ``create`` is false: then a
        missing store is a ``NotFoundError``), a ``neo4j://`` or ``bolt://`` URI is Neo4j (``auth`` and
        ``database`` default to ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``). Without a location,
        ``KGRAG_STORE`` or ``.kgrag/graph.db``. ``key``: an API key of the store's principal registry; every call
        then runs as that principal."""
        location = str(store or os.environ.get("KGRAG_STORE") or DEFAULT_STORE)
        settings = settings or Settings.from_env()
        user, password = auth or (None, None)
        opened = open_store(
            location, user=user, password=password, database=database, create=create, vector_index=settings.vector_index
        )
        audit = _audit_log(audit_path(location, settings.audit_log), settings)
        try:
            return cls(opened, settings, retrieval, audit=audit, key=key)
        except AuthenticationError:
            opened.close()
            raise

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
        from extraction.domain import load_domain
        from extraction.nlp import Extractor

        domain = load_domain(self.settings.domain) if self.settings.domain else None
        return Extractor(self.settings.spacy_model, domain=domain)

    @cached_property
    def embedder(self) -> Embedder:
        from kg.embedding import Embedder

        settings = self.settings
        return Embedder(
            settings.embedding_model, batch_size=settings.embedding_batch_size, backend=settings.embedding_backend
        )

    @cached_property
    def pipeline(self) -> IngestionPipeline:
        from extraction.pii import PiiDetector
        from extraction.pipeline import IngestionPipeline

        return IngestionPipeline(
            self.store,
            self.extractor,
            self.embedder,
            chunk_max_chars=self.settings.chunk_max_chars,
            pii=PiiDetector(self.settings.spacy_model, domain=self.extractor.domain),
            limits=self.settings.limits,
        )

    @cached_property
    def retriever(self) -> HybridRetriever:
        from retrieval.retriever import HybridRetriever

        domain = self.extractor.domain
        return HybridRetriever(
            self.store,
            self.embedder,
            self.extractor.nlp,
            self.retrieval_config,
            domain.canonical_predicate if domain else None,
            self.extractor.type_nouns,
            domain.broader_predicates if domain else None,
            audit=self.audit,
        )

    @cached_property
    def answering(self) -> Answering:
        from retrieval.answer import ExtractiveAnswerer
        from retrieval.answering import Answering

        answerer = ExtractiveAnswerer(self.extractor.nlp, self.extractor.type_nouns, self.answer_settings)
        return Answering(self.retriever, self.store, answerer, model_id(self.settings.embedding_model))

    def ingest(
        self,
        paths: Sequence[str | Path],
        groups: Sequence[str] = (PUBLIC_GROUP,),
        progress: bool = False,
        force: bool = False,
        pii: PiiMode | None = None,
        caller: Caller | None = None,
        stop: Stop | None = None,
        user: str | None = None,
    ) -> IngestReport:
        """Ingest files and folders; unchanged documents are skipped unless ``force``. Needs the curator role; a
        curator gives documents only groups it is in. An unchanged document ingested with other groups is
        regrouped, and audited as ``kgrag acl set`` is (``user``: who, as for ``set_groups``).

        ``pii`` (default ``settings.pii_mode``): ``redact`` removes personal data before anything is stored,
        ``mask`` stores it but masks it in results for callers outside the ``pii`` group, ``off`` does neither.
        ``stop``, once set (``kgrag ingest`` sets it on SIGINT and SIGTERM), ends the ingestion after the
        current document; the report counts what was not reached.
        """
        who = self._curator(caller, "ingest")
        who.may_assign(clean_groups(groups))
        self._check_embedding_model()
        mode = pii or self.settings.pii_mode
        report = self.pipeline.ingest_paths(paths, groups=groups, progress=progress, force=force, pii=mode, stop=stop)
        self._record_regrouped(report, groups, self._curating(who, user))
        return report

    def ingest_texts(
        self,
        records: Iterable[TextRecord],
        groups: Sequence[str] = (PUBLIC_GROUP,),
        progress: bool = False,
        force: bool = False,
        pii: PiiMode | None = None,
        caller: Caller | None = None,
        stop: Stop | None = None,
        user: str | None = None,
    ) -> IngestReport:
        """Ingest in-memory texts, each with its own document id; ``pii``, ``stop``, regrouping and roles as for
        ``ingest``."""
        who = self._curator(caller, "ingest")
        who.may_assign(clean_groups(groups))
        self._check_embedding_model()
        mode = pii or self.settings.pii_mode
        report = self.pipeline.ingest_records(
            records, groups=groups, progress=progress, force=force, pii=mode, stop=stop
        )
        self._record_regrouped(report, groups, self._curating(who, user))
        return report

    def query(
        self,
        question: str,
        k: int | None = None,
        groups: Sequence[str] | None = None,
        user: str | None = None,
        caller: Caller | None = None,
    ) -> RetrievalResult:
        """Retrieve cited evidence for ``question`` as seen by a caller in ``groups`` (default: public only for
        the owner of a store without principals, all of a principal's own groups; a principal can only narrow).

        The result has passed the retriever's trust step: every citation checked against the stored documents
        (see ``RetrievalResult.citation_problems``), the query and what it returned audited, personal data masked
        for a caller outside the ``pii`` group. A blank question or a bad ``k`` is refused before models load."""
        k = check_query(question, self.retrieval_config.result.k if k is None else k)
        access = self._reader(caller, groups, user)
        self._check_embedding_model()
        return self.retriever.retrieve(question, access, k=k)

    def answer(
        self,
        question: str,
        k: int | None = None,
        groups: Sequence[str] | None = None,
        user: str | None = None,
        caller: Caller | None = None,
        generate: bool = False,
    ) -> Answer:
        """A short answer to ``question`` with a cited claim for each sentence that supports it, or *insufficient
        evidence* with what was found and which hop had no support. It is read from the result ``query`` returns
        (verified, audited, masked), with the same roles and groups; ``k`` passages are retrieved. ``generate``:
        the configured chat endpoint writes the answer from the same evidence, and each sentence's citations are
        checked (``Settings.generator_url``; ``ConfigError`` without one)."""
        k = check_query(question, self.retrieval_config.result.k if k is None else k)
        access = self._reader(caller, groups, user)
        self._check_embedding_model()
        return self.answering.run(question, access, k, self.generator if generate else None)

    @cached_property
    def generator(self) -> ChatGenerator:
        from retrieval.generator import ChatGenerator, GeneratorSettings

        s = self.settings
        if not s.generator_url or not s.generator_model:
            raise ConfigError("no answer generator: set KGRAG_GENERATOR_URL and KGRAG_GENERATOR_MODEL")
        uncited = "remove" if s.generator_uncited == "remove" else "flag"
        if s.generator_uncited not in ("flag", "remove"):
            raise ConfigError(f"KGRAG_GENERATOR_UNCITED must be flag or remove, got {s.generator_uncited!r}")
        return ChatGenerator(GeneratorSettings(s.generator_url, s.generator_model, s.generator_key, uncited))

    def document(
        self,
        doc_id: str,
        groups: Sequence[str] | None = None,
        version: str | None = None,
        caller: Caller | None = None,
    ) -> Document:
        """The document as a caller in ``groups`` sees it: personal data masked unless they are in ``pii``. With
        ``version`` (its sha256, or a prefix of at least 12 hex digits, as results print it), only that version:
        ``StaleCitation`` when another is stored."""
        access = self._reader(caller, groups, None)
        found = self.store.get_document(doc_id, access)
        if found is None:
            raise NotFoundError(f"no document {doc_id!r}")
        problem = version_prefix_problem(version, found.content_hash) if version is not None else None
        if problem:
            raise StaleCitation(problem)
        return found if cleared(access) else mask_document(found)

    def documents(self, groups: Sequence[str] | None = None, caller: Caller | None = None) -> list[Document]:
        access = self._reader(caller, groups, None)
        found = self.store.documents(access)
        return list(found) if cleared(access) else [mask_document(d) for d in found]

    def entity(
        self, name: str, groups: Sequence[str] | None = None, user: str | None = None, caller: Caller | None = None
    ) -> EntityReport:
        """A visible entity (by name or alias) with its types and aliases, its relations with their provenance and
        its neighbours, all as a reader in ``groups`` may see them; ``NotFoundError`` (with the closest names) when
        no visible entity has that name."""
        return describe_entity(self.store, name, self._reader(caller, groups, user))

    def graph_view(
        self, groups: Sequence[str] | None = None, user: str | None = None, caller: Caller | None = None
    ) -> GraphView:
        """Everything a reader in ``groups`` may see: visible documents with their chunks, mentions and relations, and
        the entities they name as that caller may see them; personal data masked unless they are in ``pii``.
        Audited as an ``export`` of those documents."""
        access = self._reader(caller, groups, user)
        view = read_view(self.store, access)
        self._record("export", access, doc_ids=tuple(d.id for d in view.documents))
        return view if cleared(access) else mask_view(view)

    def export(
        self,
        fmt: str,
        groups: Sequence[str] | None = None,
        user: str | None = None,
        caller: Caller | None = None,
    ) -> Export:
        """``graph_view`` as files: ``turtle`` or ``jsonld`` (RDF with PROV-O provenance, which
        ``ingest`` restores), ``graphml`` (networkx, for Gephi or yEd), ``csv`` (``entities.csv`` and
        ``relations.csv``)."""
        checked = check_format(fmt)
        return serialise(self.graph_view(groups, user, caller), checked)

    def verify_citation(
        self,
        doc_id: str,
        start: int,
        end: int,
        content_hash: str | None = None,
        text: str | None = None,
        groups: Sequence[str] | None = None,
        caller: Caller | None = None,
    ) -> CitationCheck:
        """Check that the stored document (as seen by a caller in ``groups``) still is version ``content_hash``
        and holds ``text`` at ``[start:end]``; raises ``NotFoundError`` when the caller cannot see it."""
        return check_citation(doc_id, self.document(doc_id, groups, caller=caller), start, end, content_hash, text)

    def delete(
        self, doc: str, user: str | None = None, caller: Caller | None = None, scrub_audit: bool | None = None
    ) -> bool:
        """Erase a document (by id, or by the path of the file it was ingested from) and everything derived from
        it; ``False`` when it was not stored, or a curator cannot see it. Needs the curator role. Audited.

        ``scrub_audit`` (default ``Settings.audit_scrub``): also replace the document's id and its passages' ids in
        every earlier audit event, and in this deletion's own, by one keyed token (see ``AuditLog.scrub``)."""
        who = self._curator(caller, "delete documents")
        access = self._curating(who, user)
        doc_id = self.document_id(doc, caller=who)
        visible = access.groups is None or self.store.get_document(doc_id, access) is not None
        scrub = (self.settings.audit_scrub if scrub_audit is None else scrub_audit) and self.audit is not None
        graph = self.store.document_graph(doc_id) if visible and scrub else None
        deleted = visible and self.store.delete_document(doc_id)
        if deleted and self.audit is not None and scrub:
            token, changed = self.audit.scrub(doc_id, [c.id for c in graph.chunks] if graph else [])
            self._record("delete", access, doc_ids=(token,), existed=True, scrubbed=changed)
        else:
            self._record("delete", access, doc_ids=(doc_id,), existed=deleted)
        return deleted

    def document_id(self, doc: str, caller: Caller | None = None) -> str:
        """The id of a stored document given its id or the path of the file it was ingested from (curators)."""
        self._curator(caller, "look up documents by path")
        if self.store.document_version(doc) is not None:
            return doc
        from extraction.pipeline import document_id

        # The id is a hash of the path relative to the folder that was ingested, which the path alone does not
        # name: try the longest suffix first, then the absolute path older stores used.
        path = Path(doc).resolve()
        keys = [Path(*path.parts[i:]).as_posix() for i in range(1, len(path.parts))] + [str(path)]
        for key in keys:
            if self.store.document_version(document_id(key)) is not None:
                return document_id(key)
        return doc

    def clear(self, user: str | None = None, caller: Caller | None = None) -> None:
        """Erase every document and everything derived from them (a benchmark's fresh start, a store's retirement);
        needs the admin role; audited as a deletion of every document that was stored. Principals are kept."""
        who = self._authorised(caller, ADMIN, "clear the store")
        access = self._curating(who, user)
        doc_ids = tuple(d.id for d in self.store.documents(Access.unrestricted()))
        self.store.clear()
        self._recorded_model = None
        self._record("delete", access, doc_ids=doc_ids, existed=bool(doc_ids))

    def set_groups(
        self, doc_id: str, groups: Sequence[str], user: str | None = None, caller: Caller | None = None
    ) -> None:
        """Replace a document's access groups; needs the curator role (a curator regroups only documents it sees,
        into groups it is in); audited, also when the document does not exist."""
        who = self._curator(caller, "change documents' groups")
        who.may_assign(clean_groups(groups))
        access = self._curating(who, user)
        try:
            if access.groups is not None and self.store.get_document(doc_id, access) is None:
                raise NotFoundError(f"no document {doc_id!r}")
            self.store.set_groups(doc_id, groups)
        except NotFoundError:
            self._record("acl_set", access, doc_ids=(doc_id,), existed=False, acl=tuple(groups))
            raise
        self._record("acl_set", access, doc_ids=(doc_id,), existed=True, acl=tuple(groups))

    def audit_events(
        self,
        since: datetime | None = None,
        user: str | None = None,
        action: Action | None = None,
        limit: int | None = None,
        caller: Caller | None = None,
        question: str | None = None,
    ) -> list[AuditEvent]:
        """Audited events, oldest first; with ``limit``, the latest ``limit`` of those matching; ``question``
        finds a question's events also where the log keeps only its keyed hash. Needs the auditor role."""
        self._authorised(caller, AUDIT, "read the audit log")
        if self.audit is None:
            raise ConfigError("no audit log is configured: set Settings.audit_log or KGRAG_AUDIT_LOG")
        return self.audit.events(since=since, user=user, action=action, limit=limit, question=question)

    def migrate_to(self, target: str | Path, progress: bool = False, caller: Caller | None = None) -> MigrationReport:
        """Copy every document of this store, with everything derived from it, into the store at ``target`` (a path
        or a Neo4j URI, created when missing); documents already there are rewritten identically, so an interrupted
        migration can be run again. It reads everything: the admin role."""
        self._authorised(caller, ADMIN, "migrate the store")
        with closing(open_store(str(target))) as to_store:
            return migrate(self.store, to_store, progress=progress)

    def stats(self, caller: Caller | None = None) -> StoreStats:
        """Unfiltered counts (they say how much is hidden): curators, auditors and admins."""
        self._authorised(caller, CURATE | AUDIT, "read the store's counts")
        return self.store.stats()

    def audit_request(self, event: AuditEvent) -> None:
        """Record one call to the service (``kgrag serve`` audits every request with its principal)."""
        if self.audit is not None:
            self.audit.record(event)

    # -- principals ---------------------------------------------------------------------------------------------

    def authenticate(self, key: str) -> Caller:
        """The caller an API key belongs to; ``AuthenticationError`` for a malformed, unknown or wrong key."""
        key_id, secret = split_key(key)
        principal = self.store.principal_by_key(key_id)
        if principal is None or not self._keys.verify(key.strip(), principal, secret):
            raise AuthenticationError("unknown or wrong API key")
        return Caller(principal)

    def principals(self, caller: Caller | None = None) -> list[Principal]:
        """Every principal (with its key's hash, never the key); admins."""
        self._authorised(caller, ADMIN, "list principals")
        return self.store.principals()

    def add_principal(
        self, name: str, groups: Sequence[str], roles: Sequence[str], caller: Caller | None = None
    ) -> tuple[Principal, str]:
        """Register a principal and return it with its new API key, which is shown only this once. The first
        principal of a store must be an admin: from then on every call needs a key."""
        who = self._authorised(caller, ADMIN, "add principals")
        check_name(name)
        cleaned_roles = clean_roles(roles)
        if not self.store.principals() and "admin" not in cleaned_roles:
            raise InvalidArgument("the first principal must have the admin role, or nobody could manage the others")
        if self.store.principal(name) is not None:
            raise InvalidArgument(f"a principal named {name!r} exists already: use grant or rotate")
        key, key_id, key_hash = new_key()
        principal = Principal(name, clean_groups(groups, required=False), cleaned_roles, key_id, key_hash, now())
        self.store.put_principal(principal)
        self._record_principal(who, "add", principal)
        return principal, key

    def grant(
        self,
        name: str,
        groups: Sequence[str] = (),
        roles: Sequence[str] = (),
        revoke: bool = False,
        caller: Caller | None = None,
    ) -> Principal:
        """Give a principal more groups and roles (or, with ``revoke``, take them away); effective at its next
        request. The last admin keeps its admin role."""
        who = self._authorised(caller, ADMIN, "grant roles or groups")
        principal = self._principal(name)
        new_groups, new_roles = set(clean_groups(groups, required=False)), set(clean_roles(roles, required=False))
        if revoke:
            kept_groups, kept_roles = set(principal.groups) - new_groups, set(principal.roles) - new_roles
        else:
            kept_groups, kept_roles = set(principal.groups) | new_groups, set(principal.roles) | new_roles
        if "admin" in principal.roles and "admin" not in kept_roles:
            self._keep_an_admin(name)
        changed = Principal(
            name,
            tuple(sorted(kept_groups)),
            clean_roles(kept_roles, required=False),
            principal.key_id,
            principal.key_hash,
            principal.created,
        )
        self.store.put_principal(changed)
        self._record_principal(who, "revoke" if revoke else "grant", changed)
        return changed

    def rotate_key(self, name: str, caller: Caller | None = None) -> str:
        """Replace a principal's API key: the old one stops working at once; the new one is returned once."""
        who = self._authorised(caller, ADMIN, "rotate keys")
        principal = self._principal(name)
        key, key_id, key_hash = new_key()
        rotated = Principal(name, principal.groups, principal.roles, key_id, key_hash, principal.created)
        self.store.put_principal(rotated)
        self._record_principal(who, "rotate", rotated)
        return key

    def remove_principal(self, name: str, caller: Caller | None = None) -> bool:
        """Forget a principal and its key; ``False`` when there was none. The last admin cannot be removed."""
        who = self._authorised(caller, ADMIN, "remove principals")
        principal = self.store.principal(name)
        if principal is None:
            return False
        if "admin" in principal.roles:
            self._keep_an_admin(name)
        removed = self.store.remove_principal(name)
        self._record_principal(who, "remove", principal)
        return removed

    # -- internals ----------------------------------------------------------------------------------------------

    def _caller(self, caller: Caller | None) -> Caller:
        """The caller a call runs as: the one given, else this object's key's, else the owner, who exists only
        while the store has no principals."""
        if caller is not None:
            return caller
        if self.caller is not None:
            return self.caller
        if self.store.principals():
            raise AuthenticationError("this store has principals: give an API key (--key or KGRAG_KEY)")
        return OWNER

    def _authorised(self, caller: Caller | None, allowed: frozenset[str], operation: str) -> Caller:
        who = self._caller(caller)
        who.require(allowed, operation)  # type: ignore[arg-type]
        return who

    def _curator(self, caller: Caller | None, operation: str) -> Caller:
        return self._authorised(caller, CURATE, operation)

    def _reader(self, caller: Caller | None, groups: Sequence[str] | None, user: str | None) -> Access:
        return self._authorised(caller, READ, "read documents").access(groups, user)

    @staticmethod
    def _curating(who: Caller, user: str | None) -> Access:
        """What a curating call sees: everything for the owner and admins, a curator's own groups otherwise."""
        if who.principal is None:
            return Access.unrestricted(user)
        access = who.access(None, user)
        return Access.unrestricted(access.user) if "admin" in who.principal.roles else access

    def _principal(self, name: str) -> Principal:
        principal = self.store.principal(name)
        if principal is None:
            raise NotFoundError(f"no principal {name!r}")
        return principal

    def _keep_an_admin(self, name: str) -> None:
        if not any("admin" in p.roles for p in self.store.principals() if p.name != name):
            raise PermissionDenied(f"{name!r} is the last admin: add another admin first")

    def _record_principal(self, who: Caller, change: str, principal: Principal) -> None:
        self._record(
            "principal",
            Access.unrestricted(who.name),
            principal=principal.name,
            change=change,
            acl=principal.groups,
            roles=principal.roles,
        )

    def _record_regrouped(self, report: IngestReport, groups: Sequence[str], access: Access) -> None:
        """A re-ingestion that changed a document's groups is an ACL change: audited as ``set_groups`` is."""
        for doc_id in report.regrouped:
            self._record("acl_set", access, doc_ids=(doc_id,), existed=True, acl=clean_groups(groups))

    def _check_embedding_model(self) -> None:
        """Vectors of two models are not comparable: refuse to mix them rather than return noise. A store's
        model never changes once recorded, so it is read from the store only until it is known."""
        if self._recorded_model is None:
            self._recorded_model = self.store.embedding_model()
        stored = self._recorded_model
        configured = model_id(self.settings.embedding_model)
        if stored is not None and stored != configured:
            raise ConfigError(
                f"this store's embeddings come from {stored!r}, but kgrag is configured with {configured!r}; "
                f"use --embedding-model {stored} (or KGRAG_EMBEDDING_MODEL)"
            )

    def _record(self, action: Action, access: Access, **values: Any) -> None:
        if self.audit is not None:
            groups = None if access.groups is None else tuple(sorted(access.groups))
            self.audit.record(AuditEvent.now(action, user=access.user, groups=groups, **values))


def suggest_domain(
    paths: Sequence[str | Path],
    name: str | None = None,
    settings: Settings | None = None,
    *,
    min_count: int = 2,
    synonyms: bool = True,
) -> Suggestion:
    """Propose a domain pack from the documents under ``paths`` (see ``extraction/suggest.py``), read with the
    configured spaCy pipeline and without any pack; ``synonyms`` also loads the encoder to relate verbs."""
    from extraction.nlp import Extractor
    from extraction.suggest import suggest_pack
    from kg.embedding import Embedder

    settings = settings or Settings.from_env()
    folders = [Path(p) for p in paths]
    missing = [str(p) for p in folders if not p.exists()]
    if missing:
        raise InvalidArgument(f"no such file or folder: {', '.join(missing)}")
    encode = Embedder(settings.embedding_model, backend=settings.embedding_backend).encode if synonyms else None
    label = name or (folders[0].resolve().name if folders else "suggested")
    return suggest_pack(folders, Extractor(settings.spacy_model), label, encode=encode, min_count=min_count)
