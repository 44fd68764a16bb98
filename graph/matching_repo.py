"""Reads and writes of probabilistic matching."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graph.client import GraphClient

COLUMNS = (
    "rid",
    "source",
    "given_name",
    "family_name",
    "dob",
    "postcode",
    "address",
    "city",
    "email",
    "phone",
)


async def matching_records(graph: GraphClient, rids: Sequence[str] | None) -> list[list[Any]]:
    """Rows (in `COLUMNS` order) of the records to score: all of them, or these."""
    if rids is None:
        return [row async for row in graph.stream("matching_all_records")]
    out: list[list[Any]] = []
    for i in range(0, len(rids), 10_000):
        part = list(rids[i : i + 10_000])
        out.extend(
            [r[c] for c in COLUMNS] for r in await graph.read("matching_records_of", {"rids": part})
        )
    return out


async def write_matches(
    graph: GraphClient, rows: Sequence[Mapping[str, Any]], version: str, now: str
) -> None:
    for i in range(0, len(rows), 5_000):
        await graph.write(
            "matching_write_matches",
            {"rows": list(rows[i : i + 5_000]), "version": version, "now": now},
        )
