"""Term frequencies frozen with a model, so that a pair's score does not depend on the order
in which records were loaded.

Counted live, a value's frequency is its share of the records indexed when a pair is scored:
a pair scored while half the data was in has other weights than the same pair scored by a
full run, and a borderline pair (a till card's name and postcode) decides differently.
Counted once, over the records the model was trained on, and kept beside it, the frequency
is part of the model: a pair's score is a function of the model and its two records, so an
incremental run and a full run agree pair by pair, and nothing scored earlier needs scoring
again when a batch arrives. Retraining counts them afresh.

Only values at least two training records held are kept, as the first 16 hex digits of their
MD5 (the file holds no value in clear, and no value only one person held); any other value,
including one first seen after training, counts as held once.

Name columns count a value once per distinct holder (`ComparisonSpec.term_frequency_holder`:
the postcode), not once per record, so that one person's many records do not make their name
look common.

A value is never taken as rarer than it is now, though: where more records loaded now hold
it than training counted (a new source in a suburb the training data barely knew), that
count is used. Data the model was trained on (or less of it) scores the same in any order;
beyond it a value's weight can fall as it grows, until the next training.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "TermFrequencies",
    "count",
    "holder_sql",
    "load",
    "lookup_sql",
    "save",
    "value_hash_sql",
]

_COLUMNS: Final = ("column", "hash", "n")
_TOTAL: Final = ""
"""The hash under which a column's row holds the number of its non-null values."""


def value_hash_sql(expr: str) -> str:
    """The SQL of the stored key of a value (`expr`), the same in every DuckDB version."""
    return f"left(md5(cast({expr} as varchar)), 16)"


@dataclass(frozen=True, slots=True)
class TermFrequencies:
    """How often each value of each term-frequency column occurred among training records.

    Attributes:
        counts: `column`, `hash` (`value_hash_sql`) and `n` of each value held at least twice.
        totals: The non-null values of each column.
    """

    counts: pd.DataFrame
    totals: dict[str, int]
    _by_column: dict[str, pd.DataFrame] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    """`of` for every column, split once (comparing ~1M values per column cost ~30 ms a
    column each time an index opened)."""

    def of(self, column: str) -> pd.DataFrame:
        """`hash` and `n` of one column's repeated values."""
        if not self._by_column:
            for name, rows in self.counts.groupby("column", sort=False):
                self._by_column[str(name)] = rows[["hash", "n"]].reset_index(drop=True)
        found = self._by_column.get(column)
        if found is None:
            return self.counts.iloc[0:0][["hash", "n"]].reset_index(drop=True)
        return found

    def total(self, column: str) -> int:
        return max(1, int(self.totals.get(column, 0)))


def holder_sql(holder: str, unique_id: str) -> str:
    """The SQL of who holds a value when it is counted once per distinct `holder`
    (`splink_settings.term_frequency_holders`): the holder, or the record itself without
    one."""
    return f"coalesce(cast({holder} as varchar), cast({unique_id} as varchar))"


def count(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    holders: Mapping[str, str] | None = None,
    unique_id: str = "unique_id",
) -> TermFrequencies:
    """The term frequencies of `columns` among the rows of `table`: per record, or for a
    column in `holders`, per distinct holder (column -> holder column)."""
    parts = []
    totals: dict[str, int] = {}
    for col in columns:
        holder = (holders or {}).get(col)
        if holder is None:
            rows, n = table, "count(*)"
        else:
            h = holder_sql(holder, unique_id)
            rows = f"(select distinct {col}, {h} as h from {table})"
            n = "count(*)"
        totals[col] = int(con.execute(f"select count({col}) from {rows}").fetchall()[0][0])
        parts.append(
            con.execute(
                f"select ? as column, {value_hash_sql(col)} as hash, {n} as n "
                f"from {rows} where {col} is not null group by 2 having count(*) > 1",
                [col],
            ).df()
        )
    counts = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({c: pd.Series(dtype="object") for c in _COLUMNS})
    )
    return TermFrequencies(counts.reindex(columns=list(_COLUMNS)), totals)


def lookup_sql(col: str, batch: str, frozen: str, total: int, live: str) -> str:
    """The `col, tf_col` table Splink joins for the values of `col` in `batch`: the larger
    of the frozen count (`frozen`: `hash`, `n`; an unknown value counts once) and the count
    among the records loaded now (`live`: `col`, `n`), over the training total."""
    return (
        f"select b.{col}, cast(greatest(coalesce(f.n, 1), coalesce(l.n, 0)) as double) "
        f"/ {int(total)} as tf_{col} "
        f"from (select distinct {col} from {batch} where {col} is not null) b "
        f"left join {frozen} f on f.hash = {value_hash_sql(f'b.{col}')} "
        f"left join {live} l on l.{col} = b.{col}"
    )


def save(tf: TermFrequencies, path: Path) -> None:
    """Write `tf` to `path` (Parquet), atomically."""
    totals = pd.DataFrame(
        {"column": list(tf.totals), "hash": _TOTAL, "n": [int(n) for n in tf.totals.values()]}
    )
    frame = pd.concat([tf.counts, totals], ignore_index=True).astype(
        {"column": str, "hash": str, "n": "int64"}
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path) -> TermFrequencies:
    """Read what `save` wrote."""
    frame = pq.read_table(path).to_pandas()
    is_total = frame["hash"] == _TOTAL
    rows = frame[is_total]
    totals = {str(c): int(n) for c, n in zip(rows["column"], rows["n"], strict=True)}
    counts = frame[~is_total].reset_index(drop=True)
    return TermFrequencies(counts.reindex(columns=list(_COLUMNS)), totals)
