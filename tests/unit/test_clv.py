"""CLV models against the published CDNOW fits, pymc-marketing's own formulas and simulation.

The CDNOW files come from the `lifetimes` 0.11.3 wheel. Their time unit is weeks (T is
38.86 for the cohort's first buyers, the 39-week calibration period of Fader, Hardie &
Lee 2005); `fit_clv` takes days, so the tests multiply by 7 and compare alpha / 7.

Fitting compiles PyTensor code once per machine (about 45 s cold, cached on disk under
~/.pytensor); with a warm cache this module runs in about 15 s.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from enrich.clv import (
    BGNBD_PARAMS,
    PREDICTION_COLUMNS,
    REASON_NO_MONETARY,
    REASON_NO_REPEAT,
    ClvDataError,
    ClvParams,
    ClvParamsError,
    expected_purchases_if_alive,
    fit_clv,
    params_from_json,
    params_to_json,
    predict_clv,
    probability_purchase,
)
from tests.factories.clv import CDNOW_LIKE

pytestmark = pytest.mark.unit

DATA = Path(__file__).parents[1] / "data"
DAYS_PER_WEEK = 7.0
# Closed forms against pymc-marketing's: same formulas, so only rounding differs.
RTOL, ATOL = 1e-4, 1e-10

# Fader, Hardie & Lee (2005), "Counting your customers the easy way", alpha in weeks.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
# Fader & Hardie (2013), "The Gamma-Gamma model of monetary value".
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}

PARAMS = CDNOW_LIKE


def _cdnow_days() -> pd.DataFrame:
    raw = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    return pd.DataFrame(
        {
            "customer_id": raw["ID"],
            "frequency": raw["x"],
            "recency": raw["t_x"] * DAYS_PER_WEEK,
            "T": raw["T"] * DAYS_PER_WEEK,
            "monetary_value": raw["zbar"],
        }
    )


def _summary(
    frequency: list[int], recency: list[float], age: list[float], monetary: list[float]
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(len(frequency))],
            "frequency": frequency,
            "recency": recency,
            "T": age,
            "monetary_value": monetary,
        }
    )


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return _cdnow_days()


@pytest.fixture(scope="module")
def fitted(cdnow: pd.DataFrame) -> ClvParams:
    return fit_clv(cdnow)


def test_cdnow_files_agree_and_are_in_weeks() -> None:
    plain = pd.read_csv(DATA / "cdnow_customers_summary.csv")
    with_spend = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    assert len(plain) == len(with_spend) == 2357
    np.testing.assert_array_equal(plain["frequency"], with_spend["x"])
    np.testing.assert_allclose(plain["recency"], with_spend["t_x"])
    np.testing.assert_allclose(plain["T"], with_spend["T"])
    assert with_spend["T"].max() == pytest.approx(38.86)  # 39 weeks, not days
    assert int((with_spend["x"] > 0).sum()) == 946


def test_bgnbd_fit_matches_published(fitted: ClvParams) -> None:
    fitted_weeks = {**fitted.bgnbd, "alpha": fitted.bgnbd["alpha"] / DAYS_PER_WEEK}
    for name, published in PUBLISHED_BGNBD.items():
        assert fitted_weeks[name] == pytest.approx(published, rel=0.01), name
    assert fitted.n_customers == 2357


def test_gamma_gamma_fit_matches_published(fitted: ClvParams) -> None:
    for name, published in PUBLISHED_GAMMA_GAMMA.items():
        assert fitted.gamma_gamma[name] == pytest.approx(published, rel=0.01), name
    assert fitted.n_repeat_customers == 946


def test_fit_is_stamped(fitted: ClvParams) -> None:
    assert fitted.version.startswith("clv-bgnbd-gg/1+pymc-marketing-0.19")
    assert fitted.fitted_at.endswith("+00:00")


def test_fit_samples_above_the_cap(cdnow: pd.DataFrame) -> None:
    sampled = fit_clv(cdnow, max_customers=1500, random_seed=7)
    assert sampled.n_customers == 1500
    assert 0 < sampled.n_repeat_customers < 946
    assert sampled.bgnbd["r"] == pytest.approx(PUBLISHED_BGNBD["r"], rel=0.3)


def _pymc_posterior(params: dict[str, float]) -> Any:
    import arviz as az

    return az.from_dict(posterior={name: np.array([[value]]) for name, value in params.items()})


def test_closed_forms_match_pymc_marketing(fitted: ClvParams, cdnow: pd.DataFrame) -> None:
    from pymc_extras.prior import Prior  # type: ignore[import-untyped, unused-ignore]
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

    repeat = cdnow[cdnow["frequency"] > 0]
    sample = pd.concat(
        [
            repeat.nlargest(3, "frequency"),
            repeat.iloc[::70].head(12),
            cdnow[cdnow["frequency"] == 0].head(5),
        ]
    ).drop_duplicates("customer_id")
    assert len(sample) == 20
    ours = predict_clv(fitted, sample).set_index("customer_id").loc[sample["customer_id"]]

    bg = BetaGeoModel(model_config={name: Prior("HalfFlat") for name in BGNBD_PARAMS})
    bg.build_model(sample[["customer_id", "frequency", "recency", "T"]])
    bg.idata = _pymc_posterior(fitted.bgnbd)

    def theirs(values: Any) -> Any:
        return values.values.squeeze()

    np.testing.assert_allclose(
        ours["p_alive"], theirs(bg.expected_probability_alive()), rtol=RTOL, atol=ATOL
    )
    for days in (90, 365):
        expected = theirs(bg.expected_purchases(future_t=days))
        np.testing.assert_allclose(
            ours[f"expected_purchases_{days}d"], expected, rtol=RTOL, atol=ATOL
        )
    # pymc-marketing's no-purchase probability is only right for repeat customers (see
    # enrich.clv); x = 0 is checked against a simulation below.
    repeaters = (sample["frequency"] > 0).to_numpy()
    no_purchase = theirs(bg.expected_probability_no_purchase(t=30))
    np.testing.assert_allclose(
        ours["prob_purchase_30d"].to_numpy()[repeaters],
        1.0 - no_purchase[repeaters],
        rtol=RTOL,
        atol=ATOL,
    )

    gg = GammaGammaModel()
    spenders = sample[repeaters]
    gg.build_model(spenders[["customer_id", "frequency", "monetary_value"]])
    gg.idata = _pymc_posterior(fitted.gamma_gamma)
    np.testing.assert_allclose(
        ours["expected_order_value"].to_numpy()[repeaters],
        theirs(gg.expected_customer_spend(spenders)),
        rtol=RTOL,
        atol=ATOL,
    )


def test_one_time_buyer_purchase_probability_matches_simulation() -> None:
    # A customer with no repeat purchase is alive (BG/NBD drops out only after a
    # purchase), so only the purchase rate matters: simulate the gap to the next purchase
    # and keep the customers whose gap outlasted the T observed days.
    bg = PARAMS.bgnbd
    age, window = 200.0, 30.0
    rng = np.random.default_rng(11)
    rate = rng.gamma(bg["r"], 1.0 / bg["alpha"], 2_000_000)
    gap = rng.exponential(1.0 / rate)
    silent = gap[gap > age]
    simulated = float(np.mean(silent <= age + window))
    standard_error = np.sqrt(simulated * (1 - simulated) / silent.size)

    zero = np.zeros(1)
    closed = probability_purchase(bg, zero, zero, np.array([age]), window)[0]
    assert abs(closed - simulated) < 4 * standard_error


def test_prediction_columns_and_ranges(fitted: ClvParams, cdnow: pd.DataFrame) -> None:
    scored = predict_clv(fitted, cdnow)
    assert list(scored.columns) == list(PREDICTION_COLUMNS)
    assert len(scored) == len(cdnow)
    assert scored["customer_id"].tolist() == cdnow["customer_id"].tolist()
    for column in ("p_alive", "prob_purchase_30d", "clv_percentile"):
        assert scored[column].between(0, 1).all(), column
    assert (scored["prob_purchase_30d"] <= scored["p_alive"]).all()
    assert (scored["expected_purchases_365d"] >= scored["expected_purchases_90d"]).all()
    assert (scored["clv_12m"] > 0).all()
    np.testing.assert_allclose(
        scored["expected_next_purchase_days"], 365.0 / scored["expected_purchases_365d"]
    )


def test_churn_risk_follows_p_alive_thresholds(fitted: ClvParams, cdnow: pd.DataFrame) -> None:
    scored = predict_clv(fitted, cdnow)
    p_alive = scored["p_alive"]
    expected = np.select([p_alive < 0.3, p_alive < 0.7], ["High", "Medium"], "Low")
    assert scored["churn_risk"].astype(str).tolist() == expected.tolist()
    assert set(expected) == {"High", "Medium", "Low"}


def test_clv_percentile_puts_the_top_fifth_above_0_8(
    fitted: ClvParams, cdnow: pd.DataFrame
) -> None:
    scored = predict_clv(fitted, cdnow)
    top = scored.nlargest(len(scored) // 5, "clv_12m")
    assert (top["clv_percentile"] >= 0.8).all()
    assert scored["clv_percentile"].max() == 1.0
    best = scored.loc[scored["clv_12m"].idxmax()]
    assert best["clv_percentile"] == 1.0


def test_undiscounted_clv_is_purchases_times_order_value(cdnow: pd.DataFrame) -> None:
    flat = predict_clv(PARAMS, cdnow, discount_rate_annual=0.0)
    np.testing.assert_allclose(
        flat["clv_12m"], flat["expected_purchases_365d"] * flat["expected_order_value"]
    )
    discounted = predict_clv(PARAMS, cdnow, discount_rate_annual=0.1)
    ratio = discounted["clv_12m"] / flat["clv_12m"]
    # Purchases land in months 1..12, discounted by 0.8 % to 9.1 %.
    assert ((ratio < 0.993) & (ratio > 1 / 1.1)).all()


def test_purchase_probability_falls_as_the_customer_goes_quiet() -> None:
    recency = [300.0, 250.0, 200.0, 150.0, 100.0, 50.0, 10.0]  # gap grows 0 -> 290 days
    n = len(recency)
    scored = predict_clv(PARAMS, _summary([3] * n, recency, [300.0] * n, [40.0] * n))
    for column in ("p_alive", "prob_purchase_30d", "expected_purchases_90d", "clv_12m"):
        assert scored[column].is_monotonic_decreasing, column
        assert scored[column].iloc[0] > scored[column].iloc[-1], column


def test_purchase_probability_grows_with_the_window() -> None:
    bg = PARAMS.bgnbd
    history = (np.array([2.0]), np.array([100.0]), np.array([180.0]))
    windows = [1.0, 7.0, 30.0, 90.0, 365.0, 1e6]
    probabilities = [probability_purchase(bg, *history, window)[0] for window in windows]
    assert probabilities == sorted(probabilities)
    # In the limit an alive customer buys again for sure: P -> P(alive).
    alive = predict_clv(PARAMS, _summary([2], [100.0], [180.0], [10.0]))["p_alive"].iloc[0]
    assert probabilities[-1] == pytest.approx(alive, rel=1e-3)


def test_heavy_buyers_stay_finite() -> None:
    # The direct 2F1 form overflows here; Euler's transformation does not.
    bg = PARAMS.bgnbd
    frequency = np.array([500.0, 2000.0, 10000.0])
    age = np.array([700.0, 700.0, 700.0])
    if_alive = expected_purchases_if_alive(bg, frequency, age, 365.0)
    rate_bound = (bg["r"] + frequency) / (bg["alpha"] + age) * 365.0
    assert np.isfinite(if_alive).all()
    assert ((if_alive > 0) & (if_alive <= rate_bound)).all()


def test_order_value_falls_back_with_a_reason() -> None:
    summary = _summary([0, 2, 2, 2], [0.0, 50.0, 50.0, 50.0], [100.0] * 4, [0.0, 30.0, 0.0, np.nan])
    scored = predict_clv(PARAMS, summary)
    p, q, v = (PARAMS.gamma_gamma[name] for name in ("p", "q", "v"))
    population_mean = p * v / (q - 1)
    assert scored["reason"].tolist() == [
        REASON_NO_REPEAT,
        None,
        REASON_NO_MONETARY,
        REASON_NO_MONETARY,
    ]
    values = scored["expected_order_value"].tolist()
    assert values[0] == values[2] == values[3] == pytest.approx(population_mean)
    assert values[1] == pytest.approx(p * (v + 2 * 30.0) / (p * 2 + q - 1))


def test_scores_a_million_customers_in_seconds() -> None:
    rng = np.random.default_rng(3)
    n = 1_000_000
    age = rng.integers(1, 730, n).astype(float)
    frequency = rng.poisson(1.5, n)
    recency = np.where(frequency > 0, np.floor(rng.uniform(0, 1, n) * age), 0.0)
    summary = pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "frequency": frequency,
            "recency": recency,
            "T": age,
            "monetary_value": rng.gamma(6.0, 5.0, n),
        }
    )
    started = time.perf_counter()
    scored = predict_clv(PARAMS, summary)
    elapsed = time.perf_counter() - started
    assert len(scored) == n
    assert np.isfinite(scored["clv_12m"]).all()
    assert elapsed < 15.0  # about 1 s on the 2-core reference machine


def test_params_round_trip_through_json(fitted: ClvParams) -> None:
    assert params_from_json(params_to_json(fitted)) == fitted
    stored = json.loads(params_to_json(fitted))
    assert set(stored) == {
        "bgnbd",
        "gamma_gamma",
        "fitted_at",
        "version",
        "n_customers",
        "n_repeat_customers",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": "clv-other/2"}, "unsupported"),
        ({"fitted_at": "yesterday"}, "ISO"),
        ({"n_customers": -1}, "n_customers"),
        ({"bgnbd": {"r": 0.2, "alpha": 3.0, "a": 0.8}}, "exactly"),
        ({"bgnbd": {"r": 0.2, "alpha": 3.0, "a": 0.8, "b": -1.0}}, "positive"),
        ({"gamma_gamma": {"p": 6.0, "q": "3.7", "v": 15.0}}, "not a number"),
    ],
)
def test_params_from_json_refuses_bad_input(change: dict[str, object], message: str) -> None:
    stored = {**json.loads(params_to_json(PARAMS)), **change}
    with pytest.raises(ClvParamsError, match=message):
        params_from_json(json.dumps(stored))


def test_params_from_json_refuses_non_json() -> None:
    with pytest.raises(ClvParamsError, match="not JSON"):
        params_from_json("{not json")


@pytest.mark.parametrize(
    ("summary", "message"),
    [
        (_summary([1], [5.0], [4.0], [10.0]), "T must be >= recency"),
        (_summary([0], [5.0], [10.0], [0.0]), "recency must be 0"),
        (_summary([-1], [0.0], [10.0], [0.0]), "frequency"),
        (_summary([1], [np.nan], [10.0], [10.0]), "recency"),
        (_summary([], [], [], []), "no customers"),
        (_summary([1], [1.0], [2.0], [3.0]).drop(columns="T"), "missing columns"),
    ],
)
def test_invalid_summaries_are_refused(summary: pd.DataFrame, message: str) -> None:
    with pytest.raises(ClvDataError, match=message):
        predict_clv(PARAMS, summary)


def test_fit_refuses_duplicate_customers(cdnow: pd.DataFrame) -> None:
    duplicated = pd.concat([cdnow.head(3), cdnow.head(1)])
    with pytest.raises(ClvDataError, match="unique"):
        fit_clv(duplicated)
