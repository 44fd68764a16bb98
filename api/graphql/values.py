"""Conversions of graph property values to the scalars of the schema.

Profile attributes have one type each, in the catalogue (`enrich.catalogue`), and the code
that writes them writes that type: the `*_attribute` readers take the property as the
catalogue types it, and refuse a name the catalogue does not list or types otherwise.
Other properties (of records, orders, batches) go through the plain conversions."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from core.clock import utc_today
from enrich import relative
from enrich.catalogue import BY_NAME, AttributeType

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


def _stored(props: Props, name: str, *types: AttributeType) -> Any:
    """The stored value of the catalogue attribute `name`, which must be of one of `types`."""
    if BY_NAME[name].type not in types:
        raise TypeError(f"{name} is a {BY_NAME[name].type}, not a {' or '.join(types)}")
    return props.get(name)


def int_attribute(props: Props, name: str) -> int | None:
    value = _stored(props, name, "int")
    return None if value is None else int(value)


def float_attribute(props: Props, name: str) -> float | None:
    # Stored floats are finite, but GraphQL could not send a NaN that was not.
    return number(_stored(props, name, "float"))


def bool_attribute(props: Props, name: str) -> bool | None:
    value = _stored(props, name, "bool")
    return None if value is None else bool(value)


def text_attribute(props: Props, name: str) -> str | None:
    return text(_stored(props, name, "text", "timestamp", "date"))


def texts_attribute(props: Props, name: str) -> list[str] | None:
    value = _stored(props, name, "texts")
    return None if value is None else [str(x) for x in value]


def json_attribute(props: Props, name: str) -> Any:
    """A `json` attribute's object (None when absent)."""
    value = _stored(props, name, "json")
    return None if value is None else json.loads(value)


def days_since_last_purchase(props: Props, today: date | None = None) -> int | None:
    """Days since the profile's last purchase, computed when read (it changes every day)."""
    return relative.days_since_last_purchase(props, today or utc_today())


def engaged_90d(props: Props, today: date | None = None) -> bool | None:
    """An email open or click in the last 90 days, computed when read; None before the
    profile is enriched."""
    if props.get("enriched_at") is None:
        return None
    return relative.engaged_90d(props, today or utc_today())
