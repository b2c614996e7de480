"""One exception hierarchy, so that callers can catch ``KgragError`` and the CLI can turn it into a message.

Every error a user can cause (a bad argument, an unreadable file, a missing store, a model that cannot load) is a
``KgragError``; anything else that escapes is a bug in kgrag.
"""

from __future__ import annotations

from pathlib import Path


class KgragError(Exception):
    """Base class of every error kgrag raises on purpose."""


class InvalidArgument(KgragError, ValueError):
    """A caller passed a value kgrag cannot use (an empty question, ``k`` below 1, a malformed group name)."""


class ConfigError(KgragError):
    """A setting is invalid or a configured model cannot be loaded."""


class LoadError(KgragError):
    """A source file cannot be turned into text; names the file and the reason."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class StoreError(KgragError):
    """The store cannot be opened, read or written."""


class NotFoundError(StoreError):
    """A named document (or other record) does not exist, or is not visible to the caller."""


class CypherNotFound(StoreError):
    """A statement name with no ``.cypher`` file, or a template without its placeholder: a bug in kgrag."""


class StaleCitation(KgragError):
    """A citation names another version of a document than the one stored: what it cites is no longer there."""


class AuditError(KgragError):
    """The audit log cannot be written or read; an unrecorded query or deletion must not pass silently."""


class AuthenticationError(KgragError):
    """No API key, or one that belongs to no principal, where the store has a principal registry."""


class PermissionDenied(KgragError):
    """The caller is known but lacks the role for an operation, or asked for groups beyond their own."""


class GeneratorError(KgragError):
    """The configured answer generator (an OpenAI-compatible endpoint) cannot be reached or answered out of
    protocol."""
