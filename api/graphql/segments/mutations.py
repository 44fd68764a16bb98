"""The segment API's root mutations (admin keys): segments, destinations, links and
syncs."""

from __future__ import annotations

from functools import cache
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from activate.segments import service
from activate.settings import ActivationSettings
from activate.sync import destinations as dest
from activate.sync.engine import SyncEngine
from api.context import Context
from api.graphql.errors import bad_input
from api.graphql.permissions import CanActivate
from api.graphql.segments.inputs import SegmentFilterInput, TodayArg, as_of, filter_json
from api.graphql.segments.types import Destination, Segment, SegmentRefresh, SyncLink, SyncRun

Ctx = Info[Context, None]


@cache
def _settings_from_env() -> ActivationSettings:
    """The process's activation settings (CDP_DEST_*), read at the first sync."""
    return ActivationSettings()


@strawberry.type
class SegmentMutation:
    @strawberry.mutation(
        permission_classes=[CanActivate],
        description="Save a segment (admin). Its membership is computed now.",
    )
    async def create_segment(
        self,
        info: Ctx,
        id: str,
        name: str,
        definition: SegmentFilterInput,
        description: str = "",
        today: TodayArg = None,
    ) -> Segment:
        g = info.context.graph
        await service.create_segment(g, id, name, filter_json(definition), description=description)
        await service.refresh_segment(g, id, today=as_of(today))
        return Segment.of(await service.get_segment(g, id))

    @strawberry.mutation(
        permission_classes=[CanActivate],
        description="Change a segment (admin); a new definition refreshes it.",
    )
    async def update_segment(
        self,
        info: Ctx,
        id: str,
        name: str | None = None,
        description: str | None = None,
        definition: SegmentFilterInput | None = None,
        today: TodayArg = None,
    ) -> Segment:
        g = info.context.graph
        raw = filter_json(definition) if definition is not None else None
        await service.update_segment(g, id, name=name, description=description, definition=raw)
        if raw is not None:
            await service.refresh_segment(g, id, today=as_of(today))
        return Segment.of(await service.get_segment(g, id))

    @strawberry.mutation(
        permission_classes=[CanActivate],
        description="Delete a segment (admin). `force` also forgets what destinations were "
        "sent from it (they keep their copy).",
    )
    async def delete_segment(self, info: Ctx, id: str, force: bool = False) -> bool:
        await service.delete_segment(info.context.graph, id, force=force)
        return True

    @strawberry.mutation(
        permission_classes=[CanActivate], description="Refresh a segment's membership (admin)."
    )
    async def refresh_segment(
        self, info: Ctx, id: str, full: bool = False, today: TodayArg = None
    ) -> SegmentRefresh:
        r = await service.refresh_segment(info.context.graph, id, today=as_of(today), full=full)
        return SegmentRefresh(
            segment=r.segment_id,
            mode=r.mode,
            candidates=r.candidates,
            joined=r.joined,
            left=r.left,
            members=r.members,
            seconds=round(r.seconds, 3),
        )

    @strawberry.mutation(
        permission_classes=[CanActivate],
        description="Add a destination (admin). Secrets are named by `secret_ref` in the "
        "config and set in the server's settings (CDP_DEST_SECRETS__<NAME>), never sent here.",
    )
    async def create_destination(
        self, info: Ctx, id: str, kind: str, config: JSON, name: str | None = None
    ) -> Destination:
        if not isinstance(config, dict):
            raise bad_input("config must be an object")
        made = await dest.create_destination(info.context.graph, id, kind, config, name=name)
        return Destination.of(made)

    @strawberry.mutation(
        permission_classes=[CanActivate],
        description="Link a segment to a destination, or change the link (admin): the list "
        "or audience id there, and a schedule.",
    )
    async def link_segment(
        self,
        info: Ctx,
        segment: str,
        destination: str,
        external_id: str | None = strawberry.UNSET,
        interval_seconds: int | None = strawberry.UNSET,
        enabled: bool | None = None,
    ) -> SyncLink:
        kwargs: dict[str, Any] = {"enabled": enabled}
        if external_id is not strawberry.UNSET:
            kwargs["external_id"] = external_id
        if interval_seconds is not strawberry.UNSET:
            kwargs["interval_seconds"] = interval_seconds
        made = await dest.link(info.context.graph, segment, destination, **kwargs)
        return SyncLink.of(made)

    @strawberry.mutation(
        permission_classes=[CanActivate],
        description="Sync a segment to a destination now (admin). A dry run reports the "
        "counts and sends nothing.",
    )
    async def trigger_sync(
        self,
        info: Ctx,
        segment: str,
        destination: str,
        dry_run: bool = False,
        today: TodayArg = None,
    ) -> SyncRun:
        engine = SyncEngine(info.context.graph, _settings_from_env())
        report = await engine.sync(segment, destination, today=as_of(today), dry_run=dry_run)
        stored = await dest.get_run(info.context.graph, report.run_id)
        return SyncRun.of(stored) if stored else SyncRun.of_report(report)
