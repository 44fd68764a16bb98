"""Tests for `matching.names`: which given names can be one person's (the household rule)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.names import (
    clearly_different_given_names,
    different_family_members,
    disagreeing_people,
    duplicate_account_names,
    given_names_compatible,
    one_edit_apart,
    optimal_string_alignment,
    people_compatible,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("stephen", "stephen", False),  # no edit
        ("setphen", "stephen", True),  # swapped letters
        ("wiliam", "william", True),  # one deleted
        ("william", "wiliam", True),
        ("susan", "suaan", True),  # one replaced
        ("stephen", "stphen", True),
        ("stephen", "stepehn", True),
        ("stephen", "stehpen", True),
        ("stephen", "steven", False),  # two edits
        ("ab", "ba", True),
        ("abc", "cab", False),
        ("abc", "abcde", False),
    ],
)
def test_one_edit_apart(a: str, b: str, expected: bool) -> None:
    assert one_edit_apart(a, b) is expected


@given(st.text(alphabet="abcdef", min_size=1, max_size=8), st.data())
def test_one_edit_apart_finds_every_single_edit(name: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(name) - 1))
    ch = data.draw(st.sampled_from("xyz"))
    for edited in (
        name[:i] + name[i + 1 :],
        name[:i] + ch + name[i:],
        name[:i] + ch + name[i + 1 :],
    ):
        assert one_edit_apart(name, edited) and one_edit_apart(edited, name)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("robert", "bob"),  # the built-in groups
        ("kenneth", "kenny"),  # the maintained nickname list
        ("gabrielle", "gabby"),
        ("setphen", "steve"),  # a typo of a known name, then its nickname
        ("aelxander", "alex"),
        ("frnaces", "fran"),
        ("wiliam", "bill"),
        ("chris", "christopher"),  # a prefix
        ("mary ann", "mary"),
        ("j", "john"),  # an initial
    ],
)
def test_compatible_given_names(a: str, b: str) -> None:
    assert given_names_compatible(a, b) and given_names_compatible(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [("john", "jane"), ("james", "jane"), ("sean", "sian"), ("david", "daniel"), ("j", "mary")],
)
def test_different_given_names(a: str, b: str) -> None:
    assert not given_names_compatible(a, b)


def test_a_surname_typed_as_the_given_name_is_compatible() -> None:
    assert people_compatible(("turner", "turner"), ("frank", "turner"))
    assert people_compatible(("brown", ""), ("steph", "brown"))
    assert people_compatible(("lin", "sanjay"), ("sanjay", ""))


def test_a_swapped_name_is_not_a_surname_alone() -> None:
    # "Walker, Renée" and "Noah Walker" share a family, not a person.
    assert not people_compatible(("walker", "renee"), ("noah", "walker"))
    assert people_compatible(("walker", "renee"), ("renee", "walker"))


def test_household_members_still_disagree() -> None:
    household = [("john", "smith"), ("smith", ""), ("jane", "smith")]
    assert disagreeing_people(household)
    assert not disagreeing_people([("john", "smith"), ("smith", ""), ("johnny", "smith")])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("j", "chambers"), ("jacqueline", "chambers")),
        (("judy", "liu"), ("judith", "liu")),
        (("kim", "ng"), ("kimberly", "ng")),
        (("hugo", "ray"), ("higo", "ray")),
        (("kevin", ""), ("kevin", "brown")),
        (("jacqueline", "chambers"), ("jacqueline", "chambers")),
    ],
)
def test_duplicate_account_names(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert duplicate_account_names(a, b) and duplicate_account_names(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("john", "chambers"), ("jacqueline", "chambers")),  # two people of one family
        (("kim", "ng"), ("kim", "tan")),  # another family name
        (("j", ""), ("jacqueline", "chambers")),  # an initial without a family name
        (("chambers", ""), ("jacqueline", "chambers")),  # a family name alone
        (("", "chambers"), ("jacqueline", "chambers")),
        (("kevin", ""), ("kevin", "")),  # no family name on either
    ],
)
def test_not_duplicate_account_names(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert not duplicate_account_names(a, b) and not duplicate_account_names(b, a)


@pytest.mark.parametrize(
    ("a", "b", "family"),
    [
        (("oliver", "quennell"), ("harry", "quennell"), True),
        (("amelia", "quennell"), ("isla", "quennell"), True),
        (("john michael", "smith"), ("michael", "smith"), False),
        (("william", "smith"), ("bill", "smith"), False),
        (("j", "smith"), ("john", "smith"), False),
        (("jonathon", "smith"), ("jonathan", "smith"), False),
        (("oliver", "quennell"), ("harry", "quennel"), False),
        (("oliver", ""), ("harry", "quennell"), False),
        (("smith", "oliver"), ("oliver", "smith"), False),
        # Typos as public test data (FEBRL) makes them: one person, not two relatives.
        (("talyaj", "webb"), ("taylah", "webb"), False),
        (("ja ck", "matthews"), ("jack", "matthews"), False),
        (("ro nan", "campbell"), ("ronan", "campbell"), False),
        (("syivie", "ng"), ("sylvbe", "ng"), False),
        (("braecon", "schuetz"), ("braedon", "schuetz"), False),
        # Two known names of different families, however close.
        (("tom", "hill"), ("tim", "hill"), True),
        (("jack", "hill"), ("jake", "hill"), True),
        (("mia", "hill"), ("ava", "hill"), True),
    ],
)
def test_different_family_members(a: tuple[str, str], b: tuple[str, str], family: bool) -> None:
    assert different_family_members(a, b) is family
    assert different_family_members(b, a) is family


@pytest.mark.parametrize(
    ("a", "b", "different"),
    [
        ("oliver", "harry", True),
        ("amelia", "isla", True),
        ("tim", "tom", True),
        ("talyaj", "taylah", False),  # two edits: a typo or two
        ("ja ck", "jack", False),
        ("katherine", "kate", False),
        ("jonathon", "jonathan", False),
        ("", "harry", False),
    ],
)
def test_clearly_different_given_names(a: str, b: str, different: bool) -> None:
    assert clearly_different_given_names(a, b) is different
    assert clearly_different_given_names(b, a) is different


@given(st.text(alphabet="abcdeh", max_size=8), st.text(alphabet="abcdeh", max_size=8))
def test_optimal_string_alignment_is_a_symmetric_edit_count(a: str, b: str) -> None:
    d = optimal_string_alignment(a, b)
    assert d == optimal_string_alignment(b, a)
    assert (d == 0) == (a == b)
    assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))
    assert (d == 1) == one_edit_apart(a, b)
