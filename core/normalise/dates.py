"""Calendar dates (ISO "YYYY-MM-DD") and moments in time (ISO 8601 UTC) in the many forms sources
write them."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Final

from core.clock import utc_now, utc_today
from core.normalise.text import CACHE_SIZE, EMPTY, Normalised, as_text, is_blank, rejected

UNPARSEABLE_DATE: Final = "unparseable_date"
FUTURE_DATE: Final = "future_date"
IMPLAUSIBLE_DATE: Final = "implausible_date"
UNPARSEABLE_TIMESTAMP: Final = "unparseable_timestamp"

_ISO_DATE: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_YMD: Final = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})")
_DMY: Final = re.compile(r"([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})")
_COMPACT_DATE: Final = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_DATE_TOKEN_BREAKS: Final = re.compile(r"[\s,./\-]+")
_DAY_TOKEN: Final = re.compile(r"([0-9]{1,2})(?:st|nd|rd|th)?")
_YEAR_TOKEN: Final = re.compile(r"[0-9]{4}|[0-9]{2}")
_WITH_TIME: Final = re.compile(
    r"(?P<date>.*?[^\s,])(?:\s*,\s*|\s+|T)"
    r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:[.,][0-9]+)?)?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?"
    r"\s*(?P<tz>z|utc|gmt|[+-][0-9]{2}(?::?[0-9]{2})?)?",
    re.IGNORECASE,
)
_EPOCH_NUMBER: Final = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_MONTHS: Final = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS: Final = frozenset(
    {"mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs"}
    | {"thursday", "fri", "friday", "sat", "saturday", "sun", "sunday"}
)
_DATE_MAX_LENGTH: Final = 64
_EARLIEST_DATE: Final = date(1900, 1, 1)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# Smaller numbers are sentinels (0) or bare years, not moments; 1e8 s is March 1973.
_SMALLEST_EPOCH: Final = 1e8


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _full_year(text: str, this_year: int) -> int:
    year = int(text)
    if len(text) == 4:
        return year
    # Two-digit years are the most recent such year that is not in the future.
    return 2000 + year if 2000 + year <= this_year else 1900 + year


def _textual_date(text: str, this_year: int) -> date | None:
    tokens = [t for t in _DATE_TOKEN_BREAKS.split(text.lower()) if t and t not in _WEEKDAYS]
    if len(tokens) != 3:
        return None
    at = [i for i, token in enumerate(tokens) if token in _MONTHS]
    if len(at) != 1:
        return None
    month = _MONTHS[tokens[at[0]]]
    if at[0] == 0:  # March 7, 1985
        day_text, year_text = tokens[1], tokens[2]
    elif at[0] == 1 and len(tokens[0]) == 4:  # 1985 Mar 7
        year_text, day_text = tokens[0], tokens[2]
    elif at[0] == 1:  # 7 Mar 1985
        day_text, year_text = tokens[0], tokens[2]
    else:
        return None
    day = _DAY_TOKEN.fullmatch(day_text)
    if day is None or not _YEAR_TOKEN.fullmatch(year_text):
        return None
    return _make_date(_full_year(year_text, this_year), month, int(day.group(1)))


@lru_cache(maxsize=CACHE_SIZE)
def _parse_date(text: str, dayfirst: bool, this_year: int) -> date | None:
    if match := _YMD.fullmatch(text):
        return _make_date(int(match.group(1)), int(match.group(3)), int(match.group(4)))
    if match := _DMY.fullmatch(text):
        first, second = int(match.group(1)), int(match.group(3))
        day, month = (first, second) if dayfirst else (second, first)
        if month > 12 >= day:
            # Only one reading is a date ("12/31/1990" in a day-first file), so take it.
            day, month = month, day
        return _make_date(_full_year(match.group(4), this_year), month, day)
    if match := _COMPACT_DATE.fullmatch(text):
        return _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    return _textual_date(text, this_year)


def _valid_time(hour: int, minute: int, second: int, ampm: str | None) -> tuple[int, int] | None:
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm[0] in "pP" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute


def _split_date_time(
    text: str, dayfirst: bool, this_year: int
) -> tuple[date, tuple[int, int, int], timezone | None] | None:
    """Parse "<date>[ <time>[ am/pm][ offset]]" into a date, a time and an optional zone."""
    match = _WITH_TIME.fullmatch(text)
    if match is None:
        day = _parse_date(text, dayfirst, this_year)
        return None if day is None else (day, (0, 0, 0), None)
    day = _parse_date(match["date"], dayfirst, this_year)
    second = int(match["second"] or 0)
    hour_minute = _valid_time(int(match["hour"]), int(match["minute"]), second, match["ampm"])
    if day is None or hour_minute is None:
        return None
    zone = _zone(match["tz"])
    if match["tz"] and zone is None:
        return None
    return day, (*hour_minute, second), zone


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    if offset >= timedelta(hours=24) or int(digits[2:] or 0) > 59:
        return None
    return timezone(-offset if text[0] == "-" else offset)


def normalise_date(raw: object, *, dayfirst: bool = True) -> Normalised:
    """Parse a calendar date (a date of birth, say) into ISO "YYYY-MM-DD".

    Accepts ISO dates and datetimes (the date as written is kept), "07/03/1985", "7/3/85",
    "07-03-1985", "March 7, 1985", "7 Mar 1985", "19850307", and date or datetime objects.
    A numeric date with only one valid reading is read that way whatever `dayfirst` says.

    Args:
        raw: The value from the source.
        dayfirst: Read "07/03/1985" as 7 March (True) or July 3 (False).

    Returns:
        The ISO date; reason "unparseable_date" for impossible or unrecognised dates,
        "future_date" after today and "implausible_date" before 1900.
    """
    if is_blank(raw):
        return EMPTY
    today = utc_today()
    if isinstance(raw, datetime):
        day: date | None = raw.date()
    elif isinstance(raw, date):
        day = raw
    else:
        text = as_text(raw).strip()
        if match := _ISO_DATE.fullmatch(text):
            day = _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        elif len(text) > _DATE_MAX_LENGTH:
            day = None
        else:
            parsed = _split_date_time(text, dayfirst, today.year)
            day = None if parsed is None else parsed[0]
    if day is None:
        return rejected(UNPARSEABLE_DATE)
    # UTC's today lags the customer's in time zones ahead of it; allow a day for that.
    if day > today + timedelta(days=1):
        return rejected(FUTURE_DATE)
    if day < _EARLIEST_DATE:
        return rejected(IMPLAUSIBLE_DATE)
    return Normalised(day.isoformat(), None)


def _from_epoch(number: int | float) -> datetime | None:
    if (isinstance(number, float) and not math.isfinite(number)) or abs(number) < _SMALLEST_EPOCH:
        return None
    size = abs(number)
    # Seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude.
    scale = 1 if size < 1e11 else 1_000 if size < 1e14 else 1_000_000 if size < 1e17 else 10**9
    try:
        if isinstance(number, int):
            return _EPOCH + timedelta(seconds=number // scale)
        return _EPOCH + timedelta(seconds=number / scale)
    except OverflowError:
        return None


def _parse_timestamp(text: str) -> datetime | None:
    if _EPOCH_NUMBER.fullmatch(text):
        # Eight digits are far likelier a compact date than a moment in 1970.
        if (compact := _COMPACT_DATE.fullmatch(text)) and (
            day := _make_date(int(compact[1]), int(compact[2]), int(compact[3]))
        ):
            return datetime(day.year, day.month, day.day)
        return _from_epoch(float(text) if "." in text else int(text))
    if len(text) > _DATE_MAX_LENGTH:
        return None
    if text[:4].isascii() and text[:4].isdigit():
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    parsed = _split_date_time(text, True, utc_now().year)
    if parsed is None:
        return None
    day, (hour, minute, second), zone = parsed
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)


def normalise_timestamp(raw: object) -> Normalised:
    """Parse a moment in time into ISO 8601 UTC, "YYYY-MM-DDTHH:MM:SSZ".

    Accepts ISO 8601 with an offset or "Z", naive ISO (taken as UTC), "2024-03-07 14:05:00",
    day-first numeric and month-name dates with an optional time, am/pm and offset, epoch
    seconds, milliseconds, microseconds or nanoseconds (numbers or numeric strings of at least
    1e8), date-only values (midnight UTC) and datetime objects. Fractions of a second are
    dropped.

    Args:
        raw: The value from the source.

    Returns:
        The UTC timestamp; reason "unparseable_timestamp" when it cannot be read.
    """
    if isinstance(raw, bool):
        return rejected(UNPARSEABLE_TIMESTAMP)
    if is_blank(raw):
        return EMPTY
    moment: datetime | None
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, date):
        moment = datetime(raw.year, raw.month, raw.day)
    elif isinstance(raw, int | float):
        moment = _from_epoch(raw)
    else:
        moment = _parse_timestamp(as_text(raw).strip())
    if moment is None:
        return rejected(UNPARSEABLE_TIMESTAMP)
    try:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return rejected(UNPARSEABLE_TIMESTAMP)
    return Normalised(
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z",
        None,
    )
