"""Phone numbers: parsed and validated with phonenumbers, written as E.164."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

import phonenumbers

from core.normalise.text import CACHE_SIZE, EMPTY, Normalised, as_text, is_blank, rejected

INVALID_PHONE: Final = "invalid_phone"

_PHONE_SEPARATORS: Final = re.compile(r"[\s().\-/]+")
_PHONE_COMPACT: Final = re.compile(r"\+?[0-9]+")
_NON_DIGITS: Final = re.compile(r"[^0-9]+")
# Longer than any number plus a short note; longer text is not worth parsing or caching.
_PHONE_MAX_LENGTH: Final = 100


def _valid_number(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


@lru_cache(maxsize=CACHE_SIZE)
def _check_phone(text: str, region: str) -> Normalised:
    number = _valid_number(text, region)
    if number is None and not text.startswith("+"):
        # Sources drop the "+" of international numbers ("61412345678") or write the
        # international prefix as "00", which is not the dialling prefix in every region.
        digits = _NON_DIGITS.sub("", text)
        country_code = phonenumbers.country_code_for_region(region)
        if digits.startswith("00"):
            number = _valid_number("+" + digits[2:], region)
        elif country_code and digits.startswith(str(country_code)):
            number = _valid_number("+" + digits, region)
    if number is None:
        return rejected(INVALID_PHONE)
    return Normalised(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None)


def normalise_phone(raw: object, region: str = "AU") -> Normalised:
    """Parse and validate a phone number and format it as E.164.

    Args:
        raw: The value from the source.
        region: ISO 3166 alpha-2 region assumed for numbers written without a country code.

    Returns:
        The number as E.164 ("+61412345678"); reason "invalid_phone" when phonenumbers does not
        recognise it as a valid number.
    """
    if is_blank(raw):
        return EMPTY
    text = as_text(raw).strip()
    if len(text) > _PHONE_MAX_LENGTH:
        return rejected(INVALID_PHONE)
    compact = _PHONE_SEPARATORS.sub("", text)
    # Keying the cache on the bare digits lets "(0412) 345 678" and "0412345678" share an entry.
    key = compact if _PHONE_COMPACT.fullmatch(compact) else text
    return _check_phone(key, region.strip().upper())
