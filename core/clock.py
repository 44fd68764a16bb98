"""The one clock: the current moment in UTC, and the form in which the graph stores it."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)


def utc_today() -> date:
    """Today's date in UTC."""
    return utc_now().date()


def utc_stamp(moment: datetime | None = None) -> str:
    """A moment (now by default) as the graph stores it: ISO 8601 to the second, in UTC, with
    "Z" ("2026-03-07T14:05:00Z"), so stamps compare correctly as text."""
    return (moment or utc_now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_stamp_ms(moment: datetime | None = None) -> str:
    """A moment (now by default) to the millisecond, in UTC, with "Z"
    ("2026-03-07T14:05:00.123Z"): activation's sync runs and locks, which follow each other
    within a second."""
    return (moment or utc_now()).isoformat(timespec="milliseconds").replace("+00:00", "Z")
