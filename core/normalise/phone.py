"""Phone numbers: parsed and validated with phonenumbers, written as E.164."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

import phonenumbers

from core.normalise.text import CACHE_SIZE, EMPTY, Normalised, as_text, is_blank, rejected

INVALID_PHONE: Final = "invalid_phone"
UNALLOCATED_PHONE: Final = "unallocated_phone"
"""The flag of a number of the right length for its region in a range not known to be in
use: kept as a value (and an identifier), with this reason."""

_PHONE_SEPARATORS: Final = re.compile(r"[\s().\-/]+")
_PHONE_COMPACT: Final = re.compile(r"\+?[0-9]+")
_NON_DIGITS: Final = re.compile(r"[^0-9]+")
# Longer than any number plus a short note; longer text is not worth parsing or caching.
_PHONE_MAX_LENGTH: Final = 100


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def _readings(text: str, region: str) -> list[phonenumbers.PhoneNumber]:
    """The ways to read `text`: as written, then, for a number without "+", with the "+"
    sources drop ("61412345678") or with "00" read as the international prefix, which is
    not the dialling prefix in every region."""
    out = [_parse(text, region)]
    if not text.startswith("+"):
        digits = _NON_DIGITS.sub("", text)
        country_code = phonenumbers.country_code_for_region(region)
        if digits.startswith("00"):
            out.append(_parse("+" + digits[2:], region))
        elif country_code and digits.startswith(str(country_code)):
            out.append(_parse("+" + digits, region))
    return [n for n in out if n is not None]


_CUSTOMER_NUMBER_TYPES: Final = (
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
)


def _possible(number: phonenumbers.PhoneNumber) -> bool:
    """The right length for a customer's number in its region, and not a run of one digit
    ("0000000000")."""
    national = str(number.national_number)
    if len(set(national)) <= 1:
        return False
    # Of the length of a landline or a mobile with its area code: the region's general
    # lengths include short codes ("12345" is "possible" in AU) and local-only numbers.
    return any(
        phonenumbers.is_possible_number_for_type_with_reason(number, kind)
        == phonenumbers.ValidationResult.IS_POSSIBLE
        for kind in _CUSTOMER_NUMBER_TYPES
    )


@lru_cache(maxsize=CACHE_SIZE)
def _check_phone(text: str, region: str) -> Normalised:
    readings = _readings(text, region)
    for number in readings:
        if phonenumbers.is_valid_number(number):
            return Normalised(_e164(number), None)
    # A number in a range the phone library does not know as allocated (new ranges come
    # into use before the library's metadata has them; test ranges; a typo in the prefix)
    # is kept, flagged: it still identifies whoever gave it.
    for number in readings:
        if _possible(number) and (e164 := _stable_e164(number)) is not None:
            return Normalised(e164, UNALLOCATED_PHONE)
    return rejected(INVALID_PHONE)


def _stable_e164(number: phonenumbers.PhoneNumber) -> str | None:
    """The number's E.164 when reading it back gives a possible number with the same E.164;
    None when it does not ("+49000010" reads as a national number with leading zeros whose
    E.164, "+4900010", reads back as another, impossible number): a value written once
    must normalise to itself."""
    e164 = _e164(number)
    again = _parse(e164, "ZZ")
    if again is None or not _possible(again) or _e164(again) != e164:
        return None
    return e164


@lru_cache(maxsize=CACHE_SIZE)
def is_fixed_line(e164: str) -> bool:
    """Whether a number (E.164, as `normalise_phone` writes it) is a landline by its
    range: a household's line rather than one person's. False for a mobile, and for a
    region whose landlines and mobiles share ranges (the US: "fixed line or mobile")."""
    number = _parse(e164, "ZZ")
    return number is not None and (
        phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE
    )


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(raw: object, region: str = "AU") -> Normalised:
    """Parse and validate a phone number and format it as E.164.

    Args:
        raw: The value from the source.
        region: ISO 3166 alpha-2 region assumed for numbers written without a country code.

    Returns:
        The number as E.164 ("+61412345678"). A number of the right length for its region
        (`phonenumbers.is_possible_number`) that is not in an allocated range comes back
        as E.164 too, flagged with reason "unallocated_phone"; only impossible input (too
        short or long, no country, a run of one digit, text) is refused, with reason
        "invalid_phone".
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
