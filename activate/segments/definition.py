"""The segment definition language: a JSON filter tree of AND / OR / NOT over conditions.

Every node of the tree is an object with exactly one key (the same shape as the GraphQL
`one_of` input):

    {"and": [node, ...]}           all of them
    {"or": [node, ...]}            at least one of them
    {"not": node}                  the opposite (two-valued: a missing attribute is false)
    {"attribute": {"field": "clv_percentile", "op": "gte", "value": 0.8}}
    {"has_identifier": "email"}    an identifier of this type, not blocked
    {"in_source": "esp"}           a record from this source system
    {"purchased": {"channel": "store", "category": "shoes", "within_days": 30,
                   "min_orders": 1}}           orders, every key optional
    {"event": {"types": ["open", "click"], "within_days": 90, "min_count": 1}}
    {"consent": "email"}           consented to the channel (and for email, not unsubscribed)

Fields come from `fields.FIELDS`; operators and values are checked against the field's
kind. Nothing of the text reaches Cypher but values, which travel as parameters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    model_validator,
)

from activate.errors import InvalidSegmentDefinition
from activate.segments.fields import (
    FIELDS,
    OPS_BY_KIND,
    ConsentChannel,
    FieldName,
    IdentifierType,
    Op,
    OrderChannel,
)

MAX_DEPTH = 12
MAX_NODES = 200
MAX_LIST_VALUES = 1_000
MAX_DAYS = 36_500
_MAX_JSON_DEPTH = MAX_DEPTH * 3 + 3
"""A tree level is at most three JSON levels ({"and": [ {...} ]}), a leaf three more."""
_MAX_JSON_CONTAINERS = 10 * MAX_NODES + 4 * MAX_LIST_VALUES

Scalar = StrictBool | StrictInt | StrictFloat | Annotated[StrictStr, Field(max_length=200)]
Label = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.:-]{0,63}$")]
"""Source names and event types: plain lower-case labels."""
Category = Annotated[str, StringConstraints(min_length=1, max_length=120)]
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]

_STRICT = ConfigDict(extra="forbid", frozen=True)


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


_VALUE_CHECK = {
    "number": (_is_number, "a number"),
    "days": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, "whole days"),
    "string": (lambda v: isinstance(v, str), "a string"),
    "scalar": (lambda v: isinstance(v, str) or _is_number(v), "a string or a number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "list": (lambda v: isinstance(v, str), "a string"),
}


class AttributeCondition(BaseModel):
    model_config = _STRICT

    field: FieldName
    op: Op
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="after")
    def _check(self) -> AttributeCondition:
        kind = FIELDS[self.field].kind
        if self.op not in OPS_BY_KIND[kind]:
            allowed = ", ".join(sorted(OPS_BY_KIND[kind]))
            raise ValueError(f"{self.field} takes the operators {allowed}, not {self.op}")
        ok, expected = _VALUE_CHECK[kind]
        if self.op in ("exists", "missing"):
            if self.value is not None:
                raise ValueError(f"{self.op} takes no value")
        elif self.op in ("in", "not_in", "contains_any", "between"):
            values = self.value
            if not isinstance(values, list) or not values or len(values) > MAX_LIST_VALUES:
                raise ValueError(f"{self.op} takes a list of 1 to {MAX_LIST_VALUES} values")
            if self.op == "between" and len(values) != 2:
                raise ValueError("between takes [low, high]")
            if not all(ok(v) for v in values):
                raise ValueError(f"{self.field} compares with {expected}")
        elif isinstance(self.value, list) or self.value is None or not ok(self.value):
            raise ValueError(f"{self.field} {self.op} takes {expected}")
        return self


class PurchaseCondition(BaseModel):
    """Orders placed by the profile's records; every key narrows them."""

    model_config = _STRICT

    channel: OrderChannel | None = None
    category: Category | None = None
    within_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None
    min_orders: Annotated[int, Field(ge=1, le=100_000)] = 1


class EventCondition(BaseModel):
    """Engagement events (email opens, clicks, web visits) of the profile's records."""

    model_config = _STRICT

    types: Annotated[list[Label], Field(min_length=1, max_length=20)]
    within_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None
    min_count: Annotated[int, Field(ge=1, le=100_000)] = 1


