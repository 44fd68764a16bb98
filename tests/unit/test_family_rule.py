"""The family rule (`matching.family_rule`): two members of one family are not linked by
the model, unless an identifier only one person holds agrees exactly."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from matching import family_rule
from matching.probabilistic import OUTPUT_COLUMNS, hold_back_family_members

pytestmark = pytest.mark.unit

_TWINS = (("oliver", "quennell"), ("harry", "quennell"))


def _evidence(ssn_level: str | None) -> str:
    out = {"given_name_family_name": {"level": "Family name only", "bf": 0.5}}
    if ssn_level is not None:
        out["soc_sec_id"] = {"level": ssn_level, "bf": 900.0}
    return json.dumps(out)


def test_twins_are_held_back() -> None:
    assert family_rule.held_back(*_TWINS, _evidence(None))
    assert family_rule.held_back(*_TWINS, _evidence(None), ["soc_sec_id"])
    # Agreeing on a household's contact is no way out; nor, by its level alone, a near
    # miss on the number (whether it is the next number takes the values).
    assert family_rule.held_back(*_TWINS, _evidence("Levenshtein <= 1"), ["soc_sec_id"])


def test_a_near_miss_on_a_personal_number_is_one_number_mistyped() -> None:
    near = family_rule.near_miss
    assert near("1613259", "1613259")
    assert near("1613259", "1613295")  # two digits swapped: one edit
    assert near("8529720", "8520720")
    assert near("9519245", "9512945")
    assert near("6564025 ", "6564625")
    assert not near("1613259", "4392917")
    assert not near("1613259", "1631925")  # three edits
    assert not near(None, "1613259") and not near("", "")
    # Twins' numbers are often issued in sequence: the next number is another person's.
    assert not near("1000234", "1000235")
    assert not near("1000239", "1000241")
    assert near("ab-1000234", "ab-1000235")  # not a number: only the edits count


def test_a_near_miss_makes_the_rule_yield_given_the_values() -> None:
    evidence = _evidence("All other")
    assert not family_rule.held_back(*_TWINS, evidence, ["soc_sec_id"], [("8529720", "8520720")])
    assert not family_rule.held_back(*_TWINS, evidence, ["soc_sec_id"], [("9036067", "9030076")])
    assert family_rule.held_back(*_TWINS, evidence, ["soc_sec_id"], [("8529720", "4392917")])
    assert family_rule.held_back(*_TWINS, evidence, ["soc_sec_id"], [("1000234", "1000235")])
    assert family_rule.held_back(*_TWINS, evidence, ["soc_sec_id"], [(None, "1000235")])
    # The values decide, not the level: the next number is held back however it scored.
    exact = _evidence("Levenshtein <= 1")
    assert family_rule.held_back(*_TWINS, exact, ["soc_sec_id"], [("1000234", "1000235")])


def test_an_agreeing_personal_identifier_makes_the_rule_yield() -> None:
    assert not family_rule.held_back(*_TWINS, _evidence("Exact match"), ["soc_sec_id"])
    # ... only when the mapping declares it personal.
    assert family_rule.held_back(*_TWINS, _evidence("Exact match"), [])
    assert family_rule.held_back(*_TWINS, _evidence("Exact match"), ["member_no"])


def test_one_person_with_a_typo_is_not_held_back() -> None:
    assert not family_rule.held_back(("talyaj", "webb"), ("taylah", "webb"), None)
    assert not family_rule.held_back(("ja ck", "webb"), ("jack", "webb"), None)


def test_hold_back_family_members_on_scored_pairs() -> None:
    rows = [
        ("a", "b", "oliver", "harry", _evidence("Exact match")),
        ("a", "c", "oliver", "harry", _evidence("All other")),
        ("a", "d", "oliver", "olivr", _evidence("All other")),
    ]
    scored = pd.DataFrame(
        [
            {
                "rid_l": left,
                "rid_r": right,
                "match_weight": 10.0,
                "match_probability": 0.99,
                "evidence": evidence,
                "given_name_l": gl,
                "given_name_r": gr,
                "family_name_l": "Quennell",
                "family_name_r": "QUENNELL ",
            }
            for left, right, gl, gr, evidence in rows
        ]
    )
    kept = hold_back_family_members(scored, ["soc_sec_id"])
    assert list(kept.columns) == list(OUTPUT_COLUMNS)
    assert list(kept["rid_r"]) == ["b", "d"]
    assert list(hold_back_family_members(scored)["rid_r"]) == ["d"]
    # With the personal values in the scored pairs, a near miss yields, the next number not.
    scored["soc_sec_id_l"] = ["1613259", "8529720", "1000234"]
    scored["soc_sec_id_r"] = ["1613259", "8520720", "1000235"]
    kept = hold_back_family_members(scored, ["soc_sec_id"])
    assert list(kept.columns) == list(OUTPUT_COLUMNS)
    assert list(kept["rid_r"]) == ["b", "c", "d"]
    scored["soc_sec_id_r"] = ["1613259", "4392917", "1000235"]
    assert list(hold_back_family_members(scored, ["soc_sec_id"])["rid_r"]) == ["b", "d"]


def test_records_of_two_family_members_are_kept_apart_unless_a_personal_value_agrees() -> None:
    assert family_rule.kept_apart(*_TWINS)
    assert family_rule.kept_apart(*_TWINS, ["123"], ["456"])
    assert family_rule.kept_apart(*_TWINS, [None], [None])
    assert not family_rule.kept_apart(*_TWINS, ["123 "], ["123"])
    # A near miss may be one number mistyped: not proof of two people.
    assert not family_rule.kept_apart(*_TWINS, ["1613259"], ["1613295"])
    assert family_rule.kept_apart(*_TWINS, ["1613259"], ["4392917"])
    # The next number is: twins' numbers are often issued together.
    assert family_rule.kept_apart(*_TWINS, ["1000234"], ["1000235"])
    # A missing given name or another family name: not two members, as far as names tell.
    assert not family_rule.kept_apart(("", "quennell"), _TWINS[0])
    assert not family_rule.kept_apart(("oliver", "quenell"), _TWINS[1])


def _facts(rows: dict[str, tuple[str, str, str | None]]) -> dict[str, dict[str, object]]:
    return {
        rid: {"given_name": given, "family_name": family, "extra": [ssn]}
        for rid, (given, family, ssn) in rows.items()
    }


def test_a_replaced_given_name_carrying_the_persons_number_is_not_a_sibling() -> None:
    """FEBRL rec-655: "isabella" carries the original's number, "rebecca" another one; the
    original ("rebecca", the same number as "isabella") names them one person."""
    from matching.apart import FAMILY_RULE, family_apart

    def never(kind: str, value: str) -> str | None:
        return None

    facts = _facts(
        {
            "org": ("rebecca", "trenerry", "2980023"),
            "dup-0": ("rebecca", "trenerry", "7814962"),
            "dup-1": ("isabella", "trenerry", "2980023"),
        }
    )
    apart = family_apart(facts, ["soc_sec_id"], ["soc_sec_id"], never)
    assert apart(sorted(facts)) == []
    # Without the original, nothing says "isabella" and "rebecca" are one person: twins.
    assert apart(["dup-0", "dup-1"]) == [("dup-0", "dup-1", FAMILY_RULE)]
    # A twin with a number of her own stays apart from both, original and duplicate.
    facts["twin"] = {"given_name": "olivia", "family_name": "trenerry", "extra": ["5550001"]}
    got = apart(sorted(facts))
    assert {a if b == "twin" else b for a, b, _ in got if "twin" in (a, b)} == {
        "dup-0",
        "dup-1",
        "org",
    }
    # Were the original's number also on a record under the twin's name, the twin would
    # be named by it: nothing then tells the twin from a duplicate of the original.
    facts["dup-2"] = {"given_name": "olivia", "family_name": "trenerry", "extra": ["2980023"]}
    assert not [p for p in apart(sorted(facts)) if "twin" in p[:2] and "org" in p[:2]]
    # Without personal attributes the rule is the plain family rule.
    plain = family_apart(facts, ["soc_sec_id"], [], never)
    assert ("dup-0", "dup-1", FAMILY_RULE) in plain(sorted(facts))
