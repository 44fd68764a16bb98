"""The output types of the segment API: segments and their members, destinations, links
and sync runs. Members' personal data is masked for keys that may not see it."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from activate.segments import service
from activate.sync import destinations as dest
from activate.sync.engine import SyncReport
from api.graphql.masking import mask_email, mask_phone


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
