"""RFM scores (recency, frequency, monetary quintiles) and the named segments built on them.

Scores are quintiles 1-5 of each measure across the customers passed in, so they are
relative to that population: R = 5 for the most recent fifth (fewest days since the
last purchase), F = 5 for the most frequent, M = 5 for the biggest spenders.

Each score is `pandas.qcut` on the customers' ranks rather than on the raw values: raw
values tie heavily (half of a shop's customers may have one order), which makes `qcut`'s
quantile edges collide, while ranks are distinct, so every quintile gets a fifth of the
customers. Ties are broken by `customer_id`, so the scores do not depend on row order;
the price is that two customers with the same value can sit in neighbouring quintiles.

`rfm_segment` maps a score triple to one of the named segments by the first matching
rule below, with ``FM = (F + M) / 2``, the average of the frequency and monetary scores.
The rules cover all 125 triples:

====  ===================  ==========================  ==================================
 #    segment              rule                        meaning
====  ===================  ==========================  ==================================
 1    Champions            R >= 4, FM >= 4             recent, frequent, big spenders
 2    Loyal Customers      R >= 3, F >= 3, FM >= 3     buy often and well, not lapsed
 3    New Customers        R = 5, F = 1                just bought, few orders so far
 4    Promising            R = 4, F = 1                recent, few orders so far
 5    Potential Loyalist   R >= 4                      recent with repeat orders
 6    Need Attention       R = 3, F >= 2               middling on every measure
 7    About To Sleep       R = 3                       middling recency, few orders
 8    Can't Lose Them      R = 1, F >= 4, M >= 4       were among the best, gone longest
 9    At Risk              R <= 2, FM >= 3             good customers who have lapsed
 10   Lost                 R = 1, FM <= 2              gone longest, bought little
 11   Hibernating          R <= 2                      lapsed, low value
====  ===================  ==========================  ==================================

The names follow the common eleven-segment RFM scheme (as popularised by Putler and the
R `rfm` package); its published score ranges overlap and leave gaps, so the precise
rules and their order here are this module's own.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from enrich.errors import EnrichError

SCORES: Final = (1, 2, 3, 4, 5)
N_QUANTILES: Final = len(SCORES)
NEUTRAL_SCORE: Final = 3
"""Score given when there is a single customer, who has nobody to be ranked against."""

CHAMPIONS: Final = "Champions"
LOYAL_CUSTOMERS: Final = "Loyal Customers"
NEW_CUSTOMERS: Final = "New Customers"
PROMISING: Final = "Promising"
POTENTIAL_LOYALIST: Final = "Potential Loyalist"
NEED_ATTENTION: Final = "Need Attention"
ABOUT_TO_SLEEP: Final = "About To Sleep"
CANT_LOSE_THEM: Final = "Can't Lose Them"
AT_RISK: Final = "At Risk"
LOST: Final = "Lost"
HIBERNATING: Final = "Hibernating"
SEGMENTS: Final = (
    CHAMPIONS,
    LOYAL_CUSTOMERS,
    NEW_CUSTOMERS,
    PROMISING,
    POTENTIAL_LOYALIST,
    NEED_ATTENTION,
    ABOUT_TO_SLEEP,
    CANT_LOSE_THEM,
    AT_RISK,
    LOST,
    HIBERNATING,
)
"""Every segment name, in the order their rules are tried."""


class RfmError(EnrichError, ValueError):
    """Root of every error raised by `enrich.rfm`."""


class RfmDataError(RfmError):
    """The input cannot be scored as it is."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"invalid RFM input: {problem}")
        self.problem = problem


