"""Reads and writes of enrichment: the facts of profiles, their attributes, stored models.

The fact reads return one row per *page* of profiles rather than one per profile: the
async driver spends tens of microseconds on every record it receives, which would cost
more than the queries themselves for millions of profiles. A full run walks the profiles
in pid order through the uniqueness index (`enrich_*_page`, keyset pagination); an
incremental run asks for its profiles in chunks (`enrich_*_of`). Rows come back as raw
values (`GraphClient.stream`), not through `Record.data()`, whose recursive conversion of
nested lists is as slow as the driver's per-record cost.

Writes are `UNWIND $rows` batches, a few in flight so Neo4j applies one while the next is
encoded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, Final

from graph.client import GraphClient

log = logging.getLogger(__name__)

PAGE: Final = 10_000
"""Profiles per page of a full read."""

READ_CHUNK: Final = 10_000
"""Profiles per query of an incremental read."""

WRITE_BATCH: Final = 5_000
"""Profiles per write transaction. With some forty attributes each this is about 200,000
property values, which keeps a transaction well inside the default transaction memory
(70 % of a 2 GB heap) with two in flight."""

WRITES_IN_FLIGHT: Final = 2
"""Write batches sent before waiting for the oldest: Neo4j applies one while the next is
encoded, and two transactions on disjoint profiles use both cores."""

FACTS: Final = ("profiles", "orders", "events")

Row = list[Any]


async def dirty_profiles(graph: GraphClient) -> list[str]:
    """Active profiles marked `enrich_dirty` by resolution."""
    return [row[0] async for row in graph.stream("enrich_dirty_profiles")]


async def active_since(graph: GraphClient, orders_since: str, events_since: str) -> list[str]:
    """Active profiles with an order or event later than the given ISO timestamps."""
    rows = await graph.read(
        "enrich_active_since", {"orders_since": orders_since, "events_since": events_since}
    )
    return [r["pid"] for r in rows]


async def watermarks(graph: GraphClient) -> tuple[str | None, str | None]:
    """The latest order time and the latest event time in the graph."""
    rows = await graph.read("enrich_watermarks")
    if not rows:
        return None, None
    return rows[0]["orders"], rows[0]["events"]


async def fact_pages(
    graph: GraphClient,
    fact: str,
    pids: Sequence[str] | None,
    params: Mapping[str, Any],
) -> AsyncIterator[list[Row]]:
    """Rows of one fact type, a page (or chunk) at a time, for every active profile
    (`pids` None) or for `pids`.

    Args:
        graph: The graph client.
        fact: "profiles", "orders" or "events".
        pids: The profiles, or None for all.
        params: Extra parameters of the query (the events query's rules).
    """
    if pids is None:
        after = ""
        while True:
            scanned = 0
            query_params = {**params, "after": after, "page": PAGE}
            async for last, count, rows in graph.stream(f"enrich_{fact}_page", query_params):
                after, scanned = last, count
                yield rows
            if scanned < PAGE:
                return
    else:
        for start in range(0, len(pids), READ_CHUNK):
            chunk = list(pids[start : start + READ_CHUNK])
            async for (rows,) in graph.stream(f"enrich_{fact}_of", {**params, "pids": chunk}):
                yield rows


async def read_facts(
    graph: GraphClient,
    pids: Sequence[str] | None,
    params: Mapping[str, Mapping[str, Any]],
    sinks: Mapping[str, Callable[[Row], None]],
) -> None:
    """Run the reads of the fact types in `sinks` concurrently, handing each row to the
    sink of its type. Neo4j works on the queries at once while this process decodes.

    Args:
        graph: The graph client.
        pids: The profiles, or None for all.
        params: Per fact type, extra query parameters.
        sinks: Per fact type, what receives its rows.
    """

    async def consume(fact: str) -> None:
        sink = sinks[fact]
        async for rows in fact_pages(graph, fact, pids, params.get(fact, {})):
            for row in rows:
                sink(row)

    await asyncio.gather(*(consume(fact) for fact in FACTS if fact in sinks))


async def write_profiles(
    graph: GraphClient,
    batches: AsyncIterator[list[dict[str, Any]]],
    started: str,
) -> int:
    """Write batches of `{pid, props}` rows, a few in flight; return the rows written.

    Args:
        graph: The graph client.
        batches: The rows, batch by batch.
        started: When the run started (ISO 8601 UTC): profiles resolved since keep their
            dirty flag.
    """
    pending: list[asyncio.Task[list[dict[str, Any]]]] = []
    written = 0
    try:
        async for batch in batches:
            if not batch:
                continue
            params = {"rows": batch, "started": started}
            pending.append(asyncio.create_task(graph.write("enrich_write_profiles", params)))
            written += len(batch)
            while len(pending) >= WRITES_IN_FLIGHT:
                await pending.pop(0)
        while pending:
            await pending.pop(0)
    finally:
        for task in pending:
            task.cancel()
    log.debug("enrich_write_profiles: %d profiles", written)
    return written


async def get_model(graph: GraphClient, model_id: str) -> dict[str, Any] | None:
    """The stored properties of `(:Model {id})`, or None."""
    rows = await graph.read("enrich_model_get", {"id": model_id})
    return dict(rows[0]["model"]) if rows else None


async def put_model(graph: GraphClient, model_id: str, props: Mapping[str, Any]) -> int:
    """Store a new version of `(:Model {id})`; return its version number."""
    rows = await graph.write("enrich_model_put", {"id": model_id, "props": dict(props)})
    return int(rows[0]["version"])


async def put_state(graph: GraphClient, model_id: str, props: Mapping[str, Any]) -> None:
    """Update properties of `(:Model {id})` without counting a version."""
    await graph.write("enrich_state_put", {"id": model_id, "props": dict(props)})


async def profile_attributes(graph: GraphClient, pids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Every stored property of the given profiles, by id."""
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(pids), READ_CHUNK):
        chunk = list(pids[start : start + READ_CHUNK])
        for row in await graph.read("enrich_profile_attributes", {"pids": chunk}):
            out[row["pid"]] = dict(row["props"])
    return out
