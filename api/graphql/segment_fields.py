"""`segmentFields`: the allow-list of attributes a segment may filter on, with the operators
each takes, so a segment builder offers exactly what the compiler accepts."""

from __future__ import annotations

from typing import get_args

import strawberry

from activate.segments.fields import FIELDS, OPS_BY_KIND, Op

# The order a builder lists operators in (the allow-list keeps them as sets): the
# compiler's own `Op` literal.
_OP_ORDER: tuple[str, ...] = get_args(Op)


@strawberry.type(description="An attribute a segment condition may name.")
class SegmentField:
    name: str
    kind: str = strawberry.field(
        description="number, days (counted to today), string, scalar (a band or a score), "
        "bool or list."
    )
    operators: list[str]
    description: str


def segment_fields() -> list[SegmentField]:
    return [
        SegmentField(
            name=name,
            kind=spec.kind,
            operators=[op for op in _OP_ORDER if op in OPS_BY_KIND[spec.kind]],
            description=spec.description,
        )
        for name, spec in FIELDS.items()
    ]
