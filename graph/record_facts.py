"""A compact, read-only view of what resolution reads of each record.

A full resolution holds every record's facts at once (3.1M records at 1M customers): as the
driver's dicts, with a string object per value, they take about 2.3 KB a record. A slotted
mapping holds the same in under a third: no per-record hash table, an empty `extra` shared,
and the values that repeat across records (sources, names, places, dates) shared through
a pool for the length of one read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

__all__ = ["FIELDS", "RecordFacts", "StringPool"]

FIELDS: Final = (
    "rid",
    "source",
    "seen",
    "given_name",
    "family_name",
    "email",
    "phone",
    "address",
    "city",
    "state",
    "postcode",
    "country",
    "dob",
    "pid",
    "golden_hash",
    "dirty",
    "weight",
    "extra",
)
"""The keys of `cypher/resolve_record_facts*.cypher` rows."""

POOLED: Final = frozenset(
    {"source", "given_name", "family_name", "city", "state", "postcode", "country", "dob"}
)
"""Values that many records share; the others are mostly unique to a record."""

_FIELD_SET: Final = frozenset(FIELDS)
_NO_EXTRA: Final[tuple[Any, ...]] = ()


class StringPool:
    """One object per distinct string value, for the length of one read."""

    __slots__ = ("_pool",)

    def __init__(self) -> None:
        self._pool: dict[str, str] = {}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._pool.setdefault(value, value)
        return value


class RecordFacts(Mapping[str, Any]):
    """One record's facts, read like the row it came from (`facts["rid"]`, `.get`).

    Only `dirty` is ever set after the read (a full resolution marks the records its
    matching touched)."""

    __slots__ = FIELDS

    def __init__(self, row: Mapping[str, Any], pool: StringPool) -> None:
        for name in FIELDS:
            value = row.get(name)
            if name in POOLED:
                value = pool(value)
            elif name == "extra":
                value = tuple(pool(v) for v in value) if value else _NO_EXTRA
            object.__setattr__(self, name, value)

    def __getitem__(self, key: str) -> Any:
        if key not in _FIELD_SET:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        if key != "dirty":
            raise KeyError(f"{key} is read-only")
        object.__setattr__(self, key, value)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("RecordFacts is read-only; set facts['dirty'] only")

    def __iter__(self) -> Iterator[str]:
        return iter(FIELDS)

    def __len__(self) -> int:
        return len(FIELDS)

    def __repr__(self) -> str:
        return f"RecordFacts(rid={self['rid']!r})"
