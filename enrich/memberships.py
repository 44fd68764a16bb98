"""Loyalty and consent of a profile, from the attributes of its records.

Loyalty: `loyalty_tier` and `loyalty_points` each come from the most recently seen record
that has them (a member who replaced a lost card has a newer record), ties going to more
points.

Consent per channel (`consent_email`, `consent_sms`) reads every record's signals, from a
bool attribute (`consent_email`, as ecommerce's `accepts_marketing`) or a status attribute
(`email_consent_status`, as the ESP's `SUBSCRIBED` / `UNSUBSCRIBED` / `NEVER_SUBSCRIBED`):

- a withdrawal anywhere wins: an `unsubscribe` event or an `UNSUBSCRIBED` status makes the
  consent false (and `unsubscribed` true) whatever other records say, since marketing to
  someone who opted out is the costly mistake;
- otherwise an opt-in anywhere (true, `SUBSCRIBED`) makes it true: a customer's second
  account that never ticked the box does not withdraw the first one's consent;
- otherwise an explicit "no" (false, `NEVER_SUBSCRIBED`) makes it false;
- without any signal it is None (unknown).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Final

OPT_IN: Final = frozenset({"true", "yes", "y", "1", "subscribed", "opted_in", "opt_in"})
WITHDRAWN: Final = frozenset({"unsubscribed", "opted_out", "opt_out", "withdrawn", "revoked"})
NO: Final = frozenset({"false", "no", "n", "0", "never_subscribed", "not_subscribed"})


RecordRow = Sequence[Any]
"""A record's [source, seen, loyalty_tier, loyalty_points, consent_email,
email_consent_status, consent_sms, sms_consent_status], as `enrich_profiles_*` return it."""

SEEN, TIER, POINTS, CONSENT_EMAIL, EMAIL_STATUS, CONSENT_SMS, SMS_STATUS = range(1, 8)


def record_row(
    seen: str,
    *,
    source: str = "test",
    loyalty_tier: str | None = None,
    loyalty_points: str | None = None,
    consent_email: str | None = None,
    email_consent_status: str | None = None,
    consent_sms: str | None = None,
    sms_consent_status: str | None = None,
) -> list[Any]:
    """A `RecordRow` by name (tests and callers that build rows by hand)."""
    return [
        source,
        seen,
        loyalty_tier,
        loyalty_points,
        consent_email,
        email_consent_status,
        consent_sms,
        sms_consent_status,
    ]


@dataclass(frozen=True)
class Membership:
    loyalty_tier: str | None
    loyalty_points: int | float | None
    consent_email: bool | None
    consent_sms: bool | None
    unsubscribed: bool


@lru_cache(maxsize=4096)
def _signal(value: Any) -> str | None:
    """ "in", "out" (withdrawn), "no", or None for a consent value."""
    if value is None:
        return None
    key = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    if key in WITHDRAWN:
        return "out"
    if key in OPT_IN:
        return "in"
    if key in NO:
        return "no"
    return None


def _consent(signals: set[str | None]) -> bool | None:
    if "out" in signals:
        return False
    if "in" in signals:
        return True
    if "no" in signals:
        return False
    return None


@lru_cache(maxsize=65536)
def _points(value: Any) -> int | float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() else number


def record_membership(records: Sequence[RecordRow]) -> Membership | None:
    """Loyalty and consent of one profile from its records (None without any record
    carrying them); an unsubscribe event is added by `with_unsubscribe_event`.

    Args:
        records: The profile's records that carry loyalty or consent attributes.
    """
    if not records:
        return None
    tier: Any = None
    tier_key: tuple[str, float] | None = None
    points: int | float | None = None
    points_key: tuple[str, float] | None = None
    email: set[str | None] = set()
    sms: set[str | None] = set()
    for r in records:
        value = _points(r[POINTS])
        key = (str(r[SEEN] or ""), float(value or 0))
        if r[TIER] and (tier_key is None or key > tier_key):
            tier, tier_key = r[TIER], key
        if value is not None and (points_key is None or key > points_key):
            points, points_key = value, key
        email.add(_signal(r[CONSENT_EMAIL]))
        email.add(_signal(r[EMAIL_STATUS]))
        sms.add(_signal(r[CONSENT_SMS]))
        sms.add(_signal(r[SMS_STATUS]))
    return Membership(
        loyalty_tier=None if tier is None else str(tier),
        loyalty_points=points,
        consent_email=_consent(email),
        consent_sms=_consent(sms),
        unsubscribed="out" in email,
    )


def with_unsubscribe_event(member: Membership | None) -> Membership:
    """The membership of a profile that has an unsubscribe event: a withdrawal."""
    if member is None:
        return Membership(None, None, consent_email=False, consent_sms=None, unsubscribed=True)
    return replace(member, consent_email=False, unsubscribed=True)


def membership(records: Sequence[RecordRow], unsubscribe_event: bool) -> Membership:
    """Loyalty and consent of one profile (rules in the module docstring).

    Args:
        records: The profile's records that carry loyalty or consent attributes.
        unsubscribe_event: Whether any of the profile's records has an unsubscribe event.
    """
    member = record_membership(records)
    if unsubscribe_event:
        return with_unsubscribe_event(member)
    return member or Membership(None, None, None, None, unsubscribed=False)
