"""The shapes that flow from a connector to the graph writer.

A connector reads rows from a source, validates and normalises them, and yields these
objects; `graph/` writes them. Nothing here talks to Neo4j.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.normalise.identifiers import identifier_key


def record_id(source: str, source_id: str) -> str:
    """The `Record.rid` key: `source:source_id`."""
    return f"{source}:{source_id}"


@dataclass(slots=True)
class IdentifierValue:
    """An identifier a record carries, already normalised and valid."""

    type: str
    value: str

    @property
    def key(self) -> str:
        return identifier_key(self.type, self.value)


@dataclass(slots=True)
class ValueIssue:
    """A bad value left out of identity but kept in the raw record and reported."""

    field: str
    reason: str


@dataclass(slots=True)
class SourceRecord:
    """One customer as one source system knows it."""

    source: str
    source_id: str
    attributes: dict[str, Any]
    """Normalised attributes: given_name, family_name, dob (ISO), address, postcode,
    country, consent_email, ... and any user-defined attribute."""
    raw: dict[str, Any]
    """The row as read, for lineage and re-processing."""
    identifiers: list[IdentifierValue] = field(default_factory=list)
    issues: list[ValueIssue] = field(default_factory=list)
    file: str = ""
    row: int = 0
    observed_at: str | None = None
    """When the source saw this record (ISO timestamp), if it says."""

    @property
    def rid(self) -> str:
        return record_id(self.source, self.source_id)


@dataclass(slots=True)
class OrderLine:
    sku: str
    category: str | None
    quantity: int
    price: float


@dataclass(slots=True)
class Order:
    """A transaction, attached to the source record that placed it."""

    source: str
    order_id: str
    customer_source_id: str
    placed_at: str
    total: float
    currency: str = "AUD"
    channel: str = "online"
    store: str | None = None
    lines: list[OrderLine] = field(default_factory=list)
    file: str = ""
    row: int = 0

    @property
    def oid(self) -> str:
        return record_id(self.source, self.order_id)

    @property
    def rid(self) -> str:
        return record_id(self.source, self.customer_source_id)


@dataclass(slots=True)
class Event:
    """Engagement: email sent/open/click/unsubscribe, a web page view, a ticket."""

    source: str
    event_id: str
    customer_source_id: str
    type: str
    ts: str
    properties: dict[str, Any] = field(default_factory=dict)
    file: str = ""
    row: int = 0

    @property
    def eid(self) -> str:
        return record_id(self.source, self.event_id)

    @property
    def rid(self) -> str:
        return record_id(self.source, self.customer_source_id)


@dataclass(slots=True)
class QuarantinedRow:
    """A row that cannot be a record at all, kept with its reason."""

    source: str
    file: str
    row: int
    reason: str
    raw: dict[str, Any]
    kind: str = "customer"
