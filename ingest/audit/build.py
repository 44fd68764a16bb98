"""Builds the data audit from the graph's aggregate queries (all aggregation is in Cypher)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from core.clock import utc_stamp
from graph import audit_repo
from graph.client import GraphClient
from ingest.audit.fields import BOOKKEEPING, IssueCounts, field_qualities, lineage
from ingest.audit.mask import mask_identifier
from ingest.audit.model import (
    Audit,
    BatchSummary,
    CrossChannel,
    IdentifierTypeSummary,
    QuarantineCount,
    SourceAudit,
    SourceCombination,
    TopIdentifier,
)
from ingest.mapping import SourceMapping, builtin_mapping, builtin_sources

log = logging.getLogger(__name__)
Row = dict[str, Any]

STORE_SOURCE = "pos"
ONLINE_SOURCE = "ecommerce"


async def build_audit(
    graph: GraphClient,
    *,
    mappings: Mapping[str, SourceMapping] | None = None,
    top: int = 20,
    batches: int = 20,
    store_source: str = STORE_SOURCE,
    online_source: str = ONLINE_SOURCE,
    parallel: bool = True,
) -> Audit:
    """Audit what the sources hold: counts, fill and validity, overlap, suspicious identifiers,
    quarantine and batch history.

    Args:
        graph: The graph client.
        mappings: Mappings of sources ingested with a mapping of their own; the built-in
            sources' mappings are known already. A source without a mapping gets a guessed
            lineage for its invalid values (see `ingest.audit.fields`).
        top: How many of the identifiers carried by the most records to list.
        batches: How many of the latest ingestion batches to list.
        store_source: The point-of-sale source, for "store buyers also seen online".
        online_source: The online-shop source.
        parallel: Run the audit's queries concurrently (False: one by one, for timing each).

    Returns:
        The audit. Identifier values in it are masked.
    """
    known = {s: builtin_mapping(s) for s in builtin_sources()}
    known.update(mappings or {})
    timings: dict[str, float] = {}
    start = time.perf_counter()
    queries: dict[str, Callable[[], Awaitable[list[Row]]]] = {
        "source_counts": lambda: audit_repo.source_counts(graph),
        "fill": lambda: audit_repo.fill_counts(graph, BOOKKEEPING),
        "issues": lambda: audit_repo.issue_counts(graph),
        "overlap": lambda: audit_repo.overlap_counts(graph),
        "identifier_sources": lambda: audit_repo.identifier_source_sets(graph),
        "top_identifiers": lambda: audit_repo.top_identifiers(graph, top),
        "quarantine": lambda: audit_repo.quarantine_counts(graph),
        "batches": lambda: audit_repo.recent_batches(graph, batches),
    }
    if parallel:
        results = await asyncio.gather(*(_timed(n, q, timings) for n, q in queries.items()))
    else:
        results = [await _timed(n, q, timings) for n, q in queries.items()]
    rows = dict(zip(queries, results, strict=True))
    elapsed = time.perf_counter() - start
    log.info("audit queries: %s", {n: round(t, 3) for n, t in timings.items()})

    overlap, shared = _overlap(rows["overlap"])
    sources = _sources(rows, known, shared)
    store_online = None
    store = next((s for s in sources if s.source == store_source), None)
    if store is not None and any(s.source == online_source for s in sources):
        store_online = CrossChannel(
            store_source,
            online_source,
            store.records,
            overlap.get((store_source, online_source), 0),
        )
    return Audit(
        generated_at=utc_stamp(),
        sources=sources,
        overlap=overlap,
        combinations=_combinations(rows["identifier_sources"]),
        identifier_types=_identifier_types(rows["identifier_sources"]),
        top_identifiers=tuple(_top_identifier(r) for r in rows["top_identifiers"]),
        quarantine=tuple(
            QuarantineCount(r["source"], r["kind"], r["reason"], r["field"], r["rows"])
            for r in rows["quarantine"]
        ),
        batches=tuple(_batch(r) for r in rows["batches"]),
        store_online=store_online,
        timings=timings,
        elapsed_s=elapsed,
    )


async def _timed(
    name: str, query: Callable[[], Awaitable[list[Row]]], timings: dict[str, float]
) -> list[Row]:
    start = time.perf_counter()
    rows = await query()
    timings[name] = time.perf_counter() - start
    return rows


def _overlap(rows: list[Row]) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    pairs: dict[tuple[str, str], int] = {}
    shared: dict[str, int] = {}
    for r in rows:
        if r["other"] is None:
            shared[r["source"]] = r["records"]
        else:
            pairs[(r["source"], r["other"])] = r["records"]
    return pairs, shared


def _sources(
    rows: Mapping[str, list[Row]], known: Mapping[str, SourceMapping], shared: Mapping[str, int]
) -> tuple[SourceAudit, ...]:
    filled: dict[str, dict[tuple[str, str], int]] = {}
    for r in rows["fill"]:
        filled.setdefault(r["source"], {})[(r["kind"], r["name"])] = r["records"]
    issues: dict[str, dict[str, IssueCounts]] = {}
    for r in rows["issues"]:
        counts = issues.setdefault(r["source"], {}).setdefault(r["field"], IssueCounts())
        if r["reason"] is None:
            counts.records = r["records"]
        else:
            counts.reasons[r["reason"]] = r["records"]
    out = []
    for r in rows["source_counts"]:
        name = r["source"]
        fill = filled.get(name, {})
        mapping = known.get(name)
        out.append(
            SourceAudit(
                source=name,
                records=r["records"],
                stubs=r["stubs"],
                orders=r["orders"],
                events=r["events"],
                no_identifier=fill.get(("no_identifier", ""), 0),
                no_email=r["records"] - fill.get(("identifier", "email"), 0),
                shared_with_others=shared.get(name, 0),
                fields=field_qualities(
                    r["records"],
                    {k: n for k, n in fill.items() if k[0] in ("identifier", "attribute")},
                    issues.get(name, {}),
                    lineage(mapping) if mapping else None,
                ),
            )
        )
    return tuple(out)


def _combinations(rows: list[Row]) -> tuple[SourceCombination, ...]:
    combos: dict[tuple[str, ...], dict[str, int]] = {}
    for r in rows:
        by_type = combos.setdefault(tuple(r["sources"]), {})
        by_type[r["type"]] = by_type.get(r["type"], 0) + r["identifiers"]
    out = [
        SourceCombination(k, sum(v.values()), dict(sorted(v.items()))) for k, v in combos.items()
    ]
    return tuple(sorted(out, key=lambda c: (-c.identifiers, len(c.sources), c.sources)))


def _identifier_types(rows: list[Row]) -> tuple[IdentifierTypeSummary, ...]:
    totals: dict[str, list[int]] = {}
    for r in rows:
        t = totals.setdefault(r["type"], [0, 0, 0, 0])
        t[0] += r["identifiers"]
        t[1] += r["identifiers"] if len(r["sources"]) > 1 else 0
        t[2] += r["blocked"]
        t[3] += r["generic"]
    return tuple(IdentifierTypeSummary(k, *v) for k, v in sorted(totals.items()))


def _top_identifier(r: Row) -> TopIdentifier:
    return TopIdentifier(
        type=r["type"],
        masked_value=mask_identifier(r["type"], r["value"]),
        records=r["records"],
        sources=tuple(r["sources"]),
        given_names=r["given_names"],
        family_names=r["family_names"],
        blocked=_flag(r["blocked"]),
        generic=_flag(r["generic"]),
    )


def _flag(value: Any) -> str | None:
    # Resolution stores the reason as text; an older graph may hold a plain `true`.
    if value is None or value is False:
        return None
    return "yes" if value is True else str(value)


def _batch(r: Row) -> BatchSummary:
    def n(key: str) -> int:
        return int(r.get(key) or 0)

    return BatchSummary(
        id=r["id"],
        source=r["source"] or "",
        file=r["file"] or "",
        status=r["status"] or "",
        started_at=r["started_at"],
        finished_at=r["finished_at"],
        rows_read=n("rows_read"),
        rows_accepted=n("rows_accepted"),
        rows_quarantined=n("rows_quarantined"),
        rows_suppressed=n("rows_suppressed"),
        records_changed=n("records_changed"),
        orders=n("orders"),
        events=n("events"),
        value_issues=n("value_issues"),
    )
