"""Writes of the ingestion pipeline: records, identifier links, orders, events, quarantine
and batch bookkeeping. Every write is an `UNWIND $rows` batch that can be repeated safely
after a crash (MERGE on node keys, content hashes for changes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graph.client import GraphClient, Tx
from graph.matching_repo import checked_attributes

Row = Mapping[str, Any]


async def start_batch(
    graph: GraphClient,
    batch_id: str,
    source: str,
    file: str,
    mapping: str,
    now: str,
    *,
    host: str | None = None,
    pid: int | None = None,
) -> None:
    await graph.write(
        "ingest_batch_start",
        {
            "batch_id": batch_id,
            "source": source,
            "file": file,
            "mapping": mapping,
            "now": now,
            "host": host,
            "pid": pid,
        },
    )


async def running_batches(graph: GraphClient) -> list[dict[str, Any]]:
    return [dict(r) for r in await graph.read("ingest_batches_running")]


async def mark_interrupted(graph: GraphClient, batch_ids: Sequence[str], now: str) -> int:
    rows = await graph.write("ingest_batch_interrupted", {"ids": list(batch_ids), "now": now})
    return int(rows[0]["healed"]) if rows else 0


async def finish_batch(
    graph: GraphClient,
    batch_id: str,
    counts: Mapping[str, int],
    status: str,
    error: str | None,
    now: str,
) -> None:
    await graph.write(
        "ingest_batch_finish",
        {
            "batch_id": batch_id,
            "counts": dict(counts),
            "status": status,
            "error": error,
            "now": now,
        },
    )


@dataclass(frozen=True)
class Chunk:
    """What one chunk of a file writes: `records` rows (rid, source, source_id, props, keys,
    hash, raw, issues, file, row, observed_at, links: key, type, value), `orders`, `events`
    and `quarantine` rows."""

    records: Sequence[Row] = ()
    orders: Sequence[Row] = ()
    events: Sequence[Row] = ()
    quarantine: Sequence[Row] = ()


async def write_chunk(
    graph: GraphClient,
    batch_id: str,
    chunk: Chunk,
    counts: Callable[[int], Mapping[str, int]],
    *,
    accumulate: bool,
    now: str,
) -> int:
    """Write a chunk and the batch's progress in one transaction. Returns how many records
    changed.

    One transaction per chunk: a crash leaves a chunk wholly written or not at all, so a
    record's content hash is never stored without its identifier links (an unchanged record's
    links need not be sent again), and the batch's counts are those of the chunks written.
    `counts(changed)` gives the batch's counts with this chunk's changed records.
    """
    query = "ingest_records_accumulate" if accumulate else "ingest_records"
    params = {"batch_id": batch_id, "now": now}

    async def work(tx: Tx) -> int:
        changed = 0
        if chunk.records:
            found = await tx.run(
                "ingest_record_hashes", {"rids": [r["rid"] for r in chunk.records]}
            )
            hashes = {rid: h for rid, h in found[0]["found"]} if found else {}
            new, known = split_records(chunk.records, hashes, accumulate)
            if new:
                await tx.run("ingest_records_new", {**params, "rows": new})
                changed += len(new)
            if known:
                rows = await tx.run(query, {**params, "rows": known})
                changed += int(rows[0]["changed"]) if rows else 0
        if chunk.orders:
            await tx.run("ingest_orders", {**params, "rows": list(chunk.orders)})
        if chunk.events:
            await tx.run("ingest_events", {**params, "rows": list(chunk.events)})
        if chunk.quarantine:
            await tx.run("ingest_quarantine", {**params, "rows": list(chunk.quarantine)})
        await tx.run(
            "ingest_batch_progress",
            {"batch_id": batch_id, "counts": dict(counts(changed)), "now": now},
        )
        return changed

    return await graph.in_write_tx(work)


def split_records(
    records: Sequence[Row], hashes: Mapping[str, str | None], accumulate: bool
) -> tuple[list[Row], list[Row]]:
    """The records the graph does not hold yet (`hashes` has the rids it holds, with their
    content hashes), and those to write over what it holds.

    A new record takes the lean write (`ingest_records_new`). Of the others, a record whose
    content hash is unchanged is left out: `ingest_records` would change nothing on it (that
    is what makes re-ingesting a file a no-op). Accumulating records keep every row, as each
    row moves its links' `last_seen` and may fill in values.
    """
    new: list[Row] = []
    known: list[Row] = []
    for row in records:
        rid = row["rid"]
        if rid not in hashes:
            new.append(row)
        elif accumulate or hashes[rid] != row["hash"]:
            known.append(row)
    return new, known


async def record_comparisons(
    graph: GraphClient, source: str, rows: Sequence[Row], now: str
) -> None:
    """Store the comparisons `source`'s mapping declares for its attributes (rows: name,
    kind, thresholds, term_frequency, blocking); earlier ones it no longer makes go."""
    checked_attributes([str(r["name"]) for r in rows])
    await graph.write(
        "ingest_compared_attributes", {"source": source, "rows": list(rows), "now": now}
    )


async def record_key_types(graph: GraphClient, source: str, types: Sequence[str], now: str) -> None:
    """Remember which identifier types `source`'s record keys may be (masking reads it)."""
    await graph.write(
        "ingest_source_key_types", {"source": source, "types": sorted(types), "now": now}
    )


async def key_types_of_sources(graph: GraphClient, sources: Sequence[str]) -> dict[str, list[str]]:
    """Source -> the identifier types its record keys may be (sources never ingested: none)."""
    rows = await graph.read("source_key_types", {"sources": list(sources)})
    return {str(r["source"]): [str(t) for t in r["types"] or []] for r in rows}


async def suppressed_hashes(graph: GraphClient) -> set[str]:
    """Hashes of identifiers erased on request (GDPR): they must not come back."""
    return {r["hash"] for r in await graph.read("suppression_hashes")}


async def quarantined(
    graph: GraphClient, source: str | None, limit: int, skip: int
) -> list[dict[str, Any]]:
    return await graph.read("quarantine_list", {"source": source, "limit": limit, "skip": skip})


async def claim_messages(
    graph: GraphClient, messages: Sequence[Row], claim: str, now: str, stale_before: str
) -> set[str]:
    """Claim Segment-spec messages (`message_id`, `type`) for one request, atomically.

    Returns the ids this claim took: new ones, and ones whose earlier claim stayed pending
    since before `stale_before`. Of concurrent requests with one id, exactly one takes it.
    """
    if not messages:
        return set()
    rows = sorted(messages, key=lambda m: str(m["message_id"]))  # one lock order: no deadlock
    params = {"rows": rows, "claim": claim, "now": now, "stale_before": stale_before}
    return {r["message_id"] for r in await graph.write("ingest_messages_claim", params)}


async def finish_messages(
    graph: GraphClient, ids: Sequence[str], claim: str, batch_id: str | None, now: str
) -> None:
    """Remember the claimed messages as ingested by batch `batch_id`."""
    if ids:
        await graph.write(
            "ingest_messages_done",
            {"ids": list(ids), "claim": claim, "batch_id": batch_id, "now": now},
        )


async def release_messages(graph: GraphClient, ids: Sequence[str], claim: str) -> None:
    """Give up claims whose ingestion failed, so a retry ingests the messages."""
    if ids:
        await graph.write("ingest_messages_release", {"ids": list(ids), "claim": claim})
