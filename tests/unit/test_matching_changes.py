"""`matching.linking.match_changes`: scoring writes only the links that changed."""

from __future__ import annotations

import pytest

from matching.linking import match_changes

pytestmark = pytest.mark.unit


def row(a: str, b: str, weight: float) -> dict[str, object]:
    return {"a": a, "b": b, "weight": weight, "probability": 0.99, "evidence": "{}"}


def test_only_new_and_changed_links_are_written_and_stale_ones_removed() -> None:
    existing = [
        ["r1", "r2", False, 12.0, "m1"],  # unchanged, stored the other way round
        ["r1", "r3", False, 10.0, "m1"],  # its score changed
        ["r1", "r4", False, 9.0, "m0"],  # written by another model
        ["r5", "r6", False, 8.0, "m1"],  # no longer accepted: removed
        ["r7", "r8", True, 8.0, "m1"],  # rejected by an operator: stays, unscored
    ]
    accepted = [
        row("r2", "r1", 12.0 + 1e-9),
        row("r1", "r3", 11.0),
        row("r1", "r4", 9.0),
        row("r9", "r1", 15.0),  # new
    ]
    changes = match_changes(accepted, existing, "m1")
    assert [(r["a"], r["b"]) for r in changes.write] == [("r1", "r3"), ("r1", "r4"), ("r9", "r1")]
    assert changes.delete == [("r5", "r6")]
    assert changes.unchanged == 1


def test_a_rejected_link_is_never_removed_and_a_pair_is_written_once() -> None:
    existing = [["a", "b", True, 5.0, "m1"]]
    changes = match_changes([row("a", "c", 3.0), row("c", "a", 3.0)], existing, "m1")
    assert [(r["a"], r["b"]) for r in changes.write] == [("a", "c")]
    assert changes.delete == []
    assert match_changes([], existing, "m1").delete == []
