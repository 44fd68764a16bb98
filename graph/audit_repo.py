"""Reads of the data audit (`cdp audit`): what the sources hold, before resolution.

Every function runs one aggregate query from `cypher/audit_*.cypher` and returns its rows;
`ingest.audit` turns them into the audit. Values never enter the query text, and only the
top-identifiers query returns identifier values (the audit masks them before showing them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graph.client import GraphClient

Row = dict[str, Any]

HUB_RECORDS = 200
"""Identifiers on more records than this are expanded once per overlap query, not once per
record that carries them (see `cypher/audit_overlap.cypher`)."""


async def source_counts(graph: GraphClient) -> list[Row]:
    """Per source: `records` (not stubs), `stubs`, `orders`, `events`."""
    return await graph.read("audit_source_counts")


async def fill_counts(graph: GraphClient, bookkeeping: Iterable[str]) -> list[Row]:
    """Per source, `kind` ('attribute', 'identifier', 'no_identifier') and `name`: `records`.

    Args:
        graph: The graph client.
        bookkeeping: Record properties that are lineage, not attributes.
    """
    return await graph.read("audit_fill", {"bookkeeping": sorted(bookkeeping)})


async def issue_counts(graph: GraphClient) -> list[Row]:
    """Per source, source `field` and `reason` (None: any reason): `records` with the issue."""
    return await graph.read("audit_issues")


async def overlap_counts(graph: GraphClient, hub_records: int = HUB_RECORDS) -> list[Row]:
    """Per `source` and `other` source (None: any other): records sharing an identifier."""
    return await graph.read("audit_overlap", {"hub_records": hub_records})


async def identifier_source_sets(graph: GraphClient) -> list[Row]:
    """Per identifier `type` and sorted list of `sources`: `identifiers`, `blocked`, `generic`."""
    return await graph.read("audit_identifier_sources")


async def top_identifiers(graph: GraphClient, limit: int, min_records: int = 2) -> list[Row]:
    """The identifiers on the most records: `key`, `type`, `value`, `records`, `sources`,
    `given_names`, `family_names` (distinct, case-folded), `blocked`, `generic`."""
    return await graph.read("audit_top_identifiers", {"limit": limit, "min_records": min_records})


async def quarantine_counts(graph: GraphClient) -> list[Row]:
    """Quarantined rows per `source`, `kind`, `reason` and `field` (None when not named)."""
    return await graph.read("audit_quarantine")


async def recent_batches(graph: GraphClient, limit: int) -> list[Row]:
    """The last `limit` ingestion batches, newest first, with their counts."""
    return await graph.read("audit_batches", {"limit": limit})


async def custom_mapping_sources(graph: GraphClient) -> list[str]:
    """Sources ingested (at least once) with a mapping of their own."""
    return [str(r["source"]) for r in await graph.read("audit_custom_sources", {})]
