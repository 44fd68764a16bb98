"""Which source systems know a person, and how many records each holds for them.

Rates are tuned to a mid-market omnichannel retailer: online buyers have a Shopify
account, some store buyers give their details at the till, a third join the loyalty
programme, about half are on the email list, a few contact customer service.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from generator.behaviour import Activity


@dataclass(slots=True)
class Presence:
    ecommerce_accounts: int = 0
    pos_customers: int = 0
    esp_profiles: int = 0
    loyalty_cards: int = 0
    tickets: int = 0
    web: bool = False


def _count(rng: random.Random, p: float, duplicate: float) -> int:
    if rng.random() >= p:
        return 0
    return 2 if rng.random() < duplicate else 1


def decide(rng: random.Random, activity: Activity) -> Presence:
    online = sum(1 for p in activity.purchases if p.online)
    in_store = len(activity.purchases) - online
    prospect = not activity.purchases

    shop_p = 1.0 if online else (0.15 if prospect else 0.05)
    ecommerce = _count(rng, shop_p, duplicate=0.045)
    pos = _count(rng, min(0.3 + 0.05 * min(in_store, 6), 0.6) if in_store else 0.0, 0.06)
    loyalty_p = 0.05 if prospect else 0.2 + 0.04 * min(in_store, 5) + 0.02 * min(online, 5)
    loyalty = _count(rng, loyalty_p, duplicate=0.02)
    esp_p = 0.6 if ecommerce else (0.3 if in_store else 0.7)
    esp = _count(rng, esp_p, duplicate=0.03)
    ticket_p = 0.04 + 0.03 * min(online, 4) + (0.02 if prospect else 0.0)
    tickets = 0
    if rng.random() < ticket_p:
        tickets = 1
        while tickets < 6 and rng.random() < 0.3:
            tickets += 1
    web_p = 0.85 if ecommerce else (0.55 if prospect else 0.2)
    web = rng.random() < web_p
    presence = Presence(ecommerce, pos, esp, loyalty, tickets, web)
    if prospect and not (ecommerce or loyalty or esp or tickets or web):
        presence.esp_profiles = 1
    return presence
