"""Conversions of graph property values to the scalars of the schema. Properties are
written by several engineers' code (ingestion, resolution, enrichment), so a resolver reads
them defensively: a value of an unexpected type becomes None rather than an error."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from core.clock import utc_today
from enrich import relative

Props = Mapping[str, Any]


def text(v: Any) -> str | None:
    if v is None:
        return None
    iso = getattr(v, "iso_format", None)  # neo4j.time values
    if callable(iso):
        return str(iso())
    if isinstance(v, datetime | date):
        return v.isoformat()
    return str(v)


def number(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def integer(v: Any) -> int | None:
    f = number(v)
    return None if f is None else int(f)


def boolean(v: Any) -> bool | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        low = v.strip().lower()
        if low in {"true", "yes", "1", "y"}:
            return True
        if low in {"false", "no", "0", "n"}:
            return False
        return None
    return bool(v)


def texts(v: Any) -> list[str] | None:
    if v is None:
        return None
    if isinstance(v, list | tuple):
        return [str(x) for x in v if x is not None]
    return [str(v)]


def json_value(v: Any) -> Any:
    """A JSON value: strings holding JSON are parsed (raw rows, event properties)."""
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def days_since_last_purchase(props: Props, today: date | None = None) -> int | None:
    """Days since the profile's last purchase, computed when read (it changes every day)."""
    return relative.days_since_last_purchase(props, today or utc_today())


def engaged_90d(props: Props, today: date | None = None) -> bool | None:
    """An email open or click in the last 90 days, computed when read; None before the
    profile is enriched."""
    if props.get("enriched_at") is None:
        return None
    return relative.engaged_90d(props, today or utc_today())
