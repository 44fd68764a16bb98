"""The retailer's bricks-and-mortar stores.

A few stores run a POS that fills `noemail@<slug>.example.com` when the clerk skips the
email field: one address then stands for thousands of unrelated walk-ins.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

RETAILER = "Harbour & Vine"
WEB_HOST = "https://www.harbourandvine.com.au"
STAFF_DOMAIN = "harbourandvine.com.au"


@dataclass(frozen=True, slots=True)
class Store:
    store_id: str
    slug: str
    suburb: str
    state: str
    noemail_default: bool

    @property
    def name(self) -> str:
        return f"{RETAILER} {self.suburb}"

    @property
    def noemail(self) -> str:
        return f"noemail@{self.slug}.example.com"


STORES: tuple[Store, ...] = (
    Store("ST01", "bondijunction", "Bondi Junction", "NSW", False),
    Store("ST02", "chatswood", "Chatswood", "NSW", True),
    Store("ST03", "parramatta", "Parramatta", "NSW", False),
    Store("ST04", "pittst", "Pitt St Mall", "NSW", False),
    Store("ST05", "macquarie", "Macquarie Centre", "NSW", True),
    Store("ST06", "miranda", "Miranda", "NSW", False),
    Store("ST07", "kotara", "Kotara", "NSW", False),
    Store("ST08", "chadstone", "Chadstone", "VIC", True),
    Store("ST09", "bourkest", "Bourke St", "VIC", False),
    Store("ST10", "doncaster", "Doncaster", "VIC", False),
    Store("ST11", "highpoint", "Highpoint", "VIC", True),
    Store("ST12", "geelong", "Geelong", "VIC", False),
    Store("ST13", "queenst", "Queen St Mall", "QLD", False),
    Store("ST14", "chermside", "Chermside", "QLD", True),
    Store("ST15", "robina", "Robina", "QLD", False),
    Store("ST16", "perthcity", "Perth City", "WA", False),
    Store("ST17", "karrinyup", "Karrinyup", "WA", True),
    Store("ST18", "rundlemall", "Rundle Mall", "SA", False),
    Store("ST19", "marion", "Marion", "SA", False),
    Store("ST20", "canberra", "Canberra Centre", "ACT", False),
    Store("ST21", "hobart", "Hobart", "TAS", False),
)

_BY_STATE: dict[str, tuple[Store, ...]] = {}
for _s in STORES:
    _BY_STATE[_s.state] = (*_BY_STATE.get(_s.state, ()), _s)


def home_store(rng: random.Random, state: str) -> Store:
    """The store a person in `state` usually visits (any store where there is none)."""
    return rng.choice(_BY_STATE.get(state, STORES))


def any_store(rng: random.Random) -> Store:
    return rng.choice(STORES)
