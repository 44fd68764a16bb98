"""API keys and roles: who is calling, and what they may do.

Roles:
    clienteling: looks customers up and sees their personal data masked (store staff).
    analyst: reads everything, personal data included (implies clienteling).
    ingest: only sends data (HTTP ingestion, webhooks).
    onsite: only asks a visitor's segments and non-personal traits (a storefront's key,
        which the browser sees: no personal data can be reached with it).
    admin: also writes, overrides and forgets (implies every other role).

A key is `cdp_` followed by 43 random URL-safe characters; only its sha256 is stored. The
core (`Principal`, `authenticate`, `KeyCache`, `issue_key`) knows nothing of FastAPI, so the
GraphQL context uses it as the routes do; `require_roles` is the FastAPI dependency.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import HTTPException, Request, status

from api.deps import GraphDep
from api.roles import Role as Role  # re-exported
from core.clock import utc_stamp
from graph import apikey_repo
from graph.client import GraphClient
from graph.errors import GraphError

log = logging.getLogger(__name__)

KEY_PREFIX = "cdp_"
_MAX_KEY_CHARS = 256
_KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


class Permission(StrEnum):
    LOOKUP = "lookup"
    """Find a customer by an identifier and see their profile."""
    READ = "read"
    """Profiles, segments, explanations, reports."""
    PERSONAL_DATA = "personal_data"
    """See personal data unmasked."""
    INGEST = "ingest"
    """Send records, orders and events."""
    WRITE = "write"
    """Overrides, merges and splits, segments, forgetting a customer."""
    ONSITE = "onsite"
    """A visitor's segments and non-personal traits, for a storefront."""


_ROLES_HELD: dict[Role, frozenset[Role]] = {
    Role.CLIENTELING: frozenset({Role.CLIENTELING}),
    Role.ANALYST: frozenset({Role.ANALYST, Role.CLIENTELING}),
    Role.INGEST: frozenset({Role.INGEST}),
    Role.ONSITE: frozenset({Role.ONSITE}),
    Role.ADMIN: frozenset(Role),
}
_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLIENTELING: frozenset({Permission.LOOKUP}),
    Role.ANALYST: frozenset({Permission.LOOKUP, Permission.READ, Permission.PERSONAL_DATA}),
    Role.INGEST: frozenset({Permission.INGEST}),
    Role.ONSITE: frozenset({Permission.ONSITE}),
    Role.ADMIN: frozenset(Permission),
}


class InvalidKeyName(ValueError):
    """A key's name is not a short plain label."""

    def __init__(self, name: str) -> None:
        super().__init__(f"invalid key name {name!r}: 1-64 characters, letters, digits and _ . : -")
        self.name = name


@dataclass(frozen=True, slots=True)
class Principal:
    """The holder of a valid API key."""

    name: str
    role: Role

    def has_role(self, role: Role | str) -> bool:
        """True when this principal's role is `role` or implies it (admin implies all)."""
        return Role(role) in _ROLES_HELD[self.role]

    def can(self, permission: Permission | str) -> bool:
        return Permission(permission) in _PERMISSIONS[self.role]

    @property
    def sees_personal_data(self) -> bool:
        """False for clienteling keys: personal data is shown masked."""
        return self.can(Permission.PERSONAL_DATA)


