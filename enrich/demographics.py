"""Demographic attributes of profiles from an area provider, asked once per area.

Each profile with a golden postcode gets its area's bands in `demo_income_band`,
`demo_age_band`, `demo_urbanity` and `demo_lifestyle`, with the provenance in
`demo_provider` and `demo_fetched_at`. A profile whose area the provider does not know (or
without a postcode) gets all six as null, so a profile that moved loses its old area's bands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from enrich.providers.base import DEMOGRAPHIC_ATTRIBUTES, AreaKey, AreaProvider


async def demographic_columns(
    provider: AreaProvider, postcodes: Sequence[str | None], countries: Sequence[str | None]
) -> tuple[dict[str, list[Any]], int]:
    """The `demo_*` columns of profiles and how many were matched.

    Args:
        provider: The area provider.
        postcodes: Per profile, the golden postcode.
        countries: Per profile, the golden country.
    """
    keys: list[AreaKey | None] = [
        AreaKey(country or None, str(postcode)) if postcode else None
        for postcode, country in zip(postcodes, countries, strict=True)
    ]
    unique = list(dict.fromkeys(k for k in keys if k is not None))
    found = await provider.lookup(unique) if unique else {}
    columns: dict[str, list[Any]] = {name: [None] * len(keys) for name in DEMOGRAPHIC_ATTRIBUTES}
    matched = 0
    income, age, urbanity, lifestyle, source, fetched = (
        columns[name] for name in DEMOGRAPHIC_ATTRIBUTES
    )
    for i, key in enumerate(keys):
        area = found.get(key) if key is not None else None
        if area is None:
            continue
        matched += 1
        income[i] = area.income_band
        age[i] = area.age_band
        urbanity[i] = area.urbanity
        lifestyle[i] = area.lifestyle
        source[i] = provider.name
        fetched[i] = area.fetched_at
    return columns, matched
