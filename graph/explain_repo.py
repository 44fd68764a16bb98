"""Reads behind the explanations of identity resolution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graph.client import GraphClient


async def record_profiles(graph: GraphClient, rids: Sequence[str]) -> dict[str, str | None]:
    rows = await graph.read("explain_record_profiles", {"rids": list(rids)})
    return {r["rid"]: r["pid"] for r in rows}


async def profile_links(graph: GraphClient, pids: Sequence[str]) -> list[dict[str, Any]]:
    return await graph.read("explain_profile_links", {"pids": list(pids)})


async def profile_history(graph: GraphClient, pid: str) -> list[dict[str, Any]]:
    return await graph.read("explain_profile_history", {"pid": pid})


async def household_carriers(
    graph: GraphClient, keys: Sequence[str]
) -> dict[str, list[tuple[str, str | None, str | None]]]:
    """key -> (rid, given, family) of every record carrying it."""
    if not keys:
        return {}
    rows = await graph.read("explain_household_carriers", {"keys": list(keys)})
    return {r["key"]: [(c[0], c[1], c[2]) for c in r["carriers"]] for r in rows}
