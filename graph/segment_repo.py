"""Reads and writes of saved segments and their materialised membership.

Fixed statements live in `cypher/segment_*.cypher`; the ones that carry a segment's
filter come from the builders of `activate.segments.compiler` as `(query, params)` and
run here, by text, under a name used for logging. Parameters are never logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph.client import GraphClient

Row = dict[str, Any]
SLICE = 10_000
"""Ids per record of the large reads: a few big records decode ten times faster than one
record per id, and the server holds the whole list only while the query runs."""


async def create(graph: GraphClient, segment: Mapping[str, Any], now: str) -> Row | None:
    """Create a segment; None when its id is taken."""
    rows = await graph.write("segment_create", {**segment, "now": now})
    return rows[0]["segment"] if rows else None


async def update(graph: GraphClient, segment: Mapping[str, Any], now: str) -> Row | None:
    """Change name, description or definition (None values keep the old one)."""
    rows = await graph.write("segment_update", {**segment, "now": now})
    return rows[0]["segment"] if rows else None


async def get(graph: GraphClient, segment_id: str) -> Row | None:
    rows = await graph.read("segment_get", {"id": segment_id})
    return rows[0]["segment"] if rows else None


async def list_all(graph: GraphClient) -> list[Row]:
    return [r["segment"] for r in await graph.read("segment_list")]


async def delete(graph: GraphClient, segment_id: str) -> bool:
    rows = await graph.write("segment_delete", {"id": segment_id})
    return bool(rows and rows[0]["deleted"])


async def count(graph: GraphClient, query: str, params: Mapping[str, Any]) -> int:
    rows = await graph.read_text("segment_count", query, params)
    return int(rows[0]["n"]) if rows else 0


async def sample(graph: GraphClient, query: str, params: Mapping[str, Any]) -> list[Row]:
    return [r["member"] for r in await graph.read_text("segment_sample", query, params)]


async def refresh(graph: GraphClient, query: str, params: Mapping[str, Any]) -> tuple[int, int]:
    """Run a refresh statement; (joined, left)."""
    rows = await graph.write_text("segment_refresh", query, params)
    if not rows:
        return 0, 0
    return int(rows[0]["joined"] or 0), int(rows[0]["left"] or 0)


async def mark_refreshed(
    graph: GraphClient, segment_id: str, *, at: str, today: str, mode: str
) -> int:
    """Record the refresh watermark; the segment's member count."""
    rows = await graph.write(
        "segment_mark_refreshed", {"id": segment_id, "at": at, "today": today, "mode": mode}
    )
    return int(rows[0]["members"]) if rows else 0


async def touched_since(graph: GraphClient, since: str) -> list[str]:
    """Pids of profiles resolved, retired or enriched at or after `since` (ISO 8601)."""
    params = {"since": since, "chunk": SLICE}
    return [
        pid async for (pids,) in graph.stream("segment_touched_profiles", params) for pid in pids
    ]


async def all_profiles(graph: GraphClient) -> list[str]:
    """Every profile's pid, retired ones included."""
    params = {"chunk": SLICE}
    return [pid async for (pids,) in graph.stream("segment_all_profiles", params) for pid in pids]


async def members_page(
    graph: GraphClient, segment_id: str, *, after: str | None, limit: int
) -> list[Row]:
    rows = await graph.read(
        "segment_members_page", {"id": segment_id, "after": after, "limit": limit}
    )
    return [r["member"] for r in rows]
