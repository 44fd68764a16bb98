"""The segment and activation API: segments (CRUD, preview, members), destinations, links,
sync runs, and triggering a sync.

`SegmentQuery` and `SegmentMutation` are merged into the root types by
`api.graphql.schema`. Reading needs an analyst or admin key; writing and syncing need an
admin key. Resolvers call `activate/`; domain errors become `ApiError`s here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import date
from functools import cache
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from activate.errors import (
    ActivationError,
    DestinationNotFound,
    InvalidDestinationConfig,
    InvalidSegmentDefinition,
    SegmentExists,
    SegmentInUse,
    SegmentNotFound,
    SyncAlreadyRunning,
)
from activate.segments import service
from activate.settings import ActivationSettings
from activate.sync import destinations as dest
from activate.sync.engine import SyncEngine, SyncReport
from api.auth import Role
from api.context import Context
from api.graphql.errors import ApiError, Code, unavailable
from api.graphql.masking import mask_email, mask_phone
from api.graphql.pagination import Connection, connection, decode_cursor, encode_cursor, page_size
from api.graphql.permissions import CanRead, principal
from core.clock import utc_today
from graph.errors import GraphError

log = logging.getLogger(__name__)
Ctx = Info[Context, None]
T = TypeVar("T")


# errors and roles ------------------------------------------------------------------------


def _api_error(exc: ActivationError) -> ApiError:
    if isinstance(exc, SegmentNotFound | DestinationNotFound):
        return ApiError(Code.NOT_FOUND, str(exc))
    if isinstance(exc, SegmentExists | SegmentInUse | SyncAlreadyRunning):
        return ApiError(Code.CONFLICT, str(exc))
    if isinstance(exc, InvalidSegmentDefinition | InvalidDestinationConfig):
        return ApiError(Code.BAD_USER_INPUT, str(exc))
    return ApiError(Code.BAD_USER_INPUT, str(exc))


async def _call(work: Awaitable[T]) -> T:
    """Run an activation call, answering its errors as API errors."""
    try:
        return await work
    except ActivationError as exc:
        raise _api_error(exc) from None
    except GraphError:
        raise unavailable() from None


def _require_admin(info: Ctx, what: str) -> None:
    p = principal(info)
    if p.role is not Role.ADMIN:
        raise ApiError(Code.FORBIDDEN, f"a key of role {p.role.value!r} may not {what}")


@cache
def _settings_from_env() -> ActivationSettings:
    return ActivationSettings()


def _activation_settings(info: Ctx) -> ActivationSettings:
    """The process's activation settings: set on the context at start-up, or read once."""
    given = getattr(info.context, "activation", None)
    return given if isinstance(given, ActivationSettings) else _settings_from_env()


def _today(given: date | None) -> date:
    return given or utc_today()


# the definition as an input ----------------------------------------------------------------


@strawberry.input(description="A condition on a profile attribute from the allow-list.")
class AttributeConditionInput:
    field: str = strawberry.field(description="e.g. clv_percentile, days_since_last_purchase.")
    op: str = strawberry.field(
        description="eq, ne, gt, gte, lt, lte, between, in, not_in, starts_with, contains, "
        "contains_any, exists, missing."
    )
    value: JSON | None = None


@strawberry.input(description="Orders of the profile; every field given narrows them.")
class PurchaseConditionInput:
    channel: str | None = strawberry.field(default=None, description="online or store.")
    category: str | None = None
    within_days: int | None = None
    min_orders: int = 1


@strawberry.input(description="Engagement events of the profile (open, click, ...).")
class EventConditionInput:
    types: list[str]
    within_days: int | None = None
    min_count: int = 1


@strawberry.input(
    one_of=True,
    description="One node of a segment definition: exactly one field is given.",
)
class SegmentFilterInput:
    and_: list[SegmentFilterInput] | None = strawberry.field(
        default=strawberry.UNSET, name="and", description="All of these hold."
    )
    or_: list[SegmentFilterInput] | None = strawberry.field(
        default=strawberry.UNSET, name="or", description="At least one of these holds."
    )
    not_: SegmentFilterInput | None = strawberry.field(
        default=strawberry.UNSET, name="not", description="This does not hold."
    )
    attribute: AttributeConditionInput | None = strawberry.UNSET
    has_identifier: str | None = strawberry.field(
        default=strawberry.UNSET, description="email, phone, loyalty_id, ..."
    )
    in_source: str | None = strawberry.field(
        default=strawberry.UNSET, description="A source system: ecommerce, pos, esp, ..."
    )
    purchased: PurchaseConditionInput | None = strawberry.UNSET
    event: EventConditionInput | None = strawberry.UNSET
    consent: str | None = strawberry.field(default=strawberry.UNSET, description="email or sms.")


