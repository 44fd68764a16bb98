"""What scoring must write: the accepted pairs against the `MATCHES` links stored, in DuckDB.

A full resolution at a million customers accepts about a million pairs, each with its
evidence, and the graph holds as many links once resolved. Held as Python rows, the links
to write and the stored ones to compare them with took GBs (3.7 GB at 1M with nothing
changed). Here both go into DuckDB tables a page at a time, within a small memory limit
and spilling to a temporary directory that is removed on close; the links to write and to
remove are read out a slice at a time. The temporary directory (`cdp-links-*` in the
system's) holds record ids, weights and evidence levels, no personal value; a process killed
before it closes leaves it behind.

A pair is one link in either direction. An accepted pair is written unless its link is
stored with the same model version and the same weight (within `WEIGHT_TOLERANCE`); a stored
link that is not accepted is removed, unless an operator rejected it. A pair given twice
(once each way) is written once, as first given.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["WEIGHT_TOLERANCE", "ChangeCounts", "LinkChanges"]

WEIGHT_TOLERANCE: Final = 1e-6
"""Scores of one model differ in the last bits between runs (parallel sums in DuckDB)."""

MEMORY_LIMIT: Final = "128MB"
"""DuckDB's cap for the comparison: beyond it, it spills (the write is a graph round trip
per slice anyway)."""

_EXISTING: Final = pa.schema(
    [
        ("seq", pa.int64()),
        ("a", pa.string()),
        ("b", pa.string()),
        ("rejected", pa.bool_()),
        ("weight", pa.float64()),
        ("version", pa.string()),
    ]
)
_ACCEPTED: Final = pa.schema(
    [
        ("seq", pa.int64()),
        ("a", pa.string()),
        ("b", pa.string()),
        ("weight", pa.float64()),
        ("probability", pa.float64()),
        ("evidence", pa.string()),
        ("name_postcode", pa.bool_()),
    ]
)


@dataclass(frozen=True, slots=True)
class ChangeCounts:
    write: int
    """Accepted pairs that are new, or whose score or model changed."""
    delete: int
    """Stored links no longer accepted (rejected ones aside)."""
    unchanged: int
    accepted: int
    """Accepted rows seen, a pair given twice (once each way) counted twice."""


class LinkChanges:
    """The stored links and the accepted pairs, added a page at a time; then the links to
    write and remove, a slice at a time. Close it (or use it as a context manager): that
    removes its tables and temporary files."""

    def __init__(self, version: str, *, memory_limit: str = MEMORY_LIMIT) -> None:
        """Args:
        version: The model version the accepted pairs were scored with.
        memory_limit: DuckDB's memory limit (its size syntax).
        """
        self._version = version
        self._dir = tempfile.mkdtemp(prefix="cdp-links-")
        try:
            self._con = duckdb.connect(
                ":memory:",
                config={
                    "memory_limit": memory_limit,
                    "temp_directory": self._dir,
                    "threads": 2,
                },
            )
            self._con.execute("set enable_progress_bar = false")
            for name, schema in (("existing", _EXISTING), ("accepted", _ACCEPTED)):
                self._con.register("empty_", schema.empty_table())
                self._con.execute(f"create table {name} as select * from empty_")
                self._con.unregister("empty_")
        except BaseException:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise
        self._seq = {"existing": 0, "accepted": 0}
        self._counts: ChangeCounts | None = None

    def _append(self, name: str, columns: dict[str, Any], schema: pa.Schema) -> None:
        n = len(next(iter(columns.values())))
        if n == 0:
            return
        start = self._seq[name]
        self._seq[name] = start + n
        page = pa.table({"seq": np.arange(start, start + n, dtype=np.int64), **columns}, schema)
        self._con.register("page_", page)
        try:
            self._con.execute(f"insert into {name} select * from page_")
        finally:
            self._con.unregister("page_")
        self._counts = None

    def add_existing(self, rows: Sequence[Sequence[Any]]) -> None:
        """Stored links, rows [a, b, rejected, weight, model version] (a and b as stored)."""
        if not rows:
            return
        a, b, rejected, weight, version = zip(*rows, strict=True)
        self._append(
            "existing",
            {
                "a": list(a),
                "b": list(b),
                "rejected": [bool(r) for r in rejected],
                "weight": [None if w is None else float(w) for w in weight],
                "version": list(version),
            },
            _EXISTING,
        )

    def add_accepted(self, pairs: pd.DataFrame) -> None:
        """Accepted pairs as `name_postcode.accepted` gives them (`rid_l`, `rid_r`,
        `match_weight`, `match_probability`, `evidence`, `name_postcode`); a record paired
        with itself is left out."""
        pairs = pairs[pairs["rid_l"] != pairs["rid_r"]]
        self._append(
            "accepted",
            {
                "a": pairs["rid_l"].astype(object).tolist(),
                "b": pairs["rid_r"].astype(object).tolist(),
                "weight": pairs["match_weight"].astype(float).tolist(),
                "probability": pairs["match_probability"].astype(float).tolist(),
                "evidence": pairs["evidence"].astype(object).tolist(),
                "name_postcode": pairs["name_postcode"].astype(bool).tolist(),
            },
            _ACCEPTED,
        )

    def finish(self) -> ChangeCounts:
        """Compare what was added (again after more is added); the counts of the links to
        write and remove."""
        if self._counts is not None:
            return self._counts
        con = self._con
        con.execute(
            """
            create or replace table old as
            select * exclude (rn) from (
              select seq, a, b, rejected, weight, version,
                     least(a, b) as lo, greatest(a, b) as hi,
                     row_number() over (partition by least(a, b), greatest(a, b)
                                        order by seq desc) as rn
              from existing)
            where rn = 1
            """
        )
        con.execute(
            """
            create or replace table pairs as
            select * exclude (rn) from (
              select seq, weight, least(a, b) as lo, greatest(a, b) as hi,
                     row_number() over (partition by least(a, b), greatest(a, b)
                                        order by seq) as rn
              from accepted)
            where rn = 1
            """
        )
        con.execute(
            """
            create or replace table to_write as
            select p.seq from pairs p left join old o on o.lo = p.lo and o.hi = p.hi
            where o.seq is null or o.version is distinct from $version or o.weight is null
               or abs(o.weight - p.weight) > $tol
            """,
            {"version": self._version, "tol": WEIGHT_TOLERANCE},
        )
        con.execute(
            """
            create or replace table to_delete as
            select o.seq from old o anti join pairs p on o.lo = p.lo and o.hi = p.hi
            where not o.rejected
            """
        )
        write = _count(con, "to_write")
        delete = _count(con, "to_delete")
        distinct = _count(con, "pairs")
        self._counts = ChangeCounts(write, delete, distinct - write, self._seq["accepted"])
        return self._counts

    def writes(self, size: int = 5_000) -> Iterator[list[dict[str, Any]]]:
        """The accepted pairs to write (a, b, weight, probability, evidence, name_postcode),
        in the order they were added, `size` at a time."""
        columns = "a, b, weight, probability, evidence, name_postcode"
        for table in self._slices("accepted", "to_write", columns, size):
            yield table.to_pylist()

    def deletes(self, size: int = 10_000) -> Iterator[list[tuple[str, str]]]:
        """The stored links to remove, as stored (a, b), `size` at a time."""
        for table in self._slices("existing", "to_delete", "a, b", size):
            yield list(zip(*(table.column(c).to_pylist() for c in "ab"), strict=True))

    def touched(self) -> set[str]:
        """The records of the links to write and to remove."""
        found: set[str] = set()
        for table, marked in (("accepted", "to_write"), ("existing", "to_delete")):
            for rows in self._slices(table, marked, "a, b", 50_000):
                for c in "ab":
                    found.update(rows.column(c).to_pylist())
        return found

    def _slices(self, table: str, marked: str, columns: str, size: int) -> Iterator[pa.Table]:
        """`columns` of the rows of `table` whose `seq` is in `marked`, in `seq` order,
        `size` at a time: each slice is looked up by its own seqs (the table is stored in
        seq order, so their range skips the rest), never one sort of every row."""
        self.finish()
        seqs = np.sort(self._con.sql(f"select seq from {marked}").fetchnumpy()["seq"])
        for i in range(0, len(seqs), size):
            part = seqs[i : i + size]
            yield self._con.sql(
                f"select {columns} from {table} where seq between $lo and $hi "
                "and seq in (select unnest($seqs)) order by seq",
                params={"lo": int(part[0]), "hi": int(part[-1]), "seqs": part.tolist()},
            ).to_arrow_table()

    def close(self) -> None:
        try:
            self._con.close()
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> LinkChanges:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    ((found,),) = con.execute(f"select count(*) from {table}").fetchall()
    return int(found)
