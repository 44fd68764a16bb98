"""The segment API's root query fields (analyst and admin keys): segments, previews and
members, destinations, links and sync runs."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from activate.errors import SegmentNotFound
from activate.segments import service
from activate.sync import destinations as dest
from api.context import Context
from api.graphql.pagination import Connection, connection, decode_cursor, encode_cursor, page_size
from api.graphql.permissions import CanRead
from api.graphql.segments.inputs import SegmentFilterInput, TodayArg, as_of, filter_json
from api.graphql.segments.types import (
    Destination,
    Segment,
    SegmentMember,
    SegmentPreview,
    SyncLink,
    SyncRowError,
    SyncRun,
)

Ctx = Info[Context, None]


@strawberry.type
class SegmentQuery:
    @strawberry.field(permission_classes=[CanRead], description="Every saved segment.")
    async def segments(self, info: Ctx) -> list[Segment]:
        found = await service.list_segments(info.context.graph)
        return [Segment.of(s) for s in found]

    @strawberry.field(permission_classes=[CanRead], description="One saved segment.")
    async def segment(self, info: Ctx, id: str) -> Segment | None:
        try:
            return Segment.of(await service.get_segment(info.context.graph, id))
        except SegmentNotFound:
            return None

    @strawberry.field(
        permission_classes=[CanRead],
        description="How many profiles a definition selects now, and a sample of them.",
    )
    async def segment_preview(
        self,
        info: Ctx,
        definition: SegmentFilterInput,
        sample_size: int = 10,
        today: TodayArg = None,
    ) -> SegmentPreview:
        prev = await service.preview(
            info.context.graph,
            filter_json(definition),
            today=as_of(today),
            sample_size=min(max(sample_size, 0), 100),
        )
        personal = info.context.sees_personal_data
        return SegmentPreview(
            count=prev.count, sample=[SegmentMember.of(m, personal) for m in prev.sample]
        )

    @strawberry.field(
        permission_classes=[CanRead],
        description="A saved segment's members in pid order, as at its last refresh.",
    )
    async def segment_members(
        self, info: Ctx, id: str, first: int | None = None, after: str | None = None
    ) -> Connection[SegmentMember]:
        n = page_size(first)
        last_pid = decode_cursor("segment_member", after)
        rows = await service.members_page(
            info.context.graph,
            id,
            after=last_pid if isinstance(last_pid, str) else None,
            limit=n + 1,
        )
        personal = info.context.sees_personal_data
        return connection(
            rows[:n],
            len(rows) > n,
            lambda r: encode_cursor("segment_member", r["pid"]),
            lambda r: SegmentMember.of(r, personal),
        )

    @strawberry.field(permission_classes=[CanRead], description="Every destination.")
    async def destinations(self, info: Ctx) -> list[Destination]:
        found = await dest.list_destinations(info.context.graph)
        return [Destination.of(d) for d in found]

    @strawberry.field(permission_classes=[CanRead], description="Segments synced to destinations.")
    async def sync_links(
        self, info: Ctx, segment: str | None = None, destination: str | None = None
    ) -> list[SyncLink]:
        links = await dest.list_links(info.context.graph, segment=segment, destination=destination)
        return [SyncLink.of(link) for link in links]

    @strawberry.field(permission_classes=[CanRead], description="Sync runs, newest first.")
    async def sync_runs(
        self,
        info: Ctx,
        segment: str | None = None,
        destination: str | None = None,
        limit: int = 20,
    ) -> list[SyncRun]:
        runs = await dest.list_runs(
            info.context.graph,
            segment=segment,
            destination=destination,
            limit=min(max(limit, 1), 100),
        )
        return [SyncRun.of(r) for r in runs]

    @strawberry.field(permission_classes=[CanRead], description="A run's per-row error log.")
    async def sync_run_errors(self, info: Ctx, run_id: str, limit: int = 100) -> list[SyncRowError]:
        rows = await dest.run_errors(info.context.graph, run_id, min(max(limit, 1), 1_000))
        return [SyncRowError(**r) for r in rows]
