"""Turns a source row into a `SourceRecord`, `Order` or `Event`, or a `QuarantinedRow`.

A bad value never sinks a row: it is left out of identity, kept in the raw row and reported
as a `ValueIssue`. Only a row that cannot be a record at all (no key, unusable date or amount
on an order) is quarantined, with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from core.hashing import content_hash
from core.normalise import (
    Normalised,
    is_blank,
    normalise_address,
    normalise_bool,
    normalise_country,
    normalise_date,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_postcode,
    normalise_timestamp,
)
from core.normalise.identifiers import normalise_identifier
from ingest.mapping import (
    AttributeSpec,
    CustomerSection,
    EventSection,
    FieldRef,
    LinesSpec,
    OrderSection,
    SourceMapping,
)
from ingest.model import (
    Event,
    IdentifierValue,
    Order,
    OrderLine,
    QuarantinedRow,
    SourceRecord,
    ValueIssue,
)

_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"[^0-9.\-]")


def get_field(row: dict[str, Any], ref: FieldRef | None) -> Any:
    """The value at a dotted path, or the first non-blank of several paths."""
    if ref is None:
        return None
    if isinstance(ref, list):
        for r in ref:
            v = get_field(row, r)
            if not is_blank(v):
                return v
        return None
    if ref in row:
        return row[ref]
    value: Any = row
    for part in ref.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _text(v: Any) -> Normalised:
    if is_blank(v):
        return Normalised(None, None)
    return Normalised(_SPACES.sub(" ", str(v)).strip(), None)


def _number(v: Any) -> Normalised:
    if is_blank(v):
        return Normalised(None, None)
    if isinstance(v, int | float) and not isinstance(v, bool):
        return Normalised(str(float(v)), None)
    try:
        return Normalised(str(float(_NUMBER.sub("", str(v)))), None)
    except ValueError:
        return Normalised(None, "invalid_number")


def split_full_name(full: str) -> tuple[str | None, str | None]:
    """Split a name typed in one field: "Johnson, Sarah" -> (Sarah, Johnson); otherwise the
    first token is the given name and the last the family name."""
    if "," in full:
        family, _, given = full.partition(",")
        return (given.strip() or None, family.strip() or None)
    parts = full.split()
    if len(parts) == 1:
        return parts[0], None
    return parts[0], parts[-1]


class RowConverter:
    """Converts rows of one source according to its mapping."""

    def __init__(self, mapping: SourceMapping) -> None:
        self.m = mapping
        self._orders: dict[
            int, tuple[dict[str, AttributeSpec], list[tuple[str, AttributeSpec]]]
        ] = {}
        self._kinds: dict[str, Callable[[Any, dict[str, Any]], Normalised]] = {
            "text": lambda v, _: _text(v),
            "name": lambda v, _: normalise_name(v),
            "date": lambda v, _: normalise_date(v, dayfirst=self.m.dayfirst),
            "timestamp": lambda v, _: normalise_timestamp(v),
            "address": lambda v, _: normalise_address(v),
            "postcode": lambda v, attrs: normalise_postcode(
                v, attrs.get("country") or self.m.default_country
            ),
            "country": lambda v, _: normalise_country(v),
            "bool": lambda v, _: normalise_bool(v),
            "number": lambda v, _: _number(v),
            "email": lambda v, _: normalise_email(v),
            "phone": lambda v, _: normalise_phone(v, self.m.default_region),
        }

    # -- customers ----------------------------------------------------------------------
    def customer(
        self, sec: CustomerSection, row: dict[str, Any], file: str, row_no: int
    ) -> SourceRecord | QuarantinedRow:
        key = get_field(row, sec.key)
        if is_blank(key) or isinstance(key, dict | list):
            return self._quarantine("customer", f"missing_key:{_ref(sec.key)}", row, file, row_no)
        source_id = _SPACES.sub(" ", str(key)).strip()
        issues: list[ValueIssue] = []
        identifiers: list[IdentifierValue] = []
        seen: set[str] = set()
        for spec in sec.identifiers:
            raw = get_field(row, spec.field)
            if is_blank(raw):
                continue
            n = normalise_identifier(spec.type, raw, spec.region or self.m.default_region)
            if n.value is None:
                issues.append(ValueIssue(_ref(spec.field), n.reason or "invalid"))
                continue
            ident = IdentifierValue(spec.type, n.value)
            if ident.key not in seen:
                seen.add(ident.key)
                identifiers.append(ident)
        attrs = self._attributes(sec.attributes, row, issues)
        observed = None
        if sec.observed_at is not None:
            observed = normalise_timestamp(get_field(row, sec.observed_at)).value
        return SourceRecord(
            source=self.m.source,
            source_id=source_id,
            attributes=attrs,
            raw=row,
            identifiers=identifiers,
            issues=issues,
            file=file,
            row=row_no,
            observed_at=observed,
        )

    def _attributes(
        self, specs: dict[str, AttributeSpec], row: dict[str, Any], issues: list[ValueIssue]
    ) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        for name, spec in self._ordered(specs):
            raw = get_field(row, spec.field)
            if spec.kind == "full_name":
                n = normalise_name(raw)
                attrs[name] = n.value
                if n.value:
                    given, family = split_full_name(n.value)
                    attrs.setdefault("given_name", given)
                    attrs.setdefault("family_name", family)
                elif n.reason:
                    issues.append(ValueIssue(_ref(spec.field), n.reason))
                continue
            n = self._kinds[spec.kind](raw, attrs)
            if n.reason:
                issues.append(ValueIssue(_ref(spec.field), n.reason))
            if n.value is not None or name not in attrs:
                attrs[name] = n.value
        return attrs

    def _ordered(self, specs: dict[str, AttributeSpec]) -> list[tuple[str, AttributeSpec]]:
        """A section's attributes, country first: postcodes are validated for the record's
        own country. Sorted once per section, not per row."""
        cached = self._orders.get(id(specs))
        if cached is None or cached[0] is not specs:
            cached = (specs, sorted(specs.items(), key=lambda kv: kv[1].kind != "country"))
            self._orders[id(specs)] = cached
        return cached[1]

    # -- orders -------------------------------------------------------------------------
    def order(
        self, sec: OrderSection, row: dict[str, Any], file: str, row_no: int
    ) -> Order | QuarantinedRow:
        key = get_field(row, sec.key)
        cust = get_field(row, sec.customer_key)
        if is_blank(key):
            return self._quarantine("order", f"missing_key:{_ref(sec.key)}", row, file, row_no)
        if is_blank(cust):
            return self._quarantine(
                "order", f"missing_customer_key:{_ref(sec.customer_key)}", row, file, row_no
            )
        placed = normalise_timestamp(get_field(row, sec.placed_at))
        if placed.value is None:
            reason = placed.reason or "missing_timestamp"
            return self._quarantine("order", f"{reason}:{_ref(sec.placed_at)}", row, file, row_no)
        total = _number(get_field(row, sec.total))
        if total.value is None:
            reason = total.reason or "missing_total"
            return self._quarantine("order", f"{reason}:{_ref(sec.total)}", row, file, row_no)
        channel = get_field(row, sec.channel) if sec.channel else None
        store = get_field(row, sec.store) if sec.store else None
        currency = get_field(row, sec.currency) if sec.currency else None
        return Order(
            source=self.m.source,
            order_id=str(key).strip(),
            customer_source_id=_SPACES.sub(" ", str(cust)).strip(),
            placed_at=placed.value,
            total=float(total.value),
            currency=str(currency).strip().upper() if currency else sec.currency_default,
            channel=str(channel).strip().lower() if channel else sec.channel_default,
            store=str(store).strip() if not is_blank(store) else None,
            lines=self._lines(sec.lines, row) if sec.lines else [],
            file=file,
            row=row_no,
        )

    def _lines(self, spec: LinesSpec, row: dict[str, Any]) -> list[OrderLine]:
        value = get_field(row, spec.field)
        items: list[dict[str, Any]] = []
        if spec.format == "list" and isinstance(value, list):
            items = [v for v in value if isinstance(v, dict)]
        elif spec.format == "delimited" and isinstance(value, str):
            for chunk in value.split(spec.sep):
                if chunk.strip():
                    items.append(dict(zip(spec.parts, chunk.split(spec.part_sep), strict=False)))
        lines = []
        for it in items:
            qty = _number(it.get(spec.quantity)).value
            price = _number(it.get(spec.price)).value
            cat = it.get(spec.category)
            lines.append(
                OrderLine(
                    sku=str(it.get(spec.sku) or ""),
                    category=str(cat).strip() if not is_blank(cat) else None,
                    quantity=int(float(qty)) if qty else 1,
                    price=float(price) if price else 0.0,
                )
            )
        return lines

    # -- events -------------------------------------------------------------------------
    def event(
        self, sec: EventSection, row: dict[str, Any], file: str, row_no: int
    ) -> Event | QuarantinedRow:
        cust = get_field(row, sec.customer_key)
        if is_blank(cust):
            return self._quarantine(
                "event", f"missing_customer_key:{_ref(sec.customer_key)}", row, file, row_no
            )
        ts = normalise_timestamp(get_field(row, sec.ts))
        if ts.value is None:
            reason = ts.reason or "missing_timestamp"
            return self._quarantine("event", f"{reason}:{_ref(sec.ts)}", row, file, row_no)
        key = get_field(row, sec.key) if sec.key else None
        event_id = str(key).strip() if not is_blank(key) else content_hash(row)
        etype = get_field(row, sec.type) if sec.type else None
        etype = str(etype).strip().lower() if not is_blank(etype) else sec.type_default
        if etype is None:
            return self._quarantine("event", "missing_event_type", row, file, row_no)
        props = {p: get_field(row, p) for p in sec.properties}
        return Event(
            source=self.m.source,
            event_id=event_id,
            customer_source_id=_SPACES.sub(" ", str(cust)).strip(),
            type=etype,
            ts=ts.value,
            properties={k: v for k, v in props.items() if not is_blank(v)},
            file=file,
            row=row_no,
        )

    def _quarantine(
        self, kind: str, reason: str, row: dict[str, Any], file: str, row_no: int
    ) -> QuarantinedRow:
        return QuarantinedRow(
            source=self.m.source, file=file, row=row_no, reason=reason, raw=row, kind=kind
        )


def _ref(ref: FieldRef) -> str:
    return "|".join(ref) if isinstance(ref, list) else ref
