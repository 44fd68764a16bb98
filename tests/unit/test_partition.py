"""A full resolution cut into parts (`matching.partition`): the scope read as columns, its
parts resolved one at a time and combined give the resolution of all records at once."""

from __future__ import annotations

import random

import numpy as np
import pytest

from matching import partition
from matching.component_rules import ComponentRules, ResolutionInput
from matching.components import combine
from matching.config import default_config
from matching.partition import ColumnReader, PartRows, Parts, ScopeColumns
from matching.protection import Protection
from tests.factories.resolution_inputs import THRESHOLD, assert_same_resolution, random_input

pytestmark = pytest.mark.unit

RULES = ComponentRules(
    Protection.from_config(default_config()), default_config(), ("dob",), threshold=THRESHOLD
)
STRONG = 0.9999
"""`random_input`'s strong matches are those from this probability."""


def columns_of(data: ResolutionInput, seed: int, page: int = 37) -> ScopeColumns:
    """`data` as a full read would page it: records with some old profiles, identifier
    links and matches, `page` rows at a time."""
    rnd = random.Random(seed)
    reader = ColumnReader()
    records = [
        [rid, f"p{rnd.randint(0, 40)}" if rnd.random() < 0.5 else None] for rid in data.records
    ]
    links = [[rid, key, None, None] for rid, key in sorted(data.pairs)]
    np_pairs = set(data.name_postcode)
    matches = [
        [a, b, False, data.probability.get((a, b)), (a, b) in np_pairs] for a, b in data.accepted
    ] + [[a, b, True, None, False] for a, b in data.rejected]
    for rows, add in ((records, reader.records), (links, reader.links), (matches, reader.matches)):
        for i in range(0, len(rows), page):
            add(rows[i : i + page])
    return reader.finish()


def parts_of(data: ResolutionInput, columns: ScopeColumns, part_records: int) -> Parts:
    # As the resolver decides it: keys `may_join` allows, operator-shared ones aside.
    keys = columns.keys.to_pylist()
    may = RULES.may_join(keys, data.generic)
    joinable = np.array([ok and k not in data.shared for k, ok in zip(keys, may, strict=True)])
    return Parts(columns, joinable, data.forced, part_records)


def resolved_in_parts(data: ResolutionInput, parts: Parts) -> list[ResolutionInput]:
    return [
        parts.input(
            part,
            data.facts,
            extra=data.extra,
            generic=data.generic,
            shared=data.shared,
            strong_from=STRONG,
        )
        for part in range(parts.count)
    ]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("part_records", [1, 25, 10**6])
def test_parts_resolve_as_all_records_at_once(seed: int, part_records: int) -> None:
    data = random_input(seed)
    whole = RULES.resolve(data)
    assert whole.violations and whole.skipped_matches  # the input exercises the rules
    parts = parts_of(data, columns_of(data, seed), part_records)
    inputs = resolved_in_parts(data, parts)
    assert sorted(r for i in inputs for r in i.records) == list(data.records)
    assert_same_resolution(whole, combine(RULES.resolve(i) for i in inputs))
    if part_records == 10**6:
        assert parts.count == 1
    else:
        assert parts.count > 1
        # Keys that do not link are counted over the whole scope, not only the part.
        assert any(i.carried_elsewhere for i in inputs)
    if part_records == 1:
        # A part is one coarse component: no link of any kind leaves it.
        part_of = {r: n for n, i in enumerate(inputs) for r in i.records}
        for n, i in enumerate(inputs):
            for a, b in (*i.accepted, *i.rejected, *i.forced):
                assert part_of[a] == part_of[b] == n


def test_old_profiles_are_kept_whole_in_a_part() -> None:
    data = random_input(5)
    columns = columns_of(data, 5)
    parts = parts_of(data, columns, 1)
    for pid in range(columns.profiles):
        holding = np.flatnonzero(columns.profile == pid)
        assert len(set(parts.part_of[holding].tolist())) == 1


def test_a_scope_with_no_record_has_no_part() -> None:
    columns = ColumnReader().finish()
    parts = Parts(columns, np.zeros(0, dtype=np.bool_), [], 10)
    assert parts.count == 0 and len(columns.keys) == 0


def test_links_of_records_not_read_are_left_out() -> None:
    reader = ColumnReader()
    reader.records([["pos:1", None], ["pos:2", "p-1"]])
    reader.links([["pos:1", "email:a@x.com", None, None], ["pos:9", "email:a@x.com", None, None]])
    reader.matches([["pos:1", "pos:2", False, 0.99, False], ["pos:1", "pos:9", False, 0.99, True]])
    columns = reader.finish()
    assert columns.rids.to_pylist() == ["pos:1", "pos:2"]
    assert columns.pair_record.tolist() == [0] and columns.keys.to_pylist() == ["email:a@x.com"]
    assert (columns.match_a.tolist(), columns.match_b.tolist()) == ([0], [1])
    assert columns.profile.tolist() == [-1, 0] and columns.profiles == 1


@pytest.mark.parametrize("deleted", [0, 9])
@pytest.mark.parametrize("part_records", [1, 25])
def test_rows_scanned_once_come_back_by_part_in_rid_order(
    part_records: int, deleted: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = random_input(3)
    parts = parts_of(data, columns_of(data, 3), part_records)
    # A scan in rid order, in pages, with a record created after the scope was read and
    # (with `deleted`) the first records gone since: past the lookup window's slack.
    monkeypatch.setattr(partition, "_SLACK", 2)
    kept = sorted(data.records)[deleted:]
    scanned = [{"rid": rid, "n": i} for i, rid in enumerate(sorted([*kept, "web:new"]))]
    with PartRows(parts) as rows:
        assert all(isinstance(f.name, int) for f in rows._files)  # no path: nothing left
        for i in range(0, len(scanned), 7):
            rows.add(scanned[i : i + 7])
        rows.add([])
        back = [rows.rows(part) for part in range(parts.count)]
    assert parts.count > 1
    for part, got in enumerate(back):
        assert [row["rid"] for row in got] == [r for r in parts.records(part) if r in kept]
    assert sorted(row["n"] for got in back for row in got) == [
        row["n"] for row in scanned if row["rid"] != "web:new"
    ]
