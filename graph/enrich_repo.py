"""Reads and writes of enrichment: the facts of profiles, their attributes, stored models.

The fact reads return one row per *page* of profiles rather than one per profile: the
async driver spends tens of microseconds on every record it receives, which would cost
more than the queries themselves for millions of profiles. A full run walks the profiles
in pid order through the uniqueness index (`enrich_*_page`, keyset pagination); an
incremental run asks for its profiles in chunks (`enrich_*_of`). Rows come back as raw
values (`GraphClient.pages`, `GraphClient.stream`), not through `Record.data()`, whose
recursive conversion of nested lists is as slow as the driver's per-record cost.

Writes are `UNWIND $rows` batches of positional rows (`write_profiles_query`), a few in
flight so Neo4j applies one while the next is encoded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, Final

from graph.client import GraphClient
from graph.queries import safe_name

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
        async for rows in graph.pages(f"enrich_{fact}_page", params, page=PAGE):
            yield rows
    else:
        for start in range(0, len(pids), READ_CHUNK):
            chunk = list(pids[start : start + READ_CHUNK])
            async for (rows,) in graph.stream(f"enrich_{fact}_of", {**params, "pids": chunk}):
                yield rows


async def read_fact(
    graph: GraphClient,
    fact: str,
    pids: Sequence[str] | None,
    params: Mapping[str, Any],
    sink: Callable[[Row], None],
) -> None:
    """Read one fact type, handing each row to `sink`. The enricher runs the three reads
    concurrently (as tasks): Neo4j works on the queries at once while this process decodes.

    Args:
        graph: The graph client.
        fact: "profiles", "orders" or "events".
        pids: The profiles, or None for all.
        params: Extra query parameters (the events query's rules).
        sink: What receives the rows.
    """
    async for rows in fact_pages(graph, fact, pids, params):
        for row in rows:
            sink(row)


class _Rows(list[Any]):
    """A batch of rows that `repr` summarises: the driver formats the parameters of every
    query for its debug log whether or not that is enabled, which cost about as much as
    packing them (and would put customers' data in a debug log)."""

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"


def write_profiles_query(names: Sequence[str]) -> str:
    """The write of a batch of positional rows `[pid, value of names[0], ...]`.

    Every name becomes a `SET p.<name> = row[i]` (a null value removes the property, so a
    profile that lost its orders in a split loses its old figures). Rows rather than maps
    spare the driver and the server one key string per value, some seventy million for a
    million profiles. The dirty flag is cleared unless resolution rewrote the profile after
    the second this run started in (it sets `resolved_at`, to the second, with
    `enrich_dirty`): then it stays dirty for the next run.

    Raises:
        InvalidName: A name is not a plain property key.
    """
    sets = ",\n    ".join(
        f"p.{safe_name('property', name)} = row[{i}]" for i, name in enumerate(names, start=1)
    )
    return (
        "UNWIND $rows AS row\n"
        "MATCH (p:Profile {pid: row[0]})\n"
        f"SET {sets}\n"
        "WITH p\n"
        "WHERE p.enrich_dirty IS NOT NULL AND coalesce(p.resolved_at, '') <= $started\n"
        "SET p.enrich_dirty = null"
    )


async def write_profiles(
    graph: GraphClient,
    names: Sequence[str],
    batches: AsyncIterator[list[list[Any]]],
    started: str,
) -> int:
    """Write batches of rows `[pid, *values of names]`, a few in flight; return the rows
    written.

    Args:
        graph: The graph client.
        names: The property each value of a row is written to.
        batches: The rows, batch by batch.
        started: When the run started (ISO 8601 UTC): profiles resolved since keep their
            dirty flag.
    """
    query = write_profiles_query(names)
    pending: list[asyncio.Task[list[dict[str, Any]]]] = []
    written = 0
    try:
        async for batch in batches:
            if not batch:
                continue
            params = {"rows": _Rows(batch), "started": started}
            pending.append(
                asyncio.create_task(graph.write_text("enrich_write_profiles", query, params))
            )
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
