"""The inputs of the segment API: a segment's definition as a GraphQL input (turned into
the definition language's JSON, which `activate/` validates) and the day relative
conditions count from."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from core.clock import utc_today

TodayArg = Annotated[
    date | None,
    strawberry.argument(description="The day relative conditions count from; default today."),
]


def as_of(given: date | None) -> date:
    """The day given, else today (UTC)."""
    return given or utc_today()


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
