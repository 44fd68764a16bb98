"""Writes of the ingestion pipeline: records, identifier links, orders, events, quarantine
and batch bookkeeping. Every write is an `UNWIND $rows` batch that can be repeated safely
after a crash (MERGE on node keys, content hashes for changes)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from graph.client import GraphClient
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


async def batch_progress(
    graph: GraphClient, batch_id: str, counts: Mapping[str, int], now: str
) -> None:
    await graph.write(
        "ingest_batch_progress", {"batch_id": batch_id, "counts": dict(counts), "now": now}
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


async def write_records(
    graph: GraphClient,
    batch_id: str,
    records: Sequence[Row],
    links: Sequence[Row],
    *,
    accumulate: bool,
    now: str,
) -> int:
    """Upsert records and their identifier links. Returns how many records changed.

    `records` rows: rid, source, source_id, props, hash, raw, issues, file, row,
    observed_at, keys (identifier keys). `links` rows: rid, key, type, value, seen.
    """
    if not records:
        return 0
    params = {"rows": list(records), "batch_id": batch_id, "now": now}
    query = "ingest_records_accumulate" if accumulate else "ingest_records"
    changed = {r["rid"] for r in await graph.write(query, params)}
    if changed and not accumulate:
        stale = [{"rid": r["rid"], "keys": r["keys"]} for r in records if r["rid"] in changed]
        await graph.write("ingest_unlink_stale_identifiers", {"rows": stale})
    if links:
        rows = [with_email_hash(link) for link in links]
        await graph.write(
            "ingest_identifier_links", {"links": rows, "batch_id": batch_id, "now": now}
        )
    return len(changed)


def with_email_hash(link: Row) -> Row:
    """An email identifier also carries the SHA-256 of its normalised address (what a
    storefront sends, `onsite_repo`); other identifiers do not."""
    if link.get("type") != "email":
        return link
    return {**link, "sha256": email_sha256(str(link["value"]))}


def email_sha256(normalised_email: str) -> str:
    return hashlib.sha256(normalised_email.encode("utf-8")).hexdigest()


async def record_comparisons(
    graph: GraphClient, source: str, rows: Sequence[Row], now: str
) -> None:
    """Store the comparisons `source`'s mapping declares for its attributes (rows: name,
    kind, thresholds, term_frequency, blocking); earlier ones it no longer makes go."""
    checked_attributes([str(r["name"]) for r in rows])
    await graph.write(
        "ingest_compared_attributes", {"source": source, "rows": list(rows), "now": now}
    )


async def write_orders(graph: GraphClient, batch_id: str, rows: Sequence[Row], now: str) -> None:
    if rows:
        await graph.write("ingest_orders", {"rows": list(rows), "batch_id": batch_id, "now": now})


async def write_events(graph: GraphClient, batch_id: str, rows: Sequence[Row], now: str) -> None:
    if rows:
        await graph.write("ingest_events", {"rows": list(rows), "batch_id": batch_id, "now": now})


async def write_quarantine(
    graph: GraphClient, batch_id: str, rows: Sequence[Row], now: str
) -> None:
    if rows:
        await graph.write(
            "ingest_quarantine", {"rows": list(rows), "batch_id": batch_id, "now": now}
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
