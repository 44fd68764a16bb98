"""Refusals written as changes to what is stored."""

from __future__ import annotations

from matching.refusals import refusal_changes


def test_the_same_refusals_change_nothing() -> None:
    stored = {("r1", "email:a"): "limit:loyalty_id<=1 (x)"}
    changes = refusal_changes([("r1", "email:a", "limit:loyalty_id<=1 (x)")], stored)
    assert not changes and changes.write == [] and changes.clear == []


def test_new_changed_and_gone_refusals() -> None:
    stored = {("r1", "email:a"): "old", ("r2", "phone:b"): "limit", ("r3", "email:c"): "x"}
    changes = refusal_changes(
        [("r1", "email:a", "new"), ("r2", "phone:b", "limit"), ("r4", "email:d", "limit")],
        stored,
    )
    assert changes.write == [("r1", "email:a", "new"), ("r4", "email:d", "limit")]
    assert changes.clear == [("r3", "email:c")]


def test_a_link_refused_twice_keeps_the_last_reason() -> None:
    changes = refusal_changes([("r1", "k", "first"), ("r1", "k", "second")], {})
    assert changes.write == [("r1", "k", "second")]
    assert not refusal_changes(
        [("r1", "k", "first"), ("r1", "k", "second")], {("r1", "k"): "second"}
    )
