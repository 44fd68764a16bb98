"""Ingesting a file holds what one chunk needs, however long the file: the duplicate-key
check keeps a file's keys on disk, and a JSON document is read a block at a time."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from typing import Any

from ingest.mapping import parse_mapping
from ingest.pipeline import BatchReport, Ingestor

MAPPING = """
source: crm
customers:
  file: people.csv
  key: id
  attributes:
    tier: {field: tier, kind: text}
"""


def _rows(n: int, duplicate_of: dict[int, int] | None = None) -> Iterator[tuple[int, Any]]:
    for i in range(1, n + 1):
        key = (duplicate_of or {}).get(i, i)
        yield i, {"id": f"customer-{key:09d}", "tier": "gold"}


def _chunks(n: int, chunk_size: int, duplicate_of: dict[int, int] | None = None) -> Iterator[Any]:
    ing = Ingestor(None, parse_mapping(MAPPING, "test"), chunk_size=chunk_size)  # type: ignore[arg-type]
    rep = BatchReport("b", "crm", "people.csv")
    return ing._chunks(rep, _rows(n, duplicate_of), "people.csv", "people.csv", True)


def test_a_files_keys_are_not_held_in_memory() -> None:
    """Python's memory after 12,000 keys is what it was after 2,000: a dict of every key
    grew by 1.6 MB over the 10,000 between, the ledger on disk by the size of a chunk."""
    tracemalloc.start()
    try:
        seen = after_first = 0
        for chunk in _chunks(12_000, 250):
            seen += len(chunk.records)
            if seen == 2_000:
                after_first = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == 12_000
    assert peak - after_first < 800_000, (after_first, peak)


def test_a_duplicate_key_is_quarantined_however_far_from_its_first_row() -> None:
    """Rows far apart (many chunks), next to each other (one buffer), and a key repeated
    twice: each later row names the row of the first occurrence, and every row counts."""
    repeats = {40: 5, 2_900: 5, 1_500: 1_499, 2_999: 2_998}
    rep = BatchReport("b", "crm", "people.csv")
    ing = Ingestor(None, parse_mapping(MAPPING, "test"), chunk_size=100)  # type: ignore[arg-type]
    rows = _rows(3_000, repeats)
    chunks = list(ing._chunks(rep, rows, "people.csv", "people.csv", True))
    quarantined = {q.row: q.reason for c in chunks for q in c.quarantine}
    assert quarantined == {
        row: f"duplicate_key: row {first} of this file has the same key"
        for row, first in repeats.items()
    }
    records = [r for c in chunks for r in c.records.values()]
    assert len(records) == len({r.rid for r in records}) == 3_000 - len(repeats)
    assert next(r.row for r in records if r.source_id == "customer-000000005") == 5
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (3_000, 2_996, 4)
    assert rep.quarantine_reasons == {"duplicate_key": 4}
    assert all(c.size() <= 100 for c in chunks)
