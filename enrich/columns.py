"""Per-profile attribute columns, kept as numpy arrays until a write batch needs them.

A million profiles times forty attributes as Python objects would cost gigabytes; numeric
columns stay float64 arrays (NaN meaning null) and become Python values one write batch
at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Kind = Literal["float", "int", "bool", "object"]


class Columns:
    """Named columns of `n` profiles: "float", "int" and "bool" ones are float64 arrays
    with NaN for null; "object" ones are lists of Python values."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._kinds: dict[str, Kind] = {}
        self._data: dict[str, FloatArray | list[Any]] = {}

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
        assert isinstance(data, np.ndarray)
        return data

    def objects(self, name: str, fill: Any = None) -> list[Any]:
        """A column of Python values, created filled with `fill`."""
        if name not in self._data:
            self._kinds[name] = "object"
            self._data[name] = [fill] * self.n
        data = self._data[name]
        assert isinstance(data, list)
        return data

    def set_objects(self, name: str, values: list[Any]) -> None:
        if len(values) != self.n:
            raise ValueError(f"column {name} has {len(values)} values for {self.n} profiles")
        self._kinds[name] = "object"
        self._data[name] = values

    def scatter(self, name: str, positions: Sequence[int], values: Iterable[Any]) -> None:
        """Set `values` at `positions` of an object column."""
        target = self.objects(name)
        for position, value in zip(positions, values, strict=True):
            target[position] = value

    def values(self, name: str, start: int, stop: int) -> list[Any]:
        """Python values of rows [start, stop): None for null."""
        data = self._data[name]
        if isinstance(data, list):
            return data[start:stop]
        chunk = data[start:stop]
        missing = np.isnan(chunk)
        kind = self._kinds[name]
        if kind == "int":
            out = np.where(missing, 0, chunk).astype(np.int64).astype(object)
        elif kind == "bool":
            out = (chunk != 0.0).astype(object)
        else:
            out = chunk.astype(object)
        out[missing] = None
        values: list[Any] = out.tolist()
        return values

    def rows(self, pids: Sequence[str], start: int, stop: int) -> list[dict[str, Any]]:
        """`{pid, props}` rows of profiles [start, stop)."""
        names = self.names
        values = [self.values(name, start, stop) for name in names]
        return [
            {"pid": pid, "props": dict(zip(names, row, strict=True))}
            for pid, row in zip(pids[start:stop], zip(*values, strict=True), strict=True)
        ]