class Filter(BaseModel):
    """One node of the tree: exactly one of its keys is set."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    all_of: list[Filter] | None = Field(None, alias="and", min_length=1, max_length=50)
    any_of: list[Filter] | None = Field(None, alias="or", min_length=1, max_length=50)
    none_of: Filter | None = Field(None, alias="not")
    attribute: AttributeCondition | None = None
    has_identifier: IdentifierType | None = None
    in_source: Label | None = None
    purchased: PurchaseCondition | None = None
    event: EventCondition | None = None
    consent: ConsentChannel | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Filter:
        keys = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(keys) != 1:
            raise ValueError(f"a node has exactly one key, not {len(keys)}")
        return self

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def children(self) -> list[Filter]:
        if self.all_of is not None:
            return list(self.all_of)
        if self.any_of is not None:
            return list(self.any_of)
        return [self.none_of] if self.none_of is not None else []


def _shape(raw: object) -> None:
    """Refuse trees too deep or too large before pydantic walks them (recursion, size)."""
    stack: list[tuple[object, int]] = [(raw, 1)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        if depth > _MAX_JSON_DEPTH:
            raise InvalidSegmentDefinition(f"deeper than {MAX_DEPTH} levels")
        if isinstance(node, Mapping):
            nodes += 1
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            nodes += 1
            stack.extend((v, depth + 1) for v in node)
        if nodes > _MAX_JSON_CONTAINERS:
            raise InvalidSegmentDefinition("too large")


def _check_tree(f: Filter) -> None:
    stack = [(f, 1)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            raise InvalidSegmentDefinition(f"deeper than {MAX_DEPTH} levels")
        if nodes > MAX_NODES:
            raise InvalidSegmentDefinition(f"more than {MAX_NODES} nodes")
        stack.extend((c, depth + 1) for c in node.children())


def _describe(exc: ValidationError) -> str:
    # Locations and messages only: the input values are not echoed back.
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:5]:
        where = ".".join(str(x) for x in err["loc"]) or "(root)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse_filter(raw: str | Mapping[str, Any] | Filter) -> Filter:
    """Validate a definition given as JSON text, a dict or a `Filter`.

    Raises:
        InvalidSegmentDefinition: It is malformed, too deep or too large, names a field
            that is not on the allow-list, or uses an operator or value the field does not
            take.
    """
    if isinstance(raw, Filter):
        _check_tree(raw)
        return raw
    if isinstance(raw, str):
        if len(raw) > 200_000:
            raise InvalidSegmentDefinition("too large")
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise InvalidSegmentDefinition(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(raw, Mapping):
        raise InvalidSegmentDefinition("the root must be an object")
    _shape(raw)
    try:
        f = Filter.model_validate(raw)
    except ValidationError as exc:
        raise InvalidSegmentDefinition(_describe(exc)) from None
    _check_tree(f)
    return f


# builders for definitions written in Python (examples, tests) -------------------------


def all_of(*nodes: Filter) -> Filter:
    return Filter(all_of=list(nodes))


def any_of(*nodes: Filter) -> Filter:
    return Filter(any_of=list(nodes))


def not_(node: Filter) -> Filter:
    return Filter(none_of=node)


def attr(field: FieldName, op: Op, value: Any = None) -> Filter:
    return Filter(attribute=AttributeCondition(field=field, op=op, value=value))


def has_identifier(kind: IdentifierType) -> Filter:
    return Filter(has_identifier=kind)


def in_source(source: str) -> Filter:
    return Filter(in_source=source)


def purchased(
    *,
    channel: OrderChannel | None = None,
    category: str | None = None,
    within_days: int | None = None,
    min_orders: int = 1,
) -> Filter:
    return Filter(
        purchased=PurchaseCondition(
            channel=channel, category=category, within_days=within_days, min_orders=min_orders
        )
    )


def event(types: list[str], *, within_days: int | None = None, min_count: int = 1) -> Filter:
    return Filter(event=EventCondition(types=types, within_days=within_days, min_count=min_count))


def consent(channel: ConsentChannel) -> Filter:
    return Filter(consent=channel)
