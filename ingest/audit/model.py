"""The shapes of the data audit: plain, frozen values that the console and HTML render."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldKind = Literal["identifier", "attribute", "source_field"]


def rate(part: int | None, whole: int | None) -> float | None:
    """`part / whole`, or None when either is unknown or the whole is zero."""
    if part is None or not whole:
        return None
    return part / whole


@dataclass(frozen=True, slots=True)
class FieldQuality:
    """How well one source fills one identifier type or attribute, and how valid it is.

    `valid` counts records holding a valid value (the graph keeps only those); `invalid`
    counts records whose value in the field was rejected, from `Record.issues`. For a field
    that no mapping ties to an attribute (kind "source_field"), only `invalid` is known.
    """

    name: str
    kind: FieldKind
    records: int
    """Records of the source: the denominator of the fill rate."""
    valid: int | None
    invalid: int
    reasons: dict[str, int] = field(default_factory=dict)
    """Records per rejection reason ("invalid_email_syntax": 12)."""
    source_fields: tuple[str, ...] = ()
    """The source's columns this is read from, as the issues name them."""

    @property
    def present(self) -> int | None:
        """Records with a value, valid or not."""
        if self.valid is None:
            return None
        return min(self.records, self.valid + self.invalid)

    @property
    def fill_rate(self) -> float | None:
        """Records with a value (valid or not) / records."""
        return rate(self.present, self.records)

    @property
    def validity_rate(self) -> float | None:
        """Valid values / values present."""
        if self.valid is None:
            return None
        return rate(self.valid, self.present)


@dataclass(frozen=True, slots=True)
class SourceAudit:
    """What one source holds."""

    source: str
    records: int
    """Customer records (stubs apart)."""
    stubs: int
    """Records only an order or event named, which no customer row filled in."""
    orders: int
    events: int
    no_identifier: int
    """Records with no identifier at all: nothing can link them."""
    no_email: int
    """Records with no e-mail identifier."""
    shared_with_others: int
    """Records sharing at least one identifier with a record of another source."""
    fields: tuple[FieldQuality, ...] = ()

    def field(self, kind: FieldKind, name: str) -> FieldQuality | None:
        """The quality of one identifier type or attribute, if the source has it."""
        return next((f for f in self.fields if f.kind == kind and f.name == name), None)


@dataclass(frozen=True, slots=True)
class SourceCombination:
    """Identifiers carried by exactly this set of sources (the UpSet chart's bars)."""

    sources: tuple[str, ...]
    identifiers: int
    by_type: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IdentifierTypeSummary:
    """One identifier type across every source."""

    type: str
    identifiers: int
    multi_source: int
    """Identifiers carried by records of two or more sources."""
    blocked: int
    generic: int


@dataclass(frozen=True, slots=True)
class TopIdentifier:
    """An identifier carried by unusually many records. The value is masked."""

    type: str
    masked_value: str
    records: int
    sources: tuple[str, ...]
    given_names: int
    """Distinct given names on its records: many names hint at a shared or test value."""
    family_names: int
    blocked: str | None = None
    generic: str | None = None


@dataclass(frozen=True, slots=True)
class QuarantineCount:
    source: str
    kind: str
    reason: str
    field: str | None
    rows: int


@dataclass(frozen=True, slots=True)
class BatchSummary:
    id: str
    source: str
    file: str
    status: str
    started_at: str | None
    finished_at: str | None
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    rows_suppressed: int
    records_changed: int
    orders: int
    events: int
    value_issues: int


@dataclass(frozen=True, slots=True)
class CrossChannel:
    """Records of one source that share an identifier with records of another."""

    source: str
    other: str
    records: int
    shared: int

    @property
    def rate(self) -> float | None:
        return rate(self.shared, self.records)


@dataclass(frozen=True, slots=True)
class Audit:
    """The data audit: what the sources hold, before identity resolution."""

    generated_at: str
    sources: tuple[SourceAudit, ...]
    overlap: dict[tuple[str, str], int]
    """(A, B) -> records of A sharing an identifier with another record of B."""
    combinations: tuple[SourceCombination, ...]
    identifier_types: tuple[IdentifierTypeSummary, ...]
    top_identifiers: tuple[TopIdentifier, ...]
    quarantine: tuple[QuarantineCount, ...]
    batches: tuple[BatchSummary, ...]
    store_online: CrossChannel | None = None
    """Store (POS) buyers who also appear online (ecommerce), when both sources exist."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per audit query."""
    elapsed_s: float = 0.0
    """Seconds the audit's queries took in all (wall clock)."""

    @property
    def records(self) -> int:
        return sum(s.records for s in self.sources)

    @property
    def no_email(self) -> int:
        return sum(s.no_email for s in self.sources)

    @property
    def no_identifier(self) -> int:
        return sum(s.no_identifier for s in self.sources)

    @property
    def identifiers(self) -> int:
        return sum(t.identifiers for t in self.identifier_types)

    @property
    def quarantined(self) -> int:
        return sum(q.rows for q in self.quarantine)

    def source(self, name: str) -> SourceAudit | None:
        return next((s for s in self.sources if s.source == name), None)

    def source_names(self) -> list[str]:
        return [s.source for s in self.sources]
