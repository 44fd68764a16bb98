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
from enrich import catalogue, compute
from enrich import reference as ref
from enrich.affinity import HALF_LIFE_DAYS
from enrich.clv import ClvDataError, ClvError, fit_clv
from enrich.columns import Columns
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
from enrich.predictive import (
    MODEL_ID,
    StoredModel,
    model_from_props,
    model_props,
)
from enrich.providers.base import AreaProvider
from enrich.purchases import PurchaseAttributes, purchase_attributes
from graph import enrich_repo
from graph.client import GraphClient

log = logging.getLogger(__name__)

ATTRIBUTES: Final = catalogue.ENRICHED
"""Every property a run writes on each profile (plus `demo_*` with a provider)."""
HASH_PROPERTY: Final = "enrich_hash"
"""The fingerprint of the attributes last written (`Columns.fingerprints`)."""


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
        """Every attribute of the profiles read, family by family (`enrich.compute`), and
        the population reference a full run stores."""
        profiles, orders, events = facts.profiles, facts.orders, facts.events
        as_of_s = int(moment.timestamp())
        master = pd.Index(profiles.pids)
        cols = Columns(len(profiles))
        # Per profile of `orders.pids` / `events.pids`, its place in the master list.
        at = compute.positions(master, orders.pids)
        event_at = compute.positions(master, events.pids)
        compute.purchase_columns(cols, at, purchases)
        compute.affinity_columns(cols, at, orders, as_of_s, self.config.half_life_days)
        rfm = compute.rfm_columns(cols, at, orders, purchases, as_of_s, reference)
        predicted = compute.predictive_columns(cols, master, purchases, model, as_of_s, reference)
        compute.channel_columns(cols, at, event_at, orders, events)
        compute.engagement_columns(cols, event_at, events)
        compute.membership_columns(cols, event_at, profiles, events)
        clv_values = predicted.clv_12m
        new_reference = ref.PopulationReference(
            computed_at=utc_stamp(moment),
            model_version=model.version if model else None,
            customers=rfm.customers,
            rfm_bounds=rfm.bounds,
            clv_sorted=ref.clv_sample(clv_values),
            clv_count=int(np.isfinite(clv_values).sum()),
        )
        return cols, new_reference

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
