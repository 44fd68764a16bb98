"""The facts enrichment reads, gathered from streamed rows into flat numpy arrays.

Three streamed reads feed enrichment, one per fact type (see `graph.enrich_repo`):

- profiles: every active profile with its golden postcode and country, and the few
  attributes of its records that enrichment summarises (loyalty, consent);
- orders: per profile, the lists of its orders' times, totals, channels and lines;
- events: per profile, the last email open, click and unsubscribe, and per channel the
  days with activity and the last one.

Rows are folded as they arrive and converted to numpy arrays every `FLUSH_EVERY` values,
so the process never holds millions of row objects or Python strings; every later step
is vectorised over profiles, orders or lines.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from enrich.memberships import Membership, record_membership
from enrich.timestamps import MISSING, to_epoch_seconds

log = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

FLUSH_EVERY: Final = 250_000
"""Orders (or activity cells) gathered as Python values before they become arrays."""

EMAIL_OPEN: Final = "open"
EMAIL_CLICK: Final = "click"
EMAIL_UNSUBSCRIBE: Final = "unsubscribe"
EMAIL_TYPES: Final = (EMAIL_OPEN, EMAIL_CLICK, EMAIL_UNSUBSCRIBE)
"""Event types whose latest time is kept (whatever the source), as `last_email_open_at`,
`last_email_click_at` and the unsubscribe behind `unsubscribed`."""

CHANNEL_BY_SOURCE: Final = {"esp": "email", "web": "web", "segment": "web", "service": "service"}
"""The channel of an event, by the source that recorded it; other sources are channels of
their own name. Orders carry their channel ("online", "store")."""

PASSIVE_EVENT_TYPES: Final = ("sent", "delivered", "bounce", "bounced", "dropped", "unsubscribe")
"""Events that are not the customer's own activity in a channel (a campaign being sent)."""


@dataclass
class ProfileFacts:
    """Active profiles, in the order read; their index is the profile's position.

    `memberships` holds, per profile, its loyalty and consent from its records (None when
    no record carries any). `stored_hash` is the fingerprint of the attributes the last
    run wrote (`enrich_hash`, None before the first), `dirty` whether resolution marked
    the profile.
    """

    pids: list[str] = field(default_factory=list)
    postcodes: list[str | None] = field(default_factory=list)
    countries: list[str | None] = field(default_factory=list)
    memberships: list[Membership | None] = field(default_factory=list)
    stored_hash: list[int | None] = field(default_factory=list)
    dirty: list[bool] = field(default_factory=list)

    def add(self, row: Sequence[Any]) -> None:
        pid, postcode, country, records, stored_hash, dirty = row
        self.pids.append(str(pid))
        self.postcodes.append(postcode)
        self.countries.append(country)
        self.memberships.append(record_membership(records) if records else None)
        self.stored_hash.append(stored_hash if isinstance(stored_hash, int) else None)
        self.dirty.append(bool(dirty))

    def __len__(self) -> int:
        return len(self.pids)


@dataclass
class OrderFacts:
    """Every order of the profiles read, and every order line.

    Attributes:
        pids: Profiles that have orders, in the order read.
        order_profile: Per order, the index into `pids` (orders grouped by profile).
        placed_at: Per order, epoch seconds. Orders without a readable time are dropped
            (ingestion quarantines them, so there should be none).
        total: Per order, its total.
        channel: Per order, an index into `channels` (-1 without a channel).
        channels: The distinct order channels.
        line_order: Per line, the index of its order.
        line_category: Per line, an index into `categories` (-1 without a category).
        categories: The distinct line categories.
        line_value: Per line, price times quantity.
    """

    pids: list[str]
    order_profile: IntArray
    placed_at: IntArray
    total: FloatArray
    channel: IntArray
    channels: list[str]
    line_order: IntArray
    line_category: IntArray
    categories: list[str]
    line_value: FloatArray


