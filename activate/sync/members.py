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

from activate.destinations.base import Channel, Member, Purpose
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

CONSENT_PROPERTIES: tuple[tuple[Purpose, str], ...] = (
    ("email", "consent_email"),
    ("sms", "consent_sms"),
    ("ad_user_data", "consent_ad_user_data"),
    ("ad_personalization", "consent_ad_personalization"),
)
"""(purpose, Profile property) of the consents a destination may be told about. No source
mapping records the two advertising purposes yet, so they are absent, and a destination
that must state them (Google) states "not granted"."""

SENT_CONSENTS: tuple[Purpose, ...] = ("ad_user_data", "ad_personalization")
"""Consents a destination is sent (not only checked before sending): they are in the
member's hash, so a change of them is an update."""

DEFAULT_CONSENT: dict[Channel, tuple[ConsentName, ...]] = {
    "email": ("email",),
    "sms": ("sms",),
    # Audiences built from customer files are marketing use of the email address, so they
    # take the email opt-in. That is not advertising consent: a destination that states
    # ad consent reads the member's own recorded `consents` (absent: not granted).
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


def recorded_consents(row: Mapping[str, Any]) -> dict[Purpose, bool]:
    """The consents a profile row records, explicit booleans only ("yes" is not `True`)."""
    consents: dict[Purpose, bool] = {
        purpose: value
        for purpose, prop in CONSENT_PROPERTIES
        if isinstance(value := row.get(prop), bool)
    }
    if row.get("unsubscribed") is True:
        consents["email"] = False
    return consents


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
        consents=recorded_consents(row) if props else {},
    )


def _identifiers(member: Member) -> dict[str, str | None]:
    return {name: getattr(member, name) for name, _ in IDENTIFIER_FIELDS}


def _sent_consents(consents: Mapping[Purpose, bool]) -> list[Any]:
    return [[p, consents[p]] for p in SENT_CONSENTS if p in consents]


def _digest(
    identifiers: Sequence[str | None], attributes: Mapping[str, Any], consents: list[Any]
) -> str:
    names = sorted(attributes)
    values = [*identifiers, *(attributes[k] for k in names), names]
    if consents:  # absent when none is recorded: the hashes of earlier runs stay valid
        values.append(consents)
    text = json.dumps(values, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def member_hash(member: Member) -> str:
    """A digest of everything the destination is sent for this member."""
    return _digest(
        [getattr(member, name) for name in _NAMES],
        member.attributes,
        _sent_consents(member.consents),
    )


def row_hash(row: Mapping[str, Any], attributes: Sequence[str]) -> str:
    """`member_hash(member_from_row(row, attributes))`, without building the member: the
    diff of a large unchanged segment hashes every row and builds almost no member."""
    return _digest(
        [_text(row.get(prop)) for prop in _PROPS],
        {name: _value(row.get(name)) for name in attributes},
        _sent_consents(recorded_consents(row)),
    )


def snapshot(member: Member) -> str:
    """What is kept of a delivery: the identifiers (a removal names what was added) and
    the synced attributes (an update can send only what changed)."""
    data: dict[str, Any] = _identifiers(member)
    if member.attributes:
        data["attributes"] = jsonable(member.attributes)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def last_sent(text: str | None) -> dict[str, Any] | None:
    """A snapshot as `Member.last_sent`; None when there is none (or it is unreadable)."""
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


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