# -- keys ---------------------------------------------------------------------------------


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """What the graph stores of a key: the sha256 of its text, in hex."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def issue_key(graph: GraphClient, name: str, role: Role | str) -> str:
    """Create a key and return its text: the only time it is available.

    Raises:
        InvalidKeyName: The name is not a plain label.
        ValueError: The role is not one of `Role`.
        graph.apikey_repo.ApiKeyNameTaken: A valid key already has this name.
    """
    if not _KEY_NAME.match(name):
        raise InvalidKeyName(name)
    role = Role(role)
    key = generate_key()
    await apikey_repo.create(graph, hash_key(key), name, role.value, utc_stamp())
    return key


async def revoke_key(graph: GraphClient, name: str) -> int:
    """Revoke the valid keys of this name; how many there were. Caches elsewhere honour it
    within their TTL."""
    return await apikey_repo.revoke(graph, name, utc_stamp())


# -- authentication -----------------------------------------------------------------------


class KeyCache:
    """Remembers, for a short time, what a key hash resolved to (a principal, or nothing).

    The hot path (hundreds of clienteling look-ups a second) then asks Neo4j about a key once
    per TTL rather than once per request. Unknown keys are remembered too, so one wrong key
    retried in a loop does not reach the database; the size is bounded so many different
    wrong keys cannot exhaust memory. A revocation takes effect within the TTL.
    """

    def __init__(
        self,
        ttl_s: float = 30.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[float, Principal | None]] = {}

    def get(self, key_hash: str) -> tuple[bool, Principal | None]:
        """`(True, principal or None)` when cached and fresh, else `(False, None)`."""
        entry = self._entries.get(key_hash)
        if entry is None:
            return False, None
        expires, principal = entry
        if self._clock() >= expires:
            del self._entries[key_hash]
            return False, None
        return True, principal

    def put(self, key_hash: str, principal: Principal | None) -> None:
        if self.ttl_s <= 0:
            return
        now = self._clock()
        self._entries.pop(key_hash, None)
        if len(self._entries) >= self.max_entries:
            self._evict(now)
        self._entries[key_hash] = (now + self.ttl_s, principal)

    def _evict(self, now: float) -> None:
        for h in [h for h, (exp, _) in self._entries.items() if exp <= now]:
            del self._entries[h]
        while len(self._entries) >= self.max_entries:
            # Dicts keep insertion order and `put` re-inserts: the first is the oldest.
            del self._entries[next(iter(self._entries))]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


async def authenticate(
    graph: GraphClient, key: str | None, cache: KeyCache | None = None
) -> Principal | None:
    """The principal holding `key`, or None when the key is unknown, revoked or malformed.

    Raises:
        graph.errors.GraphError: Neo4j could not be asked.
    """
    if not key or len(key) > _MAX_KEY_CHARS:
        return None
    return await authenticate_hash(graph, hash_key(key), cache)


async def authenticate_hash(
    graph: GraphClient, key_hash: str, cache: KeyCache | None = None
) -> Principal | None:
    """As `authenticate`, from the key's hash (what a browser session remembers)."""
    if cache is not None:
        hit, cached = cache.get(key_hash)
        if hit:
            return cached
    stored = await apikey_repo.find_by_hash(graph, key_hash)
    principal: Principal | None = None
    if stored is not None and not stored.revoked:
        try:
            principal = Principal(stored.name, Role(stored.role))
        except ValueError:
            log.warning("an API key has an unknown role; refused")
    if cache is not None:
        cache.put(key_hash, principal)
    return principal


def key_from_headers(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key a request carries: `Authorization: Bearer <key>`, `X-API-Key: <key>`, or HTTP
    Basic with the key as user name (how Segment's libraries send their write key)."""
    if x_api_key and x_api_key.strip():
        return x_api_key.strip()
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return None


# -- FastAPI ------------------------------------------------------------------------------


def key_cache(request: Request) -> KeyCache | None:
    cache: KeyCache | None = getattr(request.app.state, "key_cache", None)
    return cache


def http_error(code: int, error: str, message: str) -> HTTPException:
    """An HTTP error whose body is `{"error": ..., "message": ...}`; a 401 names Bearer."""
    headers = {"WWW-Authenticate": "Bearer"} if code == status.HTTP_401_UNAUTHORIZED else None
    return HTTPException(code, detail={"error": error, "message": message}, headers=headers)


async def principal_of(request: Request, graph: GraphClient, roles: frozenset[Role]) -> Principal:
    """Authenticate a request and check that its key holds one of `roles`.

    Raises:
        HTTPException: 401 without a valid key, 403 with the wrong role, 503 when the key
            cannot be checked.
    """
    key = key_from_headers(request.headers.get("authorization"), request.headers.get("x-api-key"))
    if key is None:
        raise http_error(
            status.HTTP_401_UNAUTHORIZED,
            "missing_api_key",
            "send an API key: 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
        )
    try:
        principal = await authenticate(graph, key, key_cache(request))
    except GraphError as exc:
        log.error("API key check failed: %s", type(exc).__name__)
        raise http_error(
            status.HTTP_503_SERVICE_UNAVAILABLE, "unavailable", "cannot check the API key now"
        ) from exc
    if principal is None:
        raise http_error(
            status.HTTP_401_UNAUTHORIZED, "invalid_api_key", "the API key is unknown or revoked"
        )
    if not any(principal.has_role(r) for r in roles):
        needed = ", ".join(sorted(roles))
        raise http_error(
            status.HTTP_403_FORBIDDEN,
            "forbidden",
            f"a key of role {principal.role.value!r} may not do this; it needs: {needed}",
        )
    request.state.principal = principal
    return principal


def require_roles(
    *roles: Role | str,
) -> Callable[[Request, GraphClient], Coroutine[Any, Any, Principal]]:
    """A FastAPI dependency admitting keys that hold any of `roles` (admin holds all).

    Use as `principal: Annotated[Principal, Depends(require_roles(Role.INGEST))]`.
    """
    wanted = frozenset(Role(r) for r in roles)
    if not wanted:
        raise ValueError("require_roles needs at least one role")

    async def dependency(request: Request, graph: GraphDep) -> Principal:
        return await principal_of(request, graph, wanted)

    return dependency
