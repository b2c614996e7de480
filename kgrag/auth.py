"""Who is calling: API keys, the principals they belong to, and what each role may do.

A key is ``kgrag_<key id>_<secret>``. The key id is stored in the clear so that a key can be looked up; the secret
only as a salted scrypt hash, so that a copy of the store does not hand out working keys. Keys are random (256
bits), so a verified key is remembered in memory by its SHA-256 for as long as the principal's stored hash is the
one it was verified against: a service does not pay scrypt on every request, and a rotated or removed key stops
working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from kg.errors import AuthenticationError, InvalidArgument, PermissionDenied
from kg.model import GROUP_NAME, PUBLIC_GROUP, ROLES, Access, Principal, Role, clean_groups

KEY_PREFIX = "kgrag"
# scrypt's cost: about 16 MiB and a few tens of milliseconds per check, paid once per key and process.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1

# The roles that may run each kind of operation.
READ: frozenset[Role] = frozenset({"reader", "curator", "admin"})
CURATE: frozenset[Role] = frozenset({"curator", "admin"})
AUDIT: frozenset[Role] = frozenset({"auditor", "admin"})
ADMIN: frozenset[Role] = frozenset({"admin"})


def clean_roles(roles: Iterable[str], *, required: bool = True) -> tuple[Role, ...]:
    """Roles as stored: stripped, known, de-duplicated, in ``ROLES`` order; ``required``: at least one (a new
    principal needs one; revoking may leave none, and then the principal may do nothing)."""
    wanted = {r.strip() for r in roles if r.strip()}
    unknown = wanted - set(ROLES)
    if unknown:
        raise InvalidArgument(f"unknown role(s) {', '.join(sorted(unknown))}: use {', '.join(ROLES)}")
    if required and not wanted:
        raise InvalidArgument(f"give at least one role: {', '.join(ROLES)}")
    return tuple(r for r in ROLES if r in wanted)


def check_name(name: str) -> str:
    """A principal's name follows the group-name rule: it is shown in logs and filters, never read as a pattern."""
    if not GROUP_NAME.fullmatch(name):
        raise InvalidArgument(
            f"invalid principal name {name!r}: use letters, digits and _ . : - (at most 64, starting with a letter "
            "or digit)"
        )
    return name


def new_key() -> tuple[str, str, str]:
    """A fresh API key: ``(key, key_id, key_hash)``; only the last two are stored."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return f"{KEY_PREFIX}_{key_id}_{secret}", key_id, hash_secret(secret)


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}:{salt.hex()}:{digest.hex()}"


def secret_matches(secret: str, key_hash: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = key_hash.split(":")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)


def split_key(key: str) -> tuple[str, str]:
    """``(key_id, secret)`` of a well-formed key; ``AuthenticationError`` otherwise."""
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        raise AuthenticationError("not a kgrag API key (they look like kgrag_<id>_<secret>)")
    return parts[1], parts[2]


def now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class Caller:
    """Who an operation runs for. A principal is bound by its groups and roles; the owner (``principal`` is
    ``None``: a store with no registry, used by whoever can open it) has every role and names any groups."""

    principal: Principal | None = None

    @property
    def name(self) -> str | None:
        return self.principal.name if self.principal else None

    @property
    def is_owner(self) -> bool:
        return self.principal is None

    def require(self, allowed: frozenset[Role], operation: str) -> None:
        """Refuse ``operation`` unless the caller holds one of the ``allowed`` roles."""
        if self.principal is not None and not allowed & set(self.principal.roles):
            needed = " or ".join(r for r in ROLES if r in allowed)
            raise PermissionDenied(f"{self.principal.name!r} may not {operation}: it needs the {needed} role")

    def access(self, groups: Sequence[str] | None, user: str | None = None) -> Access:
        """The groups a request reads with: the requested ones (default: public for the owner, all of a
        principal's own), never more than a principal's own. A principal's name is who asks: another ``user``
        is refused."""
        if self.principal is None:
            return Access.of(groups if groups is not None else (PUBLIC_GROUP,), user=user)
        if user is not None and user != self.principal.name:
            raise PermissionDenied(f"{self.principal.name!r} cannot act as {user!r}: callers are authenticated")
        own = set(self.principal.groups)
        if groups is None:
            return Access.of(own, user=self.principal.name)
        asked = set(clean_groups(groups, required=False))
        if not asked <= own:
            beyond = ", ".join(sorted(asked - own))
            raise PermissionDenied(f"{self.principal.name!r} is not in group(s) {beyond}: a request can only narrow")
        return Access.of(asked, user=self.principal.name)

    def may_assign(self, groups: Sequence[str]) -> None:
        """A curator gives documents only groups it is in itself; an admin (and the owner) any groups."""
        p = self.principal
        if p is None or "admin" in p.roles:
            return
        beyond = ", ".join(sorted(set(groups) - set(p.groups)))
        if beyond:
            raise PermissionDenied(f"{p.name!r} may not give documents group(s) it is not in: {beyond}")


OWNER = Caller()


class KeyCache:
    """Keys verified in this process, by SHA-256, with the stored hash each was verified against."""

    def __init__(self) -> None:
        self._verified: dict[str, str] = {}
        self._lock = threading.Lock()

    def verify(self, key: str, principal: Principal, secret: str) -> bool:
        fingerprint = hashlib.sha256(key.encode()).hexdigest()
        with self._lock:
            if self._verified.get(fingerprint) == principal.key_hash:
                return True
        if not secret_matches(secret, principal.key_hash):
            return False
        with self._lock:
            self._verified[fingerprint] = principal.key_hash
        return True
