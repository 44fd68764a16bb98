"""Purchase attributes of profiles from their orders, vectorised over all orders at once.

- `orders_count`, `total_spend`, `avg_order_value`, first and last purchase;
- the CLV summary in the `lifetimes` conventions (time unit: days): orders are grouped by
  UTC calendar day (several orders on one day are one purchase worth their sum),
  `frequency` is the number of purchase days after the first, `recency` the days from the
  first to the last purchase day, `T` the days from the first purchase day to the day of
  `as_of`, and `monetary_value` the mean value of the repeat purchase days (NaN without
  repeat purchases). A purchase dated after `as_of` stretches `T` to its day rather than
  breaking the model's `T >= recency`;
- per (profile, channel): the distinct days with orders and the latest one, for the
  channel attributes.

Orders must arrive grouped by profile (as `OrderFacts` holds them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from enrich.channels import ChannelActivity
from enrich.facts import OrderFacts
from enrich.timestamps import MISSING, SECONDS_PER_DAY

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass
class PurchaseAttributes:
    """Per profile of `OrderFacts.pids` (same order)."""

    orders_count: IntArray
    total_spend: FloatArray
    avg_order_value: FloatArray
    first_purchase_s: IntArray
    last_purchase_s: IntArray
    summary: pd.DataFrame
    """The CLV summary: `customer_id` (the pid), `frequency`, `recency`, `T`,
    `monetary_value`."""


def _starts(groups: IntArray) -> IntArray:
    """Start positions of the runs of equal values in a grouped array."""
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(groups[1:] != groups[:-1]) + 1
    return np.concatenate(([0], change)).astype(np.int64)


def purchase_attributes(facts: OrderFacts, as_of_s: int) -> PurchaseAttributes:
    """Count, spend, dates and the CLV summary of each profile in `facts`.

    Args:
        facts: Orders grouped by profile, with readable times.
        as_of_s: End of the observation window, epoch seconds.
    """
    n = len(facts.pids)
    prof = facts.order_profile
    counts = np.bincount(prof, minlength=n).astype(np.int64)
    spend = np.bincount(prof, weights=facts.total, minlength=n).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        aov = np.where(counts > 0, spend / np.maximum(counts, 1), np.nan)
    first = np.full(n, MISSING, dtype=np.int64)
    last = np.full(n, MISSING, dtype=np.int64)
    if len(prof):
        starts = _starts(prof)
        owners = prof[starts]
        first[owners] = np.minimum.reduceat(facts.placed_at, starts)
        last[owners] = np.maximum.reduceat(facts.placed_at, starts)
    return PurchaseAttributes(
        orders_count=counts,
        total_spend=spend,
        avg_order_value=aov,
        first_purchase_s=first,
        last_purchase_s=last,
        summary=clv_summary(facts, as_of_s),
    )


def clv_summary(facts: OrderFacts, as_of_s: int) -> pd.DataFrame:
    """The per-profile summary `enrich.clv` fits and scores (see the module docstring).

    One row per profile with at least one order, in the order of `facts.pids`.
    """
    n = len(facts.pids)
    day = facts.placed_at // SECONDS_PER_DAY
    order = np.lexsort((day, facts.order_profile))
    prof_sorted = facts.order_profile[order]
    day_sorted = day[order]
    # One entry per (profile, day): a purchase in the lifetimes sense.
    key_change = np.ones(len(order), dtype=bool)
    key_change[1:] = (prof_sorted[1:] != prof_sorted[:-1]) | (day_sorted[1:] != day_sorted[:-1])
    p_starts = np.flatnonzero(key_change)
    p_profile = prof_sorted[p_starts]
    p_day = day_sorted[p_starts]
    p_value = np.add.reduceat(facts.total[order], p_starts) if len(p_starts) else np.zeros(0)
    days = np.bincount(p_profile, minlength=n)
    first_day = np.zeros(n, dtype=np.int64)
    last_day = np.zeros(n, dtype=np.int64)
    first_value = np.zeros(n, dtype=np.float64)
    if len(p_starts):
        g = _starts(p_profile)
        owners = p_profile[g]
        first_day[owners] = p_day[g]
        first_value[owners] = p_value[g]
        last_day[owners] = np.maximum.reduceat(p_day, g)
    value_sum = np.bincount(p_profile, weights=p_value, minlength=n)
    frequency = np.maximum(days - 1, 0)
    recency = (last_day - first_day).astype(np.float64)
    age = np.maximum(float(as_of_s // SECONDS_PER_DAY) - first_day, recency)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, (value_sum - first_value) / frequency, np.nan)
    bought = days > 0
    return pd.DataFrame(
        {
            "customer_id": np.asarray(facts.pids, dtype=object)[bought],
            "frequency": frequency[bought].astype(np.float64),
            "recency": recency[bought],
            "T": age[bought].astype(np.float64),
            "monetary_value": monetary[bought],
        }
    )


def order_channel_cells(facts: OrderFacts) -> ChannelActivity:
    """Per (profile, order channel): distinct UTC days with orders and the latest order.

    Profiles are indexes into `facts.pids`.
    """
    valid = facts.channel >= 0
    prof = facts.order_profile[valid]
    chan = facts.channel[valid]
    stamp = facts.placed_at[valid]
    day = stamp // SECONDS_PER_DAY
    order = np.lexsort((day, chan, prof))
    prof, chan, day, stamp = prof[order], chan[order], day[order], stamp[order]
    if len(prof) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return ChannelActivity(empty, empty, facts.channels, empty, empty)
    cell_change = np.ones(len(prof), dtype=bool)
    cell_change[1:] = (prof[1:] != prof[:-1]) | (chan[1:] != chan[:-1])
    new_day = cell_change.copy()
    new_day[1:] |= day[1:] != day[:-1]
    cells = np.flatnonzero(cell_change)
    return ChannelActivity(
        profile=prof[cells],
        channel=chan[cells],
        names=facts.channels,
        days=np.add.reduceat(new_day.astype(np.int64), cells),
        last_s=np.maximum.reduceat(stamp, cells),
    )
