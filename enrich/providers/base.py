"""The interface of external enrichment providers.

A provider answers questions about areas (a country and a postcode) rather than about
people: a profile's demographic and lifestyle bands are those of where it lives. Asking
by area keeps customers' identities away from third parties, and lets a run ask once per
area however many profiles live there (a million profiles share a few thousand
postcodes).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from enrich import catalogue

DEMOGRAPHIC_ATTRIBUTES: Final = catalogue.DEMOGRAPHIC
"""The profile properties a provider fills: four bands and their provenance."""


@dataclass(frozen=True, slots=True)
class AreaKey:
    """An area asked about. `country` is None when the profile has no golden country."""

    country: str | None
    postcode: str


@dataclass(frozen=True, slots=True)
class AreaProfile:
    """What a provider knows about an area, and when it was fetched (ISO 8601 UTC)."""

    income_band: str | None
    age_band: str | None
    urbanity: str | None
    lifestyle: str | None
    fetched_at: str


class AreaProvider(ABC):
    """A source of area demographics.

    Implementations must not log the areas they are asked about or their answers, only
    counts; `lookup` raises `enrich.errors.ProviderError` (or a subclass) on failure.
    """

    name: str
    """Recorded in each profile's `demo_provider`."""

    @abstractmethod
    async def lookup(self, areas: Sequence[AreaKey]) -> Mapping[AreaKey, AreaProfile]:
        """What the provider knows about each of `areas`; unknown areas are left out."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release connections or files."""
