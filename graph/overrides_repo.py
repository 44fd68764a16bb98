"""Operators' overrides of identity resolution, stored in the graph so rebuilds keep them."""

from __future__ import annotations

from graph.client import GraphClient


async def mark_shared(graph: GraphClient, key: str, shared: bool, by: str, now: str) -> int:
    """Mark (or unmark) an identifier shared; returns how many records carry it."""
    rows = await graph.write(
        "override_mark_shared",
        {"key": key, "shared": True if shared else None, "by": by, "now": now},
    )
    return int(rows[0]["records"]) if rows else 0


async def reject_match(graph: GraphClient, a: str, b: str, by: str, now: str) -> bool:
    rows = await graph.write("override_reject_match", {"a": a, "b": b, "by": by, "now": now})
    return bool(rows)


async def force_link(graph: GraphClient, a: str, b: str, by: str, now: str) -> bool:
    rows = await graph.write("override_force_link", {"a": a, "b": b, "by": by, "now": now})
    return bool(rows)


async def unlink_forced(graph: GraphClient, a: str, b: str) -> int:
    rows = await graph.write("override_unlink_forced", {"a": a, "b": b})
    return int(rows[0]["removed"]) if rows else 0
