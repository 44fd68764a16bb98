"""Normalisation and SHA-256 hashing of identifiers, per destination convention.

Each normaliser returns None when nothing usable is left, so callers send an empty
field (or none) instead of the hash of an empty string.

Meta rules follow "Customer File Custom Audiences - hashing and normalizing data"
(developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences):
email trimmed and lower-cased; phone digits only with the country code, no '+', no
leading zeros; first/last name lower-cased without punctuation, UTF-8; zip lower-cased
without spaces, US zips cut to 5 digits; country lower-case ISO alpha-2.

Google rules follow the Data Manager API "Format user data" guide
(developers.google.com/data-manager/api/devguides/concepts/formatting): email without
any whitespace and lower-cased, and for gmail.com / googlemail.com the dots and any
'+suffix' removed from the local part; phone in E.164 with the '+'; names lower-cased
and trimmed; region code (alpha-2) and postal code are sent in clear.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
_NON_DIGIT = re.compile(r"\D")
_ALPHA2 = re.compile(r"^[A-Za-z]{2}$")
_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


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
    return _WHITESPACE.sub("", postcode).lower() or None


def meta_hashed_email(email: str | None) -> str | None:
    return _hash(meta_email(email))


def meta_hashed_phone(phone: str | None) -> str | None:
    return _hash(meta_phone(phone))


def meta_hashed_name(name: str | None) -> str | None:
    return _hash(meta_name(name))


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
    name = _clean(name)
    return name.lower() if name else None


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
