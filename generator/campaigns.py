"""The email marketing calendar: one campaign every week or two, seasonal themes."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from generator.catalogue import CATEGORIES
from generator.clock import Window, at_local_hour

_EVERGREEN = (
    "VIP Early Access",
    "Mid-Season Sale",
    "Members' Weekend",
    "Last Chance",
    "Styling Notes",
    "Weekend Offer: 20% Off",
    "The Edit",
    "Back in Stock",
)
_SEASON_BY_MONTH = (
    "Summer",
    "Summer",
    "Autumn",
    "Autumn",
    "Autumn",
    "Winter",
    "Winter",
    "Winter",
    "Spring",
    "Spring",
    "Spring",
    "Summer",
)


@dataclass(frozen=True, slots=True)
class Campaign:
    name: str
    at: datetime
    audience: float
    """Share of subscribers the campaign is sent to (segmented sends)."""


def _theme(rng: random.Random, t: datetime) -> str:
    m, d = t.month, t.day
    if m == 11 and d >= 20:
        return rng.choice(("Black Friday", "Cyber Monday", "Click Frenzy"))
    if m == 12 and d >= 24:
        return "Boxing Day Sale"
    if m == 12:
        return "Christmas Gift Guide"
    if m == 5 and d <= 12:
        return "Mother's Day Gift Guide"
    if (m == 8 and d >= 20) or (m == 9 and d <= 7):
        return "Father's Day"
    if m == 6 and d >= 15:
        return "EOFY Sale"
    u = rng.random()
    if u < 0.4:
        return f"New In: {rng.choice(CATEGORIES)}"
    if u < 0.55:
        return f"The {_SEASON_BY_MONTH[m - 1]} Edit"
    return rng.choice(_EVERGREEN)


def schedule(rng: random.Random, window: Window) -> tuple[Campaign, ...]:
    campaigns = []
    t = window.start + timedelta(days=3)
    while t < window.end:
        at = at_local_hour(rng, t, *rng.choice(((9, 11), (17, 20))))
        name = f"{_theme(rng, t)} - {at:%b %Y}"
        campaigns.append(Campaign(name, at, rng.uniform(0.1, 0.35)))
        t += timedelta(days=rng.randint(8, 16))
    return tuple(c for c in campaigns if c.at < window.end)
