"""Enrichment of golden profiles: descriptive, predictive and external attributes.

A run reads the facts of the profiles it works on in three streamed reads (profiles with
their loyalty and consent attributes, orders, events: `graph.enrich_repo`), computes every
attribute with numpy over all of them at once, and writes them back in large
`UNWIND $rows` batches (`SET p += row.props`).

Runs:

- **full** (`cdp enrich --all`): every active profile. Also stores the population
  reference (`enrich.reference`) that places profiles in incremental runs.
- **fit** (`cdp enrich --fit`): fits the CLV models on the summary of every customer, stores
  them as a new version of `(:Model {id: 'clv'})`, then runs a full enrichment with them
  (a new model changes every prediction, and the summary is already read).
- **incremental** (`cdp enrich`): the profiles resolution marked `enrich_dirty` (records
  merged, split, changed) and those with orders or events later than the last run saw,
  scored against the stored model and reference. The first run on a graph (no reference
  yet) is a full one.

Fitting is never part of an incremental run or of any request: without a fitted model the
predictive attributes are null with `clv_reason = "no_model"`.

Unchanged profiles: every profile gets a fingerprint of the attributes computed for it
(`Columns.fingerprints`, stored as `enrich_hash`), and a run writes only the profiles whose
fingerprint differs from the stored one, or that resolution marked dirty, so a repeated
full run writes only what changed (and `enriched_at` says when a profile's attributes were
last written). The fingerprint covers what the enricher wrote: anything else that changes
those attributes on a profile must remove its `enrich_hash` or mark it dirty (or the run
be made with `EnrichConfig(skip_unchanged=False)`).

Dirty flags: a run clears `enrich_dirty` on the profiles it writes, unless resolution
rewrote the profile after the second the run started in (resolution sets `resolved_at`,
to the second, together with the flag), so a change made during a run is picked up by
the next one. This compares the clocks of the resolving and the enriching process: run
them on hosts whose clocks agree.

Time: `as_of` (default now) is the end of the observation window of the CLV model, the
reference of the RFM recency and of the category decay. Attributes that change with the
calendar (days since the last purchase, engaged in the last 90 days) are not stored; see
`enrich.relative`. `enriched_at` is when a profile was written.

Scale: the reads are paged (one row per 10,000 profiles) and run concurrently; a fit
starts (in a thread) as soon as the orders are read, while Neo4j still works on the other
reads; the arithmetic is numpy over all orders, lines and activity cells, numeric
attributes stay in arrays until a write batch needs them, writes send positional rows
(no per-row maps), and the cyclic garbage collector is paused while millions of small
objects are built (see `bench/enrich.py` for the figures).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from core.clock import utc_now, utc_stamp
from core.memory import gc_paused
from enrich import reference as ref
from enrich.affinity import HALF_LIFE_DAYS, category_affinity
from enrich.channels import ChannelActivity, channel_attributes
from enrich.clv import ClvDataError, ClvError, fit_clv
from enrich.columns import Columns, object_array
from enrich.demographics import demographic_columns
from enrich.errors import ModelNotFitted
from enrich.facts import (
    CHANNEL_BY_SOURCE,
    EMAIL_CLICK,
    EMAIL_OPEN,
    EMAIL_UNSUBSCRIBE,
    PASSIVE_EVENT_TYPES,
    EventFacts,
    EventFactsBuilder,
    OrderFacts,
    OrderFactsBuilder,
    ProfileFacts,
)
from enrich.memberships import with_unsubscribe_event
from enrich.predictive import (
    MODEL_ID,
    PREDICTIVE_ATTRIBUTES,
    PREDICTIVE_NUMBERS,
    StoredModel,
    model_from_props,
    model_props,
    no_purchase_attributes,
    predict,
)
from enrich.providers.base import AreaProvider
from enrich.purchases import PurchaseAttributes, order_channel_cells, purchase_attributes
from enrich.rfm import SCORES, rfm_scores, rfm_segment
from enrich.timestamps import SECONDS_PER_DAY, to_iso
from graph import enrich_repo
from graph.client import GraphClient

log = logging.getLogger(__name__)

DESCRIPTIVE_ATTRIBUTES: Final = (
    "orders_count",
    "total_spend",
    "avg_order_value",
    "first_purchase_at",
    "last_purchase_at",
    "rfm_r",
    "rfm_f",
    "rfm_m",
    "rfm_segment",
    "channels",
    "preferred_channel",
    "category_affinity",
    "top_category",
    "last_email_open_at",
    "last_email_click_at",
    "unsubscribed",
    "loyalty_tier",
    "loyalty_points",
    "consent_email",
    "consent_sms",
)
ATTRIBUTES: Final = (*DESCRIPTIVE_ATTRIBUTES, *PREDICTIVE_ATTRIBUTES, "enriched_at")
"""Every property a run writes on each profile (plus `demo_*` with a provider)."""
HASH_PROPERTY: Final = "enrich_hash"
"""The fingerprint of the attributes last written (`Columns.fingerprints`)."""

_SEGMENT_BY_CELL: Final = {
    r * 100 + f * 10 + m: rfm_segment(r, f, m) for r in SCORES for f in SCORES for m in SCORES
}


@dataclass
class EnrichConfig:
    """Rules of enrichment that a retailer may tune."""

    half_life_days: float = HALF_LIFE_DAYS
    channel_by_source: dict[str, str] = field(default_factory=lambda: dict(CHANNEL_BY_SOURCE))
    passive_event_types: tuple[str, ...] = PASSIVE_EVENT_TYPES
    write_batch: int = enrich_repo.WRITE_BATCH
    skip_unchanged: bool = True
    """Leave profiles whose attributes did not change since the last run unwritten."""

    def event_params(self) -> dict[str, Any]:
        return {
            "open_type": EMAIL_OPEN,
            "click_type": EMAIL_CLICK,
            "unsubscribe_type": EMAIL_UNSUBSCRIBE,
            "passive_types": list(self.passive_event_types),
            "channel_by_source": dict(self.channel_by_source),
        }


@dataclass
class EnrichReport:
    """What a run did. Counts and times only: no customer data.

    `profiles` counts the profiles written, `unchanged` those computed to exactly what
    they already had and left unwritten.
    """

    mode: str
    profiles: int = 0
    unchanged: int = 0
    with_purchases: int = 0
    predicted: int = 0
    dirty: int = 0
    active: int = 0
    demographics_matched: int = 0
    fitted: bool = False
    model_version: str | None = None
    full_reason: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


@dataclass
class _Facts:
    profiles: ProfileFacts
    orders: OrderFacts
    events: EventFacts


async def _start_second() -> str:
    """The run's start, to the second, once that second is over.

    Resolution stamps `resolved_at` (to the second) when it marks a profile dirty; a run
    clears the flags of profiles resolved no later than its start. Reading only after the
    start second has passed means every such resolution is visible to the run.
    """
    now = utc_now()
    await asyncio.sleep((1_000_000 - now.microsecond) / 1_000_000)
    return utc_stamp(now)


def _index(master: pd.Index, pids: Sequence[str]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Positions of `pids` in the master profile list (-1: a profile that is not there)."""
    if not len(pids):
        return np.zeros(0, dtype=np.int64)
    positions: np.ndarray[Any, np.dtype[np.int64]] = master.get_indexer(pd.Index(pids)).astype(
        np.int64
    )
    return positions


