"""Reads and writes of the sync engine: destinations, links, sync state, run history.

The state of what a destination last received is one `SyncMember {key, state, pid, hash,
snapshot, vendor_id}` node per (link, pid), found by an index on `state`: a diff reads one link's
state in one index range scan, whatever else the graph holds, and the state outlives the
profile (a forgotten or merged-away pid must still be removed from the destination).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graph.client import GraphClient

Row = dict[str, Any]
CHUNK = 10_000
SLICE = 5_000
"""Rows per record of the large reads (members, state): a few big records decode several
times faster than one record per row; the server holds the list only while the query runs."""

# destinations ------------------------------------------------------------------------


async def create_destination(graph: GraphClient, row: Mapping[str, Any], now: str) -> Row | None:
    rows = await graph.write("sync_destination_create", {**row, "now": now})
    return rows[0]["destination"] if rows else None


async def update_destination(graph: GraphClient, row: Mapping[str, Any], now: str) -> Row | None:
    rows = await graph.write("sync_destination_update", {**row, "now": now})
    return rows[0]["destination"] if rows else None


async def get_destination(graph: GraphClient, destination_id: str) -> Row | None:
    rows = await graph.read("sync_destination_get", {"id": destination_id})
    return rows[0]["destination"] if rows else None


async def list_destinations(graph: GraphClient) -> list[Row]:
    return [r["destination"] for r in await graph.read("sync_destination_list")]


async def delete_destination(graph: GraphClient, destination_id: str) -> bool:
    rows = await graph.write("sync_destination_delete", {"id": destination_id})
    return bool(rows and rows[0]["deleted"])


# links (segment -> destination) --------------------------------------------------------


async def upsert_state(graph: GraphClient, params: Mapping[str, Any]) -> Row | None:
    rows = await graph.write("sync_state_upsert", params)
    return rows[0]["state"] if rows else None


async def get_state(graph: GraphClient, state_id: str) -> Row | None:
    rows = await graph.read("sync_state_get", {"id": state_id})
    return rows[0]["state"] if rows else None


async def list_states(
    graph: GraphClient, *, segment: str | None = None, destination: str | None = None
) -> list[Row]:
    rows = await graph.read("sync_state_list", {"segment": segment, "destination": destination})
    return [r["state"] for r in rows]


async def due_states(graph: GraphClient, now: str) -> list[Row]:
    return [r["state"] for r in await graph.read("sync_state_due", {"now": now})]


async def delete_states(
    graph: GraphClient, *, segment: str | None = None, destination: str | None = None
) -> int:
    if segment is None and destination is None:
        raise ValueError("name a segment or a destination")
    rows = await graph.write("sync_state_delete", {"segment": segment, "destination": destination})
    return int(rows[0]["deleted"]) if rows else 0


async def lock(
    graph: GraphClient,
    state_id: str,
    run_id: str,
    *,
    now: str,
    stale_before: str,
    host: str | None = None,
    pid: int | None = None,
    dead_run: str | None = None,
) -> bool:
    """Take the link's lease for `run_id`; False when another live run holds it. A lease
    whose heartbeat is older than `stale_before`, or held by `dead_run`, is taken over."""
    rows = await graph.write(
        "sync_state_lock",
        {
            "id": state_id,
            "run_id": run_id,
            "now": now,
            "stale_before": stale_before,
            "host": host,
            "pid": pid,
            "dead_run": dead_run,
        },
    )
    return bool(rows)


async def heartbeat(graph: GraphClient, state_id: str, run_id: str, *, now: str) -> bool:
    """Renew the lease; False when the run no longer holds it."""
    rows = await graph.write("sync_state_heartbeat", {"id": state_id, "run_id": run_id, "now": now})
    return bool(rows)


async def unlock(graph: GraphClient, state_id: str) -> str | None:
    """Free the link's lease; the run that held it, if any (None also when no such link)."""
    rows = await graph.write("sync_state_unlock", {"id": state_id})
    return rows[0]["held"] if rows else None


async def release(
    graph: GraphClient,
    state_id: str,
    run_id: str,
    *,
    started_at: str,
    finished_at: str,
    status: str,
) -> None:
    await graph.write(
        "sync_state_release",
        {
            "id": state_id,
            "run_id": run_id,
            "started_at": started_at,
            "finished_at": finished_at,
            "status": status,
        },
    )


# membership and state --------------------------------------------------------------


MEMBER_COLUMNS = (
    "pid",
    "email",
    "phone",
    "given_name",
    "family_name",
    "postcode",
    "country",
    "city",
    "consent_email",
    "consent_sms",
    "unsubscribed",
)


