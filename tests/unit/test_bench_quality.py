"""Quality per phenomenon (`bench.quality.quality_by_label`)."""

from __future__ import annotations

import pytest

from bench.quality import quality_by_label

pytestmark = pytest.mark.unit


def test_pairs_with_a_labelled_record() -> None:
    truth = {"a": "P1", "b": "P1", "c": "P1", "d": "P2", "e": "P2"}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z"}
    got = quality_by_label(predicted, truth, {"till_card": {"c"}, "none": set()})
    till = got["till_card"]
    # True pairs touching c: (a,c), (b,c); predicted: (c,d), false.
    assert (till.records, till.true_pairs, till.predicted_pairs) == (1, 2, 1)
    assert till.true_positive_pairs == 0
    assert till.precision == 0.0 and till.recall == 0.0
    assert got["none"].true_pairs == 0 and got["none"].recall == 1.0
    everything = quality_by_label(predicted, truth, {"all": set(truth)})["all"]
    # True pairs: ab ac bc de (4); predicted: ab cd (2), of which ab is true.
    assert (everything.true_pairs, everything.predicted_pairs) == (4, 2)
    assert everything.true_positive_pairs == 1


def test_identifiable_recall_per_label() -> None:
    # P1's records a, b share evidence (one identifiable group); c shares nothing with them.
    truth = {"a": "P1", "b": "P1", "c": "P1", "d": "P2", "e": "P2"}
    predicted = {"a": "x", "b": "y", "c": "y", "d": "z", "e": "z"}
    groups = {"a": "g1", "b": "g1", "c": "g2", "d": "g3", "e": "g3"}
    got = quality_by_label(predicted, truth, {"typo": {"b"}, "other": {"e"}}, groups)
    # Identifiable pairs touching b: (a,b) only, and it is split; (b,c) is not identifiable.
    assert (got["typo"].identifiable_pairs, got["typo"].identifiable_true_positive_pairs) == (1, 0)
    assert got["typo"].identifiable_recall == 0.0
    # True pairs touching b: (a,b) split, (b,c) found.
    assert got["typo"].recall == 0.5
    assert got["other"].identifiable_recall == 1.0 and got["other"].identifiable_pairs == 1
    # Without groups every record is its own group: nothing identifiable.
    assert quality_by_label(predicted, truth, {"typo": {"b"}})["typo"].identifiable_pairs == 0


def test_missed_pairs_and_why_an_identifier_did_not_join_them() -> None:
    from bench.quality_misses import identifier_cause, missed_pairs

    truth = {"a": "P1", "b": "P1", "c": "P1", "d": "P2"}
    predicted = {"a": "x", "b": "y", "c": "x", "d": "y"}
    evidence = {
        "a": {"email:a@x.com", "name+postcode:ann lee|2000"},
        "b": {"email:a@x.com"},
        "c": {"name+postcode:ann lee|2000"},
        "d": {"email:a@x.com"},
    }
    # a and c share a key but one profile; b and d another person's.
    assert missed_pairs(predicted, truth, evidence) == {("a", "b"): {"email:a@x.com"}}
    skipped = {("b", "email:a@x.com"): "generic"}
    assert identifier_cause("a", "b", "email:a@x.com", skipped) == "generic"
    assert (
        identifier_cause("a", "b", "email:a@x.com", {}, household=True, nameless=True)
        == "linked, household's, a record names nobody"
    )


def test_missed_pairs_by_who_holds_the_evidence() -> None:
    from bench.quality_misses import by_holders

    truth = {"a": "P1", "b": "P1", "c": "P2", "d": "P3", "e": "P3"}
    evidence = {
        "a": {"email:fam@x.com", "name+postcode:jo lee|2000"},
        "b": {"email:fam@x.com"},
        "c": {"email:fam@x.com", "name+postcode:jo lee|2000"},
        "d": {"name+postcode:mo ng|3000"},
        "e": {"name+postcode:mo ng|3000"},
    }
    pairs = {("a", "b"): {"email:fam@x.com"}, ("d", "e"): {"name+postcode:mo ng|3000"}}
    got = by_holders(pairs, evidence, truth)
    # The family's email is carried by two people; the name in 3000 by one.
    assert got["email"] == {"two or more people": 1}
    assert got["name+postcode"] == {"one person": 1}


def test_evidence_held_by_one_person_only() -> None:
    from bench.quality import held_by_one_person

    truth = {"a": "P1", "b": "P1", "c": "P2"}
    evidence = {
        "a": {"email:fam@x.com", "phone:+61400000001"},
        "b": {"phone:+61400000001"},
        "c": {"email:fam@x.com"},
    }
    # The family's email is carried by P1 and P2: left out; P1's own phone stays.
    assert held_by_one_person(evidence, truth) == {
        "a": {"phone:+61400000001"},
        "b": {"phone:+61400000001"},
        "c": set(),
    }


def test_profiles_holding_two_labelled_people() -> None:
    from bench.quality import profiles_holding_labelled_people

    truth = {"a": "P1", "b": "P2", "c": "P3", "d": "P3"}
    people = {"x": {"P1", "P2"}, "y": {"P3"}}
    labels = {"twin": {"a", "b"}, "sibling": {"a", "c", "d"}}
    # P1 and P2 (twins) share profile x; the siblings P1 and P3 are apart.
    assert profiles_holding_labelled_people(people, truth, labels) == {"twin": 1, "sibling": 0}
