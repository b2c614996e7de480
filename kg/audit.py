"""The audit log: who queried what and what they were shown, who deleted or re-grouped which document.

One JSON object per line, appended and fsynced before the audited call returns, so that a crash cannot lose a
recorded event. Only ids are written, never passage or document text: erasing a document must not leave its
content behind in the log. A question, though, is the caller's own text and may name a person: the log's
``questions`` policy keeps it (``text``), keeps only a keyed hash of it (``hash``: an auditor holding the key can
still tell whether a given question was asked) or nothing (``none``). Erasing a document can also scrub its id
from earlier events (``AuditLog.scrub``), at a cost to the log's integrity that the README states.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from kg.errors import AuditError
from kg.stores import is_neo4j_uri

Action = Literal["query", "delete", "acl_set", "principal", "request", "export"]
ACTIONS: tuple[str, ...] = get_args(Action)
QuestionPolicy = Literal["text", "hash", "none"]
QUESTION_POLICIES: tuple[str, ...] = get_args(QuestionPolicy)

SERVER_AUDIT_LOG = ".kgrag/audit.jsonl"


@dataclass(frozen=True)
class AuditEvent:
    """One audited call. ``groups`` are the caller's access groups (``None``: the unrestricted admin view);
    ``doc_ids``/``chunk_ids`` are what a query returned or the document a change touched; ``existed`` says
    whether that document was there; ``acl`` is the new group list of an ``acl_set``, or a principal's groups.
    A ``principal`` event is a change (``add``, ``grant``, ``revoke``, ``rotate``, ``remove``) of the registry
    entry ``principal``, leaving it with ``acl`` and ``roles``; a ``request`` is one call to the service
    (``request`` is its method and route, ``status`` its HTTP status). ``question_hash`` replaces ``question``
    under the ``hash`` policy; ``scrubbed`` is how many earlier events a deletion scrubbed the document from; an
    ``export`` lists the documents exported."""

    time: str  # UTC, ISO 8601
    action: Action
    user: str | None = None
    groups: tuple[str, ...] | None = None
    question: str | None = None
    status: str | None = None
    doc_ids: tuple[str, ...] = ()
    chunk_ids: tuple[str, ...] = ()
    existed: bool | None = None
    acl: tuple[str, ...] | None = None
    citation_problems: int = 0
    principal: str | None = None
    change: str | None = None
    roles: tuple[str, ...] | None = None
    request: str | None = None
    question_hash: str | None = None
    scrubbed: int | None = None

    @classmethod
    def now(cls, action: Action, **values: Any) -> AuditEvent:
        return cls(datetime.now(UTC).isoformat(), action, **values)

    @property
    def timestamp(self) -> datetime:
        return datetime.fromisoformat(self.time)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditEvent:
        """Read a logged line back; keys a later version added are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        if values.get("action") not in ACTIONS or not isinstance(values.get("time"), str):
            raise ValueError(f"not an audit event: {data!r}")
        return cls(**values)


def audit_path(store_location: str, configured: str | None = None) -> Path:
    """Where a store's audit log lives: the configured path, else beside a store file, else (a server store
    has no file of ours) ``.kgrag/audit.jsonl`` in the current directory."""
    if configured:
        return Path(configured)
    if is_neo4j_uri(store_location) or store_location == ":memory:":
        return Path(SERVER_AUDIT_LOG)
    return Path(store_location + ".audit.jsonl")


