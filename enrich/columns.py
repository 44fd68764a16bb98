"""Per-profile attribute columns, kept as numpy arrays until a write batch needs them.

A million profiles times forty attributes as Python objects would cost gigabytes and
many seconds of per-value Python work; numeric columns stay float64 arrays (NaN meaning
null), the others numpy object arrays, and both become Python values one write batch at
a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ObjectArray = npt.NDArray[np.object_]
Kind = Literal["float", "int", "bool", "object"]


def object_array(values: Iterable[Any], n: int) -> ObjectArray:
    """An object array of `n` values, element by element (lists stay list elements)."""
    out: ObjectArray = np.fromiter(values, dtype=object, count=n)
    return out


class Columns:
    """Named columns of `n` profiles: "float", "int" and "bool" ones are float64 arrays
    with NaN for null; "object" ones are object arrays of Python values or None."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._kinds: dict[str, Kind] = {}
        self._data: dict[str, FloatArray | ObjectArray] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._data

    def __len__(self) -> int:
        return len(self._data)

    @property
    def names(self) -> list[str]:
        return list(self._data)

    def numeric(self, name: str, kind: Kind = "float", fill: float = np.nan) -> FloatArray:
        """A numeric column, created filled with `fill` (NaN: null)."""
        if name not in self._data:
            self._kinds[name] = kind
            self._data[name] = np.full(self.n, fill, dtype=np.float64)
        data = self._data[name]
        if data.dtype != np.float64:
            raise TypeError(f"column {name} is not numeric")
        return cast(FloatArray, data)

    def objects(self, name: str, fill: Any = None) -> ObjectArray:
        """A column of Python values, created filled with `fill`."""
        if name not in self._data:
            self._kinds[name] = "object"
            column = np.empty(self.n, dtype=object)
            column.fill(fill)
            self._data[name] = column
        data = self._data[name]
        if data.dtype != object:
            raise TypeError(f"column {name} is numeric")
        return cast(ObjectArray, data)

    def set_objects(self, name: str, values: Sequence[Any]) -> None:
        """Set a whole object column."""
        if len(values) != self.n:
            raise ValueError(f"column {name} has {len(values)} values for {self.n} profiles")
        self._kinds[name] = "object"
        self._data[name] = object_array(values, self.n)

    def scatter(
        self, name: str, positions: npt.NDArray[np.int64], values: Sequence[Any] | ObjectArray
    ) -> None:
        """Set `values` at `positions` of an object column."""
        column = self.objects(name)
        column[positions] = (
            values if isinstance(values, np.ndarray) else object_array(values, len(values))
        )

    def values(self, name: str, start: int, stop: int) -> list[Any]:
        """Python values of rows [start, stop): None for null."""
        data = self._data[name]
        chunk = data[start:stop]
        kind = self._kinds[name]
        if kind == "object":
            objects: list[Any] = chunk.tolist()
            return objects
        missing = np.isnan(chunk)
        if kind == "int":
            out = np.where(missing, 0, chunk).astype(np.int64).astype(object)
        elif kind == "bool":
            out = (chunk != 0.0).astype(object)
        else:
            out = chunk.astype(object)
        out[missing] = None
        result: list[Any] = out.tolist()
        return result

    def rows(
        self,
        pids: Sequence[str],
        start: int,
        stop: int,
        constants: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """`{pid, props}` rows of profiles [start, stop), with `constants` in every row."""
        extra = dict(constants or {})
        names = [n for n in self.names if n not in extra] + list(extra)
        count = stop - start
        values = [
            self.values(name, start, stop) if name not in extra else [extra[name]] * count
            for name in names
        ]
        return [
            {"pid": pid, "props": dict(zip(names, row, strict=True))}
            for pid, row in zip(pids[start:stop], zip(*values, strict=True), strict=True)
        ]
