"""Storage of API keys: `(:ApiKey {hash, name, role, created_at, revoked})`.

Only the sha256 of a key is stored; the key itself is shown once, when it is created, and
never reaches the graph, the logs or this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.client import GraphClient
from graph.errors import GraphError


class ApiKeyNameTaken(GraphError):
    """A key that is not revoked already has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"an API key named {name!r} exists; revoke it or choose another name")
        self.name = name


@dataclass(frozen=True, slots=True)
class StoredKey:
    name: str
    role: str
    revoked: bool
    created_at: str | None = None
    revoked_at: str | None = None


async def create(graph: GraphClient, key_hash: str, name: str, role: str, now: str) -> None:
    """Store a new key by its hash.

    Raises:
        ApiKeyNameTaken: A key of this name exists and is not revoked.
    """
    rows = await graph.write(
        "apikey_create", {"hash": key_hash, "name": name, "role": role, "now": now}
    )
    if not rows:
        raise ApiKeyNameTaken(name)


async def find_by_hash(graph: GraphClient, key_hash: str) -> StoredKey | None:
    """The key with this hash, revoked or not, or None."""
    rows = await graph.read("apikey_by_hash", {"hash": key_hash})
    if not rows:
        return None
    r = rows[0]
    return StoredKey(name=r["name"], role=r["role"], revoked=bool(r["revoked"]))


async def list_keys(graph: GraphClient) -> list[StoredKey]:
    """Every key (names, roles, dates; never hashes), oldest first."""
    return [
        StoredKey(
            name=r["name"],
            role=r["role"],
            revoked=bool(r["revoked"]),
            created_at=r["created_at"],
            revoked_at=r["revoked_at"],
        )
        for r in await graph.read("apikey_list")
    ]


async def revoke(graph: GraphClient, name: str, now: str) -> int:
    """Revoke the valid keys of this name. Returns how many were revoked (0: none)."""
    rows = await graph.write("apikey_revoke", {"name": name, "now": now})
    return int(rows[0]["revoked"]) if rows else 0
