"""The root mutations: operators' overrides and erasure (admin), small-batch ingestion
(ingest and admin)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.graphql import inputs
from api.graphql.errors import not_found
from api.graphql.permissions import CanIngest, CanWrite, principal
from api.graphql.types import Profile
from graph import explain_repo
from ingest.small_batch import ingest_small_batch
from matching import erasure, overrides
from matching.overrides import OverrideTargetNotFound
from matching.resolve import ResolveReport, resolve_serially

Ctx = Info[Context, None]


@strawberry.type(description="What an incremental resolution did.")
class ResolutionSummary:
    records: int
    components: int
    created: int
    merged: int
    split: int
    retired: int
    moved_records: int
    seconds: float


def _summary(r: ResolveReport | None) -> ResolutionSummary | None:
    if r is None:
        return None
    return ResolutionSummary(
        records=r.records,
        components=r.components,
        created=r.created,
        merged=r.merged,
        split=r.split,
        retired=r.retired,
        moved_records=r.moved_records,
        seconds=round(r.seconds, 3),
    )


@strawberry.type
class OverrideResult:
    records: int = strawberry.field(description="Records the override touched.")
    resolution: ResolutionSummary | None = strawberry.field(
        description="The resolution run after it (null with resolve: false)."
    )
    profiles: list[Profile] = strawberry.field(
        description="The profiles of the records involved, after the resolution."
    )


@strawberry.type(description="What forgetting a customer removed.")
class ForgetResult:
    found: bool = strawberry.field(description="Whether any record carried the identifier.")
    profiles: int = strawberry.field(description="Profiles deleted, retired ids included.")
    records: int
    identifiers: int = strawberry.field(description="Identifiers no one else carried.")
    events: int
    orders_unlinked: int = strawberry.field(
        description="Orders kept (revenue) but no longer linked to the person."
    )
    suppressions: int = strawberry.field(
        description="Suppression hashes written: a later ingest of these is skipped."
    )
    quarantined_rows: int = strawberry.field(
        description="Quarantined rows that carried the person, deleted."
    )
    sync_snapshots: int = strawberry.field(
        description="What destinations were last sent about the person, deleted."
    )
    re_resolved_records: int = strawberry.field(
        description="Records that shared something with the erased ones, resolved again."
    )


@strawberry.type
class IngestResult:
    batch_id: str
    status: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    rows_suppressed: int = strawberry.field(description="Rows of forgotten customers, dropped.")
    records: int
    records_changed: int
    orders: int
    events: int
    quarantine_reasons: JSON
    resolution: ResolutionSummary | None


async def _profiles_of(info: Ctx, rids: Sequence[str]) -> list[Profile]:
    pids = await explain_repo.record_profiles(info.context.graph, rids)
    out: list[Profile] = []
    for pid in dict.fromkeys(p for p in pids.values() if p):
        props = await info.context.loaders.profile.load(pid)
        if props is not None:
            out.append(Profile(_p=props))
    return out


async def _resolve_if(info: Ctx, wanted: bool) -> ResolveReport | None:
    return await resolve_serially(info.context.graph) if wanted else None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Mark an identifier shared (a family email, a shop's phone): it stops "
        "linking, and the profiles it joined split on resolution. shared: false undoes it."
        " Keys: admin.",
        permission_classes=[CanWrite],
    )
    async def split_identifier(
        self,
        info: Ctx,
        type: str,
        value: str,
        region: str = "AU",
        shared: bool = True,
        resolve: bool = True,
    ) -> OverrideResult:
        key = inputs.identifier(type, value, region)
        by = principal(info).name
        try:
            n = await overrides.mark_identifier_shared(
                info.context.graph, key, by=by, shared=shared
            )
        except OverrideTargetNotFound:
            raise not_found(f"no {type} identifier with this value") from None
        report = await _resolve_if(info, resolve)
        rows = await info.context.loaders.by_identifier.load(key)
        return OverrideResult(
            records=n,
            resolution=_summary(report),
            profiles=[Profile(_p=p) for p in rows],
        )

    @strawberry.mutation(
        description="Reject the probabilistic match between two records: they are kept apart."
        " Keys: admin.",
        permission_classes=[CanWrite],
    )
    async def reject_match(
        self, info: Ctx, record_a: strawberry.ID, record_b: strawberry.ID, resolve: bool = True
    ) -> OverrideResult:
        a = inputs.graph_id("recordA", str(record_a))
        b = inputs.graph_id("recordB", str(record_b))
        try:
            await overrides.reject_match(info.context.graph, a, b, by=principal(info).name)
        except OverrideTargetNotFound:
            raise not_found("recordA or recordB does not exist") from None
        report = await _resolve_if(info, resolve)
        return OverrideResult(
            records=2, resolution=_summary(report), profiles=await _profiles_of(info, [a, b])
        )

    @strawberry.mutation(
        description="Force two records into one profile (an operator knows they are one "
        "person), then resolve."
        " Keys: admin.",
        permission_classes=[CanWrite],
    )
    async def force_link(
        self, info: Ctx, record_a: strawberry.ID, record_b: strawberry.ID, resolve: bool = True
    ) -> OverrideResult:
        a = inputs.graph_id("recordA", str(record_a))
        b = inputs.graph_id("recordB", str(record_b))
        try:
            await overrides.force_link(info.context.graph, a, b, by=principal(info).name)
        except OverrideTargetNotFound:
            raise not_found("recordA or recordB does not exist") from None
        report = await _resolve_if(info, resolve)
        return OverrideResult(
            records=2, resolution=_summary(report), profiles=await _profiles_of(info, [a, b])
        )

    @strawberry.mutation(
        description="GDPR erasure of the customer carrying an identifier: their records, "
        "events, identifiers no one else carries and profile are deleted, their orders "
        "unlinked, what remains resolved again, and suppression hashes kept so a later ingest "
        "does not bring them back. When several profiles carry the identifier, pid says which."
        " Keys: admin.",
        permission_classes=[CanWrite],
    )
    async def forget_customer(
        self,
        info: Ctx,
        type: str,
        value: str,
        region: str = "AU",
        pid: strawberry.ID | None = None,
    ) -> ForgetResult:
        key = inputs.identifier(type, value, region)
        asked = None if pid is None else inputs.graph_id("pid", str(pid))
        done = await erasure.forget(
            info.context.graph, key, asked, model_dir=info.context.settings.model_dir
        )
        e = done.erased
        return ForgetResult(
            found=done.found,
            profiles=e.profiles,
            records=e.records,
            identifiers=e.identifiers,
            events=e.events,
            orders_unlinked=e.orders_unlinked,
            suppressions=e.suppressions,
            quarantined_rows=e.quarantined,
            sync_snapshots=e.snapshots,
            re_resolved_records=done.re_resolved_records,
        )

    @strawberry.mutation(
        description="Ingest a small batch of rows (JSON objects, as the source's built-in "
        "mapping reads them) of one source; file names the mapping's file they belong to "
        "(default: its customer file). resolve: true resolves identities afterwards."
        " Keys: ingest, admin.",
        permission_classes=[CanIngest],
    )
    async def ingest_records(
        self,
        info: Ctx,
        source_name: Annotated[str, strawberry.argument(name="source")],
        rows: list[JSON],
        file: str | None = None,
        resolve: bool = False,
    ) -> IngestResult:
        rep = await ingest_small_batch(info.context.graph, source_name, rows, file, "api:graphql")
        report = await _resolve_if(info, resolve)
        return IngestResult(
            batch_id=rep.batch_id,
            status=rep.status,
            rows_read=rep.rows_read,
            rows_accepted=rep.rows_accepted,
            rows_quarantined=rep.rows_quarantined,
            rows_suppressed=rep.rows_suppressed,
            records=rep.records,
            records_changed=rep.records_changed,
            orders=rep.orders,
            events=rep.events,
            quarantine_reasons=JSON(dict(rep.quarantine_reasons)),
            resolution=_summary(report),
        )