def rfm_segment(r: int, f: int, m: int) -> str:
    """Name the segment of one R, F, M score triple (rules in the module docstring).

    Args:
        r: Recency score, 5 = most recent.
        f: Frequency score, 5 = most frequent.
        m: Monetary score, 5 = highest spend.

    Returns:
        One of `SEGMENTS`.

    Raises:
        RfmError: A score is not a whole number from 1 to 5.
    """
    for name, score in (("r", r), ("f", f), ("m", m)):
        if score not in SCORES or isinstance(score, bool):
            raise RfmError(f"{name} score must be 1-5, got {score!r}")
    fm = (f + m) / 2
    if r >= 4 and fm >= 4:
        return CHAMPIONS
    if r >= 3 and f >= 3 and fm >= 3:
        return LOYAL_CUSTOMERS
    if r == 5 and f == 1:
        return NEW_CUSTOMERS
    if r == 4 and f == 1:
        return PROMISING
    if r >= 4:
        return POTENTIAL_LOYALIST
    if r == 3:
        return NEED_ATTENTION if f >= 2 else ABOUT_TO_SLEEP
    if r == 1 and f >= 4 and m >= 4:
        return CANT_LOSE_THEM
    if fm >= 3:
        return AT_RISK
    if r == 1 and fm <= 2:
        return LOST
    return HIBERNATING


def rfm_scores(
    df: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    days_since_last_purchase: str = "days_since_last_purchase",
    frequency: str = "frequency",
    monetary: str = "monetary",
) -> pd.DataFrame:
    """Score customers into R, F, M quintiles and name their segment.

    Which measures to use is the caller's choice: frequency is usually the number of
    orders and monetary the total spend in the period. From the CLV summary of
    `enrich.clv`, days since the last purchase are ``T - recency``.

    Args:
        df: One row per customer.
        customer_id: Column of unique customer ids, used to break ties.
        days_since_last_purchase: Column of days since each customer's last purchase.
        frequency: Column of purchase counts.
        monetary: Column of spend.

    Returns:
        A copy of `df`, in its row order and index, with `r_score`, `f_score` and
        `m_score` (1-5), `rfm_cell` (the three digits, e.g. "545") and `segment`.

    Raises:
        RfmDataError: A column is missing, a measure is missing or not finite, or a
            customer id repeats.
    """
    columns = (customer_id, days_since_last_purchase, frequency, monetary)
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise RfmDataError(f"missing columns {missing}")
    if not df[customer_id].is_unique:
        raise RfmDataError(f"{customer_id} must be unique")
    measures = {}
    for column in columns[1:]:
        values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            raise RfmDataError(f"{column} must be finite numbers")
        measures[column] = values

    ids = df[customer_id].to_numpy()
    # Fewer days since the last purchase is better, hence the minus.
    r = _quintile_scores(-measures[days_since_last_purchase], ids)
    f = _quintile_scores(measures[frequency], ids)
    m = _quintile_scores(measures[monetary], ids)

    scored = df.copy()
    scored["r_score"] = r
    scored["f_score"] = f
    scored["m_score"] = m
    cells = r * 100 + f * 10 + m
    scored["rfm_cell"] = pd.Series(cells, index=df.index, dtype="int64").astype(str)
    scored["segment"] = pd.Series(cells, index=df.index, dtype="int64").map(_SEGMENT_BY_CELL)
    return scored


def _quintile_scores(
    values: npt.NDArray[np.float64], ids: npt.NDArray[Any]
) -> npt.NDArray[np.int64]:
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n == 1:
        return np.full(1, NEUTRAL_SCORE, dtype=np.int64)
    # Rank by value, then by id, into distinct ranks 1..n.
    order = (
        pd.DataFrame({"value": values, "id": ids})
        .sort_values(["value", "id"], kind="stable")
        .index.to_numpy()
    )
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = np.arange(1, n + 1)
    bins = pd.qcut(ranks, N_QUANTILES, labels=False)
    scores: npt.NDArray[np.int64] = np.asarray(bins, dtype=np.int64) + 1
    return scores


_SEGMENT_BY_CELL: Final = {
    r * 100 + f * 10 + m: rfm_segment(r, f, m) for r in SCORES for f in SCORES for m in SCORES
}