class _Codes:
    """Integer codes of strings, stable across chunks (-1 for missing)."""

    def __init__(self, blank_is_missing: bool = False) -> None:
        self.table: dict[str, int] = {}
        self.blank_is_missing = blank_is_missing

    def encode(self, values: Sequence[Any]) -> IntArray:
        if not values:
            return np.zeros(0, dtype=np.int64)
        codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
        mapping = np.array(
            [
                -1
                if self.blank_is_missing and u == ""
                else self.table.setdefault(str(u), len(self.table))
                for u in uniques
            ]
            + [-1],
            dtype=np.int64,
        )
        out: IntArray = mapping[codes]  # code -1 picks the trailing -1
        return out

    @property
    def names(self) -> list[str]:
        return list(self.table)


class OrderFactsBuilder:
    """Folds streamed order rows (pid, times, totals, channels, line categories, line
    prices, line quantities: lists per profile) into `OrderFacts`."""

    def __init__(self) -> None:
        self.pids: list[str] = []
        self._counts: list[int] = []
        self._placed: list[Any] = []
        self._totals: list[Any] = []
        self._channels: list[Any] = []
        self._line_counts: list[int] = []
        self._line_cats: list[Any] = []
        self._line_prices: list[Any] = []
        self._line_qty: list[Any] = []
        self._channel_codes = _Codes(blank_is_missing=True)
        self._category_codes = _Codes(blank_is_missing=True)
        self._chunks: dict[str, list[npt.NDArray[Any]]] = {
            k: [] for k in ("placed", "total", "channel", "line_count", "category", "value")
        }
        self.malformed_lines = 0

    def add(self, row: Sequence[Any]) -> None:
        pid, placed, totals, channels, cats, prices, qtys = row
        if not placed:
            return
        self.pids.append(str(pid))
        self._counts.append(len(placed))
        self._placed.extend(placed)
        self._totals.extend(totals)
        self._channels.extend(channels)
        self._line_counts.extend(map(len, cats))
        self._line_cats.extend(chain.from_iterable(cats))
        self._line_prices.extend(chain.from_iterable(prices))
        self._line_qty.extend(chain.from_iterable(qtys))
        if len(self._placed) >= FLUSH_EVERY:
            self._flush()

    def _flush(self) -> None:
        c = self._chunks
        c["placed"].append(to_epoch_seconds(self._placed))
        c["total"].append(_floats(self._totals))
        c["channel"].append(self._channel_codes.encode(self._channels))
        line_counts = np.asarray(self._line_counts, dtype=np.int64)
        n_lines = int(line_counts.sum())
        if len(self._line_cats) == len(self._line_prices) == len(self._line_qty) == n_lines:
            c["category"].append(self._category_codes.encode(self._line_cats))
            c["value"].append(_floats(self._line_prices) * _floats(self._line_qty, default=1.0))
        else:
            # Line lists of unequal length (not written by ingestion): keep the orders,
            # drop the lines of this chunk.
            self.malformed_lines += 1
            line_counts = np.zeros(len(line_counts), dtype=np.int64)
        c["line_count"].append(line_counts)
        for values in (
            self._placed,
            self._totals,
            self._channels,
            self._line_counts,
            self._line_cats,
            self._line_prices,
            self._line_qty,
        ):
            values.clear()

    def build(self) -> OrderFacts:
        self._flush()
        c = {k: np.concatenate(v) if v else np.zeros(0) for k, v in self._chunks.items()}
        counts = np.asarray(self._counts, dtype=np.int64)
        line_counts = c["line_count"].astype(np.int64)
        if self.malformed_lines:
            log.warning(
                "order lines of %d chunks were malformed and left out", self.malformed_lines
            )
        facts = OrderFacts(
            pids=self.pids,
            order_profile=np.repeat(np.arange(len(counts), dtype=np.int64), counts),
            placed_at=c["placed"].astype(np.int64),
            total=c["total"].astype(np.float64),
            channel=c["channel"].astype(np.int64),
            channels=self._channel_codes.names,
            line_order=np.repeat(np.arange(len(line_counts), dtype=np.int64), line_counts),
            line_category=c["category"].astype(np.int64),
            categories=self._category_codes.names,
            line_value=c["value"].astype(np.float64),
        )
        return _without_undated(facts)


