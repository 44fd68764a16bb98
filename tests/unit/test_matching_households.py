"""Tests for `matching.households`: a household's shared identifier links each member's
own records and keeps the members apart."""

from __future__ import annotations

import pytest

from matching.households import base_key, member_groups, member_key, split_households
from matching.names import people_compatible

pytestmark = pytest.mark.unit


def test_members_are_grouped_and_nameless_carriers_are_not_placed() -> None:
    groups = member_groups(
        [
            ("a", "John", "Smith"),
            ("b", "Jon", "Smith"),
            ("c", "Mary", "Smith"),
            ("d", "MARY", "smith"),
            ("e", None, None),
        ]
    )
    assert groups["a"] == groups["b"] != groups["c"] == groups["d"]
    assert "e" not in groups


def test_a_group_whose_names_disagree_links_nothing() -> None:
    # "sam" could be either; "samuel" and "samantha" are not one person.
    groups = member_groups([("a", "Samuel", "Lee"), ("b", "Sam", "Lee"), ("c", "Samantha", "Lee")])
    assert groups == {}


def test_group_numbers_do_not_depend_on_order() -> None:
    rows = [("a", "John", "Smith"), ("c", "Mary", "Smith"), ("b", "John", "Smith")]
    assert member_groups(rows) == member_groups(list(reversed(rows)))


def test_only_household_keys_are_split() -> None:
    pairs = [("a", "phone:1"), ("b", "phone:1"), ("c", "phone:1"), ("a", "email:x")]
    names: dict[str, tuple[str | None, str | None]] = {
        "a": ("John", "Smith"),
        "b": ("John", "Smith"),
        "c": ("Mary", "Smith"),
    }
    out = split_households(pairs, {"phone:1": "household:different_people"}, names.__getitem__)
    assert out[3] == ("a", "email:x")
    keys = [k for _, k in out[:3]]
    assert keys[0] == keys[1] != keys[2]
    assert {base_key(k) for k in keys} == {"phone:1"}
    assert (
        split_households(pairs, {"phone:1": "generic:given_names=9>=8"}, names.__getitem__) == pairs
    )


def test_member_key_round_trips() -> None:
    assert base_key(member_key("email:a#b@x.com", 3)) == "email:a#b@x.com"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (("hugo", "smith"), ("higo", "smith"), True),
        (("zoe", "cooper"), ("ze", "cooepr"), True),
        (("mei", "williams"), ("mi", "williams"), True),
        (("hugo", "smith"), ("higo", "jones"), False),
        (("tom", "li"), ("tim", "li"), False),
        (("ava", "li"), ("eve", "li"), False),
    ],
)
def test_short_given_name_typos_under_one_family_name(
    a: tuple[str, str], b: tuple[str, str], same: bool
) -> None:
    assert people_compatible(a, b) is same