async def segment_members(
    graph: GraphClient, segment_id: str, attributes: Sequence[str]
) -> list[Row]:
    """Every member of the segment: identifiers, consent and the given attributes (names
    from the caller's allow-list; they travel as a parameter)."""
    params = {"segment": segment_id, "attributes": list(attributes), "chunk": SLICE}
    out: list[Row] = []
    # `stream` hands back raw values: `read` would walk every nested value to build dicts.
    async for (members,) in graph.stream("sync_segment_members", params):
        for values in members:
            member = dict(zip(MEMBER_COLUMNS, values, strict=False))
            member.update(zip(attributes, values[-1], strict=True))
            out.append(member)
    return out


async def synced_hashes(graph: GraphClient, state_id: str) -> dict[str, str]:
    """pid -> hash of what the destination last received."""
    out: dict[str, str] = {}
    async for (pairs,) in graph.stream("sync_member_hashes", {"state": state_id, "chunk": SLICE}):
        out.update((pid, digest) for pid, digest in pairs)
    return out


async def _read_by_pids(
    graph: GraphClient, query: str, pids: Sequence[str], params: Mapping[str, Any] | None = None
) -> list[Row]:
    """Run a read taking `$pids`, CHUNK pids at a time, and return every row."""
    out: list[Row] = []
    for start in range(0, len(pids), CHUNK):
        chunk = list(pids[start : start + CHUNK])
        out.extend(await graph.read(query, {**(params or {}), "pids": chunk}))
    return out


async def snapshots(graph: GraphClient, state_id: str, pids: Sequence[str]) -> dict[str, str]:
    """pid -> the JSON of the identifiers last sent."""
    rows = await _read_by_pids(graph, "sync_member_snapshots", pids, {"state": state_id})
    return {r["pid"]: r["snapshot"] for r in rows}


async def source_keys(graph: GraphClient, source: str, pids: Sequence[str]) -> dict[str, str]:
    """pid -> the profile's customer key in `source`, for the profiles with a record of it."""
    rows = await _read_by_pids(graph, "sync_member_source_keys", pids, {"source": source})
    return {r["pid"]: r["key"] for r in rows}


async def consents(graph: GraphClient, pids: Sequence[str]) -> list[Row]:
    """The recorded consent properties of these profiles (those that still exist)."""
    return await _read_by_pids(graph, "sync_member_consents", pids)


async def vendor_ids(graph: GraphClient, state_id: str, pids: Sequence[str]) -> dict[str, str]:
    """pid -> the destination's own id for it, for the pids that have one."""
    rows = await _read_by_pids(graph, "sync_member_vendor_ids", pids, {"state": state_id})
    return {r["pid"]: r["vendor_id"] for r in rows}


async def record_sent(
    graph: GraphClient,
    state_id: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    now: str,
    run_id: str,
    new: bool = False,
) -> None:
    """Remember what was delivered: rows of `pid`, `hash`, `snapshot` and `vendor_id` (the
    destination's id, None to keep the one known). `new`: none of the pids has state on
    this link yet (first deliveries, under the link's lock)."""
    name = "sync_member_create" if new else "sync_member_upsert"
    for start in range(0, len(rows), CHUNK):
        await graph.write(
            name,
            {
                "state": state_id,
                "rows": list(rows[start : start + CHUNK]),
                "now": now,
                "run_id": run_id,
            },
        )


async def record_removed(graph: GraphClient, state_id: str, pids: Sequence[str]) -> None:
    for start in range(0, len(pids), CHUNK):
        await graph.write(
            "sync_member_delete", {"state": state_id, "pids": list(pids[start : start + CHUNK])}
        )


# runs ------------------------------------------------------------------------------


async def start_run(graph: GraphClient, params: Mapping[str, Any]) -> None:
    await graph.write("sync_run_start", params)


async def finish_run(graph: GraphClient, run_id: str, props: Mapping[str, Any]) -> Row | None:
    rows = await graph.write("sync_run_finish", {"id": run_id, "props": dict(props)})
    return rows[0]["run"] if rows else None


async def log_errors(graph: GraphClient, run_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await graph.write(
            "sync_run_errors", {"run": run_id, "rows": list(rows[start : start + CHUNK])}
        )


async def list_runs(
    graph: GraphClient,
    *,
    segment: str | None = None,
    destination: str | None = None,
    limit: int = 50,
) -> list[Row]:
    rows = await graph.read(
        "sync_run_list", {"segment": segment, "destination": destination, "limit": limit}
    )
    return [r["run"] for r in rows]


async def get_run(graph: GraphClient, run_id: str) -> Row | None:
    rows = await graph.read("sync_run_get", {"id": run_id})
    return rows[0]["run"] if rows else None


async def run_errors(graph: GraphClient, run_id: str, limit: int = 100) -> list[Row]:
    rows = await graph.read("sync_run_error_list", {"run": run_id, "limit": limit})
    return [r["error"] for r in rows]
