"""Saved segments: create, change, preview, refresh their materialised membership.

Membership is `(p:Profile)-[:IN_SEGMENT]->(s:Segment)`. A refresh is incremental by
default: only profiles resolved, retired or enriched since the segment's watermark are
evaluated again (`resolved_at`, `retired_at`, `enriched_at`). It is full when the
segment is new or its definition changed, when asked, and once a day for definitions
that depend on `$today` (a customer becomes "lapsed" with no change to their data).
Retired profiles always leave.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from activate.errors import (
    InvalidSegmentDefinition,
    SegmentExists,
    SegmentInUse,
    SegmentNotFound,
)
from activate.segments.compiler import compile_filter, count_query, refresh_query, sample_query
from activate.segments.definition import Filter, parse_filter
from core.clock import utc_stamp
from graph import segment_repo, sync_repo
from graph.client import GraphClient

log = logging.getLogger(__name__)

SEGMENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
REFRESH_CHUNK = 10_000
MAX_SAMPLE = 100
MAX_PAGE = 1_000


def check_id(segment_id: str) -> str:
    if not SEGMENT_ID.match(segment_id):
        raise InvalidSegmentDefinition(
            "a segment id is 1-63 characters: lower-case letters, digits, '_' and '-'"
        )
    return segment_id


@dataclass(frozen=True)
class Segment:
    id: str
    name: str
    description: str
    definition: Filter
    time_relative: bool
    member_count: int
    created_at: str | None = None
    updated_at: str | None = None
    refreshed_at: str | None = None
    refreshed_today: str | None = None
    needs_full: bool = False

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Segment:
        return cls(
            id=row["id"],
            name=row.get("name") or row["id"],
            description=row.get("description") or "",
            definition=parse_filter(row["definition_json"]),
            time_relative=bool(row.get("time_relative")),
            member_count=int(row.get("member_count") or 0),
            created_at=row.get("created_at"),
            updated_at=row.get("updated_at"),
            refreshed_at=row.get("refreshed_at"),
            refreshed_today=row.get("refreshed_today"),
            needs_full=bool(row.get("needs_full")),
        )


@dataclass
class Preview:
    count: int
    sample: list[dict[str, Any]]


@dataclass
class RefreshReport:
    segment_id: str
    mode: str
    """"full" or "incremental"."""
    candidates: int | None
    """Profiles evaluated (None for a full refresh: all of them)."""
    joined: int = 0
    left: int = 0
    members: int = 0
    seconds: float = 0.0


def _definition_json(definition: Filter) -> str:
    return json.dumps(definition.to_json(), separators=(",", ":"), sort_keys=True)


async def create_segment(
    graph: GraphClient,
    segment_id: str,
    name: str,
    definition: str | Mapping[str, Any] | Filter,
    *,
    description: str = "",
) -> Segment:
    """Save a segment (membership is computed by its first refresh).

    Raises:
        InvalidSegmentDefinition: The id or the definition is invalid.
        SegmentExists: The id is taken.
    """
    check_id(segment_id)
    f = parse_filter(definition)
    row = await segment_repo.create(
        graph,
        {
            "id": segment_id,
            "name": name.strip()[:200] or segment_id,
            "description": description[:2000],
            "definition_json": _definition_json(f),
            "time_relative": compile_filter(f).time_relative,
        },
        utc_stamp(),
    )
    if row is None:
        raise SegmentExists(segment_id)
    return Segment.from_row(row)


async def update_segment(
    graph: GraphClient,
    segment_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    definition: str | Mapping[str, Any] | Filter | None = None,
) -> Segment:
    f = parse_filter(definition) if definition is not None else None
    row = await segment_repo.update(
        graph,
        {
            "id": segment_id,
            "name": name.strip()[:200] if name else None,
            "description": description[:2000] if description is not None else None,
            "definition_json": _definition_json(f) if f is not None else None,
            "time_relative": compile_filter(f).time_relative if f is not None else None,
        },
        utc_stamp(),
    )
    if row is None:
        raise SegmentNotFound(segment_id)
    return Segment.from_row(row)


async def get_segment(graph: GraphClient, segment_id: str) -> Segment:
    row = await segment_repo.get(graph, segment_id)
    if row is None:
        raise SegmentNotFound(segment_id)
    return Segment.from_row(row)


async def list_segments(graph: GraphClient) -> list[Segment]:
    return [Segment.from_row(r) for r in await segment_repo.list_all(graph)]


async def delete_segment(graph: GraphClient, segment_id: str, *, force: bool = False) -> None:
    """Delete a segment and its membership.

    Raises:
        SegmentInUse: Destinations hold members sent from it and `force` is false; with
            `force`, what they were sent is forgotten (they keep their copy).
    """
    states = await sync_repo.list_states(graph, segment=segment_id)
    holding = [s["destination"] for s in states if s.get("members")]
    if holding and not force:
        raise SegmentInUse(segment_id, holding)
    if states:
        await sync_repo.delete_states(graph, segment=segment_id)
    if not await segment_repo.delete(graph, segment_id):
        raise SegmentNotFound(segment_id)


async def preview(
    graph: GraphClient,
    definition: str | Mapping[str, Any] | Filter,
    *,
    today: date,
    sample_size: int = 10,
) -> Preview:
    """How many active profiles a definition selects, and a few of them."""
    f = parse_filter(definition)
    n = await segment_repo.count(graph, *count_query(f, today.isoformat()))
    size = max(0, min(sample_size, MAX_SAMPLE))
    sample = (
        await segment_repo.sample(graph, *sample_query(f, today.isoformat(), size)) if size else []
    )
    return Preview(n, sample)


def _needs_full(seg: Segment, today: str) -> bool:
    return (
        seg.needs_full
        or seg.refreshed_at is None
        or (seg.time_relative and seg.refreshed_today != today)
    )


async def refresh_segment(
    graph: GraphClient,
    segment: str | Segment,
    *,
    today: date,
    full: bool = False,
    touched: Sequence[str] | None = None,
    touched_since: str | None = None,
) -> RefreshReport:
    """Bring the segment's membership up to date.

    Args:
        graph: The graph client.
        segment: The segment as its caller just read it, or its id (then read here).
        today: The day relative conditions count from.
        full: Evaluate every profile.
        touched: Pids touched since `touched_since` (given by `refresh_all`, which reads
            them once for every segment); read here when None.
        touched_since: The watermark `touched` was read from.
    """
    t0 = time.perf_counter()
    seg = segment if isinstance(segment, Segment) else await get_segment(graph, segment)
    day = today.isoformat()
    started = utc_stamp()
    f = seg.definition
    if full or _needs_full(seg, day):
        # Every profile, in chunks: one transaction per chunk keeps memory bounded.
        candidates = await segment_repo.all_profiles(graph)
        report = RefreshReport(seg.id, "full", None)
    else:
        assert seg.refreshed_at is not None
        if touched is None or touched_since is None or touched_since > seg.refreshed_at:
            touched = await segment_repo.touched_since(graph, seg.refreshed_at)
        candidates = list(touched)
        report = RefreshReport(seg.id, "incremental", len(candidates))
    for start in range(0, len(candidates), REFRESH_CHUNK):
        chunk = candidates[start : start + REFRESH_CHUNK]
        query, params = refresh_query(f, day, segment_id=seg.id, now=started, pids=chunk)
        joined, left = await segment_repo.refresh(graph, query, params)
        report.joined += joined
        report.left += left
    report.members = await segment_repo.mark_refreshed(
        graph, seg.id, at=started, today=day, mode=report.mode
    )
    report.seconds = time.perf_counter() - t0
    log.info(
        "segment %s refreshed (%s): %d joined, %d left, %d members, %.2f s",
        seg.id,
        report.mode,
        report.joined,
        report.left,
        report.members,
        report.seconds,
    )
    return report


async def refresh_all(
    graph: GraphClient, *, today: date, full: bool = False
) -> list[RefreshReport]:
    """Refresh every saved segment: what the pipeline runs after ingest, resolution and
    enrichment. Touched profiles are read once, from the oldest watermark."""
    segments = await list_segments(graph)
    day = today.isoformat()
    marks = [s.refreshed_at for s in segments if s.refreshed_at and not _needs_full(s, day)]
    since = min(marks) if marks and not full else None
    touched = await segment_repo.touched_since(graph, since) if since else None
    return [
        await refresh_segment(
            graph, s.id, today=today, full=full, touched=touched, touched_since=since
        )
        for s in segments
    ]


async def members_page(
    graph: GraphClient, segment_id: str, *, after: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Members in pid order, `limit` after the pid `after` (keyset pagination)."""
    await get_segment(graph, segment_id)
    return await segment_repo.members_page(
        graph, segment_id, after=after, limit=max(1, min(limit, MAX_PAGE))
    )
