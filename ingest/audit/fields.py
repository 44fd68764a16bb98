"""Fill and validity of each identifier type and attribute of a source.

The graph keeps only valid values: an invalid one is left out of the record and noted in
`Record.issues` as "source field:reason". So per source

- valid = records holding the attribute (or an identifier of the type),
- invalid = records with an issue in a source field the attribute is read from,
- present = valid + invalid (at most the records), fill = present / records and
  validity = valid / present.

The source's mapping says which source fields feed which attribute; without one, an
issue field named like the attribute is taken to be its field. This is an approximation in
three ways, all small on real data: a record whose attribute is read from several fields
with issues in more than one counts more than once (bounded by the record count); a source
that accumulates records from many rows (POS, web) keeps the issues of a record's latest
row while its values accumulate, so a value can be both held and reported invalid; and a
field mapped to an identifier and an attribute (e-mail) reports its issue for both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ingest.audit.model import FieldQuality
from ingest.mapping import RESERVED_ATTRIBUTES, FieldRef, SourceMapping

BOOKKEEPING: frozenset[str] = RESERVED_ATTRIBUTES | {"first_batch_id"}
"""Record properties that are lineage or state, not attributes."""

DERIVED_FROM_FULL_NAME = ("given_name", "family_name")


def issue_field(ref: FieldRef) -> str:
    """How `Record.issues` names a source field (as `ingest.convert` writes it)."""
    return "|".join(ref) if isinstance(ref, list) else ref


@dataclass(frozen=True, slots=True)
class Lineage:
    """Which source fields feed each identifier type and attribute of one source."""

    identifiers: dict[str, tuple[str, ...]]
    attributes: dict[str, tuple[str, ...]]


@dataclass(slots=True)
class IssueCounts:
    """Records with an invalid value in one source field, in all and per reason."""

    records: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def _add(into: dict[str, tuple[str, ...]], name: str, source_field: str) -> None:
    fields = into.get(name, ())
    if source_field not in fields:
        into[name] = (*fields, source_field)


def lineage(mapping: SourceMapping) -> Lineage:
    """The lineage of every customer section of a mapping, in the mapping's order."""
    identifiers: dict[str, tuple[str, ...]] = {}
    attributes: dict[str, tuple[str, ...]] = {}
    for section in mapping.customers:
        for ident in section.identifiers:
            _add(identifiers, ident.type, issue_field(ident.field))
        for name, spec in section.attributes.items():
            _add(attributes, name, issue_field(spec.field))
            if spec.kind == "full_name":
                for derived in DERIVED_FROM_FULL_NAME:
                    _add(attributes, derived, issue_field(spec.field))
    return Lineage(identifiers, attributes)


def guessed_lineage(filled: Mapping[tuple[str, str], int], issue_fields: set[str]) -> Lineage:
    """Without a mapping: what the records hold, each fed by the issue field of its name."""

    def fields_of(name: str) -> tuple[str, ...]:
        return (name,) if name in issue_fields else ()

    names = sorted(filled)
    return Lineage(
        identifiers={n: fields_of(n) for k, n in names if k == "identifier"},
        attributes={n: fields_of(n) for k, n in names if k == "attribute"},
    )


def _quality(
    name: str,
    kind: Literal["identifier", "attribute"],
    records: int,
    valid: int,
    source_fields: tuple[str, ...],
    issues: Mapping[str, IssueCounts],
) -> FieldQuality:
    reasons: dict[str, int] = {}
    invalid = 0
    for f in source_fields:
        counts = issues.get(f)
        if counts is None:
            continue
        invalid += counts.records
        for reason, n in counts.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + n
    return FieldQuality(
        name=name,
        kind=kind,
        records=records,
        valid=valid,
        invalid=min(invalid, max(records - valid, 0)),
        reasons=dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        source_fields=source_fields,
    )


def field_qualities(
    records: int,
    filled: Mapping[tuple[str, str], int],
    issues: Mapping[str, IssueCounts],
    source_lineage: Lineage | None,
) -> tuple[FieldQuality, ...]:
    """Fill and validity of every identifier type and attribute of one source.

    Args:
        records: The source's records (stubs apart).
        filled: (kind, name) -> records holding it; kind "identifier" or "attribute".
        issues: Source field -> records with an invalid value in it.
        source_lineage: The source's lineage from its mapping, None when unknown.

    Returns:
        Identifier types first, then attributes, in the mapping's order, then issue fields
        that feed neither (kind "source_field", fill unknown).
    """
    lin = source_lineage or guessed_lineage(filled, set(issues))
    identifiers = dict(lin.identifiers)
    for kind, name in sorted(filled):
        if kind == "identifier" and name not in identifiers:
            identifiers[name] = ()
    out: list[FieldQuality] = []
    used: set[str] = set()
    for name, source_fields in identifiers.items():
        valid = filled.get(("identifier", name), 0)
        out.append(_quality(name, "identifier", records, valid, source_fields, issues))
        used.update(source_fields)
    for name, source_fields in lin.attributes.items():
        valid = filled.get(("attribute", name), 0)
        out.append(_quality(name, "attribute", records, valid, source_fields, issues))
        used.update(source_fields)
    for f in sorted(set(issues) - used):
        counts = issues[f]
        out.append(
            FieldQuality(
                name=f,
                kind="source_field",
                records=records,
                valid=None,
                invalid=counts.records,
                reasons=dict(counts.reasons),
                source_fields=(f,),
            )
        )
    return tuple(out)
