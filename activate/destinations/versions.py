"""Vendor API versions we call, and when each stops being served.

The one place a vendor version is named: a destination's configuration defaults to
`CURRENT[kind]`, the fakes answer only that version, and `cdp destination check` warns
when the version a destination is configured with ends within `WARN_DAYS`.

Where the dates come from (read 2026-12-05):
- Meta Graph / Marketing API: the "Expiration Date" column of
  developers.facebook.com/docs/graph-api/changelog/versions/. v26.0 (released 2026-07-29)
  has no published date yet ("TBD"); Meta keeps a version for at least two years.
- Klaviyo: the API versioning and deprecation policy
  (developers.klaviyo.com/en/docs/api_versioning_and_deprecation_policy): a revision is
  stable for one year, deprecated the next, and retired two years after its release
  date, which is its name. The per-revision date in Klaviyo's changelog was not read, so
  the date here is derived from the policy.
- Google Data Manager API v1, Braze's REST API and Attentive's REST API v1
  (docs.attentive.com) publish no end-of-life date.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

WARN_DAYS = 90

META_GRAPH_VERSION = "v26.0"
KLAVIYO_REVISION = "2026-10-15"
ATTENTIVE_API_VERSION = "v1"
"""The path prefix of Attentive's REST API (`/v1/subscriptions`); not versioned by date."""

META_END_OF_LIFE: dict[str, date | None] = {
    "v26.0": None,
    "v25.0": date(2028, 7, 29),
    "v24.0": date(2028, 2, 18),
    "v23.0": date(2027, 10, 8),
    "v22.0": date(2027, 5, 20),
    "v21.0": date(2027, 1, 21),
    "v20.0": date(2026, 9, 24),
    "v19.0": date(2026, 5, 21),
    "v18.0": date(2026, 1, 26),
    "v17.0": date(2025, 9, 12),
}
"""Graph API version -> its published expiration date (None: not published yet)."""

_REVISION = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:\.pre)?$")


def klaviyo_end_of_life(revision: str) -> date | None:
    """Two years after the revision's release date (its name), per Klaviyo's policy."""
    match = _REVISION.match(revision)
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    try:
        return date(year + 2, month, day)
    except ValueError:  # 29 February
        return date(year + 2, month, 28)


@dataclass(frozen=True)
class VersionCheck:
    kind: str
    version: str
    end_of_life: date | None
    days_left: int | None
    warn: bool
    message: str


def configured_version(kind: str, vendor: Mapping[str, Any]) -> str | None:
    """The API version a destination's configuration calls (default: ours)."""
    if kind == "meta":
        return str(vendor.get("api_version") or META_GRAPH_VERSION)
    if kind == "klaviyo":
        return str(vendor.get("revision") or KLAVIYO_REVISION)
    return None


def end_of_life(kind: str, version: str) -> tuple[date | None, bool]:
    """(end-of-life date, whether the version is known at all)."""
    if kind == "meta":
        return META_END_OF_LIFE.get(version), version in META_END_OF_LIFE
    if kind == "klaviyo":
        eol = klaviyo_end_of_life(version)
        return eol, eol is not None
    return None, False


def check_version(
    kind: str, vendor: Mapping[str, Any], today: date, *, warn_days: int = WARN_DAYS
) -> VersionCheck | None:
    """How close the configured version of a destination is to its end of life; None
    for kinds whose API is not versioned by date (webhook, file, Braze, Google v1)."""
    version = configured_version(kind, vendor)
    if version is None:
        return None
    eol, known = end_of_life(kind, version)
    if not known:
        return VersionCheck(
            kind, version, None, None, True, f"{kind} API version {version} is not one we know"
        )
    if eol is None:
        return VersionCheck(
            kind, version, None, None, False, f"{kind} {version}: end of life not published yet"
        )
    days = (eol - today).days
    if days < 0:
        message = f"{kind} {version} reached its end of life on {eol.isoformat()}"
    elif days <= warn_days:
        message = f"{kind} {version} ends on {eol.isoformat()}, in {days} days: upgrade"
    else:
        message = f"{kind} {version} is served until {eol.isoformat()}"
    return VersionCheck(kind, version, eol, days, days <= warn_days, message)
