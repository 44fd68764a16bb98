"""The allow-list of profile attributes a segment may filter on.

The table is derived from the catalogue of profile attributes (`enrich.catalogue`).
A condition names a field of this table; the Cypher the compiler writes reads the
profile property the table gives, never a name taken from the definition's text. Each
field has a kind, which decides the operators it takes and the type of its value.
`days_since_*` fields are computed from a timestamp relative to the query's `$today`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from enrich.catalogue import CATALOGUE, Attribute, FilterKind

FieldKind = FilterKind
Op = Literal[
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "in",
    "not_in",
    "starts_with",
    "contains",
    "contains_any",
    "exists",
    "missing",
]

_ORDERED: tuple[Op, ...] = ("eq", "ne", "gt", "gte", "lt", "lte", "between")
_PRESENCE: tuple[Op, ...] = ("exists", "missing")

OPS_BY_KIND: dict[FieldKind, frozenset[Op]] = {
    "number": frozenset((*_ORDERED, "in", "not_in", *_PRESENCE)),
    "days": frozenset((*_ORDERED, *_PRESENCE)),
    "string": frozenset(("eq", "ne", "in", "not_in", "starts_with", *_PRESENCE)),
    # A value stored as a band ("high") or a score (0.7): both comparisons are allowed.
    "scalar": frozenset((*_ORDERED, "in", "not_in", *_PRESENCE)),
    "bool": frozenset(("eq", "ne", *_PRESENCE)),
    "list": frozenset(("contains", "contains_any", *_PRESENCE)),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    kind: FieldKind
    prop: str
    """The Profile property read (for `days`, the timestamp the days are counted from)."""
    description: str


def _prop(attribute: Attribute) -> str:
    # A `days` field counts from the timestamp it reads.
    return attribute.reads[0] if attribute.reads else attribute.name


FIELDS: dict[str, FieldSpec] = {
    a.name: FieldSpec(a.filter, _prop(a), a.description) for a in CATALOGUE if a.filter is not None
}
"""The filterable attributes of the catalogue (`enrich.catalogue`): golden ones (no names,
emails or phones: those are identifiers, not filters), enrichment's, and `days_since_*`
relative to `$today`."""

# Spelled out for the type checker; a unit test checks it names exactly `FIELDS`.
FieldName = Literal[
    "city",
    "state",
    "postcode",
    "country",
    "sources",
    "record_count",
    "orders_count",
    "total_spend",
    "avg_order_value",
    "rfm_segment",
    "channels",
    "preferred_channel",
    "top_category",
    "unsubscribed",
    "loyalty_tier",
    "loyalty_points",
    "consent_email",
    "consent_sms",
    "p_alive",
    "churn_risk",
    "clv_12m",
    "clv_percentile",
    "prob_purchase_30d",
    "days_since_last_purchase",
    "days_since_first_purchase",
    "days_since_last_email_open",
    "days_since_last_email_click",
]

IdentifierType = Literal[
    "email",
    "phone",
    "loyalty_id",
    "pos_customer_id",
    "shopify_customer_id",
    "esp_profile_id",
    "device_id",
    "cookie",
]
ConsentChannel = Literal["email", "sms"]
OrderChannel = Literal["online", "store"]

EMAIL_ENGAGEMENT: tuple[str, ...] = ("open", "click", "email_open", "email_click")
"""Event types that count as engaging with email (the ESP's and the web tag's names)."""
