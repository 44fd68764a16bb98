"""Normalisation and SHA-256 hashing of identifiers, per destination convention.

Each normaliser returns None when nothing usable is left, so callers send an empty
field (or none) instead of the hash of an empty string.

Meta rules follow "Customer File Custom Audiences - hashing and normalizing data"
(developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences):
email trimmed and lower-cased; phone digits only with the country code, no '+', no
leading zeros; first/last name lower-cased without punctuation, UTF-8; city (CT) a-z
only, lower-case, no punctuation, special characters or whitespace; zip lower-cased
without spaces, US zips cut to 5 digits, UK postcodes in the Area/District/Sector format
(the outward code and the sector digit: "SW1A 1AA" -> "sw1a1"); country lower-case ISO
alpha-2.

Google rules follow the Data Manager API "Format user data" guide
(developers.google.com/data-manager/api/devguides/concepts/formatting) and its
`AddressInfo` reference: email without any whitespace and lower-cased, and for
gmail.com / googlemail.com the dots and any '+suffix' removed from the local part; phone
in E.164 with the '+'; names all lower-case, with no punctuation and no leading or
trailing whitespace; region code (alpha-2) and postal code are sent in clear.

For both, a name's title ("Mr", "Dr", "Sister") and suffix ("Jr", "III", "PhD") are
taken off first (`given_name_core`, `family_name_core`, with nameparser's lists): the
vendors hash what people signed up with, which carries neither.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from nameparser.config import CONSTANTS as NAME_CONSTANTS

_WHITESPACE = re.compile(r"\s+")
_NON_DIGIT = re.compile(r"\D")
_ALPHA2 = re.compile(r"^[A-Za-z]{2}$")
_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
_UK_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9])([A-Z]{2})?$")
_UK_POSTCODE_COUNTRIES = frozenset({"gb", "uk", "gg", "je", "im"})
"""Great Britain and Northern Ireland, and the Crown Dependencies on Royal Mail's codes."""

_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "mstr", "dr", "prof"})
"""Titles that are never a given name: a given name of only one of these is no name."""
_SUFFIXES = frozenset(NAME_CONSTANTS.suffix_not_acronyms) - {"2", "dr", "i", "v", "ret", "vet"}
"""Generational and similar suffixes ("Jr", "III", "Esq") in any case; "I" and "V" are left
alone, as initials."""


