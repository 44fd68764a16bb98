"""Postcodes, validated and written in their country's standard form."""

from __future__ import annotations

import re
from typing import Final

from core.normalise.country import normalise_country
from core.normalise.text import EMPTY, Normalised, as_text, is_blank, rejected

INVALID_POSTCODE: Final = "invalid_postcode"

# Country -> (length, shortest accepted). Spreadsheets drop leading zeros ("0800" -> 800), so
# shorter all-digit codes are zero-padded back.
_DIGIT_POSTCODES: Final = {"AU": (4, 3), "NZ": (4, 3), "US": (5, 3), "DE": (5, 4), "FR": (5, 4)}
_US_ZIP4: Final = re.compile(r"([0-9]{5})-?[0-9]{4}")
_GB_POSTCODE: Final = re.compile(r"([A-Z]{1,2}[0-9][0-9A-Z]?|GIR)([0-9][ABD-HJLNP-UW-Z]{2})")
_CA_POSTCODE: Final = re.compile(
    r"([ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z])([0-9][ABCEGHJ-NPRSTV-Z][0-9])"
)
_ANY_POSTCODE: Final = re.compile(r"[A-Z0-9]+(?:[ -][A-Z0-9]+)*")
_POSTCODE_MAX_LENGTH: Final = 12


def normalise_postcode(raw: object, country: str = "AU") -> Normalised:
    """Validate a postcode and write it in its country's standard form.

    AU and NZ: 4 digits; US: 5 digits (ZIP+4 cut to 5); DE and FR: 5 digits; all-digit codes
    that lost leading zeros are padded back. GB: upper case with one space before the inward
    code ("SW1A 1AA"); CA: "K1A 0B1". Other countries: upper case, single spaces.

    Args:
        raw: The value from the source.
        country: The address's country, as anything `normalise_country` understands.

    Returns:
        The postcode; reason "invalid_postcode" when it does not have the country's shape.
    """
    if is_blank(raw):
        return EMPTY
    text = " ".join(as_text(raw).upper().split())
    code = country.strip().upper()
    if code not in _DIGIT_POSTCODES and code not in ("GB", "CA"):
        code = normalise_country(country).value or code
    compact = text.replace(" ", "")
    if code in _DIGIT_POSTCODES:
        length, shortest = _DIGIT_POSTCODES[code]
        if code == "US" and (zip4 := _US_ZIP4.fullmatch(compact)):
            return Normalised(zip4.group(1), None)
        if compact.isascii() and compact.isdigit() and shortest <= len(compact) <= length:
            return Normalised(compact.zfill(length), None)
        return rejected(INVALID_POSTCODE)
    if code in ("GB", "CA"):
        match = (_GB_POSTCODE if code == "GB" else _CA_POSTCODE).fullmatch(compact)
        if match is None:
            return rejected(INVALID_POSTCODE)
        return Normalised(f"{match.group(1)} {match.group(2)}", None)
    if len(text) > _POSTCODE_MAX_LENGTH or not _ANY_POSTCODE.fullmatch(text):
        return rejected(INVALID_POSTCODE)
    return Normalised(text, None)
