"""The population reference: how a full run placed customers, so incremental runs can place
a few changed profiles the same way without reading everyone again.

RFM scores and the CLV percentile are relative to the whole customer base. A full run
(`cdp enrich --all`) scores everyone and stores:

- for each RFM measure, the four quintile boundaries as sort keys `(value, pid)`, the
  keys `enrich.rfm` ranks by (R ranks by the last purchase time, which orders customers
  exactly as "fewest days since the last purchase" does). A profile scored later gets
  ``1 + (number of boundaries below its key)``: a customer whose measures did not change
  gets exactly the score the full run gave it;
- the sorted `clv_12m` values (up to `CLV_SAMPLE` evenly spaced order statistics of them):
  a later profile's percentile is its average rank among them, exact for populations up
  to that size and within 1/`CLV_SAMPLE` above.

Incremental scores are therefore relative to the population of the last full run; run
`--all` regularly (say nightly) to move the reference with the customer base.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from enrich.errors import StoredStateError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

REFERENCE_ID: Final = "enrich_reference"
FORMAT: Final = "enrich-reference/1"
CLV_SAMPLE: Final = 10_001
RFM_MEASURES: Final = ("r", "f", "m")

Bound = tuple[float, str] | None
"""A quintile boundary: the largest key scored at most k, None when nobody was."""


@dataclass(frozen=True)
class PopulationReference:
    """What a full run leaves for incremental runs.

    Attributes:
        computed_at: When the full run ran (ISO 8601 UTC).
        model_version: The CLV model the percentiles were computed with (None: no model).
        customers: Profiles with purchases that were scored.
        rfm_bounds: Per measure ("r", "f", "m"), the four boundaries of scores 1-4.
        clv_sorted: Sorted `clv_12m` values, or evenly spaced order statistics of them.
        clv_count: How many `clv_12m` values there were.
    """

    computed_at: str
    model_version: str | None
    customers: int
    rfm_bounds: dict[str, list[Bound]]
    clv_sorted: list[float]
    clv_count: int

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "computed_at": self.computed_at,
                "model_version": self.model_version,
                "customers": self.customers,
                "rfm_bounds": {
                    k: [None if b is None else [b[0], b[1]] for b in v]
                    for k, v in self.rfm_bounds.items()
                },
                "clv_sorted": self.clv_sorted,
                "clv_count": self.clv_count,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> PopulationReference:
        try:
            raw = json.loads(text)
            if raw.get("format") != FORMAT:
                raise StoredStateError(REFERENCE_ID, f"unknown format {raw.get('format')!r}")
            bounds = {
                k: [None if b is None else (float(b[0]), str(b[1])) for b in raw["rfm_bounds"][k]]
                for k in RFM_MEASURES
            }
            return cls(
                computed_at=str(raw["computed_at"]),
                model_version=raw["model_version"],
                customers=int(raw["customers"]),
                rfm_bounds=bounds,
                clv_sorted=[float(v) for v in raw["clv_sorted"]],
                clv_count=int(raw["clv_count"]),
            )
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise StoredStateError(REFERENCE_ID, type(exc).__name__) from exc


def rfm_bounds(values: FloatArray, ids: Sequence[str], scores: IntArray) -> list[Bound]:
    """The boundaries of scores 1-4: the largest `(value, id)` key scored at most k."""
    id_array = np.asarray(list(ids), dtype=object)
    bounds: list[Bound] = []
    for k in range(1, 5):
        at_most = scores <= k
        if not at_most.any():
            bounds.append(None)
            continue
        top = float(values[at_most].max())
        bounds.append((top, str(max(id_array[at_most & (values == top)]))))
    return bounds


def score_by_bounds(values: FloatArray, ids: Sequence[str], bounds: Sequence[Bound]) -> IntArray:
    """Scores 1-5: one plus the number of boundaries below each `(value, id)` key."""
    score = np.ones(len(values), dtype=np.int64)
    id_array = np.asarray(list(ids), dtype=object)
    for bound in bounds:
        if bound is None:
            score += 1
            continue
        value, bid = bound
        above = (values > value) | ((values == value) & (id_array > bid))
        score += above.astype(np.int64)
    return score


def clv_sample(values: FloatArray) -> list[float]:
    """Sorted values, or `CLV_SAMPLE` evenly spaced order statistics of them."""
    ordered = np.sort(values[np.isfinite(values)])
    if len(ordered) > CLV_SAMPLE:
        positions = np.round(np.linspace(0, len(ordered) - 1, CLV_SAMPLE)).astype(np.int64)
        ordered = ordered[positions]
    result: list[float] = ordered.tolist()
    return result


def clv_percentile(values: FloatArray, sample: Sequence[float], count: int) -> FloatArray:
    """Average-rank percentile in (0, 1] of each value among the reference population.

    With every value stored this is `pandas.Series.rank(pct=True)` of a population member;
    with a sample, ranks are interpolated between the stored order statistics.
    """
    ref = np.asarray(sample, dtype=np.float64)
    if len(ref) == 0 or count <= 0:
        return np.full(len(values), np.nan)
    left = np.searchsorted(ref, values, side="left").astype(np.float64)
    right = np.searchsorted(ref, values, side="right").astype(np.float64)
    if len(ref) == count:
        # Among n others plus itself: rank = below + (equal + 1) / 2, over n (as pandas).
        rank = left + (right - left + 1.0) / 2.0
        pct: FloatArray = np.clip(rank / count, 1.0 / count, 1.0)
        return pct
    positions = np.linspace(1.0, float(count), len(ref))
    rank = np.interp(values, ref, positions)
    pct = np.clip(rank / count, 1.0 / count, 1.0)
    return pct


def reference_props(reference: PopulationReference, extra: dict[str, Any]) -> dict[str, Any]:
    """The properties of the reference's `(:Model)` node."""
    return {
        "computed_at": reference.computed_at,
        "model_version": reference.model_version,
        "customers": reference.customers,
        "reference_json": reference.to_json(),
        **extra,
    }