def sha256_hex(value: str) -> str:
    """Lower-case hex SHA-256 of the UTF-8 bytes of `value`."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value).strip()
    return value or None


def _hash(value: str | None) -> str | None:
    return None if value is None else sha256_hex(value)


def _word(token: str) -> str:
    return token.strip(".,").lower()


def given_name_core(name: str | None) -> str | None:
    """A given name without the titles in front of it ("Dr. Jane" -> "Jane"). A title
    is taken off only when a name follows it, so "Dean" or "King" alone stay."""
    name = _clean(name)
    if name is None:
        return None
    tokens = name.split()
    while len(tokens) > 1 and _word(tokens[0]) in NAME_CONSTANTS.titles:
        tokens.pop(0)
    if len(tokens) == 1 and _word(tokens[0]) in _HONORIFICS:
        return None
    return " ".join(tokens)


def _is_suffix(token: str, after_comma: bool) -> bool:
    word = _word(token)
    if word in _SUFFIXES:
        return True
    if word.replace(".", "") not in NAME_CONSTANTS.suffix_acronyms:
        return False
    # Acronyms ("MBE", "Ph.D.") only as written: "Ba" or "Am" may be a family name.
    bare = token.strip(",")
    return after_comma or "." in bare or bare.isupper() or word == "phd"


def family_name_core(name: str | None) -> str | None:
    """A family name without the suffixes after it ("Smith Jr." -> "Smith",
    "O'Neil, MBE" -> "O'Neil"); a suffix is taken off only when a name precedes it."""
    name = _clean(name)
    if name is None:
        return None
    head, comma, tail = name.partition(",")
    kept_tail = [t for t in tail.split() if not _is_suffix(t, after_comma=True)]
    tokens = head.split() + kept_tail
    while len(tokens) > 1 and _is_suffix(tokens[-1], after_comma=False):
        tokens.pop()
    return " ".join(tokens) or None


def e164_digits(phone: str | None) -> str | None:
    """Digits of an E.164 number without '+' or leading zeros; None if not plausible."""
    phone = _clean(phone)
    if phone is None:
        return None
    digits = _NON_DIGIT.sub("", phone).lstrip("0")
    # E.164 allows at most 15 digits; fewer than 7 cannot carry country code + number.
    return digits if 7 <= len(digits) <= 15 else None


def looks_like_email(email: str | None) -> bool:
    email = _clean(email)
    if email is None or email.count("@") != 1:
        return False
    local, domain = email.split("@")
    return bool(local) and "." in domain and not domain.startswith(".")


# Meta ------------------------------------------------------------------------------


def meta_email(email: str | None) -> str | None:
    email = _clean(email)
    return email.lower() if email and looks_like_email(email) else None


def meta_phone(phone: str | None) -> str | None:
    return e164_digits(phone)


def meta_name(name: str | None) -> str | None:
    """Lower-case letters only: punctuation, digits and spaces go, accents stay (UTF-8)."""
    name = _clean(name)
    if name is None:
        return None
    kept = "".join(ch for ch in name.lower() if unicodedata.category(ch)[0] in ("L", "M"))
    return kept or None


def meta_city(city: str | None) -> str | None:
    """a-z only: accents folded ("São Paulo" -> "saopaulo"), anything else dropped."""
    city = _clean(city)
    if city is None:
        return None
    folded = unicodedata.normalize("NFKD", city.lower())
    kept = "".join(ch for ch in folded if "a" <= ch <= "z")
    return kept or None


def meta_country(country: str | None) -> str | None:
    country = _clean(country)
    return country.lower() if country and _ALPHA2.match(country) else None


def meta_zip(postcode: str | None, country: str | None = None) -> str | None:
    postcode = _clean(postcode)
    if postcode is None:
        return None
    if meta_country(country) == "us":
        digits = _NON_DIGIT.sub("", postcode)
        return digits[:5] if len(digits) >= 5 else None
    compact = _WHITESPACE.sub("", postcode)
    if (country or "").strip().lower() in _UK_POSTCODE_COUNTRIES:
        match = _UK_POSTCODE.match(compact.upper())
        if match:  # Area/District/Sector: the outward code and the sector digit
            return f"{match.group(1)}{match.group(2)}".lower()
    return compact.lower() or None


def meta_hashed_email(email: str | None) -> str | None:
    return _hash(meta_email(email))


def meta_hashed_phone(phone: str | None) -> str | None:
    return _hash(meta_phone(phone))


def meta_hashed_name(name: str | None) -> str | None:
    return _hash(meta_name(name))


def meta_hashed_given_name(name: str | None) -> str | None:
    return _hash(meta_name(given_name_core(name)))


def meta_hashed_family_name(name: str | None) -> str | None:
    return _hash(meta_name(family_name_core(name)))


def meta_hashed_city(city: str | None) -> str | None:
    return _hash(meta_city(city))


def meta_hashed_zip(postcode: str | None, country: str | None = None) -> str | None:
    return _hash(meta_zip(postcode, country))


def meta_hashed_country(country: str | None) -> str | None:
    return _hash(meta_country(country))


# Google Data Manager ---------------------------------------------------------------


def google_email(email: str | None) -> str | None:
    email = _clean(email)
    if email is None:
        return None
    email = _WHITESPACE.sub("", email).lower()
    if not looks_like_email(email):
        return None
    local, domain = email.split("@")
    if domain in _GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        if not local:
            return None
    return f"{local}@{domain}"


def google_phone(phone: str | None) -> str | None:
    """E.164 with '+'. Input must already carry the '+' and country code."""
    phone = _clean(phone)
    if phone is None or not phone.startswith("+"):
        return None
    digits = e164_digits(phone)
    return None if digits is None else f"+{digits}"


def google_name(name: str | None) -> str | None:
    """Lower-case, no punctuation (letters, marks, digits and inner spaces stay)."""
    name = _clean(name)
    if name is None:
        return None
    kept = "".join(
        ch for ch in name.lower() if ch.isspace() or unicodedata.category(ch)[0] in "LMN"
    )
    return " ".join(kept.split()) or None


def google_region_code(country: str | None) -> str | None:
    country = _clean(country)
    return country.upper() if country and _ALPHA2.match(country) else None


def google_postal_code(postcode: str | None) -> str | None:
    return _clean(postcode)


def google_hashed_email(email: str | None) -> str | None:
    return _hash(google_email(email))


def google_hashed_phone(phone: str | None) -> str | None:
    return _hash(google_phone(phone))


def google_hashed_name(name: str | None) -> str | None:
    return _hash(google_name(name))


def google_hashed_given_name(name: str | None) -> str | None:
    return _hash(google_name(given_name_core(name)))


def google_hashed_family_name(name: str | None) -> str | None:
    return _hash(google_name(family_name_core(name)))
