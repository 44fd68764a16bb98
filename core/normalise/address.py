"""Street address lines: tidied, title-cased, street types in one short form."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from core.normalise.names import case_token
from core.normalise.text import (
    CACHE_SIZE,
    EMPTY,
    HAS_ALNUM,
    HAS_DIGIT,
    Normalised,
    as_text,
    clean_text,
    is_blank,
    nfkc,
    rejected,
)

INVALID_ADDRESS: Final = "invalid_address"

_STREET_TYPES: Final = {
    alias: short
    for short, aliases in {
        "St": ("st", "street", "str"),
        "Rd": ("rd", "road"),
        "Ave": ("ave", "av", "avenue"),
        "Dr": ("dr", "drv", "drive"),
        "Ct": ("ct", "crt", "court"),
        "Pl": ("pl", "place"),
        "Ln": ("ln", "lane"),
        "Cres": ("cres", "cresc", "crescent"),
        "Hwy": ("hwy", "highway"),
        "Pde": ("pde", "parade"),
        "Tce": ("tce", "terr", "terrace"),
        "Blvd": ("blvd", "bvd", "boulevard"),
        "Cl": ("cl", "close"),
        "Cct": ("cct", "circuit"),
        "Gr": ("gr", "grove"),
        "Sq": ("sq", "square"),
        "Esp": ("esp", "esplanade"),
        "Pkwy": ("pkwy", "parkway"),
    }.items()
    for alias in aliases
}
# Postal designators, compass points and Australian states read wrongly in title case.
_ADDRESS_UPPER: Final = frozenset(
    {"po", "gpo", "lpo", "pmb", "rmb", "rsd", "cmb", "ne", "nw", "se", "sw"}
    | {"act", "nsw", "nt", "qld", "sa", "tas", "vic", "wa"}
)
_ADDRESS_COMMAS: Final = re.compile(r"\s*(?:[,;]\s*)+")
_ORDINAL: Final = re.compile(r"[0-9]+(?:st|nd|rd|th)")
_ADDRESS_TRAILING: Final = " ,.;:-\u2013\u2014/\\"
_ADDRESS_LEADING: Final = " ,.;:"


def _case_address_token(token: str) -> str:
    core = token.rstrip(",")
    comma = token[len(core) :]
    key = core.lower().replace(".", "")
    if key in _STREET_TYPES:
        core = _STREET_TYPES[key]
    elif key in _ADDRESS_UPPER:
        core = key.upper()
    elif HAS_DIGIT.search(core):
        # "12th" stays lower; unit and lot numbers ("3/12b", "12a") take capitals.
        core = core.lower() if _ORDINAL.fullmatch(core.lower()) else core.upper()
    else:
        core = case_token(core)
    return core + comma


def normalise_address(raw: object) -> Normalised:
    """Tidy a street address line.

    Collapses whitespace, title-cases, writes street types in one short form ("Street" and
    "St." become "St", "Road" becomes "Rd", ...), tidies commas and drops trailing punctuation.
    Unit forms such as "Unit 3/12" are left alone. Street types are shortened wherever they
    appear, so "Earls Court Road" becomes "Earls Ct Rd": consistent rather than pretty.

    Args:
        raw: The value from the source.

    Returns:
        The tidied address; reason "invalid_address" when it has no letter or digit.
    """
    if is_blank(raw):
        return EMPTY
    return _check_address(as_text(raw))


@lru_cache(maxsize=CACHE_SIZE)
def _check_address(raw: str) -> Normalised:
    text = _ADDRESS_COMMAS.sub(", ", clean_text(raw))
    text = text.rstrip(_ADDRESS_TRAILING).lstrip(_ADDRESS_LEADING)
    if not HAS_ALNUM.search(text):
        return rejected(INVALID_ADDRESS)
    address = " ".join(_case_address_token(token) for token in text.split(" "))
    return Normalised(nfkc(address), None)
