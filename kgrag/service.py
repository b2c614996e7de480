"""``kgrag serve``: the same ``KnowledgeGraph`` over HTTP (FastAPI), for callers who authenticate with an API key.

Every endpoint is one API call made as the key's principal, so the roles and group rules are the API's own.
Errors are JSON, ``{"error": {"code": ..., "message": ...}}``, with a stable ``code`` per kind of error. Bodies are
bounded (``max_body_bytes``) and each principal gets ``rate_per_minute`` requests. Every request but the health
probes is audited with its principal. Endpoints are plain functions: FastAPI runs them in its thread pool, so
queries are answered while an ingestion runs, with the store's own transactions keeping each document whole.

No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations, and the ``Authenticated``
dependency is local to ``create_app``.
"""

import logging
import re
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg.audit import Action, AuditEvent
from kg.errors import (
    AuthenticationError,
    ConfigError,
    GeneratorError,
    InvalidArgument,
    KgragError,
    NotFoundError,
    PermissionDenied,
    StaleCitation,
    StoreError,
)
from kg.model import PUBLIC_GROUP, Document, Principal
from kgrag.api import Caller, KnowledgeGraph
from kgrag.auth import CURATE
from kgrag.picture import MEDIA_TYPES as PICTURE_MEDIA_TYPES
from kgrag.picture import draw_evidence, picture_format

log = logging.getLogger(__name__)

# Each error kind's HTTP status and stable code; the first class that matches wins.
ERRORS: tuple[tuple[type[KgragError], int, str], ...] = (
    (AuthenticationError, 401, "unauthenticated"),
    (PermissionDenied, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    (StaleCitation, 409, "stale_citation"),
    (InvalidArgument, 400, "invalid_argument"),
    (ConfigError, 500, "misconfigured"),
    (GeneratorError, 502, "generator_unavailable"),
    (StoreError, 503, "store_unavailable"),
    (KgragError, 400, "rejected"),
)
EXPORT_MEDIA_TYPES = {"turtle": "text/turtle", "jsonld": "application/ld+json", "graphml": "application/xml"}
UNAUDITED = frozenset({"/health", "/ready", "/docs", "/openapi.json", "/docs/oauth2-redirect"})


@dataclass(frozen=True)
class ServiceConfig:
    """What an operator chooses: body size, rate, where uploads go, and which server folder (if any) callers may
    name for ``POST /ingest/path``."""

    max_body_bytes: int = 20 * 1024 * 1024
    rate_per_minute: int = 600
    upload_dir: str | None = None  # default: a temporary folder for this process
    ingest_root: str | None = None  # None: server-side paths are refused

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1024:
            raise ConfigError(f"max_body_bytes must be at least 1024, got {self.max_body_bytes}")
        if self.rate_per_minute < 1:
            raise ConfigError(f"rate_per_minute must be at least 1, got {self.rate_per_minute}")


class QueryRequest(BaseModel):
    question: str
    k: int | None = Field(default=None, ge=1, le=100)
    groups: list[str] | None = None


class PictureRequest(QueryRequest):
    format: str = "svg"


class AnswerRequest(QueryRequest):
    generate: bool = False


class GroupsRequest(BaseModel):
    groups: list[str]


class PathsRequest(BaseModel):
    paths: list[str] = Field(min_length=1)
    groups: list[str] = [PUBLIC_GROUP]
    force: bool = False


class PrincipalRequest(BaseModel):
    name: str
    roles: list[str]
    groups: list[str] = []


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


class BodyLimit:
    """Refuse a body larger than ``limit`` bytes: at once when ``Content-Length`` says so, else while it streams."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen, refused = 0, False

        async def counted() -> Message:
            """Past the limit: answer 413 now, and tell the app the client went away."""
            nonlocal seen, refused
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit and not refused:
                refused = True
                await self._refuse(scope, receive, send)
            return {"type": "http.disconnect"} if refused else message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counted, unless_refused)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error(413, "too_large", f"the request body is larger than {self.limit} bytes")
        await response(scope, receive, send)


class RateLimit:
    """A token bucket per principal: ``per_minute`` requests a minute, in bursts of up to that many."""

    def __init__(self, per_minute: int) -> None:
        self.rate, self.capacity = per_minute / 60.0, float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, who: str) -> float:
        """0 when ``who`` may go on now (a token is taken), else the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(who, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - then) * self.rate)
            if tokens < 1:
                self._buckets[who] = (tokens, now)
                return (1 - tokens) / self.rate
            self._buckets[who] = (tokens - 1, now)
            return 0.0


