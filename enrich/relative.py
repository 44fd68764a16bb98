"""Time-relative attributes, computed when they are read rather than stored.

"Days since the last purchase" or "engaged in the last 90 days" change every day while the
data does not, so enrichment stores the timestamps they come from (`last_purchase_at`,
`last_email_open_at`, `last_email_click_at`) and the API, segments and exports derive them
for the day they ask about. Two forms give the same answer:

- pure functions of a profile's properties, for Python callers (the API's resolvers);
- Cypher expression builders, for segment queries that filter on them in the database.

Days are counted between UTC calendar dates: a purchase at 23:30 UTC yesterday is one day
ago at 00:10 UTC today. `engaged_90d` means an email open or click in the last 90 days:
today and the 89 days before it (0 to 89 days ago), the convention of segment conditions
("within the last N days", `activate.segments.compiler`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final

from enrich.errors import EnrichError

ENGAGED_WINDOW_DAYS: Final = 90
ENGAGEMENT_PROPERTIES: Final = ("last_email_open_at", "last_email_click_at")
_CYPHER_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def _utc_date(value: Any) -> date | None:
    """The UTC calendar date of a stored ISO timestamp (or date), None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def days_since_last_purchase(profile: Mapping[str, Any], today: date) -> int | None:
    """Whole days from the last purchase's UTC date to `today`.

    Args:
        profile: The profile's properties (needs `last_purchase_at`).
        today: The day asked about.

    Returns:
        The number of days (0 for a purchase today), or None without purchases.
    """
    last = _utc_date(profile.get("last_purchase_at"))
    return None if last is None else (today - last).days


def last_engaged_at(profile: Mapping[str, Any]) -> str | None:
    """The latest email open or click, as stored (ISO 8601), or None."""
    values = [str(v) for k in ENGAGEMENT_PROPERTIES if (v := profile.get(k))]
    return max(values) if values else None


def engaged_90d(profile: Mapping[str, Any], today: date) -> bool:
    """Whether the customer opened or clicked an email in the 90 days before `today`.

    Args:
        profile: The profile's properties (`last_email_open_at`, `last_email_click_at`).
        today: The day asked about.

    Returns:
        True when an open or a click is 0 to 89 days before `today`.
    """
    for prop in ENGAGEMENT_PROPERTIES:
        day = _utc_date(profile.get(prop))
        if day is not None and 0 <= (today - day).days < ENGAGED_WINDOW_DAYS:
            return True
    return False


def _check(kind: str, name: str) -> str:
    if not _CYPHER_NAME.match(name):
        raise EnrichError(f"invalid Cypher {kind}: {name!r}")
    return name


def days_since_last_purchase_cypher(var: str = "p", today_param: str = "today") -> str:
    """A Cypher expression for `days_since_last_purchase` of profile `var`.

    The caller passes `$<today_param>` as an ISO date string ("2026-11-28"). The expression
    is null for a profile without purchases, like the Python function.

    Args:
        var: The profile's variable in the query.
        today_param: The parameter holding today's date.

    Raises:
        EnrichError: A name is not a plain identifier.
    """
    v, t = _check("variable", var), _check("parameter", today_param)
    return f"duration.inDays(date(datetime({v}.last_purchase_at)), date(${t})).days"


def engaged_90d_cypher(var: str = "p", today_param: str = "today") -> str:
    """A Cypher predicate for `engaged_90d` of profile `var` (false, never null).

    Args:
        var: The profile's variable in the query.
        today_param: The parameter holding today's date as an ISO date string.

    Raises:
        EnrichError: A name is not a plain identifier.
    """
    v, t = _check("variable", var), _check("parameter", today_param)
    days = ENGAGED_WINDOW_DAYS
    checks = [
        f"coalesce(date(datetime({v}.{prop})) > date(${t}) - duration({{days: {days}}})"
        f" AND date(datetime({v}.{prop})) <= date(${t}), false)"
        for prop in ENGAGEMENT_PROPERTIES
    ]
    return "(" + " OR ".join(checks) + ")"