class Enricher:
    """Computes and stores the enrichment attributes of golden profiles."""

    def __init__(
        self,
        graph: GraphClient,
        *,
        provider: AreaProvider | None = None,
        config: EnrichConfig | None = None,
    ) -> None:
        """Args:
        graph: The graph client.
        provider: The area provider for `demo_*` attributes; None leaves them as they are.
        config: Tunable rules.
        """
        self.graph = graph
        self.provider = provider
        self.config = config or EnrichConfig()

    async def run(
        self, *, full: bool = False, fit: bool = False, as_of: datetime | None = None
    ) -> EnrichReport:
        """Enrich profiles (see the module docstring for the kinds of run).

        Args:
            full: Recompute every active profile.
            fit: Fit and store the CLV models first (implies `full`).
            as_of: The moment the attributes are computed for; default now.

        Raises:
            ModelNotFitted: `fit` on a base with too little history to fit the models.
            StoredStateError: The stored model or reference is unreadable.
            ProviderError: The area provider failed.
        """
        g = self.graph
        clock = time.perf_counter()
        moment = (as_of or utc_now()).astimezone(UTC)
        as_of_s = int(moment.timestamp())
        started = await _start_second()
        model = model_from_props(await enrich_repo.get_model(g, MODEL_ID))
        state = await enrich_repo.get_model(g, ref.REFERENCE_ID)
        reference = (
            ref.PopulationReference.from_json(str(state["reference_json"]))
            if state and state.get("reference_json")
            else None
        )
        report = EnrichReport("full" if (full or fit) else "incremental")
        if not (full or fit):
            if reference is None:
                report.mode, report.full_reason = "full", "no population reference yet"
            elif model is not None and reference.model_version != model.version:
                report.mode, report.full_reason = "full", "model changed since the last full run"
        is_full = report.mode == "full"
        orders_mark, events_mark = await enrich_repo.watermarks(g)
        pids: list[str] | None = None
        if not is_full:
            state = state or {}
            dirty = await enrich_repo.dirty_profiles(g)
            active = await enrich_repo.active_since(
                g,
                str(state.get("orders_watermark") or ""),
                str(state.get("events_watermark") or ""),
            )
            report.dirty, report.active = len(dirty), len(active)
            pids = sorted(set(dirty) | set(active))
        report.seconds["prepare"] = time.perf_counter() - clock

        if pids is not None and not pids:
            await self._save_watermarks(orders_mark, events_mark)
            report.model_version = model.version if model else None
            return report

        clock = time.perf_counter()
        with gc_paused():
            facts, purchases, fitting = await self._read(pids, as_of_s, fit)
        report.seconds["read"] = time.perf_counter() - clock
        if fitting is not None:
            clock = time.perf_counter()
            model = await fitting
            report.fitted = True
            # What the fit took beyond the reads it ran alongside.
            report.seconds["fit"] = time.perf_counter() - clock

        clock = time.perf_counter()
        with gc_paused():
            columns, new_reference = self._compute(
                facts, purchases, model, None if is_full else reference, moment
            )
        if self.provider is not None:
            demo, report.demographics_matched = await demographic_columns(
                self.provider, facts.profiles.postcodes, facts.profiles.countries
            )
            for name, values in demo.items():
                columns.set_objects(name, values)
        report.seconds["compute"] = time.perf_counter() - clock

        clock = time.perf_counter()
        names = columns.names
        fingerprints = columns.fingerprints(names)
        positions = self._changed(facts.profiles, fingerprints)
        columns.set_objects(HASH_PROPERTY, fingerprints.view(np.int64).astype(object))
        names = [*names, "enriched_at", HASH_PROPERTY]
        report.unchanged = len(facts.profiles) - len(positions)
        report.seconds["compare"] = time.perf_counter() - clock

        clock = time.perf_counter()
        with gc_paused():
            report.profiles = await enrich_repo.write_profiles(
                g, names, self._batches(facts.profiles.pids, columns, names, positions), started
            )
        if is_full:
            await self._save_reference(new_reference, orders_mark, events_mark)
        else:
            await self._save_watermarks(orders_mark, events_mark)
        report.seconds["write"] = time.perf_counter() - clock
        report.with_purchases = len(purchases.summary)
        report.predicted = new_reference.clv_count
        report.model_version = model.version if model else None
        log.info(
            "enrichment %s: %d profiles (%d with purchases), %.1f s",
            report.mode,
            report.profiles,
            report.with_purchases,
            report.total_seconds,
        )
        return report

    # -- reading ------------------------------------------------------------------------

    async def _read(
        self, pids: Sequence[str] | None, as_of_s: int, fit: bool
    ) -> tuple[_Facts, PurchaseAttributes, asyncio.Task[StoredModel] | None]:
        """Read the facts, the three fact types concurrently; with `fit`, start fitting
        the CLV models (in a thread) as soon as the orders are in, while Neo4j still works
        on the other reads.

        Returns:
            The facts, the purchase attributes, and the fit's task (None without `fit`).
        """
        g = self.graph
        profiles = ProfileFacts()
        orders = OrderFactsBuilder()
        events = EventFactsBuilder()
        event_params = self.config.event_params()
        reads = [
            asyncio.create_task(enrich_repo.read_fact(g, "orders", pids, {}, orders.add)),
            asyncio.create_task(enrich_repo.read_fact(g, "profiles", pids, {}, profiles.add)),
            asyncio.create_task(enrich_repo.read_fact(g, "events", pids, event_params, events.add)),
        ]
        fitting: asyncio.Task[StoredModel] | None = None
        try:
            await reads[0]
            order_facts = orders.build()
            purchases = purchase_attributes(order_facts, as_of_s)
            if fit:
                fitting = asyncio.create_task(self._fit(purchases.summary))
            await asyncio.gather(*reads[1:])
        except BaseException:
            for task in [*reads, *([fitting] if fitting else [])]:
                task.cancel()
            raise
        return _Facts(profiles, order_facts, events.build()), purchases, fitting

    # -- fitting ------------------------------------------------------------------------

    async def _fit(self, summary: pd.DataFrame) -> StoredModel:
        try:
            # PyTensor compiles and optimises in C; a thread keeps the event loop free.
            params = await asyncio.to_thread(fit_clv, summary)
        except ClvDataError as exc:
            raise ModelNotFitted(exc.problem, len(summary)) from exc
        except ClvError as exc:
            raise ModelNotFitted(str(exc), len(summary)) from exc
        number = await enrich_repo.put_model(self.graph, MODEL_ID, model_props(params))
        stored = StoredModel(params=params, number=number)
        log.info("CLV models fitted on %d customers: %s", params.n_customers, stored.version)
        return stored

    # -- computing ----------------------------------------------------------------------

    def _compute(
        self,
        facts: _Facts,
        purchases: PurchaseAttributes,
        model: StoredModel | None,
        reference: ref.PopulationReference | None,
        moment: datetime,
    ) -> tuple[Columns, ref.PopulationReference]:
        profiles, orders, events = facts.profiles, facts.orders, facts.events
        n = len(profiles)
        as_of_s = int(moment.timestamp())
        master = pd.Index(profiles.pids)
        cols = Columns(n)

        # Purchases: per profile of `orders.pids`, placed at `at` in the master list.
        at = _index(master, orders.pids)
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
        affinity = category_affinity(orders, as_of_s, self.config.half_life_days)
        for name, values in (
            ("category_affinity", affinity.category_affinity),
            ("top_category", affinity.top_category),
        ):
            cols.scatter(name, dest, object_array(values, len(values))[ok])

        # RFM, for customers with purchases.
        bought = np.flatnonzero(purchases.orders_count > 0)
        buyer_pids = [orders.pids[i] for i in bought.tolist()]
        r, f, m, bounds = self._rfm(
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

        # Predictions: profiles without purchases get the "no purchases" values.
        no_purchase = no_purchase_attributes()
        for name in PREDICTIVE_ATTRIBUTES:
            if name in PREDICTIVE_NUMBERS:
                cols.numeric(name)  # null without purchases
            else:
                cols.objects(name, no_purchase[name])
        predicted = predict(purchases.summary, model, as_of_s // SECONDS_PER_DAY, reference)
        pred_at = _index(master, predicted.customer_ids)
        pkeep = pred_at >= 0
        for name in PREDICTIVE_ATTRIBUTES:
            values = predicted.columns[name]
            if name in PREDICTIVE_NUMBERS:
                numbers = np.asarray(values, dtype=np.float64)  # None becomes NaN
                cols.numeric(name)[pred_at[pkeep]] = numbers[pkeep]
            else:
                cols.scatter(name, pred_at[pkeep], object_array(values, len(values))[pkeep])

        # Channels: orders and events.
        order_cells = order_channel_cells(orders)
        order_cells.profile = at[order_cells.profile]
        event_at = _index(master, events.pids)
        event_cells = ChannelActivity(
            profile=event_at[events.activity_profile],
            channel=events.activity_channel,
            names=events.channels,
            days=events.activity_days,
            last_s=events.activity_last,
        )
        listed, preferred = channel_attributes(n, [order_cells, event_cells])
        cols.set_objects("channels", listed)
        cols.set_objects("preferred_channel", preferred)

        # Email engagement, loyalty and consent.
        known = event_at >= 0
        for name, values in (
            ("last_email_open_at", events.last_open),
            ("last_email_click_at", events.last_click),
        ):
            cols.scatter(name, event_at[known], object_array(values, len(values))[known])
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

        clv_values = predicted.clv_12m
        new_reference = ref.PopulationReference(
            computed_at=utc_stamp(moment),
            model_version=model.version if model else None,
            customers=len(buyer_pids),
            rfm_bounds=bounds,
            clv_sorted=ref.clv_sample(clv_values),
            clv_count=int(np.isfinite(clv_values).sum()),
        )
        return cols, new_reference

    def _rfm(
        self,
        pids: list[str],
        last_s: np.ndarray[Any, np.dtype[np.int64]],
        counts: np.ndarray[Any, np.dtype[np.int64]],
        spend: np.ndarray[Any, np.dtype[np.float64]],
        as_of_s: int,
        reference: ref.PopulationReference | None,
    ) -> tuple[
        np.ndarray[Any, np.dtype[np.int64]],
        np.ndarray[Any, np.dtype[np.int64]],
        np.ndarray[Any, np.dtype[np.int64]],
        dict[str, list[ref.Bound]],
    ]:
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

    # -- writing ------------------------------------------------------------------------

    def _changed(
        self, profiles: ProfileFacts, fingerprints: npt.NDArray[np.uint64]
    ) -> npt.NDArray[np.int64]:
        """Positions of the profiles to write: those resolution marked dirty, and those
        whose attributes differ from what the last run wrote (by their fingerprints).

        A dirty profile is written even when its fingerprint matches: resolution may have
        rebuilt it, and the write clears its flag.
        """
        n = len(profiles)
        if not self.config.skip_unchanged:
            return np.arange(n, dtype=np.int64)
        known = np.fromiter((h is not None for h in profiles.stored_hash), dtype=bool, count=n)
        stored = np.fromiter(
            (0 if h is None else h for h in profiles.stored_hash), dtype=np.int64, count=n
        )
        same = known & (stored == fingerprints.view(np.int64))
        dirty = np.fromiter(profiles.dirty, dtype=bool, count=n)
        return np.flatnonzero(dirty | ~same).astype(np.int64)

    async def _batches(
        self,
        pids: Sequence[str],
        columns: Columns,
        names: Sequence[str],
        positions: npt.NDArray[np.int64],
    ) -> AsyncIterator[list[list[Any]]]:
        size = self.config.write_batch
        for start in range(0, len(positions), size):
            # `enriched_at` is when the batch is written (segment refreshes use it as a
            # watermark), not the `as_of` the attributes were computed for.
            now = {"enriched_at": utc_stamp()}
            yield columns.rows(pids, names, positions[start : start + size], now)
            await asyncio.sleep(0)

    async def _save_reference(
        self, reference: ref.PopulationReference, orders_mark: str | None, events_mark: str | None
    ) -> None:
        props = ref.reference_props(
            reference, {"orders_watermark": orders_mark, "events_watermark": events_mark}
        )
        await enrich_repo.put_model(self.graph, ref.REFERENCE_ID, props)

    async def _save_watermarks(self, orders_mark: str | None, events_mark: str | None) -> None:
        await enrich_repo.put_state(
            self.graph,
            ref.REFERENCE_ID,
            {"orders_watermark": orders_mark, "events_watermark": events_mark},
        )
