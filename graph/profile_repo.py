"""Reads behind the profile API: profiles, their records, identifiers, orders, events,
history and segments, each batched over many keys (`UNWIND $keys`) so that a request for
many profiles costs one query per kind of thing, not one per profile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graph.client import GraphClient

Props = dict[str, Any]


@dataclass(frozen=True, slots=True)
class PageKey:
    """One page of a profile's orders or events, newest first.

    `after_at`/`after_id` name the item that ended the previous page (None: the first page).
    """

    pid: str
    first: int
    after_at: str | None = None
    after_id: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Props]
    """At most `first` items."""
    has_next: bool
    total: int


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """Filters of a profile search; None means "any"."""

    given: str | None = None
    family: str | None = None
    name: str | None = None
    """A single name, matched against the given or the family name."""
    postcode: str | None = None
    source: str | None = None
    identifier_type: str | None = None


async def profiles_by_pid(graph: GraphClient, pids: Sequence[str]) -> dict[str, Props]:
    """The profile each id resolves to (following MERGED_INTO); unknown ids are absent."""
    rows = await graph.read("profile_by_pid", {"pids": list(pids)})
    out: dict[str, Props] = {}
    for r in rows:
        out.setdefault(r["pid"], r["profile"])
    return out


async def profiles_by_identifier(graph: GraphClient, keys: Sequence[str]) -> dict[str, list[Props]]:
    """For each identifier key, the profiles whose records carry it (most carriers first)."""
    rows = await graph.read("profile_by_identifier", {"keys": list(keys)})
    return {r["key"]: r["profiles"] for r in rows}


async def records_of(graph: GraphClient, pids: Sequence[str]) -> dict[str, list[Props]]:
    rows = await graph.read("profile_records", {"pids": list(pids)})
    return {r["pid"]: r["records"] for r in rows}


async def identifiers_of_records(graph: GraphClient, rids: Sequence[str]) -> dict[str, list[Props]]:
    rows = await graph.read("profile_record_identifiers", {"rids": list(rids)})
    return {r["rid"]: r["identifiers"] for r in rows}


async def identifiers_of_profiles(
    graph: GraphClient, pids: Sequence[str]
) -> dict[str, list[Props]]:
    rows = await graph.read("profile_identifiers", {"pids": list(pids)})
    return {r["pid"]: r["identifiers"] for r in rows}


async def _pages(
    graph: GraphClient, query: str, id_key: str, items_key: str, keys: Sequence[PageKey]
) -> list[Page]:
    params = {
        "rows": [
            {
                "i": i,
                "pid": k.pid,
                "first": k.first,
                "after_at": k.after_at or "",
                id_key: k.after_id,
            }
            for i, k in enumerate(keys)
        ]
    }
    by_index = {r["i"]: r for r in await graph.read(query, params)}
    pages = []
    for i, k in enumerate(keys):
        r = by_index.get(i)
        items: list[Props] = r[items_key] if r else []
        pages.append(Page(items[: k.first], len(items) > k.first, int(r["total"]) if r else 0))
    return pages


async def orders_pages(graph: GraphClient, keys: Sequence[PageKey]) -> list[Page]:
    """A page of orders per key, in the order of `keys`."""
    return await _pages(graph, "profile_orders", "after_oid", "orders", keys)


async def events_pages(graph: GraphClient, keys: Sequence[PageKey]) -> list[Page]:
    """A page of engagement events per key, in the order of `keys`."""
    return await _pages(graph, "profile_events", "after_eid", "events", keys)


async def history_of(graph: GraphClient, pids: Sequence[str]) -> dict[str, list[Props]]:
    """The changes (created, merged, split) naming each profile, oldest first."""
    rows = await graph.read("profile_history", {"pids": list(pids)})
    wanted = set(pids)
    out: dict[str, list[Props]] = {p: [] for p in pids}
    for r in rows:
        for pid in {r["pid"], *(r["others"] or [])} & wanted:
            out[pid].append(r)
    return out


async def segments_of(graph: GraphClient, pids: Sequence[str]) -> dict[str, list[Props]]:
    rows = await graph.read("profile_segments", {"pids": list(pids)})
    return {r["pid"]: r["segments"] for r in rows}


async def search(graph: GraphClient, f: SearchFilter, after: str | None, limit: int) -> list[Props]:
    """Current profiles matching the filter, in pid order after `after`, at most `limit`.

    The query is chosen by the most selective indexed filter: family name, then postcode,
    else a walk of the pid index.
    """
    common = {
        "after": after,
        "source": f.source,
        "identifier_type": f.identifier_type,
        "limit": limit,
    }
    if f.family is not None:
        params = {**common, "family": f.family, "given": f.given, "postcode": f.postcode}
        rows = await graph.read("search_profiles_by_family", params)
    elif f.postcode is not None:
        rows = await graph.read(
            "search_profiles_by_postcode", {**common, "postcode": f.postcode, "name": f.name}
        )
    else:
        rows = await graph.read("search_profiles", {**common, "name": f.name})
    return [r["profile"] for r in rows]


async def ingest_batches(
    graph: GraphClient, source: str | None, skip: int, limit: int
) -> list[Props]:
    """Ingestion batches, latest first."""
    rows = await graph.read(
        "graph_ingest_batches", {"source": source, "skip": skip, "limit": limit}
    )
    return [r["batch"] for r in rows]


async def neighbours(graph: GraphClient, pid: str, keys: Sequence[str], limit: int) -> list[Props]:
    """Records outside profile `pid` carrying any of `keys`, with their profile."""
    return await graph.read(
        "graph_profile_neighbours", {"pid": pid, "keys": list(keys), "limit": limit}
    )


async def record_summaries(graph: GraphClient, rids: Sequence[str]) -> dict[str, Props]:
    """Source, names and profile of each record (absent: no such record)."""
    rows = await graph.read("graph_records", {"rids": list(rids)})
    return {r["rid"]: r for r in rows}


async def retired_ids(graph: GraphClient, pid: str) -> list[Props]:
    """Retired ids leading to `pid`: `{pid, into, retired_at}`."""
    return await graph.read("graph_retired_ids", {"pid": pid})


async def sample_identifiers(
    graph: GraphClient, types: Sequence[str], fraction: float, limit: int
) -> list[tuple[str, str]]:
    """About `fraction` of the linking identifiers of `types` that belong to a profile, at
    most `limit`, as (type, value)."""
    rows = await graph.read(
        "graph_sample_identifiers",
        {"types": list(types), "fraction": fraction, "limit": limit},
    )
    return [(str(r["type"]), str(r["value"])) for r in rows]
