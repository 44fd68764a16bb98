"""The attributes of a run's profiles, one function per family of the catalogue
(`enrich.catalogue`): purchases, category affinity, RFM, predictions, channels, email
engagement, loyalty and consent.

Each function fills its columns of a `Columns` of the run's profiles (the master list,
`ProfileFacts.pids`) from the facts read; `Enricher` calls them in a fixed order, which is
the order of the columns and so of each profile's fingerprint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from enrich import reference as ref
from enrich.affinity import category_affinity
from enrich.channels import ChannelActivity, channel_attributes
from enrich.columns import Columns, object_array
from enrich.facts import EventFacts, OrderFacts, ProfileFacts
from enrich.memberships import with_unsubscribe_event
from enrich.predictive import (
    PREDICTIVE_ATTRIBUTES,
    PREDICTIVE_NUMBERS,
    Predictions,
    StoredModel,
    no_purchase_attributes,
    predict,
)
from enrich.purchases import PurchaseAttributes, order_channel_cells
from enrich.rfm import SCORES, rfm_scores, rfm_segment
from enrich.timestamps import SECONDS_PER_DAY, to_iso

IntArray = npt.NDArray[np.int64]

_SEGMENT_BY_CELL: Final = {
    r * 100 + f * 10 + m: rfm_segment(r, f, m) for r in SCORES for f in SCORES for m in SCORES
}


def positions(master: pd.Index, pids: Sequence[str]) -> IntArray:
    """Positions of `pids` in the master profile list (-1: a profile that is not there)."""
    if not len(pids):
        return np.zeros(0, dtype=np.int64)
    found: IntArray = master.get_indexer(pd.Index(pids)).astype(np.int64)
    return found


@dataclass(frozen=True)
class RfmResult:
    """The buyers scored and the quintile boundaries used (for the population reference)."""

    customers: int
    bounds: dict[str, list[ref.Bound]]


def purchase_columns(cols: Columns, at: IntArray, purchases: PurchaseAttributes) -> None:
    """Orders count, total spend, average order value, first and last purchase.

    Args:
        cols: The run's columns.
        at: Per profile of `OrderFacts.pids`, its position in the master list.
        purchases: The purchase attributes of `OrderFacts.pids`.
    """
    ok = at >= 0
    dest = at[ok]
    cols.numeric("orders_count", "int", fill=0.0)[dest] = purchases.orders_count[ok]
    cols.numeric("total_spend", fill=0.0)[dest] = np.round(purchases.total_spend[ok], 2)
    cols.numeric("avg_order_value")[dest] = np.round(purchases.avg_order_value[ok], 2)
    for name, seconds in (
        ("first_purchase_at", purchases.first_purchase_s),
        ("last_purchase_at", purchases.last_purchase_s),
    ):
        cols.scatter(name, dest, to_iso(seconds[ok]))


def affinity_columns(
    cols: Columns, at: IntArray, orders: OrderFacts, as_of_s: int, half_life_days: float
) -> None:
    """Category affinity (share of decayed spend per category) and the top category."""
    ok = at >= 0
    affinity = category_affinity(orders, as_of_s, half_life_days)
    for name, values in (
        ("category_affinity", affinity.category_affinity),
        ("top_category", affinity.top_category),
    ):
        cols.scatter(name, at[ok], object_array(values, len(values))[ok])


def rfm_columns(
    cols: Columns,
    at: IntArray,
    orders: OrderFacts,
    purchases: PurchaseAttributes,
    as_of_s: int,
    reference: ref.PopulationReference | None,
) -> RfmResult:
    """R, F, M scores and the RFM segment of customers with purchases (placed by the
    reference in incremental runs, by the population in full ones)."""
    bought = np.flatnonzero(purchases.orders_count > 0)
    buyer_pids = [orders.pids[i] for i in bought.tolist()]
    r, f, m, bounds = rfm_of(
        buyer_pids,
        purchases.last_purchase_s[bought],
        purchases.orders_count[bought],
        purchases.total_spend[bought],
        as_of_s,
        reference,
    )
    buyer_at = at[bought]
    keep = buyer_at >= 0
    for name, scores in (("rfm_r", r), ("rfm_f", f), ("rfm_m", m)):
        cols.numeric(name, "int")[buyer_at[keep]] = scores[keep]
    cells = (r * 100 + f * 10 + m)[keep].tolist()
    cols.scatter("rfm_segment", buyer_at[keep], [_SEGMENT_BY_CELL[c] for c in cells])
    return RfmResult(len(buyer_pids), bounds)


def rfm_of(
    pids: list[str],
    last_s: IntArray,
    counts: IntArray,
    spend: npt.NDArray[np.float64],
    as_of_s: int,
    reference: ref.PopulationReference | None,
) -> tuple[IntArray, IntArray, IntArray, dict[str, list[ref.Bound]]]:
    """R, F, M scores and the quintile boundaries (from the reference in incremental
    runs, from the population in full ones)."""
    keys = {
        "r": last_s.astype(np.float64),
        "f": counts.astype(np.float64),
        "m": spend.astype(np.float64),
    }
    if reference is not None:
        bounds = reference.rfm_bounds
        r, f, m = (ref.score_by_bounds(keys[k], pids, bounds[k]) for k in ref.RFM_MEASURES)
        return r, f, m, bounds
    if not pids:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, {k: [None] * 4 for k in ref.RFM_MEASURES}
    scored = rfm_scores(
        pd.DataFrame(
            {
                "customer_id": pids,
                "days_since_last_purchase": (as_of_s - last_s) / SECONDS_PER_DAY,
                "frequency": counts,
                "monetary": spend,
            }
        )
    )
    r = scored["r_score"].to_numpy(dtype=np.int64)
    f = scored["f_score"].to_numpy(dtype=np.int64)
    m = scored["m_score"].to_numpy(dtype=np.int64)
    bounds = {
        k: ref.rfm_bounds(keys[k], pids, s)
        for k, s in zip(ref.RFM_MEASURES, (r, f, m), strict=True)
    }
    return r, f, m, bounds


def predictive_columns(
    cols: Columns,
    master: pd.Index,
    purchases: PurchaseAttributes,
    model: StoredModel | None,
    as_of_s: int,
    reference: ref.PopulationReference | None,
) -> Predictions:
    """The CLV model's predictions; profiles without purchases get the "no purchases"
    values."""
    no_purchase = no_purchase_attributes()
    for name in PREDICTIVE_ATTRIBUTES:
        if name in PREDICTIVE_NUMBERS:
            cols.numeric(name)  # null without purchases
        else:
            cols.objects(name, no_purchase[name])
    predicted = predict(purchases.summary, model, as_of_s // SECONDS_PER_DAY, reference)
    pred_at = positions(master, predicted.customer_ids)
    keep = pred_at >= 0
    for name in PREDICTIVE_ATTRIBUTES:
        values = predicted.columns[name]
        if name in PREDICTIVE_NUMBERS:
            numbers = np.asarray(values, dtype=np.float64)  # None becomes NaN
            cols.numeric(name)[pred_at[keep]] = numbers[keep]
        else:
            cols.scatter(name, pred_at[keep], object_array(values, len(values))[keep])
    return predicted


def channel_columns(
    cols: Columns, at: IntArray, event_at: IntArray, orders: OrderFacts, events: EventFacts
) -> None:
    """The channels used (orders and events) and the preferred one."""
    order_cells = order_channel_cells(orders)
    order_cells.profile = at[order_cells.profile]
    event_cells = ChannelActivity(
        profile=event_at[events.activity_profile],
        channel=events.activity_channel,
        names=events.channels,
        days=events.activity_days,
        last_s=events.activity_last,
    )
    listed, preferred = channel_attributes(cols.n, [order_cells, event_cells])
    cols.set_objects("channels", listed)
    cols.set_objects("preferred_channel", preferred)


def engagement_columns(cols: Columns, event_at: IntArray, events: EventFacts) -> None:
    """The last email open and click."""
    known = event_at >= 0
    for name, values in (
        ("last_email_open_at", events.last_open),
        ("last_email_click_at", events.last_click),
    ):
        cols.scatter(name, event_at[known], object_array(values, len(values))[known])


def membership_columns(
    cols: Columns, event_at: IntArray, profiles: ProfileFacts, events: EventFacts
) -> None:
    """Unsubscribed, loyalty tier and points, consent per channel (an unsubscribe event
    withdraws email consent whatever the records say)."""
    memberships = list(profiles.memberships)
    for i, position in enumerate(event_at.tolist()):
        if position >= 0 and events.last_unsubscribe[i] is not None:
            memberships[position] = with_unsubscribe_event(memberships[position])
    unsubscribed = cols.numeric("unsubscribed", "bool", fill=0.0)
    tier, points = cols.objects("loyalty_tier"), cols.objects("loyalty_points")
    email, sms = cols.numeric("consent_email", "bool"), cols.numeric("consent_sms", "bool")
    for i, member in enumerate(memberships):
        if member is None:
            continue
        tier[i], points[i] = member.loyalty_tier, member.loyalty_points
        email[i] = np.nan if member.consent_email is None else float(member.consent_email)
        sms[i] = np.nan if member.consent_sms is None else float(member.consent_sms)
        unsubscribed[i] = 1.0 if member.unsubscribed else 0.0
