"""Predictive attributes of profiles from the stored CLV model (`enrich.clv`).

Which numbers a profile gets, and its `clv_reason` when some are missing or approximate:

- no model fitted yet: all null, reason `no_model`;
- no purchase: all null, reason `no_purchases`;
- one purchase day only: `p_alive` and `churn_risk` null (BG/NBD makes them 1 and "Low"
  by construction, however long ago the purchase was, so they say nothing); expected
  purchases, the 30-day probability, the next purchase date and the CLV (at the
  population's mean order value) are given; reason `no_repeat_purchase`;
- repeat purchases without positive spend: all given, the CLV at the population's mean
  order value; reason `non_positive_monetary_value`;
- repeat purchases: all given, reason null.

`expected_next_purchase_at` is the enrichment day plus 365 / `expected_purchases_365d`
days, null when that is more than five years away (no purchase is really expected).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from enrich import catalogue
from enrich.clv import (
    REASON_NO_MONETARY,
    REASON_NO_REPEAT,
    ClvError,
    ClvParams,
    params_from_json,
    params_to_json,
    predict_clv,
)
from enrich.errors import StoredStateError
from enrich.reference import PopulationReference, clv_percentile
from enrich.timestamps import MISSING, to_iso_date

MODEL_ID: Final = "clv"
REASON_NO_MODEL: Final = "no_model"
REASON_NO_PURCHASES: Final = "no_purchases"
MAX_NEXT_PURCHASE_DAYS: Final = 5 * 365
DISCOUNT_RATE_ANNUAL: Final = 0.1
DECIMALS: Final = 4
"""Probabilities, expected purchases and percentiles are stored to 4 decimals (CLV to
the cent): plenty for ranking and display, and a value that did not change since the
last run is not rewritten (Neo4j skips identical values, which keeps daily runs cheap)."""

PREDICTIVE_ATTRIBUTES: Final = catalogue.PREDICTIVE
PREDICTIVE_NUMBERS: Final = catalogue.PREDICTIVE_NUMBERS
"""The predictive attributes that are numbers (or null)."""


@dataclass(frozen=True)
class StoredModel:
    """A fitted model as stored in `(:Model {id: 'clv'})`.

    Attributes:
        params: The fitted parameters.
        number: How many times the model has been fitted (1, 2, ...).
        version: The label profiles carry in `clv_model_version`:
            "clv/<number>@<fitted_at>".
    """

    params: ClvParams
    number: int

    @property
    def version(self) -> str:
        return f"{MODEL_ID}/{self.number}@{self.params.fitted_at}"


def model_props(params: ClvParams) -> dict[str, Any]:
    """Properties of the model node (its `version` counter is kept by the graph)."""
    return {
        "fitted_at": params.fitted_at,
        "format": params.version,
        "params_json": params_to_json(params),
        "n_customers": params.n_customers,
        "n_repeat_customers": params.n_repeat_customers,
    }


def model_from_props(props: dict[str, Any] | None) -> StoredModel | None:
    """The stored model, or None when none was fitted.

    Raises:
        StoredStateError: The stored parameters are unreadable.
    """
    if not props or not props.get("params_json"):
        return None
    try:
        params = params_from_json(str(props["params_json"]))
        return StoredModel(params=params, number=int(props.get("version") or 1))
    except (ClvError, ValueError) as exc:
        raise StoredStateError(MODEL_ID, str(exc)) from exc


@dataclass
class Predictions:
    """Predictive attributes of the customers of a summary, in its order.

    Attributes:
        customer_ids: The summary's `customer_id` values.
        columns: Per name in `PREDICTIVE_ATTRIBUTES`, one Python value (or None) each.
        clv_12m: The unrounded CLV, NaN where there is none.
    """

    customer_ids: list[str]
    columns: dict[str, list[Any]]
    clv_12m: npt.NDArray[np.float64]


def predict(
    summary: pd.DataFrame,
    model: StoredModel | None,
    as_of_day: int,
    reference: PopulationReference | None,
) -> Predictions:
    """Predictive attributes of the customers in `summary` (rules in the module docstring).

    Args:
        summary: The CLV summary of customers with purchases (`enrich.purchases`).
        model: The stored model, or None.
        as_of_day: The enrichment day (days since 1970-01-01).
        reference: None when `summary` is the whole population (percentiles are ranks
            within it); else the full run's reference, which places these customers.
    """
    n = len(summary)
    ids = [str(c) for c in summary["customer_id"].tolist()]
    if model is None or n == 0:
        columns: dict[str, list[Any]] = {name: [None] * n for name in PREDICTIVE_ATTRIBUTES}
        columns["clv_reason"] = [REASON_NO_MODEL] * n
        return Predictions(ids, columns, np.full(n, np.nan))
    scored = predict_clv(model.params, summary, discount_rate_annual=DISCOUNT_RATE_ANNUAL)
    repeat = summary["frequency"].to_numpy(dtype=np.float64) > 0
    clv = scored["clv_12m"].to_numpy(dtype=np.float64)
    if reference is None:
        percentile = scored["clv_percentile"].to_numpy(dtype=np.float64)
    else:
        percentile = clv_percentile(clv, reference.clv_sorted, reference.clv_count)
    churn = [
        str(level) if alive else None
        for level, alive in zip(scored["churn_risk"].tolist(), repeat.tolist(), strict=True)
    ]
    gap = scored["expected_next_purchase_days"].to_numpy(dtype=np.float64)
    soon = np.isfinite(gap) & (gap <= MAX_NEXT_PURCHASE_DAYS)
    next_day = np.full(n, MISSING, dtype=np.int64)
    next_day[soon] = as_of_day + np.round(gap[soon]).astype(np.int64)
    kept = (REASON_NO_REPEAT, REASON_NO_MONETARY)
    columns = {
        "p_alive": _nullable(np.where(repeat, _column(scored, "p_alive"), np.nan)),
        "churn_risk": churn,
        "expected_purchases_90d": _nullable(_column(scored, "expected_purchases_90d")),
        "expected_purchases_365d": _nullable(_column(scored, "expected_purchases_365d")),
        "clv_12m": _nullable(np.round(clv, 2)),
        "clv_percentile": _nullable(np.round(percentile, DECIMALS)),
        "prob_purchase_30d": _nullable(_column(scored, "prob_purchase_30d")),
        "expected_next_purchase_at": to_iso_date(next_day),
        "clv_reason": [r if r in kept else None for r in scored["reason"].tolist()],
        "clv_model_version": [model.version] * n,
    }
    return Predictions(ids, columns, clv)


def no_purchase_attributes() -> dict[str, Any]:
    """The predictive attributes of a profile without purchases."""
    values: dict[str, Any] = dict.fromkeys(PREDICTIVE_ATTRIBUTES)
    values["clv_reason"] = REASON_NO_PURCHASES
    return values


def _column(scored: pd.DataFrame, name: str) -> npt.NDArray[np.float64]:
    rounded: npt.NDArray[np.float64] = np.round(scored[name].to_numpy(dtype=np.float64), DECIMALS)
    return rounded


def _nullable(values: npt.NDArray[np.float64]) -> list[float | None]:
    """Python floats, None where the value is not finite."""
    return [v if math.isfinite(v) else None for v in values.tolist()]
