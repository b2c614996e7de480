"""The audit log: who queried what and what they were shown, who deleted or re-grouped which document.

One JSON object per line, appended and fsynced before the audited call returns, so that a crash cannot lose a
recorded event. Only ids are written, never passage or document text: erasing a document must not leave its
content behind in the log.
"""

from __future__ import annotations

import json
import os
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from kg.errors import AuditError
from kg.stores import is_neo4j_uri

Action = Literal["query", "delete", "acl_set", "principal", "request"]
ACTIONS: tuple[str, ...] = get_args(Action)

SERVER_AUDIT_LOG = ".kgrag/audit.jsonl"


@dataclass(frozen=True)
class AuditEvent:
    """One audited call. ``groups`` are the caller's access groups (``None``: the unrestricted admin view);
    ``doc_ids``/``chunk_ids`` are what a query returned or the document a change touched; ``existed`` says
    whether that document was there; ``acl`` is the new group list of an ``acl_set``, or a principal's groups.
    A ``principal`` event is a change (``add``, ``grant``, ``revoke``, ``rotate``, ``remove``) of the registry
    entry ``principal``, leaving it with ``acl`` and ``roles``; a ``request`` is one call to the service
    (``request`` is its method and route, ``status`` its HTTP status)."""

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
    each line is one ``O_APPEND`` write, so processes sharing the file do not interleave lines either."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def record(self, event: AuditEvent) -> None:
        """Append ``event`` and flush it to disk before returning."""
        line = (json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as e:
                raise AuditError(f"cannot write the audit log {self.path}: {e}") from e

    def events(
        self,
        since: datetime | None = None,
        user: str | None = None,
        action: Action | None = None,
        limit: int | None = None,
    ) -> list[AuditEvent]:
        """Logged events, oldest first, filtered; with ``limit``, only the latest ``limit`` of them.
        A naive ``since`` is taken as UTC."""
        if limit is not None and limit < 1:
            raise AuditError(f"limit must be at least 1, got {limit}")
        if action is not None and action not in ACTIONS:
            raise AuditError(f"unknown audit action {action!r}: use one of {', '.join(ACTIONS)}")
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        selected: deque[AuditEvent] = deque(maxlen=limit)
        for event in self._read():
            if (
                (since is None or event.timestamp >= since)
                and (user is None or event.user == user)
                and (action is None or event.action == action)
            ):
                selected.append(event)
        return list(selected)

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