class AuditLog:
    """An append-only JSON-lines file; appends from threads of one process are serialised by a lock, and
    each line is one ``O_APPEND`` write under a lock file, so processes sharing the file neither interleave
    lines nor lose one to a concurrent scrub.

    ``questions`` is the policy for query text (see the module docstring); ``key`` is the secret of the keyed
    hashes (the ``hash`` policy and scrubbed ids), by default read from, or created in, ``<log>.key`` (mode 0600).
    """

    def __init__(self, path: str | Path, questions: QuestionPolicy = "text", key: bytes | None = None) -> None:
        if questions not in QUESTION_POLICIES:
            raise AuditError(f"unknown question policy {questions!r}: use one of {', '.join(QUESTION_POLICIES)}")
        self.path = Path(path)
        self.questions = questions
        self._key = key
        self._lock = threading.Lock()

    def digest(self, text: str) -> str:
        """The keyed hash the log keeps of ``text`` (a question, or an erased document's id)."""
        mac = hmac.new(self._secret(), " ".join(text.split()).encode("utf-8"), hashlib.sha256)
        return "hmac-sha256:" + mac.hexdigest()

    def record(self, event: AuditEvent) -> None:
        """Append ``event``, its question kept as the policy says, and flush it to disk before returning."""
        if event.question is not None and self.questions != "text":
            hashed = self.digest(event.question) if self.questions == "hash" else None
            event = replace(event, question=None, question_hash=hashed)
        line = (json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        with self._exclusive():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as e:
                raise AuditError(f"cannot write the audit log {self.path}: {e}") from e

    def scrub(self, doc_id: str, chunk_ids: Sequence[str] = ()) -> tuple[str, int]:
        """Replace ``doc_id`` and ``chunk_ids`` in every logged event by one keyed token, so that the log no longer
        names an erased document yet events about it still correlate; the file is rewritten atomically.
        Returns the token and how many events changed."""
        token = "erased:" + self.digest(doc_id).removeprefix("hmac-sha256:")[:24]
        gone = {doc_id, *chunk_ids}
        changed = 0
        with self._exclusive():
            kept: list[AuditEvent] = []
            for event in self._read():
                doc_ids = tuple(token if d == doc_id else d for d in event.doc_ids)
                chunks = tuple(token if c in gone else c for c in event.chunk_ids)
                if doc_ids != event.doc_ids or chunks != event.chunk_ids:
                    changed += 1
                    event = replace(event, doc_ids=doc_ids, chunk_ids=tuple(dict.fromkeys(chunks)))
                kept.append(event)
            if changed:
                self._rewrite(kept)
        return token, changed

    def events(
        self,
        since: datetime | None = None,
        user: str | None = None,
        action: Action | None = None,
        limit: int | None = None,
        question: str | None = None,
    ) -> list[AuditEvent]:
        """Logged events, oldest first, filtered; with ``limit``, only the latest ``limit`` of them. A naive
        ``since`` is taken as UTC; ``question`` matches its text or, under the ``hash`` policy, its keyed hash."""
        if limit is not None and limit < 1:
            raise AuditError(f"limit must be at least 1, got {limit}")
        if action is not None and action not in ACTIONS:
            raise AuditError(f"unknown audit action {action!r}: use one of {', '.join(ACTIONS)}")
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        asked = None if question is None else (" ".join(question.split()), self.digest(question))
        selected: deque[AuditEvent] = deque(maxlen=limit)
        for event in self._read():
            if (
                (since is None or event.timestamp >= since)
                and (user is None or event.user == user)
                and (action is None or event.action == action)
                and (asked is None or _asked(event, *asked))
            ):
                selected.append(event)
        return list(selected)

    def _secret(self) -> bytes:
        if self._key is None:
            self._key = _load_or_create_key(Path(str(self.path) + ".key"))
        return self._key

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """This process's threads, then other processes (``flock`` on ``<log>.lock``), one at a time."""
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(str(self.path) + ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
            except OSError as e:
                raise AuditError(f"cannot lock the audit log {self.path}: {e}") from e
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)

    def _rewrite(self, events: list[AuditEvent]) -> None:
        try:
            fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    for event in events:
                        out.write(json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n")
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as e:
            raise AuditError(f"cannot rewrite the audit log {self.path}: {e}") from e

    def _read(self) -> Iterator[AuditEvent]:
        try:
            with self.path.open(encoding="utf-8") as lines:
                for number, line in enumerate(lines, start=1):
                    try:
                        yield AuditEvent.from_dict(json.loads(line))
                    except (ValueError, TypeError) as e:
                        raise AuditError(f"{self.path}, line {number}: damaged audit record ({e})") from e
        except FileNotFoundError:
            return
        except OSError as e:
            raise AuditError(f"cannot read the audit log {self.path}: {e}") from e


def _asked(event: AuditEvent, text: str, digest: str) -> bool:
    if event.question is not None:
        return " ".join(event.question.split()) == text
    return event.question_hash == digest


def _load_or_create_key(path: Path) -> bytes:
    """The log's secret, created once with mode 0600: whoever may read it can test guesses against the hashes."""
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as e:
        raise AuditError(f"cannot read the audit key {path}: {e}") from e
    key = secrets.token_bytes(32)
    # Written whole under a temporary name, then linked into place: a second process sees no key or all of it.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(key.hex() + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _load_or_create_key(path)  # another process made it first
        finally:
            os.unlink(temporary)
    except OSError as e:
        raise AuditError(f"cannot create the audit key {path}: {e}") from e
    return key
