"""Tests for `matching.name_postcode` and the conditional matches of `matching.components`:
a till card's name and postcode join a profile only when nothing says it is someone else."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from matching import name_postcode
from matching.components import INCONSISTENT, SkippedMatch, resolve_components
from matching.config import default_config
from matching.protection import Protection
from matching.splink_settings import default_spec

pytestmark = pytest.mark.unit

CONFIG = default_config()
PROTECTION = Protection.from_config(CONFIG)
NAMES = ("given_name_family_name", "address_postcode")


def _evidence(**levels: str) -> str:
    base = {
        "given_name_family_name": "Exact match",
        "dob": "Null",
        "address_postcode": "Same postcode, address missing",
        "email": "Null",
        "phone": "Null",
    }
    base.update(levels)
    return json.dumps({k: {"level": v, "bf": 1.0} for k, v in base.items()})


def test_the_pattern_is_an_exact_name_a_postcode_and_nothing_disagreeing() -> None:
    assert name_postcode.name_and_postcode_only(_evidence(), NAMES)
    assert name_postcode.name_and_postcode_only(_evidence(phone="Exact match"), NAMES)
    assert not name_postcode.name_and_postcode_only(_evidence(email="All other"), NAMES)
    assert not name_postcode.name_and_postcode_only(_evidence(dob="Within 3653 days"), NAMES)
    assert not name_postcode.name_and_postcode_only(
        _evidence(given_name_family_name="Family name only"), NAMES
    )
    # A typo'd name is on names and a postcode only too, when asked.
    typo = _evidence(given_name_family_name="Both Jaro-Winkler >= 0.88")
    assert not name_postcode.name_and_postcode_only(typo, NAMES)
    assert name_postcode.name_and_postcode_only(typo, NAMES, exact_name=False)
    for apart in ("Null", "Family name only", "All other"):
        assert not name_postcode.name_and_postcode_only(
            _evidence(given_name_family_name=apart), NAMES, exact_name=False
        )
    assert not name_postcode.name_and_postcode_only(
        _evidence(address_postcode="Same postcode, other address"), NAMES
    )


def test_accepted_keeps_pairs_above_the_threshold_and_conditional_ones_below() -> None:
    scored = pd.DataFrame(
        {
            "rid_l": ["a", "b", "c", "d"],
            "rid_r": ["x", "y", "z", "w"],
            "match_weight": [9.0, 3.0, 3.0, 3.0],
            "match_probability": [0.99, 0.9, 0.9, 0.9],
            "evidence": [
                _evidence(email="All other"),  # above: kept whatever it says
                _evidence(),  # the pattern, below: conditional
                _evidence(email="All other"),  # below, an email disagrees: dropped
                _evidence(given_name_family_name="Both Jaro-Winkler >= 0.92"),  # dropped
            ],
        }
    )
    kept = name_postcode.accepted(scored, default_spec(), 0.95)
    assert kept["rid_l"].tolist() == ["a", "b"]
    assert kept["name_postcode"].tolist() == [False, True]
    # Above the threshold a typo'd name and a postcode only is flagged too; below, dropped.
    typo = _evidence(given_name_family_name="Both Jaro-Winkler >= 0.88")
    both = scored.assign(evidence=[typo] * 4, match_probability=[0.97, 0.9, 0.9, 0.9])
    kept = name_postcode.accepted(both, default_spec(), 0.95)
    assert kept["rid_l"].tolist() == ["a"] and kept["name_postcode"].tolist() == [True]
    probability = {("a", "x"): 0.99, ("b", "y"): 0.9}
    pairs = [("a", "x"), ("b", "y")]
    assert name_postcode.conditional(pairs, probability, 0.95) == ([("b", "y")], [])
    assert name_postcode.conditional(pairs, probability, None) == ([], [])
    flagged = [("x", "a"), ("b", "y")]
    assert name_postcode.conditional(pairs, probability, 0.95, flagged) == (
        [("b", "y")],
        [("x", "a")],
    )


def _fact(**values: Any) -> dict[str, Any]:
    return {"dob": None, "address": None, "postcode": "3030", "email": None, "phone": None} | values


def test_profiles_conflict_on_an_attribute_both_hold_with_no_value_in_common() -> None:
    member = [_fact(dob="1980-01-02", email="jo@x.com"), _fact(phone="+61412000111")]
    assert name_postcode.conflict(member, [_fact(phone="+61412000111")]) is None
    assert name_postcode.conflict(member, [_fact(phone="+61499999999")]) == "phone"
    assert name_postcode.conflict(member, [_fact(dob="1975-05-05")]) == "dob"
    # An attribute the other side lacks is no conflict; one side holding nothing is.
    assert name_postcode.conflict(member, [_fact(address="1 high st")]) is None
    assert name_postcode.conflict(member, [_fact()]) == "no attribute"
    # The same street in another postcode is another address.
    here, there = _fact(address="1 high st"), _fact(address="1 high st", postcode="2150")
    assert name_postcode.conflict([here], [there]) == "address"
    # One person's records split by a typo are not two people (two edits or fewer)...
    assert name_postcode.conflict(member, [_fact(dob="1980-01-20")]) is None
    assert name_postcode.conflict(member, [_fact(email="jo@x.co")]) is None
    # ...but the next number is another one (twins' ids, neighbours' house numbers).
    assert name_postcode.conflict([_fact(phone="0412000111")], [_fact(phone="0412000112")]) == (
        "phone"
    )
    # A store's placeholder email says nothing.
    placeholder = [_fact(email="noemail@chatswood.example.com", phone="+61412000111")]
    assert name_postcode.conflict(member, placeholder) == "email"
    assert name_postcode.conflict(member, placeholder, PROTECTION.is_blocked) is None
    only_placeholder = [_fact(email="noemail@chatswood.example.com")]
    assert name_postcode.conflict(member, only_placeholder) == "email"
    assert name_postcode.conflict(member, only_placeholder, PROTECTION.is_blocked) == (
        "no attribute"
    )


def _resolve(
    records: dict[str, dict[str, Any]],
    identifiers: list[tuple[str, str]],
    matches: dict[tuple[str, str], float],
    conditional: list[tuple[str, str]],
) -> Any:
    def consistent(one: Any, other: Any, p: float | None) -> str | None:
        return name_postcode.conflict(
            [records[r] for r in one],
            [records[r] for r in other],
            strict=p is not None and p < 0.95,
        )

    return resolve_components(
        list(records),
        identifiers,
        list(matches),
        PROTECTION,
        CONFIG,
        match_probability=matches,
        conditional_matches=conditional,
        consistent=consistent,
    )


def test_a_till_card_joins_the_one_profile_it_agrees_with_and_never_two_namesakes() -> None:
    records = {
        # Two namesakes in one postcode, each with their own records.
        "shop:a": _fact(address="1 high st", email="jo.a@x.com"),
        "esp:a": _fact(email="jo.a@x.com"),
        "shop:b": _fact(address="9 low rd", email="jo.b@x.com", phone="+61412000222"),
        # A till card with the second one's mobile, which places it first.
        "pos:t": _fact(phone="+61412000222"),
    }
    identifiers = [("shop:a", "email:jo.a@x.com"), ("esp:a", "email:jo.a@x.com")]
    identifiers += [("shop:b", "email:jo.b@x.com"), ("shop:b", "phone:+61412000222")]
    identifiers += [("pos:t", "phone:+61412000222")]
    matches = {("pos:t", "shop:a"): 0.93, ("pos:t", "shop:b"): 0.90}
    result = _resolve(records, identifiers, matches, list(matches))
    groups = {frozenset(c) for c in result.components}
    assert groups == {frozenset({"shop:a", "esp:a"}), frozenset({"shop:b", "pos:t"})}
    assert result.skipped_matches == [SkippedMatch("pos:t", "shop:a", INCONSISTENT, "address")]
    # Without its mobile the card could be either namesake's: it joins neither, in
    # whichever order the matches come.
    identifiers.remove(("pos:t", "phone:+61412000222"))
    for strengths in ((0.93, 0.90), (0.90, 0.93), (0.97, 0.99)):
        matches = dict(zip(matches, strengths, strict=True))
        result = _resolve(records, identifiers, matches, list(matches))
        groups = {frozenset(c) for c in result.components}
        assert frozenset({"pos:t"}) in groups
        assert {(s.reason, s.detail.partition(":")[0]) for s in result.skipped_matches} == {
            (INCONSISTENT, "either of two people")
        }


def test_conditional_matches_join_last_and_only_consistent_profiles() -> None:
    records = {
        "shop:a": _fact(address="1 high st", dob="1980-01-02"),
        "loyalty:a": _fact(dob="1980-01-02", email="a@x.com"),
        "pos:t": _fact(),  # a till card alone: holds nothing to tell a namesake by
    }
    matches = {("loyalty:a", "shop:a"): 0.91, ("pos:t", "shop:a"): 0.92}
    result = _resolve(records, [], matches, list(matches))
    assert {frozenset(c) for c in result.components} == {
        frozenset({"shop:a", "loyalty:a"}),
        frozenset({"pos:t"}),
    }
    assert [s.reason for s in result.skipped_matches] == [INCONSISTENT]
    assert result.skipped_matches[0].detail == "no attribute"
    # The same matches as plain ones join everything.
    plain = _resolve(records, [], matches, [])
    assert len(plain.components) == 1


def test_a_conditional_match_respects_a_limit() -> None:
    records = {
        "loyalty:1": _fact(dob="1980-01-02"),
        "loyalty:2": _fact(dob="1980-01-02", email="a@x.com"),
    }
    identifiers = [("loyalty:1", "loyalty_id:LY1"), ("loyalty:2", "loyalty_id:LY2")]
    matches = {("loyalty:1", "loyalty:2"): 0.9}
    result = _resolve(records, identifiers, matches, list(matches))
    assert len(result.components) == 2
    assert [s.reason for s in result.skipped_matches] == ["limit:loyalty_id"]


def test_a_checked_match_joins_in_its_turn_so_the_weakest_link_gives_way() -> None:
    """A duplicate (d) of an original (o) on names and a postcode only is checked, not
    deferred: it joins first (the strongest), and the weaker match of the duplicate to the
    original's twin (w), whom the family rule keeps apart from the original, gives way."""
    records = {
        "shop:o": _fact(address="1 high st", dob="1980-01-02"),
        "pos:d": _fact(),
        "shop:w": _fact(address="1 high st", dob="1980-01-02", email="w@x.com"),
    }
    matches = {("pos:d", "shop:o"): 0.999, ("pos:d", "shop:w"): 0.96}

    def consistent(one: Any, other: Any, p: float | None) -> str | None:
        return name_postcode.conflict(
            [records[r] for r in one], [records[r] for r in other], strict=False
        )

    def apart(rids: Any) -> list[tuple[str, str, str]]:
        return [("shop:o", "shop:w", "family rule")] if {"shop:o", "shop:w"} <= set(rids) else []

    result = resolve_components(
        list(records),
        [],
        list(matches),
        PROTECTION,
        CONFIG,
        match_probability=matches,
        checked_matches=[("pos:d", "shop:o")],
        consistent=consistent,
        apart=apart,
    )
    assert {frozenset(c) for c in result.components} == {
        frozenset({"shop:o", "pos:d"}),
        frozenset({"shop:w"}),
    }
    assert [(s.a, s.b, s.reason) for s in result.skipped_matches] == [("pos:d", "shop:w", "apart")]
