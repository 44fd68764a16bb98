"""Reads of the onsite personalisation endpoint: one visitor's traits and segments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.hashing import email_sha256
from graph.client import GraphClient

BACKFILL_PAGE = 10_000


@dataclass(frozen=True)
class Visitor:
    traits: dict[str, Any]
    """Every property of the profile: the caller keeps only the allowed ones."""
    segments: list[str]


async def visitor(graph: GraphClient, *, key: str | None, sha256: str | None) -> Visitor | None:
    """The profile of an identifier `key` (`type:value`) or of an email's SHA-256."""
    rows = await graph.read("onsite_profile", {"key": key, "sha256": sha256})
    if not rows:
        return None
    return Visitor(dict(rows[0]["traits"]), list(rows[0]["segments"]))


async def backfill_email_hashes(graph: GraphClient) -> int:
    """Give the email identifiers of an older graph their SHA-256. Returns how many."""
    done = 0
    while rows := await graph.read("onsite_email_hash_todo", {"page": BACKFILL_PAGE}):
        hashed = [{"key": r["key"], "sha256": email_sha256(str(r["value"]))} for r in rows]
        await graph.write("onsite_email_hash_set", {"rows": hashed})
        done += len(hashed)
    return done
