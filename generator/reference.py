"""`reference/postcodes.csv`: area demographics for every postcode in the gazetteer,
the kind of table an enrichment provider sells. Values are synthetic but stable: each
postcode's bands come from a generator seeded by the postcode itself, weighted by how
urban it is, so they are the same for every seed.
"""

from __future__ import annotations

import random
import zlib

from generator.places import ALL_PLACES, Place
from generator.sinks import Sinks

PATH = "reference/postcodes.csv"
HEADER = (
    "postcode",
    "state",
    "median_income_band",
    "age_band",
    "urbanity",
    "lifestyle_segment",
    "country",
)
INCOME_BANDS = ("Low", "Lower-middle", "Middle", "Upper-middle", "High")
AGE_BANDS = ("18-34", "35-49", "50-64", "65+")
_INCOME = {
    "inner": (5, 10, 25, 30, 30),
    "metro": (10, 20, 30, 25, 15),
    "regional": (20, 30, 30, 15, 5),
    "rural": (30, 35, 25, 8, 2),
}
_AGE = {
    "inner": (50, 30, 15, 5),
    "metro": (25, 35, 25, 15),
    "regional": (20, 30, 30, 20),
    "rural": (12, 25, 33, 30),
}


def _segment(urbanity: str, income: str, age: str) -> str:
    well_off = income in ("Upper-middle", "High")
    older = age in ("50-64", "65+")
    if urbanity == "inner":
        return "Inner-City Professionals" if well_off else "Young Renters"
    if urbanity == "metro":
        if older:
            return "Established Affluent" if well_off else "Suburban Mainstream"
        return "Affluent Young Families" if well_off else "Growing Families"
    if urbanity == "regional":
        return "Sea-Changers & Retirees" if older else "Regional Families"
    return "Rural Communities"


def demographics(where: Place) -> tuple[str, str, str]:
    """(median income band, dominant age band, lifestyle segment) for `where`."""
    rng = random.Random(zlib.crc32(f"{where.country}:{where.postcode}".encode()))
    income = rng.choices(INCOME_BANDS, weights=_INCOME[where.urbanity])[0]
    age = rng.choices(AGE_BANDS, weights=_AGE[where.urbanity])[0]
    return income, age, _segment(where.urbanity, income, age)


def write(sinks: Sinks) -> None:
    out = sinks.csv(PATH, HEADER)
    done: set[tuple[str, str]] = set()
    for where in ALL_PLACES:
        key = (where.country, where.postcode)
        if key in done:
            continue
        done.add(key)
        income, age, segment = demographics(where)
        out.write(
            (where.postcode, where.state, income, age, where.urbanity, segment, where.country)
        )
