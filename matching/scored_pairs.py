"""Scored pairs left in DuckDB and read out a slice at a time.

A full resolution scores every record against every other: at a million customers the
pairs above the floor, with their evidence and the name columns the family rule reads,
are gigabytes as one pandas frame. Read as Arrow batches from a streaming result, only one
slice is in Python at a time; DuckDB sorts the rest within its memory limit, spilling to
its temporary directory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

import duckdb
import pandas as pd

__all__ = ["BATCH_ROWS", "ScoredPairs"]

BATCH_ROWS: Final = 50_000
"""Pairs per slice: a few tens of MB with their evidence, few enough Python round trips."""


class ScoredPairs:
    """The result of a scoring query, read in slices; `close` drops the tables it reads.

    One DuckDB connection runs one query at a time: read every slice (or close) before
    using the connection for anything else.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        sql: str,
        finish: Callable[[pd.DataFrame], pd.DataFrame],
        drop: Callable[[], None],
    ) -> None:
        """Args:
        con: The connection holding the scored tables.
        sql: The query giving the pairs, in the order they are to be read.
        finish: What each slice goes through (the family rule, the output columns).
        drop: Drops the scored tables.
        """
        self._con = con
        self._sql = sql
        self._finish = finish
        self._drop: Callable[[], None] | None = drop

    def batches(self, rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
        """The pairs, `rows` at a time (a slice the family rule thins may hold fewer)."""
        reader = self._con.sql(self._sql).to_arrow_reader(rows)
        for batch in reader:
            yield self._finish(batch.to_pandas())

    def close(self) -> None:
        if self._drop is not None:
            drop, self._drop = self._drop, None
            drop()

    def __enter__(self) -> ScoredPairs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
