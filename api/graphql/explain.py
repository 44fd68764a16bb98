"""Explanations of identity resolution as GraphQL types: why two records are (or are not)
one customer, with the path that joins them and the evidence of each hop."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from matching.explain import Explanation as Explained


@strawberry.type(description="One step of a path: two records and why they join.")
class Hop:
    from_record: str
    to_record: str
    via: str = strawberry.field(description="identifier, match or forced.")
    identifier: str | None
    evidence: JSON


@strawberry.type(description="Something that could have joined two records but did not.")
class Barrier:
    kind: str
    identifier: str | None
    reason: str


@strawberry.type
class Explanation:
    record_a: str
    record_b: str
    same_profile: bool
    profile_a: str | None
    profile_b: str | None
    summary: str
    path: list[Hop]
    barriers: list[Barrier]


def explanation(e: Explained) -> Explanation:
    return Explanation(
        record_a=e.record_a,
        record_b=e.record_b,
        same_profile=e.same_profile,
        profile_a=e.profile_a,
        profile_b=e.profile_b,
        summary=e.summary,
        path=[
            Hop(
                from_record=h.from_rid,
                to_record=h.to_rid,
                via=h.via,
                identifier=h.identifier,
                evidence=JSON(h.evidence),
            )
            for h in e.path
        ],
        barriers=[
            Barrier(kind=b.kind, identifier=b.identifier, reason=b.reason) for b in e.barriers
        ],
    )
