"""Segment members as destinations see them: `Member`s, their hash, their snapshot, consent.

The hash covers every field a destination is sent (identifiers and the synced
attributes), so a change of any of them is an update and nothing else is. The snapshot
keeps the identifiers last sent: a removal must name what was added (Meta and Google
match hashed identifiers), even after the profile changed, merged away or was deleted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from activate.destinations.base import Channel, Member
from activate.destinations.delivery import jsonable

SyncableAttribute = Literal[
    "clv_12m",
    "clv_percentile",
    "churn_risk",
    "p_alive",
    "prob_purchase_30d",
    "loyalty_tier",
    "loyalty_points",
    "top_category",
    "preferred_channel",
    "rfm_segment",
    "orders_count",
    "total_spend",
    "avg_order_value",
    "first_purchase_at",
    "last_purchase_at",
]
"""Profile attributes a destination may be sent (`cypher/sync_segment_members.cypher`
reads exactly these): the catalogue's syncable ones (`enrich.catalogue.SYNCABLE`, which a
unit test checks this against)."""

ConsentName = Literal["email", "sms"]

IDENTIFIER_FIELDS: tuple[tuple[str, str], ...] = (
    ("email", "email"),
    ("phone", "phone"),
    ("first_name", "given_name"),
    ("last_name", "family_name"),
    ("postcode", "postcode"),
    ("country", "country"),
    ("city", "city"),
)
"""(Member field, Profile property)."""

DEFAULT_CONSENT: dict[Channel, tuple[ConsentName, ...]] = {
    "email": ("email",),
    "sms": ("sms",),
    # No separate advertising consent is collected: audiences built from customer files
    # are marketing use of the email address, so they take the email opt-in.
    "paid_media": ("email",),
    # Exports to the retailer's own systems; a destination feeding a channel names the
    # consent it needs (`require_consent`).
    "webhook": (),
    "file": (),
}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = (value if isinstance(value, str) else str(value)).strip()
    return text or None


_PLAIN = (str, int, float, bool, type(None))


def _value(value: Any) -> Any:
    return value if isinstance(value, _PLAIN) else jsonable(value)


_PROPS = tuple(prop for _, prop in IDENTIFIER_FIELDS)
_NAMES = tuple(name for name, _ in IDENTIFIER_FIELDS)


def member_from_row(
    row: Mapping[str, Any], attributes: Sequence[str], *, props: bool = True
) -> Member:
    """A member from a profile row (`props`: keys are Profile properties) or from a
    snapshot (keys are Member fields)."""
    email, phone, first, last, postcode, country, city = (
        _text(row.get(key)) for key in (_PROPS if props else _NAMES)
    )
    return Member(
        pid=str(row["pid"]),
        email=email,
        phone=phone,
        first_name=first,
        last_name=last,
        postcode=postcode,
        country=country,
        city=city,
        attributes={name: _value(row.get(name)) for name in attributes},
    )


def _identifiers(member: Member) -> dict[str, str | None]:
    return {name: getattr(member, name) for name, _ in IDENTIFIER_FIELDS}


def _digest(identifiers: Sequence[str | None], attributes: Mapping[str, Any]) -> str:
    names = sorted(attributes)
    values = [*identifiers, *(attributes[k] for k in names), names]
    text = json.dumps(values, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def member_hash(member: Member) -> str:
    """A digest of everything the destination is sent for this member."""
    return _digest([getattr(member, name) for name in _NAMES], member.attributes)


def row_hash(row: Mapping[str, Any], attributes: Sequence[str]) -> str:
    """`member_hash(member_from_row(row, attributes))`, without building the member: the
    diff of a large unchanged segment hashes every row and builds almost no member."""
    return _digest(
        [_text(row.get(prop)) for prop in _PROPS],
        {name: _value(row.get(name)) for name in attributes},
    )


def snapshot(member: Member) -> str:
    return json.dumps(_identifiers(member), separators=(",", ":"), ensure_ascii=False)


def from_snapshot(pid: str, text: str | None) -> Member:
    """The member as last sent; only the pid when there is no snapshot."""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return member_from_row({**data, "pid": pid}, (), props=False)


def has_consent(row: Mapping[str, Any], required: Sequence[ConsentName]) -> bool:
    """Consent of the profile to every channel in `required` (explicit `true` only)."""
    for channel in required:
        if channel == "email":
            if row.get("consent_email") is not True or row.get("unsubscribed") is True:
                return False
        elif row.get("consent_sms") is not True:
            return False
    return True
