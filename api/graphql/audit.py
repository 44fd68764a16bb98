"""The audit query: counts of the graph, and the data audit of the sources."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from strawberry.scalars import JSON

from graph import health
from graph.client import GraphClient
from ingest.audit import build_audit


@strawberry.type(description="Node counts of the identity graph.")
class GraphStats:
    records: int
    identifiers: int
    profiles: int
    orders: int
    events: int


@strawberry.type
class AuditSource:
    source: str
    records: int
    stubs: int
    orders: int
    events: int
    no_identifier: int
    no_email: int
    shared_with_others: int


@strawberry.type(description="What the graph holds, and (when available) the data audit.")
class Audit:
    counts: GraphStats
    generated_at: str | None
    sources: list[AuditSource]
    quarantined: int | None
    report: JSON | None = strawberry.field(
        description="The whole data audit (fill, validity, overlap, ...), identifiers masked."
    )


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {
            "|".join(map(str, k)) if isinstance(k, tuple) else str(k): _jsonable(x)
            for k, x in value.items()
        }
    if isinstance(value, list | tuple):
        return [_jsonable(x) for x in value]
    return value


async def stats(graph: GraphClient) -> GraphStats:
    return GraphStats(**await health.counts(graph))


async def audit(graph: GraphClient) -> Audit:
    counts = await stats(graph)
    a = await build_audit(graph)
    sources = [
        AuditSource(
            source=s.source,
            records=s.records,
            stubs=s.stubs,
            orders=s.orders,
            events=s.events,
            no_identifier=s.no_identifier,
            no_email=s.no_email,
            shared_with_others=s.shared_with_others,
        )
        for s in a.sources
    ]
    return Audit(
        counts=counts,
        generated_at=a.generated_at,
        sources=sources,
        quarantined=a.quarantined,
        report=JSON(_jsonable(a)),
    )