def _given(value: Any) -> bool:
    return value is not None and value is not strawberry.UNSET


def filter_json(f: SegmentFilterInput) -> dict[str, Any]:
    """The definition language's JSON for a GraphQL input (validated afterwards)."""
    if _given(f.and_):
        return {"and": [filter_json(c) for c in f.and_ or []]}
    if _given(f.or_):
        return {"or": [filter_json(c) for c in f.or_ or []]}
    if _given(f.not_) and f.not_ is not None:
        return {"not": filter_json(f.not_)}
    if _given(f.attribute) and f.attribute is not None:
        a = f.attribute
        node: dict[str, Any] = {"field": a.field, "op": a.op}
        if _given(a.value):
            node["value"] = a.value
        return {"attribute": node}
    if _given(f.purchased) and f.purchased is not None:
        p = f.purchased
        return {
            "purchased": {
                k: v
                for k, v in (
                    ("channel", p.channel),
                    ("category", p.category),
                    ("within_days", p.within_days),
                    ("min_orders", p.min_orders),
                )
                if v is not None
            }
        }
    if _given(f.event) and f.event is not None:
        e = f.event
        out: dict[str, Any] = {"types": list(e.types), "min_count": e.min_count}
        if e.within_days is not None:
            out["within_days"] = e.within_days
        return {"event": out}
    for key in ("has_identifier", "in_source", "consent"):
        value = getattr(f, key)
        if _given(value):
            return {key: value}
    return {}


# output types ------------------------------------------------------------------------------


@strawberry.type(description="A saved segment.")
class Segment:
    id: str
    name: str
    description: str
    definition: JSON = strawberry.field(description="The filter tree, as JSON.")
    time_relative: bool = strawberry.field(
        description="Depends on the day (days since, within N days)."
    )
    member_count: int = strawberry.field(description="Members at the last refresh.")
    created_at: str | None
    updated_at: str | None
    refreshed_at: str | None

    @classmethod
    def of(cls, s: service.Segment) -> Segment:
        return cls(
            id=s.id,
            name=s.name,
            description=s.description,
            definition=JSON(s.definition.to_json()),
            time_relative=s.time_relative,
            member_count=s.member_count,
            created_at=s.created_at,
            updated_at=s.updated_at,
            refreshed_at=s.refreshed_at,
        )


@strawberry.type(description="A member of a segment (or of a preview).")
class SegmentMember:
    pid: str
    given_name: str | None
    family_name: str | None
    email: str | None
    phone: str | None
    city: str | None
    country: str | None
    loyalty_tier: str | None
    clv_percentile: float | None
    churn_risk: JSON | None
    top_category: str | None
    last_purchase_at: str | None
    since: str | None = strawberry.field(default=None, description="When it joined.")

    @classmethod
    def of(cls, row: dict[str, Any], personal: bool) -> SegmentMember:
        email, phone = row.get("email"), row.get("phone")
        if not personal:
            email = mask_email(email) if email else None
            phone = mask_phone(phone) if phone else None
        clv = row.get("clv_percentile")
        return cls(
            pid=row["pid"],
            given_name=row.get("given_name") if personal else None,
            family_name=row.get("family_name") if personal else None,
            email=email,
            phone=phone,
            city=row.get("city"),
            country=row.get("country"),
            loyalty_tier=row.get("loyalty_tier"),
            clv_percentile=float(clv) if isinstance(clv, int | float) else None,
            churn_risk=JSON(row.get("churn_risk")),
            top_category=row.get("top_category"),
            last_purchase_at=_text(row.get("last_purchase_at")),
            since=_text(row.get("since")),
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@strawberry.type(description="How many profiles a definition selects, and a few of them.")
class SegmentPreview:
    count: int
    sample: list[SegmentMember]


@strawberry.type(description="What a refresh of a segment's membership did.")
class SegmentRefresh:
    segment: str
    mode: str = strawberry.field(description="full or incremental.")
    candidates: int | None = strawberry.field(description="Profiles evaluated (null: all).")
    joined: int
    left: int
    members: int
    seconds: float


@strawberry.type(description="A destination; its configuration holds no secrets.")
class Destination:
    id: str
    kind: str
    name: str
    config: JSON = strawberry.field(description="secret_ref names the secret in the settings.")
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, d: dest.DestinationInfo) -> Destination:
        return cls(
            id=d.id,
            kind=d.kind,
            name=d.name,
            config=JSON(d.config),
            created_at=d.created_at,
            updated_at=d.updated_at,
        )


