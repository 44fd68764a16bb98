"""Records kept out of one profile whatever path of links joins them.

Two rules name such pairs: the family rule (two members of one family by name, no personal
attribute agreeing: `matching.family_rule.kept_apart`) and an operator's rejection of a
match (`matching.overrides.reject_match`). Resolution holds them apart in the components
step (`matching.components`, "apart"); explanations name the rule and the link that gave
way (`matching.explain`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from itertools import combinations
from typing import Any, Final

from core.normalise import fold_name
from matching import family_rule
from matching.names import names_one_person

FAMILY_RULE: Final = "family rule"
"""The reason of the pairs the family rule keeps apart."""

EITHER_PERSON: Final = "either of two people"
"""Why an identifier that respects the records kept apart (a household's phone or email, a
shared device) did not place a record: its carriers include two records kept apart, and
the record's profile holds nothing that tells which of them it belongs to (a till receipt
with no name, a record with the family name only). It stays on its own, reported."""

Blocked = Callable[[str, str], str | None]
"""`Protection.is_blocked`: whether a (type, value) is a placeholder."""


def family_apart(
    facts: Mapping[str, Mapping[str, Any]],
    extra: Sequence[str],
    personal: Sequence[str],
    blocked: Blocked,
) -> Callable[[Sequence[str]], list[tuple[str, str, str]]]:
    """The family rule over the records of one component: given rids, the pairs
    (rid, rid, "family rule") of two members of one family, by name, with no personal
    attribute agreeing (`family_rule.kept_apart`).

    Args:
        facts: rid -> the record's facts (`given_name`, `family_name`, and `extra`: the
            values of the attributes named by `extra`, in order).
        extra: The attributes whose values each fact's `extra` holds.
        personal: The attributes the model compares as one person's own.
        blocked: The placeholder check; a placeholder name is no name, as matching scores it.
    """
    positions = [extra.index(name) for name in personal if name in extra]
    names: dict[str, tuple[str, str]] = {}

    def name_of(rid: str) -> tuple[str, str]:
        found = names.get(rid)
        if found is None:
            f = facts[rid]
            given = fold_name(f["given_name"] or "")
            family = fold_name(f["family_name"] or "")
            found = names[rid] = (
                "" if given and blocked("name", given) else given,
                "" if family and blocked("name", family) else family,
            )
        return found

    def personal_of(rid: str) -> list[Any]:
        values = facts[rid]["extra"] or ()
        return [values[i] if i < len(values) else None for i in positions]

    def carried_names(
        rids: Sequence[str],
    ) -> tuple[dict[str, list[tuple[int, str]]], dict[tuple[int, str], set[tuple[str, str]]]]:
        """Per record its personal values (attribute position, folded value), and per value
        the distinct names of the component's records that carry it: linear in the records,
        however many carry one value."""
        values_of: dict[str, list[tuple[int, str]]] = {}
        names_by_value: dict[tuple[int, str], set[tuple[str, str]]] = defaultdict(set)
        for rid in rids:
            if rid in facts:
                keys = [
                    (i, folded)
                    for i, value in enumerate(personal_of(rid))
                    if (folded := family_rule.personal_value(value)) is not None
                ]
                values_of[rid] = keys
                for key in keys:
                    names_by_value[key].add(name_of(rid))
        return values_of, names_by_value

    def apart(rids: Sequence[str]) -> list[tuple[str, str, str]]:
        by_family: dict[str, list[str]] = defaultdict(list)
        for rid in rids:
            if rid in facts:
                given, family = name_of(rid)
                if given and family:
                    by_family[family].append(rid)
        values_of, names_by_value = carried_names(rids) if positions else ({}, {})

        def named_by_alias(a: str, b: str) -> bool:
            # b shares a personal value with a record whose name is a's (or the reverse):
            # b is that record's person under a replaced given name, not a's sibling. (b's
            # own name is among the carriers' names, and is not a's person's: the rule
            # keeps a and b apart.)
            return any(
                names_one_person(name_of(x), other)
                for x, y in ((a, b), (b, a))
                for key in values_of.get(y, ())
                for other in names_by_value[key]
            )

        out: list[tuple[str, str, str]] = []
        for group in by_family.values():
            for a, b in combinations(group, 2):
                if family_rule.kept_apart(
                    name_of(a), name_of(b), personal_of(a), personal_of(b)
                ) and not named_by_alias(a, b):
                    out.append((a, b, FAMILY_RULE))
        return out

    return apart
