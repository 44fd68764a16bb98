"""Tests for `matching.evaluate`: pair counts, cluster figures, identifiable pairs."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.evaluate import evaluate, evidence_keys, identifiable_groups

pytestmark = pytest.mark.unit


def test_pairwise_and_cluster_figures() -> None:
    truth = {"a": "P1", "b": "P1", "c": "P1", "d": "P2", "e": "P2"}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z"}
    q = evaluate(predicted, truth)
    assert (q.true_pairs, q.predicted_pairs, q.true_positive_pairs) == (4, 2, 1)
    assert q.precision == 0.5 and q.recall == 0.25
    assert q.cluster_precision == pytest.approx(2 / 3) and q.cluster_recall == 0.0
    assert q.largest_cluster == 2 and q.identifiable_pairs is None


def test_evidence_keys_of_a_record() -> None:
    keys = evidence_keys(
        ["email:ann@x.com"], "Ann", "Lee", dob="1990-01-02", postcode="2000", phone=None
    )
    assert keys == {
        "email:ann@x.com",
        "name+dob:ann lee|1990-01-02",
        "name+postcode:ann lee|2000",
    }
    # A name alone, or half a name, is no evidence.
    assert evidence_keys([], "Ann", "Lee") == set()
    assert evidence_keys([], "Ann", None, dob="1990-01-02") == set()


def test_identifiable_pairs_follow_chains_of_shared_evidence() -> None:
    truth = {"a": "P1", "b": "P1", "c": "P1", "anon": "P1", "d": "P2", "e": "P2"}
    evidence = {
        "a": {"email:1"},
        "b": {"email:1", "phone:1"},
        "c": {"phone:1"},
        "anon": {"cookie:9"},
        # P2's records share a key with P1's: evidence joins only one person's records.
        "d": {"email:1"},
        "e": {"phone:2"},
    }
    groups = identifiable_groups(truth, evidence)
    assert groups["a"] == groups["b"] == groups["c"] != groups["anon"]
    assert groups["d"] != groups["e"] and groups["d"] != groups["a"]
    # Everything found but the anonymous record: recall 3/6 over all pairs, 1 over
    # identifiable pairs.
    predicted = {"a": "x", "b": "x", "c": "x", "anon": "y", "d": "z", "e": "w"}
    q = evaluate(predicted, truth, evidence)
    assert q.recall == pytest.approx(3 / 7)
    assert (q.identifiable_pairs, q.identifiable_true_positive_pairs) == (3, 3)
    assert q.identifiable_recall == 1.0


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10_000))
def test_identifiable_figures_are_bounded(seed: int) -> None:
    rng = random.Random(seed)
    rids = [f"r{i}" for i in range(30)]
    truth = {r: f"P{rng.randrange(6)}" for r in rids}
    predicted = {r: f"c{rng.randrange(8)}" for r in rids}
    evidence = {r: {f"k{rng.randrange(12)}"} for r in rids if rng.random() < 0.7}
    q = evaluate(predicted, truth, evidence)
    assert q.identifiable_pairs is not None and q.identifiable_true_positive_pairs is not None
    assert q.identifiable_pairs <= q.true_pairs
    assert q.identifiable_true_positive_pairs <= min(q.identifiable_pairs, q.true_positive_pairs)
    groups = identifiable_groups(truth, evidence)
    for a, b in itertools.combinations(rids, 2):
        if groups[a] == groups[b]:
            assert truth[a] == truth[b]
