"""A provider reading area demographics from a CSV file, such as the generator's
`reference/postcodes.csv` (columns: postcode, state, median_income_band, age_band,
urbanity, lifestyle_segment, country).

Postcodes are normalised as ingestion normalises them (`core.normalise.normalise_postcode`
for the row's country), so "830" in the file meets "0830" on a profile. The join is on
country and postcode, because the same code exists in several countries (6011 is in WA and
in Wellington). A profile without a golden country matches the only country that has its
postcode, or `default_country` when several do.
"""

from __future__ import annotations

import asyncio
import csv
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from core.clock import utc_stamp
from core.normalise import normalise_postcode
from enrich.errors import ReferenceFileError
from enrich.providers.base import AreaKey, AreaProfile, AreaProvider

log = logging.getLogger(__name__)

COLUMNS: Final = (
    "postcode",
    "median_income_band",
    "age_band",
    "urbanity",
    "lifestyle_segment",
    "country",
)


def _blank(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


class PostcodeFileProvider(AreaProvider):
    """Area bands from a CSV file, read once when first asked."""

    def __init__(self, path: Path, *, default_country: str = "AU", name: str | None = None):
        """Args:
        path: The CSV file.
        default_country: The country of a profile without one, when its postcode exists
            in several countries of the file.
        name: The provider name recorded in `demo_provider` (default
            "postcode_file:<file name>").
        """
        self.path = path
        self.default_country = default_country.upper()
        self.name = name or f"postcode_file:{path.name}"
        self._areas: dict[tuple[str, str], AreaProfile] | None = None
        self._countries: dict[str, list[str]] = {}

    def _load(self) -> dict[tuple[str, str], AreaProfile]:
        if self._areas is not None:
            return self._areas
        fetched_at = utc_stamp()
        areas: dict[tuple[str, str], AreaProfile] = {}
        try:
            with open(self.path, newline="", encoding="utf-8") as fh:
                reader = csv.DictReader(fh)
                missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
                if missing:
                    raise ReferenceFileError(self.name, str(self.path), f"missing {missing}")
                for row in reader:
                    country = (row["country"] or "").strip().upper()
                    postcode = normalise_postcode(row["postcode"], country or "AU").value
                    if not country or not postcode:
                        continue
                    areas[(country, postcode)] = AreaProfile(
                        income_band=_blank(row["median_income_band"]),
                        age_band=_blank(row["age_band"]),
                        urbanity=_blank(row["urbanity"]),
                        lifestyle=_blank(row["lifestyle_segment"]),
                        fetched_at=fetched_at,
                    )
        except OSError as exc:
            raise ReferenceFileError(self.name, str(self.path), type(exc).__name__) from exc
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ReferenceFileError(self.name, str(self.path), "not a readable CSV") from exc
        countries: dict[str, list[str]] = {}
        for country, postcode in areas:
            countries.setdefault(postcode, []).append(country)
        self._areas, self._countries = areas, countries
        log.info("%s: %d areas loaded", self.name, len(areas))
        return areas

    def _resolve(self, key: AreaKey) -> tuple[str, str] | None:
        postcode = " ".join(key.postcode.upper().split())
        if key.country:
            return (key.country.upper(), postcode)
        options = self._countries.get(postcode, [])
        if len(options) == 1:
            return (options[0], postcode)
        if self.default_country in options:
            return (self.default_country, postcode)
        return None

    async def lookup(self, areas: Sequence[AreaKey]) -> Mapping[AreaKey, AreaProfile]:
        # Reading the file is blocking I/O: off the event loop, once.
        known = self._areas if self._areas is not None else await asyncio.to_thread(self._load)
        out: dict[AreaKey, AreaProfile] = {}
        for key in areas:
            where = self._resolve(key)
            if where is not None and where in known:
                out[key] = known[where]
        return out
