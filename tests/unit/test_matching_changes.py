"""`matching.link_changes.LinkChanges`: scoring writes only the links that changed."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pytest

from matching.link_changes import LinkChanges

pytestmark = pytest.mark.unit


def accepted(*pairs: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "rid_l": a,
                "rid_r": b,
                "match_weight": w,
                "match_probability": 0.99,
                "evidence": f'{{"w": {w}}}',
                "name_postcode": a == "r9",
            }
            for a, b, w in pairs
        ],
        columns=[
            "rid_l",
            "rid_r",
            "match_weight",
            "match_probability",
            "evidence",
            "name_postcode",
        ],
    )


def compare(
    existing: Sequence[Sequence[Any]], *frames: pd.DataFrame, version: str = "m1"
) -> tuple[list[dict[str, Any]], list[tuple[str, str]], set[str], Any]:
    with LinkChanges(version) as changes:
        # A page at a time, as the graph gives them.
        for i in range(0, len(existing), 2):
            changes.add_existing(existing[i : i + 2])
        for frame in frames:
            changes.add_accepted(frame)
        counts = changes.finish()
        writes = [row for rows in changes.writes(size=2) for row in rows]
        deletes = [pair for pairs in changes.deletes(size=1) for pair in pairs]
        return writes, deletes, changes.touched(), counts


def test_only_new_and_changed_links_are_written_and_stale_ones_removed() -> None:
    existing = [
        ["r1", "r2", False, 12.0, "m1"],  # unchanged, stored the other way round
        ["r1", "r3", False, 10.0, "m1"],  # its score changed
        ["r1", "r4", False, 9.0, "m0"],  # written by another model
        ["r5", "r6", False, 8.0, "m1"],  # no longer accepted: removed
        ["r7", "r8", True, 8.0, "m1"],  # rejected by an operator: stays, unscored
        ["r1", "r5", False, None, "m1"],  # stored without a weight: written again
    ]
    writes, deletes, touched, counts = compare(
        existing,
        accepted(("r2", "r1", 12.0 + 1e-9), ("r1", "r3", 11.0)),
        accepted(("r1", "r4", 9.0), ("r9", "r1", 15.0), ("r1", "r5", 7.0), ("r3", "r3", 20.0)),
    )
    assert [(r["a"], r["b"]) for r in writes] == [
        ("r1", "r3"),
        ("r1", "r4"),
        ("r9", "r1"),
        ("r1", "r5"),
    ]
    assert writes[2] == {
        "a": "r9",
        "b": "r1",
        "weight": 15.0,
        "probability": 0.99,
        "evidence": '{"w": 15.0}',
        "name_postcode": True,
    }
    assert deletes == [("r5", "r6")]
    assert touched == {"r1", "r3", "r4", "r9", "r5", "r6"}
    # A record paired with itself is no pair.
    assert (counts.write, counts.delete, counts.unchanged, counts.accepted) == (4, 1, 1, 5)


def test_a_rejected_link_is_never_removed_and_a_pair_is_written_once() -> None:
    existing = [["a", "b", True, 5.0, "m1"]]
    writes, deletes, _, counts = compare(existing, accepted(("a", "c", 3.0), ("c", "a", 4.0)))
    assert [(r["a"], r["b"], r["weight"]) for r in writes] == [("a", "c", 3.0)]
    assert deletes == []
    assert (counts.accepted, counts.unchanged) == (2, 0)
    assert compare(existing)[1] == []
    # A rejected pair scored again is written (its weight), and stays rejected in the graph.
    writes, deletes, _, _ = compare(existing, accepted(("b", "a", 6.0)))
    assert [(r["a"], r["b"]) for r in writes] == [("b", "a")] and deletes == []


def test_nothing_accepted_removes_every_link_but_the_rejected_and_nothing_changed_writes_none() -> (
    None
):
    existing = [[f"r{i}", f"s{i}", i % 3 == 0, float(i), "m1"] for i in range(10)]
    _, deletes, _, _ = compare(existing)
    assert deletes == [(f"r{i}", f"s{i}") for i in range(10) if i % 3]
    same = accepted(*((f"s{i}", f"r{i}", float(i)) for i in range(10)))
    writes, deletes, touched, counts = compare(existing, same)
    assert (writes, deletes, touched) == ([], [], set())
    assert (counts.unchanged, counts.write) == (10, 0)
    writes, _, _, _ = compare(existing, same, version="m2")
    assert len(writes) == 10


def test_more_than_its_memory_spills_and_its_files_go_on_close() -> None:
    n = 100_000
    with LinkChanges("m1", memory_limit="32MB") as changes:
        directory = changes._dir
        changes.add_existing([[f"a{i:06}", f"b{i:06}", False, 1.0, "m1"] for i in range(n)])
        big = accepted(*((f"a{i:06}", f"c{i:06}", 1.0) for i in range(n)))
        big["evidence"] = "x" * 500
        changes.add_accepted(big)
        counts = changes.finish()
        assert (counts.write, counts.delete) == (n, n)
        assert sum(len(rows) for rows in changes.writes()) == n
        assert len(changes.touched()) == 3 * n
    assert not os.path.exists(directory)
