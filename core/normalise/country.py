"""Countries: ISO 3166-1 alpha-2 codes from codes, names and the names people write."""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import pycountry

from core.normalise.names import fold_name
from core.normalise.text import EMPTY, Normalised, as_text, is_blank, rejected

UNKNOWN_COUNTRY: Final = "unknown_country"

# Longer text is no country's name, and not worth folding or caching.
_MAX_LENGTH: Final = 64

# Names people write that are not ISO's: old names, native names, parts of a country.
_COUNTRY_ALIASES: Final = {
    "GB": "UK|Great Britain|Britain|England|Scotland|Wales|Northern Ireland"
    "|United Kingdom of Great Britain and Northern Ireland",
    "US": "America|United States of America|US of A",
    "AU": "Aust|Commonwealth of Australia",
    "NZ": "Aotearoa",
    "DE": "Deutschland|Federal Republic of Germany",
    "NL": "Holland|Nederland",
    "IE": "Eire|Republic of Ireland",
    "KR": "Korea|Republic of Korea",
    "KP": "DPRK",
    "CN": "PRC|People's Republic of China|Mainland China",
    "HK": "Hong Kong SAR",
    "MO": "Macau",
    "TW": "Republic of China",
    "AE": "UAE",
    "RU": "Russia",
    "TR": "Turkey",
    "CZ": "Czech Republic",
    "CD": "DR Congo|DRC|Democratic Republic of the Congo",
    "CI": "Ivory Coast",
    "CV": "Cape Verde",
    "SZ": "Swaziland",
    "MM": "Burma",
    "MK": "Macedonia",
    "TL": "East Timor",
    "VA": "Vatican|Vatican City",
    "BN": "Brunei",
    "FM": "Micronesia",
    "PS": "Palestine",
    "FK": "Falkland Islands",
    "ES": "España",
    "IT": "Italia",
    "CH": "Schweiz|Suisse|Svizzera",
    "AT": "Österreich",
    "BE": "Belgique|België",
    "SE": "Sverige",
    "NO": "Norge",
    "DK": "Danmark",
    "FI": "Suomi",
    "PL": "Polska",
    "BR": "Brasil",
    "JP": "Nippon|Nihon",
}


def _country_key(text: str) -> str:
    # Spaces and punctuation vary freely ("U.S.A.", "New-Zealand", "the Netherlands").
    tokens = fold_name(text.replace("&", " and ")).split(" ")
    if tokens[0] == "the":
        tokens = tokens[1:]
    return "".join(tokens)


def _build_country_tables() -> tuple[frozenset[str], dict[str, str], dict[str, str]]:
    alpha2: set[str] = set()
    alpha3: dict[str, str] = {}
    names: dict[str, str] = {}
    for country in sorted(pycountry.countries, key=lambda c: str(c.alpha_2)):
        code = str(country.alpha_2)
        alpha2.add(code)
        alpha3[str(country.alpha_3)] = code
        # ISO's English name and, where it differs, the short one ("Bolivia" beside "Bolivia,
        # Plurinational State of"); not the official name ("Kingdom of Spain"), which people
        # seldom write and the aliases below cover where they do.
        for name in (getattr(country, "common_name", None), country.name):
            if name:
                names[_country_key(str(name))] = code
    for code, aliases in _COUNTRY_ALIASES.items():
        for name in aliases.split("|"):
            names[_country_key(name)] = code
    return frozenset(alpha2), alpha3, names


_ALPHA2, _ALPHA3, _COUNTRY_NAMES = _build_country_tables()


@lru_cache(maxsize=4096)
def _check_country(text: str) -> Normalised:
    code = text.strip().upper()
    if code in _ALPHA2:
        return Normalised(code, None)
    if code in _ALPHA3:
        return Normalised(_ALPHA3[code], None)
    key = _country_key(text)
    # Dotted or spaced codes: "U.S.A.", "n z".
    if len(key) == 2 and key.upper() in _ALPHA2:
        return Normalised(key.upper(), None)
    if key.upper() in _ALPHA3:
        return Normalised(_ALPHA3[key.upper()], None)
    if key in _COUNTRY_NAMES:
        return Normalised(_COUNTRY_NAMES[key], None)
    return rejected(UNKNOWN_COUNTRY)


def normalise_country(raw: object) -> Normalised:
    """Turn a country code or name into its ISO 3166-1 alpha-2 code.

    Accepts alpha-2 and alpha-3 codes in any case, ISO English names and common variants
    ("UK", "England", "USA", "Holland", "Deutschland"). "NA" is blank, not Namibia: see
    `is_blank`.

    Args:
        raw: The value from the source.

    Returns:
        The upper-case alpha-2 code; reason "unknown_country" when it is not recognised.
    """
    if is_blank(raw):
        return EMPTY
    text = as_text(raw)
    if len(text) > _MAX_LENGTH:
        return rejected(UNKNOWN_COUNTRY)
    return _check_country(text)
