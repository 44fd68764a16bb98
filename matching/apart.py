"""Records kept out of one profile whatever path of links joins them.

Three rules name such pairs: the family rule (two members of one family by name, no personal
attribute agreeing: `matching.family_rule.kept_apart`), the namesake rule (one full name
with two dates of birth: two people, `two_birth_dates`) and an operator's rejection of a
match (`matching.overrides.reject_match`).

The namesake rule: people of one full name in one postcode (namesakes) are joined by
any record that carries only the name and postcode (a till card), which matches both. Two
records of one full name with two birth dates (not one date mistyped or its day and month
swapped) are two people: on the generator's 50,000 customers, 3 of the 1,450 scored pairs of
one full name whose birth dates differ by more than a typo or a swap were one person.

Resolution holds these pairs apart in the components
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
from matching.names import optimal_string_alignment

FAMILY_RULE: Final = "family rule"
"""The reason of the pairs the family rule keeps apart."""

NAMESAKE_RULE: Final = "the namesake rule (one full name, two dates of birth)"
"""The reason of the pairs `namesakes` keeps apart."""

YEAR_ENDS: Final = ("-01-01", "-12-31")
"""Birth dates on these days are often a form's default or placeholder (1900-01-01,
2000-01-01) or a year keyed alone; they do not tell two people apart."""

DATE_EDITS: Final = 2
"""Birth dates (ISO text) this many edits apart or fewer may be one date mistyped."""


def two_birth_dates(x: Any, y: Any) -> bool:
    """Whether two birth dates are two dates, not one date mistyped: both present, neither
    on the first or last day of a year (`YEAR_ENDS`), more than `DATE_EDITS` edits apart (a
    swap of adjacent digits counting as one), and not day and month swapped on entry."""
    if not x or not y:
        return False
    a, b = str(x).strip(), str(y).strip()
    if a.endswith(YEAR_ENDS) or b.endswith(YEAR_ENDS):
        return False
    if a == b or optimal_string_alignment(a, b) <= DATE_EDITS:
        return False
    swapped = len(a) == len(b) == 10 and a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]
    return not swapped


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

    def apart(rids: Sequence[str]) -> list[tuple[str, str, str]]:
        by_family: dict[str, list[str]] = defaultdict(list)
        for rid in rids:
            if rid in facts:
                given, family = name_of(rid)
                if given and family:
                    by_family[family].append(rid)
        out: list[tuple[str, str, str]] = []
        for group in by_family.values():
            for a, b in combinations(group, 2):
                if family_rule.kept_apart(name_of(a), name_of(b), personal_of(a), personal_of(b)):
                    out.append((a, b, FAMILY_RULE))
                elif name_of(a) == name_of(b) and two_birth_dates(
                    facts[a].get("dob"), facts[b].get("dob")
                ):
                    out.append((a, b, NAMESAKE_RULE))
        return out

    return apart
