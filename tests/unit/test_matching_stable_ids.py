"""Tests for `matching.stable_ids`: examples through merge and split, then properties."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.errors import InvalidComponents, MatchingError, ProfileIdCollision
from matching.stable_ids import Assignment, ProfileChange, assign_profile_ids

pytestmark = pytest.mark.unit

PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def counter(prefix: str = "new") -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers)}"


def assign(
    components: list[list[str]],
    previous: Mapping[str, str] | None = None,
    history: Mapping[str, float] | None = None,
) -> Assignment:
    return assign_profile_ids(components, previous or {}, history or {}, counter())


def test_new_records_get_new_profiles() -> None:
    result = assign([["b:1", "a:1"], ["c:1"]])
    assert result.profiles == ["new-1", "new-2"]
    assert result.membership == {"a:1": "new-1", "b:1": "new-1", "c:1": "new-2"}
    assert result.events == [
        ProfileChange("created", "new-1", (), 2),
        ProfileChange("created", "new-2", (), 1),
    ]
    assert result.retired == {}


def test_unchanged_profiles_keep_their_ids_without_events() -> None:
    previous = {"a:1": "P1", "b:1": "P1", "c:1": "P2"}
    result = assign([["a:1", "b:1", "d:1"], ["c:1"]], previous)
    assert result.profiles == ["P1", "P2"]
    assert result.membership["d:1"] == "P1"
    assert result.events == [] and result.retired == {}


def test_merge_keeps_the_id_with_the_most_history() -> None:
    previous = {"a:1": "P1", "a:2": "P1", "b:1": "P2", "c:1": "P3"}
    history = {"P1": 5.0, "P2": 40.0, "P3": 1.0}
    result = assign([["a:1", "a:2", "b:1", "c:1"]], previous, history)
    assert result.profiles == ["P2"]
    assert result.retired == {"P1": "P2", "P3": "P2"}
    assert result.events == [ProfileChange("merged", "P2", ("P1", "P3"), 3)]


def test_merge_tie_keeps_the_smallest_id() -> None:
    previous = {"a:1": "P9", "b:1": "P3"}
    result = assign([["a:1", "b:1"]], previous, {"P9": 2, "P3": 2})
    assert result.profiles == ["P3"]
    assert result.retired == {"P9": "P3"}


def test_split_leaves_the_id_with_the_largest_part() -> None:
    previous = {r: "P1" for r in ("a:1", "a:2", "a:3", "b:1", "b:2")}
    result = assign([["b:1", "b:2"], ["a:1", "a:2", "a:3"]], previous)
    assert result.profiles == ["new-1", "P1"]
    assert result.events == [ProfileChange("split", "P1", ("new-1",), 2)]
    assert result.retired == {}


def test_split_tie_goes_to_the_part_with_the_smallest_rid() -> None:
    previous = {"a:1": "P1", "z:1": "P1"}
    result = assign([["z:1"], ["a:1"]], previous)
    assert result.profiles == ["new-1", "P1"]


def test_merge_and_split_at_once() -> None:
    # P1 splits: its larger part joins P2, which has more history, so P1 is retired into P2;
    # its smaller part joins P3, which keeps its id.
    previous = {"a:1": "P1", "a:2": "P1", "a:3": "P1", "a:4": "P1", "b:1": "P2"}
    previous |= {"c:1": "P3", "c:2": "P3"}
    history = {"P1": 1.0, "P2": 50.0, "P3": 2.0}
    components = [["a:1", "a:2", "a:3", "b:1"], ["a:4", "c:1", "c:2"]]
    result = assign(components, previous, history)
    assert result.profiles == ["P2", "P3"]
    assert result.retired == {"P1": "P2"}
    assert result.events == [
        ProfileChange("split", "P1", ("P3",), 1),
        ProfileChange("merged", "P2", ("P1",), 3),
    ]


def test_an_id_goes_to_its_largest_part_even_when_history_prefers_it_elsewhere() -> None:
    # P1 (most history) has 1 record beside P2's 5, and 3 records alone: the 3 keep P1.
    previous = {"x:1": "P1", "x:2": "P1", "x:3": "P1", "x:4": "P1"}
    previous |= {f"y:{i}": "P2" for i in range(5)}
    components = [["x:1", *(f"y:{i}" for i in range(5))], ["x:2", "x:3", "x:4"]]
    result = assign(components, previous, {"P1": 100, "P2": 1})
    assert result.profiles == ["P2", "P1"]
    assert result.retired == {}
    assert result.events == [ProfileChange("split", "P1", ("P2",), 1)]


def test_split_off_part_that_only_has_new_neighbours_is_not_created() -> None:
    previous = {"a:1": "P1", "a:2": "P1", "b:1": "P1"}
    result = assign([["a:1", "a:2"], ["b:1", "n:1"]], previous)
    assert [e.kind for e in result.events] == ["split"]


def test_records_of_previous_profiles_that_vanished_are_ignored() -> None:
    result = assign([["a:1"]], {"a:1": "P1", "gone:1": "P7"})
    assert result.profiles == ["P1"] and result.events == []


def test_invalid_components_raise() -> None:
    with pytest.raises(InvalidComponents, match="two components"):
        assign([["a:1"], ["a:1", "b:1"]])
    with pytest.raises(InvalidComponents, match="empty"):
        assign([[]])


def test_new_id_colliding_with_an_id_in_use_raises() -> None:
    with pytest.raises(ProfileIdCollision) as caught:
        assign_profile_ids([["a:1"], ["b:1"]], {"a:1": "new-1", "c:1": "x"}, {}, counter())
    assert isinstance(caught.value, MatchingError)
    assert caught.value.pid == "new-1"


# ---------------------------------------------------------------------------------------------
# Properties


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[list[str]], dict[str, str], dict[str, float]]:
    """Records regrouped at random, with previous profiles drawn over them independently."""
    n = draw(st.integers(1, 25))
    rids = [f"{draw(st.sampled_from('abc'))}:{i}" for i in range(n)]
    labels = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    components: dict[int, list[str]] = {}
    for rid, label in zip(rids, labels, strict=True):
        components.setdefault(label, []).append(rid)
    previous_labels = draw(st.lists(st.none() | st.integers(0, 5), min_size=n, max_size=n))
    previous = {r: f"P{p}" for r, p in zip(rids, previous_labels, strict=True) if p is not None}
    history = {f"P{p}": float(draw(st.integers(0, 3))) for p in range(6)}
    return list(components.values()), previous, history


def check_invariants(
    components: list[list[str]], previous: Mapping[str, str], result: Assignment
) -> None:
    every = [r for c in components for r in c]
    assert sorted(result.membership) == sorted(every)
    assert len(result.profiles) == len(components)
    assert len(set(result.profiles)) == len(components), "a pid is kept by two components"
    for members, pid in zip(components, result.profiles, strict=True):
        assert {result.membership[r] for r in members} == {pid}
        if pid in set(previous.values()):
            assert any(previous.get(r) == pid for r in members)
    for old, new in result.retired.items():
        assert old not in result.profiles and new in result.profiles


@PROPERTY
@given(scenarios())
def test_every_record_gets_one_pid_and_no_pid_is_kept_twice(
    scenario: tuple[list[list[str]], dict[str, str], dict[str, float]],
) -> None:
    components, previous, history = scenario
    result = assign_profile_ids(components, previous, history, counter())
    check_invariants(components, previous, result)


@PROPERTY
@given(scenarios())
def test_reassigning_the_result_changes_nothing(
    scenario: tuple[list[list[str]], dict[str, str], dict[str, float]],
) -> None:
    components, previous, history = scenario
    first = assign_profile_ids(components, previous, history, counter())
    again = assign_profile_ids(components, first.membership, history, counter("other"))
    assert again.membership == first.membership
    assert again.events == [] and again.retired == {}


@PROPERTY
@given(scenarios(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(
    scenario: tuple[list[list[str]], dict[str, str], dict[str, float]], rng: random.Random
) -> None:
    components, previous, history = scenario
    first = assign_profile_ids(components, previous, history, counter())
    shuffled = [rng.sample(c, len(c)) for c in components]
    order = list(range(len(components)))
    rng.shuffle(order)
    again = assign_profile_ids([shuffled[i] for i in order], previous, history, counter())
    assert again.membership == first.membership
    assert again.events == first.events
    assert again.retired == first.retired
    assert again.profiles == [first.profiles[i] for i in order]


@PROPERTY
@given(scenarios())
def test_events_account_for_every_change(
    scenario: tuple[list[list[str]], dict[str, str], dict[str, float]],
) -> None:
    components, previous, history = scenario
    result = assign_profile_ids(components, previous, history, counter())
    merged = {e.pid: set(e.others) for e in result.events if e.kind == "merged"}
    assert {old: new for new, olds in merged.items() for old in olds} == result.retired
    split = {e.pid for e in result.events if e.kind == "split"}
    for pid in set(previous.values()):
        parts = {result.membership[r] for r, p in previous.items() if p == pid}
        assert (len(parts) > 1) == (pid in split)
    created = {e.pid for e in result.events if e.kind == "created"}
    for members, pid in zip(components, result.profiles, strict=True):
        assert (pid in created) == all(r not in previous for r in members)
