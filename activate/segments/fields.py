"""The allow-list of profile attributes a segment may filter on.

A condition names a field of this table; the Cypher the compiler writes reads the
profile property the table gives, never a name taken from the definition's text. Each
field has a kind, which decides the operators it takes and the type of its value.
`days_since_*` fields are computed from a timestamp relative to the query's `$today`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldKind = Literal["number", "string", "scalar", "bool", "list", "days"]
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


def _f(kind: FieldKind, prop: str, description: str) -> FieldSpec:
    return FieldSpec(kind, prop, description)


FIELDS: dict[str, FieldSpec] = {
    # golden attributes (no names, emails or phones: those are identifiers, not filters)
    "city": _f("string", "city", "City of the golden address"),
    "state": _f("string", "state", "State or region"),
    "postcode": _f("string", "postcode", "Postcode"),
    "country": _f("string", "country", "ISO 3166-1 alpha-2 country"),
    "sources": _f("list", "sources", "Source systems the profile's records come from"),
    "record_count": _f("number", "record_count", "Source records in the profile"),
    # enrichment
    "orders_count": _f("number", "orders_count", "Orders placed"),
    "total_spend": _f("number", "total_spend", "Total spend"),
    "avg_order_value": _f("number", "avg_order_value", "Average order value"),
    "rfm_segment": _f("string", "rfm_segment", "RFM segment name"),
    "channels": _f("list", "channels", "Channels bought in: online, store"),
    "preferred_channel": _f("string", "preferred_channel", "Channel most bought in"),
    "top_category": _f("string", "top_category", "Category most bought"),
    "unsubscribed": _f("bool", "unsubscribed", "Unsubscribed from email"),
    "loyalty_tier": _f("string", "loyalty_tier", "Loyalty tier"),
    "loyalty_points": _f("number", "loyalty_points", "Loyalty points balance"),
    "consent_email": _f("bool", "consent_email", "Consented to email marketing"),
    "consent_sms": _f("bool", "consent_sms", "Consented to SMS marketing"),
    "p_alive": _f("number", "p_alive", "Probability the customer is still active"),
    "churn_risk": _f("scalar", "churn_risk", "Churn risk (band or score)"),
    "clv_12m": _f("number", "clv_12m", "Predicted value over the next 12 months"),
    "clv_percentile": _f("number", "clv_percentile", "Percentile of clv_12m, 0 to 1"),
    "prob_purchase_30d": _f("number", "prob_purchase_30d", "Probability of a purchase in 30 days"),
    # relative to $today
    "days_since_last_purchase": _f("days", "last_purchase_at", "Days since the last purchase"),
    "days_since_first_purchase": _f("days", "first_purchase_at", "Days since the first purchase"),
    "days_since_last_email_open": _f("days", "last_email_open_at", "Days since an email open"),
    "days_since_last_email_click": _f("days", "last_email_click_at", "Days since an email click"),
}

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
