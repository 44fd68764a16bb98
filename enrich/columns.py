"""Per-profile attribute columns, kept as numpy arrays until a write batch needs them.

A million profiles times forty attributes as Python objects would cost gigabytes and
many seconds of per-value Python work; numeric columns stay float64 arrays (NaN meaning
null), the others numpy object arrays, and both become Python values one write batch at
a time, as positional rows (`[pid, value, value, ...]`, no per-row dict or key strings).

`fingerprints` gives each profile a 64-bit hash of its values, stable across processes,
so a run can leave profiles whose attributes did not change unwritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal, cast

import numpy as np
import numpy.typing as npt
from pandas.api.types import infer_dtype
from pandas.util import hash_array

FloatArray = npt.NDArray[np.float64]
ObjectArray = npt.NDArray[np.object_]
HashArray = npt.NDArray[np.uint64]
Kind = Literal["float", "int", "bool", "object"]

_MIX: Final = np.uint64(0x9E3779B97F4A7C15)
_NULL: Final = np.uint64(0x6A09E667F3BCC909)


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

    def set_objects(self, name: str, values: Sequence[Any] | ObjectArray) -> None:
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
        return self._python(name, self._data[name][start:stop])

    def _python(self, name: str, chunk: FloatArray | ObjectArray) -> list[Any]:
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
        names: Sequence[str],
        positions: npt.NDArray[np.int64],
        constants: Mapping[str, Any] | None = None,
    ) -> list[list[Any]]:
        """Rows `[pid, *values of names]` of the profiles at `positions`; a name in
        `constants` takes that value in every row. Lists rather than tuples: the driver
        turns every tuple into a list through a Python hook before packing it."""
        extra = dict(constants or {})
        count = len(positions)
        values = [
            [extra[name]] * count if name in extra else self.values_at(name, positions)
            for name in names
        ]
        chosen = [pids[i] for i in positions.tolist()]
        return list(map(list, zip(chosen, *values, strict=True)))

    def values_at(self, name: str, positions: npt.NDArray[np.int64]) -> list[Any]:
        """Python values of the rows at `positions`: None for null."""
        return self._python(name, self._data[name][positions])

    def fingerprints(self, names: Sequence[str]) -> HashArray:
        """A 64-bit hash per profile of the values (and kinds) of the columns `names`.

        It is the same in every process (no per-process hash seed), so stored with a
        profile it tells a later run whether the profile's attributes changed.
        """
        seed = hashlib.blake2b(
            repr([(n, self._kinds[n]) for n in names]).encode(), digest_size=8
        ).digest()
        out = np.full(self.n, np.frombuffer(seed, dtype=np.uint64)[0], dtype=np.uint64)
        with np.errstate(over="ignore"):
            for name in names:
                out = out * _MIX + self._column_hash(name)
                out ^= out >> np.uint64(29)
        return out

    def _column_hash(self, name: str) -> HashArray:
        data = self._data[name]
        if self._kinds[name] != "object":
            missing = np.isnan(data)
            bits = np.where(missing, 0.0, data).view(np.uint64)
            hashed: HashArray = hash_array(bits)
            hashed[missing] = _NULL
            return hashed
        if infer_dtype(data, skipna=True) in ("string", "empty"):
            # Strings and nulls hash apart (a null is not the text "None").
            return cast(HashArray, hash_array(data))
        # Mixed types (1, 1.0 and True are equal to Python): hash their repr.
        text = np.array([None if v is None else repr(v) for v in data.tolist()], dtype=object)
        return cast(HashArray, hash_array(text))