@strawberry.type(description="A segment synced to a destination.")
class SyncLink:
    segment: str
    destination: str
    external_id: str | None = strawberry.field(description="List or audience id there.")
    interval_seconds: int | None
    enabled: bool
    members: int = strawberry.field(description="Members the destination holds.")
    last_run_id: str | None
    last_started_at: str | None
    last_finished_at: str | None
    last_status: str | None
    running: bool

    @classmethod
    def of(cls, link: dest.Link) -> SyncLink:
        return cls(
            segment=link.segment,
            destination=link.destination,
            external_id=link.external_id,
            interval_seconds=link.interval_seconds,
            enabled=link.enabled,
            members=link.members,
            last_run_id=link.last_run_id,
            last_started_at=link.last_started_at,
            last_finished_at=link.last_finished_at,
            last_status=link.last_status,
            running=link.running_run is not None,
        )


@strawberry.type(description="One sync run: counts, durations, status.")
class SyncRun:
    id: str
    segment: str
    destination: str
    dry_run: bool
    status: str = strawberry.field(description="running, succeeded, partial, failed, dry_run.")
    started_at: str | None
    finished_at: str | None
    members: int | None
    adds: int | None
    updates: int | None
    removes: int | None
    unchanged: int | None
    failed: int | None
    invalid: int | None
    no_consent: int | None
    seconds: float | None
    error: str | None

    @classmethod
    def of(cls, r: dict[str, Any]) -> SyncRun:
        return cls(**{name: r.get(name) for name in _RUN_FIELDS})  # type: ignore[arg-type]

    @classmethod
    def of_report(cls, r: SyncReport) -> SyncRun:
        return cls(
            id=r.run_id,
            segment=r.segment,
            destination=r.destination,
            dry_run=r.dry_run,
            started_at=None,
            finished_at=None,
            **{k: v for k, v in r.props().items() if k in _RUN_FIELDS},
        )


_RUN_FIELDS = (
    "id",
    "segment",
    "destination",
    "dry_run",
    "status",
    "started_at",
    "finished_at",
    "members",
    "adds",
    "updates",
    "removes",
    "unchanged",
    "failed",
    "invalid",
    "no_consent",
    "seconds",
    "error",
)


@strawberry.type(description="A row a run could not deliver; no personal data.")
class SyncRowError:
    pid: str
    action: str
    reason: str
    retryable: bool


# root fields -------------------------------------------------------------------------------

TodayArg = Annotated[
    date | None,
    strawberry.argument(description="The day relative conditions count from; default today."),
]


@strawberry.type
class SegmentQuery:
    @strawberry.field(permission_classes=[CanRead], description="Every saved segment.")
    async def segments(self, info: Ctx) -> list[Segment]:
        found = await _call(service.list_segments(info.context.graph))
        return [Segment.of(s) for s in found]

    @strawberry.field(permission_classes=[CanRead], description="One saved segment.")
    async def segment(self, info: Ctx, id: str) -> Segment | None:
        try:
            return Segment.of(await _call(service.get_segment(info.context.graph, id)))
        except ApiError as exc:
            if exc.code is Code.NOT_FOUND:
                return None
            raise

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
        prev = await _call(
            service.preview(
                info.context.graph,
                filter_json(definition),
                today=_today(today),
                sample_size=min(max(sample_size, 0), 100),
            )
        )
        personal = bool(getattr(info.context, "sees_personal_data", False))
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
        rows = await _call(
            service.members_page(
                info.context.graph,
                id,
                after=last_pid if isinstance(last_pid, str) else None,
                limit=n + 1,
            )
        )
        personal = bool(getattr(info.context, "sees_personal_data", False))
        return connection(
            rows[:n],
            len(rows) > n,
            lambda r: encode_cursor("segment_member", r["pid"]),
            lambda r: SegmentMember.of(r, personal),
        )

    @strawberry.field(permission_classes=[CanRead], description="Every destination.")
    async def destinations(self, info: Ctx) -> list[Destination]:
        found = await _call(dest.list_destinations(info.context.graph))
        return [Destination.of(d) for d in found]

    @strawberry.field(permission_classes=[CanRead], description="Segments synced to destinations.")
    async def sync_links(
        self, info: Ctx, segment: str | None = None, destination: str | None = None
    ) -> list[SyncLink]:
        links = await _call(
            dest.list_links(info.context.graph, segment=segment, destination=destination)
        )
        return [SyncLink.of(link) for link in links]

    @strawberry.field(permission_classes=[CanRead], description="Sync runs, newest first.")
    async def sync_runs(
        self,
        info: Ctx,
        segment: str | None = None,
        destination: str | None = None,
        limit: int = 20,
    ) -> list[SyncRun]:
        runs = await _call(
            dest.list_runs(
                info.context.graph,
                segment=segment,
                destination=destination,
                limit=min(max(limit, 1), 100),
            )
        )
        return [SyncRun.of(r) for r in runs]

    @strawberry.field(permission_classes=[CanRead], description="A run's per-row error log.")
    async def sync_run_errors(self, info: Ctx, run_id: str, limit: int = 100) -> list[SyncRowError]:
        rows = await _call(dest.run_errors(info.context.graph, run_id, min(max(limit, 1), 1_000)))
        return [SyncRowError(**r) for r in rows]


