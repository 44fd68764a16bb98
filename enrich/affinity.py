"""Category affinity: each profile's share of spend per category, recent spend weighing more.

A line's weight is its value (price times quantity) halved for every `half_life_days` of
its order's age: ``value * 2 ** (-(as_of - placed_at) / half_life)``. The affinity of a
category is its lines' weight over the weight of all the profile's categorised lines, so
the shares sum to 1. The default half-life is **180 days**: a purchase from six months ago
counts half as much as one today, one from two years ago a sixteenth.

Because the decay is exponential, the shares do not depend on `as_of`: moving it scales
every weight by the same factor, which cancels. Stored affinities therefore stay exact as
days pass, until the next order. Lines without a category or with a value of zero or less
(returns, free items) are left out; a profile with no such line has no affinity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

import numpy as np

from enrich.facts import OrderFacts
from enrich.timestamps import SECONDS_PER_DAY

HALF_LIFE_DAYS: Final = 180.0


@dataclass
class Affinity:
    """Per profile of `OrderFacts.pids`: the JSON object of shares and the top category."""

    category_affinity: list[str | None]
    top_category: list[str | None]


def category_affinity(
    facts: OrderFacts, as_of_s: int, half_life_days: float = HALF_LIFE_DAYS
) -> Affinity:
    """The category affinity (JSON `{category: share}`, largest share first) and the top
    category of every profile in `facts` (ties go to the category named first).

    Args:
        facts: Orders and their lines.
        as_of_s: The reference time of the decay (any value gives the same shares).
        half_life_days: Days after which a line's weight halves.
    """
    n = len(facts.pids)
    affinity: list[str | None] = [None] * n
    top: list[str | None] = [None] * n
    use = (facts.line_category >= 0) & (facts.line_value > 0)
    if not use.any():
        return Affinity(affinity, top)
    order = facts.line_order[use]
    age_days = (as_of_s - facts.placed_at[order]) / SECONDS_PER_DAY
    # Relative to each profile's newest line, so weights never underflow to zero.
    profile = facts.order_profile[order]
    starts = np.concatenate(([0], np.flatnonzero(profile[1:] != profile[:-1]) + 1))
    youngest = np.minimum.reduceat(age_days, starts)
    offset = np.repeat(youngest, np.diff(np.append(starts, len(profile))))
    weight = facts.line_value[use] * np.exp2(-(age_days - offset) / half_life_days)
    cat = facts.line_category[use]
    n_cat = len(facts.categories)
    cells, inverse = np.unique(profile * n_cat + cat, return_inverse=True)
    sums = np.bincount(inverse, weights=weight)
    cell_profile = cells // n_cat
    cell_cat = cells % n_cat
    totals = np.bincount(cell_profile, weights=sums, minlength=n)
    shares = sums / totals[cell_profile]
    names = np.array([json.dumps(c, ensure_ascii=False) + ":" for c in facts.categories])
    # Within each profile: largest share first, ties by category name.
    rank_by_name = np.argsort(np.argsort(np.asarray(facts.categories, dtype=object)))
    order_cells = np.lexsort((rank_by_name[cell_cat], -shares, cell_profile))
    cell_profile, cell_cat = cell_profile[order_cells], cell_cat[order_cells]
    # "0.4162", "0.5", "1": four decimals without trailing zeros.
    text = np.char.rstrip(np.char.rstrip(np.char.mod("%.4f", shares[order_cells]), "0"), ".")
    pairs = np.char.add(names[cell_cat], text).tolist()
    bounds = np.flatnonzero(np.diff(cell_profile)) + 1
    starts = np.concatenate(([0], bounds)).tolist()
    stops = np.concatenate((bounds, [len(pairs)])).tolist()
    owners = cell_profile[starts].tolist()
    for owner, a, b in zip(owners, starts, stops, strict=True):
        affinity[owner] = "{" + ",".join(pairs[a:b]) + "}"
    for owner, c in zip(owners, cell_cat[starts].tolist(), strict=True):
        top[owner] = facts.categories[c]
    return Affinity(affinity, top)


def shares_of(affinity_json: str | None) -> dict[str, float]:
    """The `{category: share}` of a stored `category_affinity` (empty for None)."""
    if not affinity_json:
        return {}
    loaded = json.loads(affinity_json)
    return {str(k): float(v) for k, v in loaded.items()}
