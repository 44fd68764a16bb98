"""Predictive customer lifetime value: BG/NBD for purchase counts, Gamma-Gamma for spend.

Fitting uses `pymc-marketing` (maximum a posteriori with flat priors, which equals the
maximum-likelihood estimate). Scoring does not: it evaluates the closed forms below with
numpy/scipy on the fitted point estimates, so a million customers score in seconds and
`predict_clv` never imports PyMC.

Input summary columns (the `lifetimes` conventions, time unit **days**):

- `customer_id`: unique id.
- `frequency` (x): number of repeat purchases, i.e. purchases after the first.
- `recency` (t_x): days from the first to the last purchase (0 when x = 0).
- `T`: days from the first purchase to the end of the observation window (T >= t_x).
- `monetary_value` (m̄): mean value of the repeat purchases (ignored when x = 0).

Closed forms used by `predict_clv` (Fader, Hardie & Lee 2005, "Counting your customers
the easy way"; Fader, Hardie & Lee 2008, "Computing P(alive) using the BG/NBD model";
Fader & Hardie 2013, "Overcoming the BG/NBD model's #NUM! error problem"; Fader & Hardie
2013, "The Gamma-Gamma model of monetary value"):

P(alive)
    ``1 / (1 + δ(x>0) · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x))``. Under BG/NBD a customer can
    only drop out straight after a purchase, so one with no repeat purchase is alive with
    probability 1 however long ago they bought: a known property of the model, which is why
    `prob_purchase_30d` and `expected_purchases_*` (not `churn_risk` alone) should drive
    actions for one-time buyers.

E[Y(t) | x, t_x, T]
    ``(a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x-1; z)] / D`` with
    ``z = t/(α+T+t)`` and ``D = 1 + δ(x>0) · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x)``. The
    product in brackets is evaluated through Euler's transformation,
    ``(1-z)^(a-1) · ₂F₁(a+b-1-r, a-1; a+b+x-1; z)``, whose parameters stay small however
    large x is (the direct form overflows for heavy buyers: the "#NUM!" note).

P(Y(t) > 0 | x, t_x, T)
    ``P(alive) · [1 - ((α+T)/(α+T+t))^(r+x)]``. Derivation: the individual-level likelihood
    splits into "still alive at T", ``(1-p)^x λ^x e^(-λT)``, and "dropped out right after
    the last purchase", ``δ(x>0) p (1-p)^(x-1) λ^x e^(-λ t_x)``. A dead customer makes no
    purchase. An alive one makes none in (T, T+t] with probability ``e^(-λt)``, and cannot
    drop out in that window without purchasing first, because BG/NBD dropout happens only
    right after a purchase. So ``P(Y(t)=0, data | λ, p) = (1-p)^x λ^x e^(-λ(T+t)) +
    δ(x>0) p (1-p)^(x-1) λ^x e^(-λ t_x)``. Integrating λ ~ Gamma(r, α), p ~ Beta(a, b) and
    dividing by the marginal likelihood gives ``P(Y(t)=0) = P(dead) + P(alive) ·
    ((α+T)/(α+T+t))^(r+x)``, the posterior of λ given alive being Gamma(r+x, α+T) (the
    y = 0 case of §5.3 of Fader & Hardie 2019, "A step-by-step derivation of the BG/NBD
    model"). pymc-marketing 0.19's `BetaGeoModel.expected_probability_no_purchase` agrees
    for x > 0 but drops the δ(x>0), adding a "dead at the first purchase" branch the model
    does not have, so for x = 0 it understates the purchase probability (by about half on
    CDNOW); the unit tests check x = 0 against a simulation instead.

E[spend per order | x, m̄]
    ``p (v + x m̄) / (p x + q - 1)`` for x > 0 with a positive m̄; otherwise the population
    mean ``p v / (q - 1)`` and a `reason` saying why.

CLV over 12 months
    Expected purchases in each month k = 1..12 (a month being 365/12 days), times the
    expected order value, discounted at the end of its month with the monthly rate
    ``(1 + annual)^(1/12) - 1``. Undiscounted it equals ``E[Y(365)] · E[spend]``;
    discounting at the end of each month rather than at each purchase's own date
    understates the value by at most half a month's discount (about 0.4 % at 10 % a year).
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

# The project has no stubs for scipy or pymc_extras; `unused-ignore` keeps mypy quiet
# if scipy-stubs is installed later.
from scipy.special import expit, hyp2f1  # type: ignore[import-untyped, unused-ignore]

from core.clock import utc_now
from enrich.errors import EnrichError

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

PARAMS_FORMAT: Final = "clv-bgnbd-gg/1"
"""Version of the stored parameter format and of the model specification."""

MAX_FIT_CUSTOMERS: Final = 1_000_000
"""Above this many customers, `fit_clv` fits a seeded uniform random sample."""

SUMMARY_COLUMNS: Final = ("customer_id", "frequency", "recency", "T", "monetary_value")
BGNBD_PARAMS: Final = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMS: Final = ("p", "q", "v")

HORIZON_90D: Final = 90.0
HORIZON_365D: Final = 365.0
PURCHASE_WINDOW_DAYS: Final = 30.0
MONTHS: Final = 12

P_ALIVE_HIGH_RISK: Final = 0.3
"""`churn_risk` is "High" below this P(alive)."""
P_ALIVE_MEDIUM_RISK: Final = 0.7
"""`churn_risk` is "Medium" below this P(alive), "Low" from it up."""
CHURN_RISK_LEVELS: Final = ("High", "Medium", "Low")

REASON_NO_REPEAT: Final = "no_repeat_purchase"
REASON_NO_MONETARY: Final = "non_positive_monetary_value"

PREDICTION_COLUMNS: Final = (
    "customer_id",
    "p_alive",
    "expected_purchases_90d",
    "expected_purchases_365d",
    "expected_order_value",
    "clv_12m",
    "clv_percentile",
    "prob_purchase_30d",
    "expected_next_purchase_days",
    "churn_risk",
    "reason",
)


class ClvError(EnrichError):
    """Root of every error raised by `enrich.clv`."""


class ClvDataError(ClvError):
    """The customer summary cannot be modelled as it is."""

    def __init__(self, problem: str, n_rows: int = 0) -> None:
        detail = f" ({n_rows} rows)" if n_rows else ""
        super().__init__(f"invalid CLV summary: {problem}{detail}")
        self.problem = problem
        self.n_rows = n_rows


class ClvFitError(ClvError):
    """The optimiser returned parameters the closed forms cannot use."""

    def __init__(self, model: str, params: dict[str, float]) -> None:
        super().__init__(f"{model} fit gave unusable parameters: {params}")
        self.model = model
        self.params = params


class ClvParamsError(ClvError):
    """Stored parameters are malformed or of an unknown format."""


@dataclass(frozen=True)
class ClvParams:
    """Point estimates of a fitted BG/NBD + Gamma-Gamma model.

    Attributes:
        bgnbd: BG/NBD parameters `r`, `alpha` (in days), `a`, `b`.
        gamma_gamma: Gamma-Gamma parameters `p`, `q`, `v`.
        fitted_at: When the fit finished, ISO 8601 in UTC.
        version: `PARAMS_FORMAT` and the pymc-marketing version that fitted it.
        n_customers: Customers the BG/NBD model was fitted on.
        n_repeat_customers: Repeat customers the Gamma-Gamma model was fitted on.
    """

    bgnbd: dict[str, float]
    gamma_gamma: dict[str, float]
    fitted_at: str
    version: str
    n_customers: int
    n_repeat_customers: int


def fit_clv(
    summary: pd.DataFrame,
    *,
    max_customers: int = MAX_FIT_CUSTOMERS,
    random_seed: int = 0,
) -> ClvParams:
    """Fit BG/NBD and Gamma-Gamma by maximum likelihood.

    Both models are fitted with pymc-marketing's MAP (`pymc.find_MAP`, L-BFGS-B) under
    improper flat priors (`HalfFlat`); `find_MAP` optimises the log-density without the
    log-transform Jacobian, so the MAP is the maximum-likelihood estimate. The BG/NBD
    model sees every customer, the Gamma-Gamma model only repeat customers with a positive
    `monetary_value`. Above `max_customers` rows both fit a seeded uniform random sample.

    On the 2-core reference machine PyTensor's compilation takes about 45 s the first
    time (cached on disk under ~/.pytensor after that); with a warm cache a million
    customers fit in about 16 s (BG/NBD 11 s, Gamma-Gamma 5 s) and 100,000 in about 8 s,
    the pymc-marketing import taking about 5 s of either.

    Args:
        summary: One row per customer with the columns in `SUMMARY_COLUMNS`, time in days.
        max_customers: Largest number of customers fitted; a larger summary is sampled.
        random_seed: Seed of that sample.

    Returns:
        The fitted parameters, stamped with the fit time and version.

    Raises:
        ClvDataError: The summary is missing columns or breaks the model's assumptions.
        ClvFitError: An optimiser returned non-finite or non-positive parameters, or a
            Gamma-Gamma `q <= 1`, for which the population mean spend is infinite.
    """
    _validate_summary(summary)
    if not summary["customer_id"].is_unique:
        raise ClvDataError("customer_id must be unique")
    if max_customers < 1:
        raise ClvDataError(f"max_customers must be positive, got {max_customers}")
    data = summary.loc[:, list(SUMMARY_COLUMNS)]
    if len(data) > max_customers:
        rng = np.random.default_rng(random_seed)
        rows = np.sort(rng.choice(len(data), size=max_customers, replace=False))
        data = data.iloc[rows]
        logger.info("CLV fit samples %d of %d customers", max_customers, len(summary))
    data = data.reset_index(drop=True)
    repeat = data.loc[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
    if len(repeat) < 2:
        raise ClvDataError("Gamma-Gamma needs at least 2 repeat customers with spend")

    started = time.perf_counter()
    bgnbd = _fit_bgnbd(data)
    bgnbd_seconds = time.perf_counter() - started
    gamma_gamma = _fit_gamma_gamma(repeat)
    logger.info(
        "CLV fit: BG/NBD on %d customers in %.1f s, Gamma-Gamma on %d in %.1f s",
        len(data),
        bgnbd_seconds,
        len(repeat),
        time.perf_counter() - started - bgnbd_seconds,
    )
    return ClvParams(
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        fitted_at=utc_now().isoformat(timespec="seconds"),
        version=f"{PARAMS_FORMAT}+pymc-marketing-{_pymc_marketing_version()}",
        n_customers=len(data),
        n_repeat_customers=len(repeat),
    )


def predict_clv(
    params: ClvParams,
    summary: pd.DataFrame,
    *,
    discount_rate_annual: float = 0.1,
) -> pd.DataFrame:
    """Score customers with the closed forms of the fitted models (no sampling).

    Args:
        params: Fitted parameters from `fit_clv` or `params_from_json`.
        summary: One row per customer with the columns in `SUMMARY_COLUMNS`, time in days.
            `monetary_value` may be missing (NaN) for customers without repeat purchases.
        discount_rate_annual: Annual discount rate for `clv_12m`.

    Returns:
        One row per input row, in input order, with the columns in `PREDICTION_COLUMNS`:
        `p_alive`; `expected_purchases_90d` and `_365d`; `expected_order_value` (the
        Gamma-Gamma conditional mean); `clv_12m` (discounted, see the module docstring);
        `clv_percentile` (average-rank percentile of `clv_12m` in (0, 1], so the top 20 %
        have >= 0.8); `prob_purchase_30d` (at least one purchase in the next 30 days);
        `expected_next_purchase_days` (365 / `expected_purchases_365d`: the mean gap
        implied by the expected purchase rate over the coming year, dropout included;
        infinite when no purchase is expected); `churn_risk` ("High" for P(alive) < 0.3,
        "Medium" below 0.7, else "Low"); `reason` (None, or why the order value fell back
        to the population mean: `REASON_NO_REPEAT` or `REASON_NO_MONETARY`).

    Raises:
        ClvDataError: The summary is missing columns or breaks the model's assumptions,
            or the discount rate is not above -1.
    """
    _validate_summary(summary)
    if not discount_rate_annual > -1.0:
        raise ClvDataError(f"discount_rate_annual must be > -1, got {discount_rate_annual}")
    bg = params.bgnbd
    x = summary["frequency"].to_numpy(dtype=np.float64)
    t_x = summary["recency"].to_numpy(dtype=np.float64)
    big_t = summary["T"].to_numpy(dtype=np.float64)
    monetary = summary["monetary_value"].to_numpy(dtype=np.float64)

    p_alive = probability_alive(bg, x, t_x, big_t)
    # The hypergeometric term depends on (x, T) only; summaries in whole days share few
    # such pairs (about 17k in a million customers), so it is evaluated once per pair.
    codes, pairs = pd.factorize(x + 1j * big_t)
    x_pairs = np.ascontiguousarray(pairs.real)
    t_pairs = np.ascontiguousarray(pairs.imag)

    def purchases(horizon: float) -> FloatArray:
        if_alive = expected_purchases_if_alive(bg, x_pairs, t_pairs, horizon)
        result: FloatArray = if_alive[codes] * p_alive
        return result

    month = HORIZON_365D / MONTHS
    cumulative = [purchases(month * k) for k in range(1, MONTHS + 1)]
    purchases_365d = cumulative[-1]
    purchases_90d = purchases(HORIZON_90D)

    monthly_rate = (1.0 + discount_rate_annual) ** (1.0 / MONTHS) - 1.0
    discounted_purchases = np.zeros_like(x)
    previous = np.zeros_like(x)
    for k, current in enumerate(cumulative, start=1):
        discounted_purchases += (current - previous) / (1.0 + monthly_rate) ** k
        previous = current

    order_value, reason = expected_order_value(params.gamma_gamma, x, monetary)
    clv = discounted_purchases * order_value
    prob_purchase = p_alive * purchase_probability_if_alive(bg, x, big_t, PURCHASE_WINDOW_DAYS)
    with np.errstate(divide="ignore"):
        next_purchase_days = HORIZON_365D / purchases_365d
    churn_codes = np.select([p_alive < P_ALIVE_HIGH_RISK, p_alive < P_ALIVE_MEDIUM_RISK], [0, 1], 2)

    return pd.DataFrame(
        {
            "customer_id": summary["customer_id"].to_numpy(),
            "p_alive": p_alive,
            "expected_purchases_90d": purchases_90d,
            "expected_purchases_365d": purchases_365d,
            "expected_order_value": order_value,
            "clv_12m": clv,
            "clv_percentile": pd.Series(clv).rank(method="average", pct=True).to_numpy(),
            "prob_purchase_30d": prob_purchase,
            "expected_next_purchase_days": next_purchase_days,
            "churn_risk": pd.Categorical.from_codes(churn_codes, categories=CHURN_RISK_LEVELS),
            # object dtype keeps None; pandas 3 would infer a string dtype with NaN.
            "reason": pd.Series(reason, dtype=object),
        },
        columns=list(PREDICTION_COLUMNS),
    )


def probability_alive(
    bgnbd: dict[str, float], x: FloatArray, t_x: FloatArray, big_t: FloatArray
) -> FloatArray:
    """BG/NBD probability that each customer is still active at `T`.

    Args:
        bgnbd: Parameters `r`, `alpha`, `a`, `b`.
        x: Repeat purchases.
        t_x: Recency in the unit of `alpha`.
        big_t: Age in the unit of `alpha`.

    Returns:
        P(alive), 1 where x = 0.
    """
    r, alpha, a, b = (bgnbd[name] for name in BGNBD_PARAMS)
    # Computed as expit(-log odds of death) so extreme histories neither overflow nor
    # round to 0/0; x = 0 rows get a dummy x of 1 and are overwritten.
    x_safe = np.maximum(x, 1.0)
    log_odds_dead = (r + x_safe) * np.log((alpha + big_t) / (alpha + t_x)) + np.log(
        a / (b + x_safe - 1.0)
    )
    alive: FloatArray = np.where(x > 0, expit(-log_odds_dead), 1.0)
    return alive


def expected_purchases_if_alive(
    bgnbd: dict[str, float], x: FloatArray, big_t: FloatArray, t: float
) -> FloatArray:
    """BG/NBD expected purchases in (T, T+t] of a customer known to be alive at T.

    This is the numerator of the closed form for E[Y(t) | x, t_x, T]; its denominator
    D is 1 / P(alive). Recency does not enter: given alive at T, the purchase rate's
    posterior is Gamma(r + x, alpha + T) and the dropout's Beta(a, b + x).

    Args:
        bgnbd: Parameters `r`, `alpha`, `a`, `b`.
        x: Repeat purchases.
        big_t: Age in the unit of `alpha`.
        t: Horizon in the unit of `alpha`.

    Returns:
        E[Y(t) | alive at T, x, T].
    """
    r, alpha, a, b = (bgnbd[name] for name in BGNBD_PARAMS)
    c = a + b + x - 1.0
    z = t / (alpha + big_t + t)
    # Euler's transformation of ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; c; z).
    tail = (1.0 - z) ** (a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
    purchases: FloatArray = c / (a - 1.0) * (1.0 - tail)
    return purchases


def probability_purchase(
    bgnbd: dict[str, float],
    x: FloatArray,
    t_x: FloatArray,
    big_t: FloatArray,
    t: float,
) -> FloatArray:
    """BG/NBD probability of at least one purchase in (T, T+t] given the history.

    Args:
        bgnbd: Parameters `r`, `alpha`, `a`, `b`.
        x: Repeat purchases.
        t_x: Recency in the unit of `alpha`.
        big_t: Age in the unit of `alpha`.
        t: Window in the unit of `alpha`.

    Returns:
        P(Y(t) > 0 | x, t_x, T) = P(alive) · P(Y(t) > 0 | alive at T, x, T); derived in
        the module docstring.
    """
    alive: FloatArray = probability_alive(bgnbd, x, t_x, big_t)
    return alive * purchase_probability_if_alive(bgnbd, x, big_t, t)


def purchase_probability_if_alive(
    bgnbd: dict[str, float], x: FloatArray, big_t: FloatArray, t: float
) -> FloatArray:
    """Probability of a purchase in (T, T+t] for a customer known to be alive at T.

    Args:
        bgnbd: Parameters `r`, `alpha`, `a`, `b`.
        x: Repeat purchases.
        big_t: Age in the unit of `alpha`.
        t: Window in the unit of `alpha`.

    Returns:
        ``1 - ((alpha + T) / (alpha + T + t))^(r + x)``: one minus the Laplace transform
        of the purchase rate's posterior, Gamma(r + x, alpha + T), at t.
    """
    r, alpha = bgnbd["r"], bgnbd["alpha"]
    probability: FloatArray = -np.expm1((r + x) * np.log1p(-t / (alpha + big_t + t)))
    return probability


def expected_order_value(
    gamma_gamma: dict[str, float], x: FloatArray, monetary: FloatArray
) -> tuple[FloatArray, npt.NDArray[np.object_]]:
    """Gamma-Gamma expected spend per future order, with a population fallback.

    Args:
        gamma_gamma: Parameters `p`, `q`, `v`.
        x: Repeat purchases.
        monetary: Mean spend of the repeat purchases.

    Returns:
        The expected order value and, per customer, None or the reason it is the
        population mean `p v / (q - 1)`.
    """
    p, q, v = (gamma_gamma[name] for name in GAMMA_GAMMA_PARAMS)
    population_mean = p * v / (q - 1.0)
    has_spend = (x > 0) & (monetary > 0)  # NaN compares False
    m_safe = np.where(has_spend, monetary, 0.0)
    individual = p * (v + x * m_safe) / (p * x + q - 1.0)
    value: FloatArray = np.where(has_spend, individual, population_mean)
    reason = np.full(x.shape, None, dtype=object)
    reason[x <= 0] = REASON_NO_REPEAT
    reason[(x > 0) & ~has_spend] = REASON_NO_MONETARY
    return value, reason


def params_to_json(params: ClvParams) -> str:
    """Serialise fitted parameters for storage.

    Args:
        params: The fitted parameters.

    Returns:
        A JSON object with every `ClvParams` field.
    """
    return json.dumps(asdict(params), sort_keys=True)


def params_from_json(text: str) -> ClvParams:
    """Load parameters stored by `params_to_json`.

    Args:
        text: The stored JSON.

    Returns:
        The parameters.

    Raises:
        ClvParamsError: The JSON is malformed, of another format version, or holds
            missing, non-finite or non-positive parameters.
    """
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ClvParamsError(f"stored CLV parameters are not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ClvParamsError("stored CLV parameters are not a JSON object")
    version = raw.get("version")
    if not isinstance(version, str) or version.split("+", 1)[0] != PARAMS_FORMAT:
        raise ClvParamsError(f"unsupported CLV parameter version {version!r}")
    fitted_at = raw.get("fitted_at")
    if not isinstance(fitted_at, str):
        raise ClvParamsError("stored CLV parameters have no fitted_at")
    try:
        datetime.fromisoformat(fitted_at)
    except ValueError as exc:
        raise ClvParamsError(f"fitted_at is not ISO 8601: {fitted_at!r}") from exc
    counts = {key: raw.get(key) for key in ("n_customers", "n_repeat_customers")}
    for key, count in counts.items():
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ClvParamsError(f"{key} is not a non-negative integer: {count!r}")
    return ClvParams(
        bgnbd=_checked_params("bgnbd", raw.get("bgnbd"), BGNBD_PARAMS),
        gamma_gamma=_checked_params("gamma_gamma", raw.get("gamma_gamma"), GAMMA_GAMMA_PARAMS),
        fitted_at=fitted_at,
        version=version,
        n_customers=int(raw["n_customers"]),
        n_repeat_customers=int(raw["n_repeat_customers"]),
    )


def _checked_params(model: str, value: object, names: tuple[str, ...]) -> dict[str, float]:
    if not isinstance(value, dict) or set(value) != set(names):
        raise ClvParamsError(f"{model} must hold exactly {list(names)}")
    checked: dict[str, float] = {}
    for name in names:
        number = value[name]
        if not isinstance(number, int | float) or isinstance(number, bool):
            raise ClvParamsError(f"{model}.{name} is not a number: {number!r}")
        if not (math.isfinite(number) and number > 0):
            raise ClvParamsError(f"{model}.{name} must be finite and positive: {number!r}")
        checked[name] = float(number)
    return checked


def _validate_summary(summary: pd.DataFrame) -> None:
    missing = [column for column in SUMMARY_COLUMNS if column not in summary.columns]
    if missing:
        raise ClvDataError(f"missing columns {missing}")
    if len(summary) == 0:
        raise ClvDataError("no customers")
    x = summary["frequency"].to_numpy(dtype=np.float64)
    t_x = summary["recency"].to_numpy(dtype=np.float64)
    big_t = summary["T"].to_numpy(dtype=np.float64)
    checks = (
        ("frequency must be a non-negative whole number", ~((x >= 0) & (x == np.round(x)))),
        ("recency must be >= 0", ~(t_x >= 0)),
        ("T must be >= recency", ~(big_t >= t_x)),
        ("recency must be 0 when frequency is 0", (x == 0) & (t_x != 0)),
    )
    for problem, bad in checks:
        n_bad = int(np.count_nonzero(bad))
        if n_bad:
            raise ClvDataError(problem, n_bad)


def _pymc_marketing_version() -> str:
    import pymc_marketing

    return str(pymc_marketing.__version__)


def _flat_priors(names: tuple[str, ...]) -> dict[str, Any]:
    from pymc_extras.prior import Prior  # type: ignore[import-untyped, unused-ignore]

    return {name: Prior("HalfFlat") for name in names}


def _point_estimates(model: Any, names: tuple[str, ...]) -> dict[str, float]:
    result = model.fit_result
    return {name: float(result[name].values.squeeze()) for name in names}


def _fit_bgnbd(data: pd.DataFrame) -> dict[str, float]:
    # Imported here: pymc-marketing pulls in PyMC/PyTensor, which only fitting needs.
    from pymc_marketing.clv import BetaGeoModel

    # Setting `a` and `b` directly replaces the default hierarchical phi/kappa prior.
    model = BetaGeoModel(model_config=_flat_priors(BGNBD_PARAMS))
    model.fit(
        data=data.loc[:, ["customer_id", "frequency", "recency", "T"]],
        method="map",
        progressbar=False,
    )
    params = _point_estimates(model, BGNBD_PARAMS)
    if not all(math.isfinite(value) and value > 0 for value in params.values()):
        raise ClvFitError("BG/NBD", params)
    return params


def _fit_gamma_gamma(repeat: pd.DataFrame) -> dict[str, float]:
    from pymc_marketing.clv import GammaGammaModel

    model = GammaGammaModel(model_config=_flat_priors(GAMMA_GAMMA_PARAMS))
    model.fit(
        data=repeat.loc[:, ["customer_id", "frequency", "monetary_value"]],
        method="map",
        progressbar=False,
    )
    params = _point_estimates(model, GAMMA_GAMMA_PARAMS)
    usable = all(math.isfinite(value) and value > 0 for value in params.values())
    if not usable or params["q"] <= 1.0:
        raise ClvFitError("Gamma-Gamma", params)
    return params