@dataclass
class EventFacts:
    """Email engagement and channel activity of the profiles read.

    Attributes:
        pids: Profiles that have events, in the order read.
        last_open, last_click, last_unsubscribe: Per profile, the stored ISO timestamp or
            None.
        activity_profile: Per (profile, channel) cell, the index into `pids`.
        activity_channel: Per cell, an index into `channels`.
        channels: The distinct channels.
        activity_days: Per cell, the number of distinct UTC days with activity.
        activity_last: Per cell, epoch seconds of the latest activity.
    """

    pids: list[str]
    last_open: list[str | None]
    last_click: list[str | None]
    last_unsubscribe: list[str | None]
    activity_profile: IntArray
    activity_channel: IntArray
    channels: list[str]
    activity_days: IntArray
    activity_last: IntArray


class EventFactsBuilder:
    """Folds streamed event rows (pid, last open, last click, last unsubscribe,
    [[channel, days, last ts]])."""

    def __init__(self) -> None:
        self.pids: list[str] = []
        self._last: dict[str, list[str | None]] = {t: [] for t in EMAIL_TYPES}
        self._cell_profile: list[int] = []
        self._cell_channel: list[Any] = []
        self._cell_days: list[int] = []
        self._cell_last: list[Any] = []
        self._channel_codes = _Codes()
        self._chunks: dict[str, list[IntArray]] = {
            k: [] for k in ("profile", "channel", "days", "last")
        }

    def add(self, row: Sequence[Any]) -> None:
        pid, opened, clicked, unsubscribed, activity = row
        index = len(self.pids)
        self.pids.append(str(pid))
        self._last[EMAIL_OPEN].append(opened)
        self._last[EMAIL_CLICK].append(clicked)
        self._last[EMAIL_UNSUBSCRIBE].append(unsubscribed)
        for channel, days, last in activity:
            self._cell_profile.append(index)
            self._cell_channel.append(channel)
            self._cell_days.append(days)
            self._cell_last.append(last)
        if len(self._cell_profile) >= FLUSH_EVERY:
            self._flush()

    def _flush(self) -> None:
        c = self._chunks
        c["profile"].append(np.asarray(self._cell_profile, dtype=np.int64))
        c["channel"].append(self._channel_codes.encode(self._cell_channel))
        c["days"].append(np.asarray(self._cell_days, dtype=np.int64))
        c["last"].append(to_epoch_seconds(self._cell_last))
        for values in (self._cell_profile, self._cell_channel, self._cell_days, self._cell_last):
            values.clear()

    def build(self) -> EventFacts:
        self._flush()
        c = {k: np.concatenate(v).astype(np.int64) for k, v in self._chunks.items()}
        return EventFacts(
            pids=self.pids,
            last_open=self._last[EMAIL_OPEN],
            last_click=self._last[EMAIL_CLICK],
            last_unsubscribe=self._last[EMAIL_UNSUBSCRIBE],
            activity_profile=c["profile"],
            activity_channel=c["channel"],
            channels=self._channel_codes.names,
            activity_days=c["days"],
            activity_last=c["last"],
        )


def _without_undated(facts: OrderFacts) -> OrderFacts:
    keep = facts.placed_at != MISSING
    if keep.all():
        return facts
    new_index = np.cumsum(keep) - 1
    line_keep = keep[facts.line_order]
    facts.order_profile = facts.order_profile[keep]
    facts.placed_at = facts.placed_at[keep]
    facts.total = facts.total[keep]
    facts.channel = facts.channel[keep]
    facts.line_order = new_index[facts.line_order[line_keep]]
    facts.line_category = facts.line_category[line_keep]
    facts.line_value = facts.line_value[line_keep]
    # Profiles left without orders stay listed; their attributes come out as no purchases.
    return facts


def _floats(values: Sequence[Any], default: float = 0.0) -> FloatArray:
    """A float array, `default` for None or unreadable values."""
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        out = np.asarray([_float_or_nan(v) for v in values], dtype=np.float64)
    out[~np.isfinite(out)] = default
    return out


def _float_or_nan(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