class RateLimited(Exception):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


def _groups(text: str | None) -> list[str] | None:
    return None if text is None else [g for g in text.split(",") if g.strip()]


def _document(d: Document) -> dict[str, Any]:
    return {
        "id": d.id,
        "title": d.title,
        "source": d.source,
        "media_type": d.media_type,
        "content_hash": d.content_hash,
        "groups": list(d.groups),
    }


def _principal(p: Principal) -> dict[str, Any]:
    return {"name": p.name, "groups": list(p.groups), "roles": list(p.roles), "key_id": p.key_id, "created": p.created}


def _upload_name(filename: str | None) -> str:
    """An uploaded file's own name, stripped of folders and odd characters: it names the stored document."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename or "").name).strip("._")
    if not name:
        raise InvalidArgument(f"upload {filename!r} has no usable file name")
    return name


def create_app(kg: KnowledgeGraph, config: ServiceConfig | None = None, *, warm: bool = True) -> FastAPI:
    """The service over ``kg``. ``warm``: load the models before the first request (readiness waits for it)."""
    config = config or ServiceConfig()
    limiter = RateLimit(config.rate_per_minute)
    upload_dir = Path(config.upload_dir or tempfile.mkdtemp(prefix="kgrag-uploads-"))
    ready = threading.Event()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if warm:
            threading.Thread(target=_warm_up, args=(kg, ready), daemon=True).start()
        else:
            ready.set()
        yield

    app = FastAPI(
        title="kgrag",
        summary="Knowledge-graph retrieval with cited evidence, per authenticated caller.",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, limit=config.max_body_bytes)

    def caller(request: Request) -> Caller:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise AuthenticationError("send the API key as 'Authorization: Bearer KEY'")
        who = kg.authenticate(key.strip())
        request.state.principal = who.name
        wait = limiter.wait(who.name or "")
        if wait:
            raise RateLimited(wait)
        return who

    Authenticated = Annotated[Caller, Depends(caller)]

    @app.middleware("http")
    async def audit_requests(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        response = await call_next(request)
        if request.url.path not in UNAUDITED:
            route = request.scope.get("route")
            path = getattr(route, "path", request.url.path)
            action: Action = "request"
            event = AuditEvent.now(
                action,
                user=getattr(request.state, "principal", None),
                request=f"{request.method} {path}",
                status=str(response.status_code),
            )
            await run_in_threadpool(kg.audit_request, event)  # an fsync: off the event loop
        return response

    @app.exception_handler(KgragError)
    async def kgrag_error(_request: Request, e: KgragError) -> JSONResponse:
        status, code = next((s, c) for kind, s, c in ERRORS if isinstance(e, kind))
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return error(status, code, str(e), headers)

    @app.exception_handler(RateLimited)
    async def rate_limited(_request: Request, e: RateLimited) -> JSONResponse:
        seconds = max(1, round(e.seconds))
        return error(429, "rate_limited", f"too many requests: retry in {seconds}s", {"Retry-After": str(seconds)})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, e: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in e.errors())
        return error(422, "invalid_request", problems)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, e: HTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed"}
        return error(e.status_code, codes.get(e.status_code, "http_error"), str(e.detail))

    @app.get("/health", tags=["probes"])
    def health() -> dict[str, str]:
        """The process answers (no key needed)."""
        return {"status": "ok"}

    @app.get("/ready", tags=["probes"])
    def readiness() -> JSONResponse:
        """The models are loaded, the store answers and has principals to authenticate."""
        if not ready.is_set():
            return error(503, "not_ready", "loading models")
        try:
            registered = bool(kg.store.principals())
        except StoreError as e:
            return error(503, "store_unavailable", str(e))
        if not registered:
            return error(503, "not_ready", "the store has no principals: create one with kgrag principals add")
        return JSONResponse({"status": "ready"})

    @app.post("/query", tags=["retrieval"])
    def query(body: QueryRequest, who: Authenticated) -> dict[str, Any]:
        """Cited evidence for a question: the same JSON as ``kgrag query --json``."""
        return kg.query(body.question, k=body.k, groups=body.groups, caller=who).to_dict()

    @app.get("/entity/{name}", tags=["retrieval"])
    def entity(name: str, who: Authenticated, groups: str | None = None) -> dict[str, Any]:
        """A visible entity with its relations (and their provenance) and neighbours, as ``kgrag entity --json``."""
        return kg.entity(name, groups=_groups(groups), caller=who).to_dict()

    @app.get("/export", tags=["documents"])
    def export(who: Authenticated, format: str = "turtle", groups: str | None = None) -> Response:
        """What the caller may see as one file: ``turtle``, ``jsonld`` or ``graphml`` (``csv`` is two files: use the
        CLI or the API)."""
        if format not in EXPORT_MEDIA_TYPES:
            raise InvalidArgument(f"format must be one of {', '.join(EXPORT_MEDIA_TYPES)}, got {format!r}")
        exported = kg.export(format, groups=_groups(groups), caller=who)
        return Response(next(iter(exported.files.values())), media_type=EXPORT_MEDIA_TYPES[format])

    @app.post("/query/picture", tags=["retrieval"])
    def query_picture(body: PictureRequest, who: Authenticated) -> Response:
        """The evidence picture of a question (``format``: ``svg``, ``html`` or ``png``), as ``kgrag query --graph``."""
        fmt = picture_format(body.format)
        result = kg.query(body.question, k=body.k, groups=body.groups, caller=who)
        return Response(draw_evidence(result, fmt), media_type=PICTURE_MEDIA_TYPES[fmt])

    @app.post("/answer", tags=["retrieval"])
    def answer(body: AnswerRequest, who: Authenticated) -> dict[str, Any]:
        """A short answer with a verified citation for every claim: the same JSON as ``kgrag answer --json``."""
        return kg.answer(body.question, k=body.k, groups=body.groups, caller=who, generate=body.generate).to_dict()

    @app.get("/documents", tags=["documents"])
    def documents(who: Authenticated, groups: str | None = None) -> list[dict[str, Any]]:
        """The documents the caller may see (``groups``: comma-separated, to narrow)."""
        return [_document(d) for d in kg.documents(groups=_groups(groups), caller=who)]

    @app.get("/documents/{doc_id}", tags=["documents"])
    def show(
        doc_id: str,
        who: Authenticated,
        start: int | None = None,
        end: int | None = None,
        content_hash: str | None = None,
        groups: str | None = None,
    ) -> dict[str, Any]:
        """A document's text, or the span ``start:end`` of it; with ``content_hash``, only that version."""
        doc = kg.document(doc_id, groups=_groups(groups), version=content_hash, caller=who)
        start, end = (0 if start is None else start), (len(doc.text) if end is None else end)
        if not 0 <= start <= end <= len(doc.text):
            raise InvalidArgument(f"span {start}:{end} is outside the document (0:{len(doc.text)})")
        return _document(doc) | {"start": start, "end": end, "text": doc.text[start:end]}

    @app.delete("/documents/{doc_id}", tags=["documents"])
    def delete(doc_id: str, who: Authenticated, scrub_audit: bool | None = None) -> dict[str, Any]:
        """Erase a document and everything derived from it (curators); ``scrub_audit`` also replaces its id in
        earlier audit events by a keyed token (default: the server's ``KGRAG_AUDIT_SCRUB``)."""
        if not kg.delete(doc_id, caller=who, scrub_audit=scrub_audit):
            raise NotFoundError(f"no document {doc_id!r}")
        return {"id": doc_id, "deleted": True}

    @app.put("/documents/{doc_id}/groups", tags=["documents"])
    def set_groups(doc_id: str, body: GroupsRequest, who: Authenticated) -> dict[str, Any]:
        """Replace a document's access groups (curators)."""
        kg.set_groups(doc_id, body.groups, caller=who)
        return {"id": doc_id, "groups": sorted(set(body.groups))}

    @app.post("/ingest", tags=["ingestion"])
    def ingest_upload(
        who: Authenticated,
        files: Annotated[list[UploadFile], File()],
        groups: Annotated[str, Form()] = PUBLIC_GROUP,
        force: Annotated[bool, Form()] = False,
    ) -> dict[str, Any]:
        """Ingest uploaded files (curators); a file a principal uploads again under its name replaces its
        document (each principal's uploads are named apart, so nobody replaces another's)."""
        wanted = _groups(groups) or []
        who.require(CURATE, "ingest")  # before anything is written to the server's disk
        saved = []
        for upload in files:
            # The principal's name in the file's: a document's id derives from its file name, and one
            # principal's upload must never replace another's document.
            target = upload_dir / f"{who.name or 'owner'}--{_upload_name(upload.filename)}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(upload.file.read())
            saved.append(target)
        return kg.ingest(saved, groups=wanted, force=force, caller=who).to_dict()

    @app.post("/ingest/path", tags=["ingestion"])
    def ingest_paths(body: PathsRequest, who: Authenticated) -> dict[str, Any]:
        """Ingest files or folders on the server, inside the folder the operator allowed (``--ingest-root``)."""
        if config.ingest_root is None:
            raise PermissionDenied("this service ingests uploads only: it was started without --ingest-root")
        root = Path(config.ingest_root).resolve()
        paths = [Path(p).resolve() for p in body.paths]
        outside = [str(p) for p in paths if not p.is_relative_to(root)]
        if outside:
            raise PermissionDenied(f"outside the ingest root {root}: {', '.join(outside)}")
        return kg.ingest(paths, groups=body.groups, force=body.force, caller=who).to_dict()

    @app.get("/audit", tags=["audit"])
    def audit(
        who: Authenticated,
        user: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
        question: str | None = None,
    ) -> list[dict[str, Any]]:
        """Audited events, oldest first (auditors); ``question`` also finds a question kept only as its hash."""
        events = kg.audit_events(since, user, action, limit, caller=who, question=question)  # type: ignore[arg-type]
        return [e.to_dict() for e in events]

    @app.get("/stats", tags=["documents"])
    def stats(who: Authenticated) -> dict[str, int]:
        """Unfiltered counts (curators, auditors)."""
        counts = kg.stats(caller=who)
        return {n: getattr(counts, n) for n in ("documents", "chunks", "entities", "mentions", "relations")}

    @app.get("/principals", tags=["principals"])
    def principals(who: Authenticated) -> list[dict[str, Any]]:
        """Every principal, without keys (admins)."""
        return [_principal(p) for p in kg.principals(caller=who)]

    @app.post("/principals", tags=["principals"])
    def add_principal(body: PrincipalRequest, who: Authenticated) -> dict[str, Any]:
        """Register a principal; its API key is in the answer, and only there (admins)."""
        principal, key = kg.add_principal(body.name, body.groups, body.roles, caller=who)
        return _principal(principal) | {"key": key}

    return app


def _warm_up(kg: KnowledgeGraph, ready: threading.Event) -> None:
    """Load the models once, before requests race to load them in several threads."""
    try:
        _ = kg.retriever, kg.pipeline
    except KgragError:
        log.exception("cannot load the models")
        return
    ready.set()
