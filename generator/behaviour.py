"""What each person does: a buy-till-you-die purchase history and an engagement level.

Purchases follow BG/NBD: while "alive" a person buys at rate lambda ~ Gamma(r, alpha)
(thinned by a seasonal curve: Black Friday and Christmas are busy), and after each
purchase drops out for good with probability p ~ Beta(a, b). Order values follow
Gamma-Gamma: a personal mean spend ~ Gamma, each order ~ Gamma around it. Categories
come from a personal Dirichlet preference; online vs in-store from a personal share.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from generator import catalogue, stores
from generator.catalogue import Product
from generator.clock import Window, at_local_hour
from generator.people import Person
from generator.stores import Store

# BG/NBD and Gamma-Gamma parameters (rates per year, money in dollars).
R, ALPHA = 0.75, 0.33
DROPOUT_A, DROPOUT_B = 0.7, 2.8
SPEND_SHAPE, SPEND_MEAN = 3.0, 80.0
ORDER_SHAPE = 4.0
PROSPECTS = 0.14
"""Share of people who never buy: newsletter sign-ups, browsers, service enquiries."""
MAX_PURCHASES = 400

_SEASON = (1.0, 0.75, 0.85, 0.85, 1.0, 1.1, 0.85, 0.8, 0.9, 0.95, 1.45, 1.6)
_SEASON_MAX = max(_SEASON)
_YEAR = timedelta(days=365.25)
_STORE_HOURS = (9, 21)
_ONLINE_HOUR_CUM = list(
    itertools.accumulate(
        (1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 3, 3, 3, 4, 4, 3, 3, 3, 4, 5, 6, 7, 7, 5, 3)
    )
)

_BASE = {
    "F": (0.40, 0.06, 0.15, 0.14, 0.13, 0.08, 0.04),
    "M": (0.06, 0.42, 0.18, 0.12, 0.12, 0.05, 0.05),
    "X": catalogue.BASE_SHARE,
}


@dataclass(frozen=True, slots=True)
class Line:
    product: Product
    qty: int

    @property
    def cents(self) -> int:
        return self.product.price_cents * self.qty


@dataclass(slots=True)
class Purchase:
    at: datetime
    online: bool
    store: Store | None
    lines: tuple[Line, ...]
    subtotal_cents: int


@dataclass(slots=True)
class Activity:
    acquired: datetime
    """When the person first met the retailer (first purchase, sign-up or visit)."""
    purchases: list[Purchase]
    online_share: float
    engagement: float
    """Probability of opening a marketing email."""
    click_rate: float
    """Probability of clicking, given an open."""
    home_store: Store

    @property
    def online(self) -> list[Purchase]:
        return [p for p in self.purchases if p.online]

    @property
    def in_store(self) -> list[Purchase]:
        return [p for p in self.purchases if not p.online]


def _preferences(rng: random.Random, gender: str, age: int) -> list[float]:
    base = list(_BASE[gender])
    if 28 <= age <= 50:
        base[-1] *= 2.5
    draws = [rng.gammavariate(2.0 * w * len(base), 1.0) for w in base]
    return list(itertools.accumulate(draws))


def _basket(rng: random.Random, prefs: list[float], target_cents: float) -> tuple[Line, ...]:
    chosen: dict[str, Line] = {}
    total = 0
    while total < 0.85 * target_cents and len(chosen) < 8:
        category = rng.choices(catalogue.CATEGORIES, cum_weights=prefs)[0]
        product = rng.choice(catalogue.BY_CATEGORY[category])
        qty = 1 if rng.random() < 0.94 else rng.choice((2, 2, 3))
        before = chosen.get(product.sku)
        chosen[product.sku] = Line(product, qty + (before.qty if before else 0))
        total += product.price_cents * qty
    return tuple(chosen.values())


def simulate(rng: random.Random, person: Person, window: Window) -> Activity:
    """One person's purchase history in `window` and their latent engagement."""
    acquired = window.uniform(rng, window.start, window.end - timedelta(days=14))
    home = stores.home_store(rng, person.home.place.state)
    online_share = rng.betavariate(0.6, 0.7) if person.country == "AU" else 1.0
    activity = Activity(
        acquired=acquired,
        purchases=[],
        online_share=online_share,
        engagement=rng.betavariate(1.6, 4.0),
        click_rate=rng.betavariate(1.5, 7.0),
        home_store=home,
    )
    if rng.random() < PROSPECTS:
        return activity

    rate = rng.gammavariate(R, 1.0 / ALPHA)
    dropout = rng.betavariate(DROPOUT_A, DROPOUT_B)
    mean_spend = rng.gammavariate(SPEND_SHAPE, SPEND_MEAN / SPEND_SHAPE) * 100
    prefs = _preferences(rng, person.gender, acquired.year - person.dob.year)
    t = acquired
    while True:
        activity.purchases.append(_purchase(rng, activity, prefs, mean_spend, t))
        if len(activity.purchases) >= MAX_PURCHASES or rng.random() < dropout:
            break
        next_t = _next_purchase(rng, t, rate, window)
        if next_t is None:
            break
        t = next_t
    return activity


def _next_purchase(rng: random.Random, t: datetime, rate: float, window: Window) -> datetime | None:
    """Next event of a seasonal Poisson process (thinning), or None past the window."""
    while True:
        gap = rng.expovariate(max(rate, 1e-6) * _SEASON_MAX)
        if gap >= window.years_left(t):
            return None
        t = t + gap * _YEAR
        if rng.random() * _SEASON_MAX < _SEASON[t.month - 1]:
            return t


def _purchase(
    rng: random.Random, activity: Activity, prefs: list[float], mean_spend: float, t: datetime
) -> Purchase:
    online = rng.random() < activity.online_share
    if online:
        hour = rng.choices(range(24), cum_weights=_ONLINE_HOUR_CUM)[0]
        at = at_local_hour(rng, t, hour, hour + 1)
        store = None
    else:
        at = at_local_hour(rng, t, *_STORE_HOURS)
        store = activity.home_store if rng.random() < 0.85 else stores.any_store(rng)
    lines = _basket(rng, prefs, rng.gammavariate(ORDER_SHAPE, mean_spend / ORDER_SHAPE))
    return Purchase(at, online, store, lines, sum(line.cents for line in lines))
