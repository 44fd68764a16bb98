"""The family rule: a probabilistic match between two members of one family is held back.

Twins share a family name, a date of birth and an address; siblings and a parent share
all but the date of birth, and often a landline or an email. That is more evidence than
most duplicates carry, so the model scores such pairs above the threshold. A pair whose
family names agree and whose given names are clearly two names
(`matching.names.different_family_members`) is therefore not linked on that evidence.

The rule yields to evidence a family does not share: agreement on an attribute the
mapping declares `personal` (a national id number, a membership number). A twin does not
carry the other twin's personal number; a record whose given name was replaced or badly
misspelt does (public test data such as FEBRL replaces whole given names), often with the
number mistyped too. So a near miss (`near_miss`: two edits or fewer, a swap of adjacent
digits counting as one) yields as exact agreement does, when scoring a pair and in the
components step alike; two numbers next to each other do not, since a family's numbers
are often issued together (twins' social security numbers are often consecutive).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from matching.names import different_family_members, optimal_string_alignment

EXACT_LEVEL: Final = "Exact match"
"""The label of a comparison's exact level (`matching.splink_settings._exact`)."""

NEAR_MISS_EDITS: Final = 2
"""Personal values this many edits apart (or fewer) may be one value mistyped."""

CONSECUTIVE: Final = 10
"""Numbers of one length closer than this are taken as issued in sequence (to one family at
once), not as one number mistyped."""

REASON: Final = (
    "the family rule: one family name, given names that cannot be one person's "
    "(twins, siblings, parent and child), and no personal identifier agreeing"
)


def near_miss(x: Any, y: Any) -> bool:
    """Whether two personal values (as matching compares them, `personal_value`) may be one
    person's: equal, or at most `NEAR_MISS_EDITS` edits apart (a swap of adjacent characters
    is one edit) and not two numbers of one length less than `CONSECUTIVE` apart. False
    when either is missing."""
    vx, vy = personal_value(x), personal_value(y)
    if vx is None or vy is None:
        return False
    if vx == vy:
        return True
    if optimal_string_alignment(vx, vy) > NEAR_MISS_EDITS:
        return False
    consecutive = (
        vx.isdigit()
        and vy.isdigit()
        and len(vx) == len(vy)
        and abs(int(vx) - int(vy)) < CONSECUTIVE
    )
    return not consecutive


def fold(value: Any) -> str:
    return str(value).strip().lower() if isinstance(value, str) else ""


def personal_agreement(evidence: Mapping[str, Any], personal: Iterable[str]) -> str | None:
    """The first of the `personal` comparisons on which the pair agrees exactly, per its
    evidence (comparison -> {"level": label, ...}), or None."""
    for name in personal:
        level = evidence.get(name)
        if isinstance(level, Mapping) and level.get("level") == EXACT_LEVEL:
            return name
    return None


def held_back(
    a: tuple[str, str],
    b: tuple[str, str],
    evidence: Mapping[str, Any] | str | None,
    personal: Iterable[str] = (),
    values: Sequence[tuple[Any, Any]] | None = None,
) -> bool:
    """Whether the family rule holds back a scored pair: folded (given, family) names `a`
    and `b` of two members of one family, and no agreement on a `personal` comparison.

    With `values` (the pair's values of the `personal` attributes, (left, right) in the same
    order), agreement is a `near_miss`; without, exact agreement per the pair's `evidence`
    (a mapping or its JSON text)."""
    if not different_family_members(a, b):
        return False
    if values is not None:
        return not any(near_miss(x, y) for x, y in values)
    personal = tuple(personal)
    if not personal or evidence is None:
        return True
    parsed = json.loads(evidence) if isinstance(evidence, str) else evidence
    return personal_agreement(parsed, personal) is None


def kept_apart(
    a: tuple[str, str],
    b: tuple[str, str],
    personal_a: Sequence[Any] = (),
    personal_b: Sequence[Any] = (),
) -> bool:
    """The family rule on two records rather than on a scored pair: whether folded
    (given, family) names `a` and `b` name two members of one family and none of their
    `personal` values (in the same order on both, None where missing) agrees. Resolution
    keeps such records out of one profile whatever path of matches joins them
    (`matching.components`, `apart`): a duplicate whose family name has a typo, or whose
    given name is missing, matches a twin as well as the original, and the family rule,
    which sees one pair at a time, cannot hold that back.

    Where a personal value is a `near_miss`, the records are not kept apart either, as
    scoring does not hold them back (FEBRL replaces a duplicate's given name and mistypes its
    id number; a twin's own number is another number, or the next one)."""
    if not different_family_members(a, b):
        return False
    return not any(near_miss(x, y) for x, y in zip(personal_a, personal_b, strict=False))


def personal_value(value: Any) -> str | None:
    """A personal value as matching compares it (`matching.linking.to_frame`)."""
    if value is None:
        return None
    return str(value).strip().lower() or None
