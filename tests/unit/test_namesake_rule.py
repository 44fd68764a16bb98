"""The namesake rule (`matching.apart`): two records of one full name with two dates of birth
are two people, so a till card that matches both does not join them."""

from __future__ import annotations

from typing import Any

import pytest

from matching.apart import two_birth_dates
from matching.component_rules import ComponentRules, ResolutionInput
from matching.config import default_config
from matching.protection import Protection

pytestmark = pytest.mark.unit

RULES = ComponentRules(Protection.from_config(default_config()), default_config())


def _fact(dob: str | None, email: str | None = None) -> dict[str, Any]:
    return {
        "given_name": "Jack",
        "family_name": "Smith",
        "email": email,
        "phone": None,
        "dob": dob,
        "extra": (),
    }


def _profiles(facts: dict[str, dict[str, Any]], accepted: list[tuple[str, str]]) -> list[set[str]]:
    data = ResolutionInput(records=sorted(facts), pairs=[], facts=facts, accepted=accepted)
    return sorted((set(c) for c in RULES.resolve(data).components), key=min)


def test_a_till_card_does_not_join_two_namesakes() -> None:
    facts = {
        "loyalty:1": _fact("1980-03-14", "jack1@x.com"),
        "loyalty:2": _fact("1992-07-29", "jack2@x.com"),
        "pos:till": _fact(None),
    }
    # The till card (name and postcode) matches both namesakes.
    got = _profiles(facts, [("pos:till", "loyalty:1"), ("pos:till", "loyalty:2")])
    assert len(got) == 2 and {"loyalty:1", "loyalty:2"} not in got


@pytest.mark.parametrize(
    ("x", "y", "two"),
    [
        ("1980-03-14", "1992-07-29", True),
        ("1980-03-14", "1980-03-41", False),  # one typo
        ("1980-03-14", "1980-04-13", False),  # two digits mistyped
        ("1980-03-11", "1980-11-03", False),  # day and month swapped on entry
        ("1980-03-14", "1900-01-01", False),  # a form's placeholder
        ("1980-03-14", "1980-12-31", False),  # a year keyed alone
        ("1980-03-14", None, False),
    ],
)
def test_two_birth_dates(x: str, y: str | None, two: bool) -> None:
    assert two_birth_dates(x, y) is two


def test_one_person_with_a_mistyped_date_stays_whole() -> None:
    facts = {
        "loyalty:1": _fact("1980-03-14", "jack1@x.com"),
        "shop:1": _fact("1980-03-41", "jack1@x.com"),
        "pos:till": _fact(None),
    }
    got = _profiles(facts, [("pos:till", "loyalty:1"), ("pos:till", "shop:1")])
    assert got == [set(facts)]