@strawberry.type
class SegmentMutation:
    @strawberry.mutation(description="Save a segment (admin). Its membership is computed now.")
    async def create_segment(
        self,
        info: Ctx,
        id: str,
        name: str,
        definition: SegmentFilterInput,
        description: str = "",
        today: TodayArg = None,
    ) -> Segment:
        _require_admin(info, "create segments")
        g = info.context.graph
        await _call(
            service.create_segment(g, id, name, filter_json(definition), description=description)
        )
        await _call(service.refresh_segment(g, id, today=_today(today)))
        return Segment.of(await _call(service.get_segment(g, id)))

    @strawberry.mutation(description="Change a segment (admin); a new definition refreshes it.")
    async def update_segment(
        self,
        info: Ctx,
        id: str,
        name: str | None = None,
        description: str | None = None,
        definition: SegmentFilterInput | None = None,
        today: TodayArg = None,
    ) -> Segment:
        _require_admin(info, "change segments")
        g = info.context.graph
        raw = filter_json(definition) if definition is not None else None
        await _call(
            service.update_segment(g, id, name=name, description=description, definition=raw)
        )
        if raw is not None:
            await _call(service.refresh_segment(g, id, today=_today(today)))
        return Segment.of(await _call(service.get_segment(g, id)))

    @strawberry.mutation(
        description="Delete a segment (admin). `force` also forgets what destinations were "
        "sent from it (they keep their copy)."
    )
    async def delete_segment(self, info: Ctx, id: str, force: bool = False) -> bool:
        _require_admin(info, "delete segments")
        await _call(service.delete_segment(info.context.graph, id, force=force))
        return True

    @strawberry.mutation(description="Refresh a segment's membership (admin).")
    async def refresh_segment(
        self, info: Ctx, id: str, full: bool = False, today: TodayArg = None
    ) -> SegmentRefresh:
        _require_admin(info, "refresh segments")
        r = await _call(
            service.refresh_segment(info.context.graph, id, today=_today(today), full=full)
        )
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
        description="Add a destination (admin). Secrets are named by `secret_ref` in the "
        "config and set in the server's settings (CDP_DEST_SECRETS__<NAME>), never sent here."
    )
    async def create_destination(
        self, info: Ctx, id: str, kind: str, config: JSON, name: str | None = None
    ) -> Destination:
        _require_admin(info, "add destinations")
        if not isinstance(config, dict):
            raise ApiError(Code.BAD_USER_INPUT, "config must be an object")
        made = await _call(dest.create_destination(info.context.graph, id, kind, config, name=name))
        return Destination.of(made)

    @strawberry.mutation(
        description="Link a segment to a destination, or change the link (admin): the list "
        "or audience id there, and a schedule."
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
        _require_admin(info, "link segments to destinations")
        kwargs: dict[str, Any] = {"enabled": enabled}
        if external_id is not strawberry.UNSET:
            kwargs["external_id"] = external_id
        if interval_seconds is not strawberry.UNSET:
            kwargs["interval_seconds"] = interval_seconds
        made = await _call(dest.link(info.context.graph, segment, destination, **kwargs))
        return SyncLink.of(made)

    @strawberry.mutation(
        description="Sync a segment to a destination now (admin). A dry run reports the "
        "counts and sends nothing."
    )
    async def trigger_sync(
        self,
        info: Ctx,
        segment: str,
        destination: str,
        dry_run: bool = False,
        today: TodayArg = None,
    ) -> SyncRun:
        _require_admin(info, "trigger syncs")
        engine = SyncEngine(info.context.graph, _activation_settings(info))
        report = await _call(
            engine.sync(segment, destination, today=_today(today), dry_run=dry_run)
        )
        stored = await _call(dest.get_run(info.context.graph, report.run_id))
        return SyncRun.of(stored) if stored else SyncRun.of_report(report)
