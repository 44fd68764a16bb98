"""Time: the generation window, Sydney local time, and every timestamp format written.

All instants are naive `datetime`s in the retailer's local time (Australia/Sydney).
Sources that export UTC shift by the Sydney offset, whose DST rule (first Sunday of
October to first Sunday of April) is computed here rather than read from tzdata, so
output does not depend on the machine.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from functools import lru_cache

_SECONDS_PER_DAY = 86_400


_AEST, _AEDT = timedelta(hours=10), timedelta(hours=11)


def _first_sunday(year: int, month: int) -> date:
    d = date(year, month, 1)
    return d + timedelta(days=(6 - d.weekday()) % 7)


@lru_cache(maxsize=256)
def _dst(year: int) -> tuple[datetime, datetime]:
    """(end of DST in April, start of DST in October) of `year`, local time."""
    return (
        datetime.combine(_first_sunday(year, 4), time(3)),
        datetime.combine(_first_sunday(year, 10), time(2)),
    )


def sydney_offset(local: datetime) -> timedelta:
    """+11:00 in daylight saving time, +10:00 otherwise."""
    dst_end, dst_start = _dst(local.year)
    return _AEDT if local < dst_end or local >= dst_start else _AEST


class Window:
    """The period the data covers, [start, end)."""

    def __init__(self, start: date, end: date) -> None:
        self.start = datetime.combine(start, time())
        self.end = datetime.combine(end, time())
        self.seconds = (self.end - self.start).total_seconds()

    def at(self, fraction: float) -> datetime:
        return self.start + timedelta(seconds=fraction * self.seconds)

    def uniform(self, rng: random.Random, lo: datetime, hi: datetime | None = None) -> datetime:
        """A uniform instant in [lo, hi) clipped to the window (hi defaults to its end)."""
        lo = max(lo, self.start)
        hi = min(hi or self.end, self.end)
        if hi <= lo:
            return lo
        return lo + timedelta(seconds=rng.random() * (hi - lo).total_seconds())

    def years_left(self, t: datetime) -> float:
        return (self.end - t).total_seconds() / (365.25 * _SECONDS_PER_DAY)


def at_local_hour(rng: random.Random, day: datetime, lo: int, hi: int) -> datetime:
    """`day` at a random second between hour `lo` and hour `hi` (local)."""
    midnight = datetime.combine(day.date(), time())
    return midnight + timedelta(seconds=rng.randint(lo * 3600, hi * 3600 - 1))


def shopify_ts(t: datetime) -> str:
    """Local time with offset: `2024-03-05T14:22:10+11:00`."""
    off = sydney_offset(t)
    return f"{t.isoformat(timespec='seconds')}+{off.seconds // 3600:02d}:00"


def local_ts(t: datetime) -> str:
    """Local time, no zone: `2024-03-05 14:22:10`."""
    return t.isoformat(sep=" ", timespec="seconds")


def utc(t: datetime) -> datetime:
    return t - sydney_offset(t)


def utc_ts(t: datetime) -> str:
    """UTC, no zone marker: `2024-03-05 03:22:10`."""
    return utc(t).isoformat(sep=" ", timespec="seconds")


def utc_z(t: datetime) -> str:
    """UTC ISO 8601: `2024-03-05T03:22:10Z`."""
    return utc(t).isoformat(timespec="seconds") + "Z"


def utc_millis_z(t: datetime) -> str:
    """UTC ISO 8601 with milliseconds: `2024-03-05T03:22:10.123Z`."""
    return utc(t).isoformat(timespec="milliseconds") + "Z"


def dmy(d: date) -> str:
    """Australian day-first date: `05/03/2024`."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def ymd(d: date) -> str:
    return d.isoformat()
