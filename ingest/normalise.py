"""Validate and normalise customer data values on their way into the graph.

Every public function takes a raw value of any type and returns a `Normalised`: the normalised
value, or the reason it was rejected. None of them raise on bad input, because a bad value is
data to report, not an error. They run once per field per row on millions of rows, so regexes
are compiled once and the expensive checks (email syntax, phone metadata, date formats) are
cached on the input string.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Final

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

__all__ = [
    "FUTURE_DATE",
    "IMPLAUSIBLE_DATE",
    "INVALID_ADDRESS",
    "INVALID_BOOL",
    "INVALID_EMAIL",
    "INVALID_NAME",
    "INVALID_PHONE",
    "INVALID_POSTCODE",
    "UNKNOWN_COUNTRY",
    "UNPARSEABLE_DATE",
    "UNPARSEABLE_TIMESTAMP",
    "Normalised",
    "canonical_email",
    "fold_name",
    "is_blank",
    "normalise_address",
    "normalise_bool",
    "normalise_country",
    "normalise_date",
    "normalise_email",
    "normalise_name",
    "normalise_phone",
    "normalise_postcode",
    "normalise_timestamp",
]

INVALID_EMAIL: Final = "invalid_email_syntax"
INVALID_PHONE: Final = "invalid_phone"
INVALID_NAME: Final = "invalid_name"
INVALID_ADDRESS: Final = "invalid_address"
INVALID_POSTCODE: Final = "invalid_postcode"
UNPARSEABLE_DATE: Final = "unparseable_date"
FUTURE_DATE: Final = "future_date"
IMPLAUSIBLE_DATE: Final = "implausible_date"
UNPARSEABLE_TIMESTAMP: Final = "unparseable_timestamp"
UNKNOWN_COUNTRY: Final = "unknown_country"
INVALID_BOOL: Final = "invalid_bool"

# Big enough to hold the distinct values of a typical file, small enough that a file of
# garbage cannot grow memory without bound.
_CACHE_SIZE: Final = 1 << 17


@dataclass(frozen=True, slots=True)
class Normalised:
    """The outcome of normalising one value.

    Attributes:
        value: The normalised value; None when the input was blank or rejected.
        reason: None when the value is fine or simply blank; otherwise a short machine-readable
            reason such as "invalid_email_syntax".
    """

    value: str | None
    reason: str | None

    @property
    def ok(self) -> bool:
        """Whether there is a usable value."""
        return self.value is not None


_EMPTY: Final = Normalised(None, None)


def _rejected(reason: str) -> Normalised:
    return Normalised(None, reason)


_BLANK_TOKENS: Final = frozenset({"", "null", "none", "n/a", "na", "nan", "-"})


def is_blank(raw: object) -> bool:
    """Tell whether a raw value means "no value".

    Args:
        raw: Any value read from a source.

    Returns:
        True for None, float NaN, and strings that are empty, whitespace or a placeholder
        such as "null", "none", "n/a", "na", "nan" or "-" (any case).
    """
    if raw is None:
        return True
    if isinstance(raw, str):
        return raw.strip().lower() in _BLANK_TOKENS
    if isinstance(raw, float):
        return math.isnan(raw)
    return False


def _text(raw: object) -> str:
    # Numeric columns arrive as floats ("3000.0") when a reader guesses types; their integral
    # form is what the source meant.
    if isinstance(raw, str):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    try:
        return str(raw)
    except ValueError:  # an int past Python's limit on digits converted to text
        return ""


_HAS_LETTER: Final = re.compile(r"[^\W\d_]")
_HAS_ALNUM: Final = re.compile(r"[^\W_]")
_HAS_DIGIT: Final = re.compile(r"\d")


def _nfkc(text: str) -> str:
    # ASCII is already in NFKC, and most values are ASCII.
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _clean_text(text: str) -> str:
    """NFKC-normalise, drop control and format characters, collapse whitespace."""
    text = _nfkc(text)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else " " if ch.isspace() else "" for ch in text)
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------
# Email

# The common ASCII shape that email-validator accepts without further checks; anything else
# (Unicode, "--" labels that might be Punycode, odd lengths) goes to email-validator itself.
_EMAIL_FAST: Final = re.compile(
    r"[a-z0-9_!#$%&'*+/=?^`{|}~-]+(?:\.[a-z0-9_!#$%&'*+/=?^`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z0-9][a-z0-9-]{0,61})?[a-z]"
)
_EMAIL_SHAPE: Final = re.compile(r"[^@\s]+@[^@\s]+")
_EMAIL_MAX_LENGTH: Final = 254
_SPECIAL_USE_SUFFIXES: Final = tuple("." + name for name in SPECIAL_USE_DOMAIN_NAMES)


@lru_cache(maxsize=_CACHE_SIZE)
def _check_email(email: str) -> Normalised:
    if len(email) <= _EMAIL_MAX_LENGTH and _EMAIL_FAST.fullmatch(email):
        domain = email.rpartition("@")[2]
        if "--" not in domain and not domain.endswith(_SPECIAL_USE_SUFFIXES):
            return Normalised(email, None)
    if not _EMAIL_SHAPE.fullmatch(email):
        return _rejected(INVALID_EMAIL)
    try:
        info = validate_email(email, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return _rejected(INVALID_EMAIL)
    return Normalised(info.normalized.lower(), None)


def normalise_email(raw: object) -> Normalised:
    """Trim, lower-case and syntax-check an email address (no DNS look-ups).

    Args:
        raw: The value from the source.

    Returns:
        The address in lower case, with an internationalised domain in its Unicode form;
        reason "invalid_email_syntax" when it is not a valid address.
    """
    if is_blank(raw):
        return _EMPTY
    return _check_email(_text(raw).strip().lower())


_GMAIL_DOMAINS: Final = frozenset({"gmail.com", "googlemail.com"})


def canonical_email(email: str) -> str:
    """A second form of an email address, for matching only.

    Gmail ignores dots and "+tags" in the local part and treats googlemail.com as gmail.com, so
    those variants are one mailbox. Other providers differ, so their addresses are unchanged.

    Args:
        email: An address already returned by `normalise_email`.

    Returns:
        The canonical address.
    """
    local, at, domain = email.rpartition("@")
    if not at or domain not in _GMAIL_DOMAINS:
        return email
    return local.split("+", 1)[0].replace(".", "") + "@gmail.com"


# ---------------------------------------------------------------------------------------------
# Phone

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


@lru_cache(maxsize=_CACHE_SIZE)
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
        return _rejected(INVALID_PHONE)
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
        return _EMPTY
    text = _text(raw).strip()
    if len(text) > _PHONE_MAX_LENGTH:
        return _rejected(INVALID_PHONE)
    compact = _PHONE_SEPARATORS.sub("", text)
    # Keying the cache on the bare digits lets "(0412) 345 678" and "0412345678" share an entry.
    key = compact if _PHONE_COMPACT.fullmatch(compact) else text
    return _check_phone(key, region.strip().upper())


# ---------------------------------------------------------------------------------------------
# Names

_APOSTROPHES: Final = "'\u2019\u2018\u02bc`\u00b4"
_TO_APOSTROPHE: Final = str.maketrans(dict.fromkeys(_APOSTROPHES[1:], "'"))
_WORD_BREAKS: Final = re.compile(r"([\s\-\u2010\u2011\u2013\u2014./]+)")
# Lower-case particles that a deliberately cased name may contain ("Jan van der Berg").
_PARTICLES: Final = frozenset(
    {"al", "bin", "binti", "da", "das", "de", "del", "della", "den", "der", "di", "do"}
    | {"dos", "du", "e", "el", "la", "le", "ten", "ter", "van", "von", "y"}
)
_ROMAN_SUFFIXES: Final = frozenset({"ii", "iii", "iv"})


def _capitalise(word: str) -> str:
    for i, ch in enumerate(word):
        if ch.isalpha():
            return word[:i] + ch.title() + word[i + 1 :]
    return word


def _case_word(word: str) -> str:
    """Title-case one word: "o'brien" -> "O'Brien", "mcdonald" -> "McDonald"."""
    lower = word.lower()
    # A letter whose capital is two letters ("ß" -> "Ss") would not look like "O'" again.
    if len(lower) > 2 and lower[1] == "'" and lower[0].isalpha() and len(lower[0].title()) == 1:
        return lower[0].title() + "'" + _capitalise(lower[2:])
    if len(lower) > 3 and lower.startswith("mc") and lower[2].isalpha():
        return "Mc" + _capitalise(lower[2:])
    return _capitalise(lower)


def _case_token(token: str) -> str:
    return "".join(
        piece if i % 2 else _case_word(piece) for i, piece in enumerate(_WORD_BREAKS.split(token))
    )


def _deliberately_cased(name: str) -> bool:
    # A source that typed "DeShawn", "McDONALD" or "van der Berg" knows better than any rule,
    # but all-caps, all-lower and "jOHN sMITH" are data-entry accidents.
    if name.islower() or name.isupper():
        return False
    for token in name.split(" "):
        first = next((ch for ch in token if ch.isalpha()), "")
        if first.islower() and token.lower() not in _PARTICLES:
            return False
    return True


def normalise_name(raw: object) -> Normalised:
    """Tidy a personal name: collapse whitespace and fix its case.

    All-caps and all-lower names are title-cased with care for "O'Brien", "McDonald" and
    "Jean-Luc"; names that already carry deliberate mixed case are kept. Accents are kept.

    Args:
        raw: The value from the source.

    Returns:
        The tidied name; reason "invalid_name" when it contains digits or an "@", or no letters.
    """
    if is_blank(raw):
        return _EMPTY
    return _check_name(_text(raw))


@lru_cache(maxsize=_CACHE_SIZE)
def _check_name(text: str) -> Normalised:
    # Before NFKC because it turns "´" into a space and an accent; after, because it turns
    # "ŉ" into "ʼn".
    name = _clean_text(text.translate(_TO_APOSTROPHE)).translate(_TO_APOSTROPHE)
    if "@" in name or not _HAS_LETTER.search(name) or _HAS_DIGIT.search(name):
        return _rejected(INVALID_NAME)
    if not _deliberately_cased(name):
        tokens = [_case_token(token) for token in name.split(" ")]
        tokens[1:] = [t.upper() if t.lower() in _ROMAN_SUFFIXES else t for t in tokens[1:]]
        # Casing can decompose characters ("İ" lower-cases to "i" + combining dot).
        name = _nfkc(" ".join(tokens))
    return Normalised(name, None)


_DROPPED_IN_FOLD: Final = str.maketrans(dict.fromkeys(_APOSTROPHES, None))
# Letters that NFKD does not decompose but people write without the diacritic.
_FOLD_LETTERS: Final = str.maketrans(
    {"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i", "þ": "th", "æ": "ae", "œ": "oe"}
)
_FOLD_BREAKS: Final = re.compile(r"[\W_]+")


@lru_cache(maxsize=_CACHE_SIZE)
def fold_name(name: str) -> str:
    """Reduce a name to a key for matching.

    Lower-cases, strips accents, drops apostrophes ("O'Brien" -> "obrien") and turns every
    other run of non-alphanumeric characters (spaces, hyphens, dots, commas) into one space,
    so "Jean-Luc" and "Jean Luc" fold alike.

    Args:
        name: A name, usually one returned by `normalise_name`.

    Returns:
        The folded key, e.g. "jose obrien" for "José  O'Brien".
    """
    text = name.translate(_DROPPED_IN_FOLD)
    if text.isascii():
        return _FOLD_BREAKS.sub(" ", text.lower()).strip()
    # Case-fold after decomposing: some letters decompose to capitals ("ℌ" -> "H").
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # Decomposition can surface apostrophes of its own ("ŉ" -> "ʼn").
    text = text.translate(_DROPPED_IN_FOLD).translate(_FOLD_LETTERS)
    # Spacing marks (Indic vowel signs) belong to their word rather than breaking it.
    return " ".join(
        "".join(
            ch if ch.isalnum() or unicodedata.category(ch)[0] == "M" else " " for ch in text
        ).split()
    )


# ---------------------------------------------------------------------------------------------
# Addresses

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
    elif _HAS_DIGIT.search(core):
        # "12th" stays lower; unit and lot numbers ("3/12b", "12a") take capitals.
        core = core.lower() if _ORDINAL.fullmatch(core.lower()) else core.upper()
    else:
        core = _case_token(core)
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
        return _EMPTY
    return _check_address(_text(raw))


@lru_cache(maxsize=_CACHE_SIZE)
def _check_address(raw: str) -> Normalised:
    text = _ADDRESS_COMMAS.sub(", ", _clean_text(raw))
    text = text.rstrip(_ADDRESS_TRAILING).lstrip(_ADDRESS_LEADING)
    if not _HAS_ALNUM.search(text):
        return _rejected(INVALID_ADDRESS)
    address = " ".join(_case_address_token(token) for token in text.split(" "))
    return Normalised(_nfkc(address), None)


# ---------------------------------------------------------------------------------------------
# Postcodes

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
        return _EMPTY
    text = " ".join(_text(raw).upper().split())
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
        return _rejected(INVALID_POSTCODE)
    if code in ("GB", "CA"):
        match = (_GB_POSTCODE if code == "GB" else _CA_POSTCODE).fullmatch(compact)
        if match is None:
            return _rejected(INVALID_POSTCODE)
        return Normalised(f"{match.group(1)} {match.group(2)}", None)
    if len(text) > _POSTCODE_MAX_LENGTH or not _ANY_POSTCODE.fullmatch(text):
        return _rejected(INVALID_POSTCODE)
    return Normalised(text, None)


# ---------------------------------------------------------------------------------------------
# Dates and timestamps

_ISO_DATE: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_YMD: Final = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})")
_DMY: Final = re.compile(r"([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})")
_COMPACT_DATE: Final = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_DATE_TOKEN_BREAKS: Final = re.compile(r"[\s,./\-]+")
_DAY_TOKEN: Final = re.compile(r"([0-9]{1,2})(?:st|nd|rd|th)?")
_YEAR_TOKEN: Final = re.compile(r"[0-9]{4}|[0-9]{2}")
_WITH_TIME: Final = re.compile(
    r"(?P<date>.*?[^\s,])(?:\s*,\s*|\s+|T)"
    r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:[.,][0-9]+)?)?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?"
    r"\s*(?P<tz>z|utc|gmt|[+-][0-9]{2}(?::?[0-9]{2})?)?",
    re.IGNORECASE,
)
_EPOCH_NUMBER: Final = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_MONTHS: Final = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS: Final = frozenset(
    {"mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs"}
    | {"thursday", "fri", "friday", "sat", "saturday", "sun", "sunday"}
)
_DATE_MAX_LENGTH: Final = 64
_EARLIEST_DATE: Final = date(1900, 1, 1)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# Smaller numbers are sentinels (0) or bare years, not moments; 1e8 s is March 1973.
_SMALLEST_EPOCH: Final = 1e8


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _full_year(text: str, this_year: int) -> int:
    year = int(text)
    if len(text) == 4:
        return year
    # Two-digit years are the most recent such year that is not in the future.
    return 2000 + year if 2000 + year <= this_year else 1900 + year


def _textual_date(text: str, this_year: int) -> date | None:
    tokens = [t for t in _DATE_TOKEN_BREAKS.split(text.lower()) if t and t not in _WEEKDAYS]
    if len(tokens) != 3:
        return None
    at = [i for i, token in enumerate(tokens) if token in _MONTHS]
    if len(at) != 1:
        return None
    month = _MONTHS[tokens[at[0]]]
    if at[0] == 0:  # March 7, 1985
        day_text, year_text = tokens[1], tokens[2]
    elif at[0] == 1 and len(tokens[0]) == 4:  # 1985 Mar 7
        year_text, day_text = tokens[0], tokens[2]
    elif at[0] == 1:  # 7 Mar 1985
        day_text, year_text = tokens[0], tokens[2]
    else:
        return None
    day = _DAY_TOKEN.fullmatch(day_text)
    if day is None or not _YEAR_TOKEN.fullmatch(year_text):
        return None
    return _make_date(_full_year(year_text, this_year), month, int(day.group(1)))


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_date(text: str, dayfirst: bool, this_year: int) -> date | None:
    if match := _YMD.fullmatch(text):
        return _make_date(int(match.group(1)), int(match.group(3)), int(match.group(4)))
    if match := _DMY.fullmatch(text):
        first, second = int(match.group(1)), int(match.group(3))
        day, month = (first, second) if dayfirst else (second, first)
        if month > 12 >= day:
            # Only one reading is a date ("12/31/1990" in a day-first file), so take it.
            day, month = month, day
        return _make_date(_full_year(match.group(4), this_year), month, day)
    if match := _COMPACT_DATE.fullmatch(text):
        return _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    return _textual_date(text, this_year)


def _valid_time(hour: int, minute: int, second: int, ampm: str | None) -> tuple[int, int] | None:
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm[0] in "pP" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute


def _split_date_time(
    text: str, dayfirst: bool, this_year: int
) -> tuple[date, tuple[int, int, int], timezone | None] | None:
    """Parse "<date>[ <time>[ am/pm][ offset]]" into a date, a time and an optional zone."""
    match = _WITH_TIME.fullmatch(text)
    if match is None:
        day = _parse_date(text, dayfirst, this_year)
        return None if day is None else (day, (0, 0, 0), None)
    day = _parse_date(match["date"], dayfirst, this_year)
    second = int(match["second"] or 0)
    hour_minute = _valid_time(int(match["hour"]), int(match["minute"]), second, match["ampm"])
    if day is None or hour_minute is None:
        return None
    zone = _zone(match["tz"])
    if match["tz"] and zone is None:
        return None
    return day, (*hour_minute, second), zone


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    if offset >= timedelta(hours=24) or int(digits[2:] or 0) > 59:
        return None
    return timezone(-offset if text[0] == "-" else offset)


def normalise_date(raw: object, *, dayfirst: bool = True) -> Normalised:
    """Parse a calendar date (a date of birth, say) into ISO "YYYY-MM-DD".

    Accepts ISO dates and datetimes (the date as written is kept), "07/03/1985", "7/3/85",
    "07-03-1985", "March 7, 1985", "7 Mar 1985", "19850307", and date or datetime objects.
    A numeric date with only one valid reading is read that way whatever `dayfirst` says.

    Args:
        raw: The value from the source.
        dayfirst: Read "07/03/1985" as 7 March (True) or July 3 (False).

    Returns:
        The ISO date; reason "unparseable_date" for impossible or unrecognised dates,
        "future_date" after today and "implausible_date" before 1900.
    """
    if is_blank(raw):
        return _EMPTY
    today = datetime.now(UTC).date()
    if isinstance(raw, datetime):
        day: date | None = raw.date()
    elif isinstance(raw, date):
        day = raw
    else:
        text = _text(raw).strip()
        if match := _ISO_DATE.fullmatch(text):
            day = _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        elif len(text) > _DATE_MAX_LENGTH:
            day = None
        else:
            parsed = _split_date_time(text, dayfirst, today.year)
            day = None if parsed is None else parsed[0]
    if day is None:
        return _rejected(UNPARSEABLE_DATE)
    # UTC's today lags the customer's in time zones ahead of it; allow a day for that.
    if day > today + timedelta(days=1):
        return _rejected(FUTURE_DATE)
    if day < _EARLIEST_DATE:
        return _rejected(IMPLAUSIBLE_DATE)
    return Normalised(day.isoformat(), None)


def _from_epoch(number: int | float) -> datetime | None:
    if (isinstance(number, float) and not math.isfinite(number)) or abs(number) < _SMALLEST_EPOCH:
        return None
    size = abs(number)
    # Seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude.
    scale = 1 if size < 1e11 else 1_000 if size < 1e14 else 1_000_000 if size < 1e17 else 10**9
    try:
        if isinstance(number, int):
            return _EPOCH + timedelta(seconds=number // scale)
        return _EPOCH + timedelta(seconds=number / scale)
    except OverflowError:
        return None


def _parse_timestamp(text: str) -> datetime | None:
    if _EPOCH_NUMBER.fullmatch(text):
        # Eight digits are far likelier a compact date than a moment in 1970.
        if (compact := _COMPACT_DATE.fullmatch(text)) and (
            day := _make_date(int(compact[1]), int(compact[2]), int(compact[3]))
        ):
            return datetime(day.year, day.month, day.day)
        return _from_epoch(float(text) if "." in text else int(text))
    if len(text) > _DATE_MAX_LENGTH:
        return None
    if text[:4].isascii() and text[:4].isdigit():
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    parsed = _split_date_time(text, True, datetime.now(UTC).year)
    if parsed is None:
        return None
    day, (hour, minute, second), zone = parsed
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)


def normalise_timestamp(raw: object) -> Normalised:
    """Parse a moment in time into ISO 8601 UTC, "YYYY-MM-DDTHH:MM:SSZ".

    Accepts ISO 8601 with an offset or "Z", naive ISO (taken as UTC), "2024-03-07 14:05:00",
    day-first numeric and month-name dates with an optional time, am/pm and offset, epoch
    seconds, milliseconds, microseconds or nanoseconds (numbers or numeric strings of at least
    1e8), date-only values (midnight UTC) and datetime objects. Fractions of a second are
    dropped.

    Args:
        raw: The value from the source.

    Returns:
        The UTC timestamp; reason "unparseable_timestamp" when it cannot be read.
    """
    if isinstance(raw, bool):
        return _rejected(UNPARSEABLE_TIMESTAMP)
    if is_blank(raw):
        return _EMPTY
    moment: datetime | None
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, date):
        moment = datetime(raw.year, raw.month, raw.day)
    elif isinstance(raw, int | float):
        moment = _from_epoch(raw)
    else:
        moment = _parse_timestamp(_text(raw).strip())
    if moment is None:
        return _rejected(UNPARSEABLE_TIMESTAMP)
    try:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return _rejected(UNPARSEABLE_TIMESTAMP)
    return Normalised(
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z",
        None,
    )


# ---------------------------------------------------------------------------------------------
# Countries

# ISO 3166-1 as "alpha-2:alpha-3:English name[|other name];...", taken from pycountry 26.2.
_ISO_3166: Final = (
    "AD:AND:Andorra;AE:ARE:United Arab Emirates;AF:AFG:Afghanistan;"
    "AG:ATG:Antigua and Barbuda;AI:AIA:Anguilla;AL:ALB:Albania;AM:ARM:Armenia;"
    "AO:AGO:Angola;AQ:ATA:Antarctica;AR:ARG:Argentina;AS:ASM:American Samoa;AT:AUT:Austria;"
    "AU:AUS:Australia;AW:ABW:Aruba;AX:ALA:Åland Islands;AZ:AZE:Azerbaijan;"
    "BA:BIH:Bosnia and Herzegovina;BB:BRB:Barbados;BD:BGD:Bangladesh;BE:BEL:Belgium;"
    "BF:BFA:Burkina Faso;BG:BGR:Bulgaria;BH:BHR:Bahrain;BI:BDI:Burundi;BJ:BEN:Benin;"
    "BL:BLM:Saint Barthélemy;BM:BMU:Bermuda;BN:BRN:Brunei Darussalam;"
    "BO:BOL:Bolivia|Bolivia, Plurinational State of;"
    "BQ:BES:Bonaire, Sint Eustatius and Saba;BR:BRA:Brazil;BS:BHS:Bahamas;BT:BTN:Bhutan;"
    "BV:BVT:Bouvet Island;BW:BWA:Botswana;BY:BLR:Belarus;BZ:BLZ:Belize;CA:CAN:Canada;"
    "CC:CCK:Cocos (Keeling) Islands;CD:COD:Congo, The Democratic Republic of the;"
    "CF:CAF:Central African Republic;CG:COG:Congo;CH:CHE:Switzerland;CI:CIV:Côte d'Ivoire;"
    "CK:COK:Cook Islands;CL:CHL:Chile;CM:CMR:Cameroon;CN:CHN:China;CO:COL:Colombia;"
    "CR:CRI:Costa Rica;CU:CUB:Cuba;CV:CPV:Cabo Verde;CW:CUW:Curaçao;"
    "CX:CXR:Christmas Island;CY:CYP:Cyprus;CZ:CZE:Czechia;DE:DEU:Germany;DJ:DJI:Djibouti;"
    "DK:DNK:Denmark;DM:DMA:Dominica;DO:DOM:Dominican Republic;DZ:DZA:Algeria;"
    "EC:ECU:Ecuador;EE:EST:Estonia;EG:EGY:Egypt;EH:ESH:Western Sahara;ER:ERI:Eritrea;"
    "ES:ESP:Spain;ET:ETH:Ethiopia;FI:FIN:Finland;FJ:FJI:Fiji;"
    "FK:FLK:Falkland Islands (Malvinas);FM:FSM:Micronesia, Federated States of;"
    "FO:FRO:Faroe Islands;FR:FRA:France;GA:GAB:Gabon;GB:GBR:United Kingdom;GD:GRD:Grenada;"
    "GE:GEO:Georgia;GF:GUF:French Guiana;GG:GGY:Guernsey;GH:GHA:Ghana;GI:GIB:Gibraltar;"
    "GL:GRL:Greenland;GM:GMB:Gambia;GN:GIN:Guinea;GP:GLP:Guadeloupe;"
    "GQ:GNQ:Equatorial Guinea;GR:GRC:Greece;"
    "GS:SGS:South Georgia and the South Sandwich Islands;GT:GTM:Guatemala;GU:GUM:Guam;"
    "GW:GNB:Guinea-Bissau;GY:GUY:Guyana;HK:HKG:Hong Kong;"
    "HM:HMD:Heard Island and McDonald Islands;HN:HND:Honduras;HR:HRV:Croatia;HT:HTI:Haiti;"
    "HU:HUN:Hungary;ID:IDN:Indonesia;IE:IRL:Ireland;IL:ISR:Israel;IM:IMN:Isle of Man;"
    "IN:IND:India;IO:IOT:British Indian Ocean Territory;IQ:IRQ:Iraq;"
    "IR:IRN:Iran|Iran, Islamic Republic of;IS:ISL:Iceland;IT:ITA:Italy;JE:JEY:Jersey;"
    "JM:JAM:Jamaica;JO:JOR:Jordan;JP:JPN:Japan;KE:KEN:Kenya;KG:KGZ:Kyrgyzstan;"
    "KH:KHM:Cambodia;KI:KIR:Kiribati;KM:COM:Comoros;KN:KNA:Saint Kitts and Nevis;"
    "KP:PRK:North Korea|Korea, Democratic People's Republic of;"
    "KR:KOR:South Korea|Korea, Republic of;KW:KWT:Kuwait;KY:CYM:Cayman Islands;"
    "KZ:KAZ:Kazakhstan;LA:LAO:Laos|Lao People's Democratic Republic;LB:LBN:Lebanon;"
    "LC:LCA:Saint Lucia;LI:LIE:Liechtenstein;LK:LKA:Sri Lanka;LR:LBR:Liberia;"
    "LS:LSO:Lesotho;LT:LTU:Lithuania;LU:LUX:Luxembourg;LV:LVA:Latvia;LY:LBY:Libya;"
    "MA:MAR:Morocco;MC:MCO:Monaco;MD:MDA:Moldova|Moldova, Republic of;ME:MNE:Montenegro;"
    "MF:MAF:Saint Martin (French part);MG:MDG:Madagascar;MH:MHL:Marshall Islands;"
    "MK:MKD:North Macedonia;ML:MLI:Mali;MM:MMR:Myanmar;MN:MNG:Mongolia;MO:MAC:Macao;"
    "MP:MNP:Northern Mariana Islands;MQ:MTQ:Martinique;MR:MRT:Mauritania;MS:MSR:Montserrat;"
    "MT:MLT:Malta;MU:MUS:Mauritius;MV:MDV:Maldives;MW:MWI:Malawi;MX:MEX:Mexico;"
    "MY:MYS:Malaysia;MZ:MOZ:Mozambique;NA:NAM:Namibia;NC:NCL:New Caledonia;NE:NER:Niger;"
    "NF:NFK:Norfolk Island;NG:NGA:Nigeria;NI:NIC:Nicaragua;NL:NLD:Netherlands;"
    "NO:NOR:Norway;NP:NPL:Nepal;NR:NRU:Nauru;NU:NIU:Niue;NZ:NZL:New Zealand;OM:OMN:Oman;"
    "PA:PAN:Panama;PE:PER:Peru;PF:PYF:French Polynesia;PG:PNG:Papua New Guinea;"
    "PH:PHL:Philippines;PK:PAK:Pakistan;PL:POL:Poland;PM:SPM:Saint Pierre and Miquelon;"
    "PN:PCN:Pitcairn;PR:PRI:Puerto Rico;PS:PSE:Palestine, State of;PT:PRT:Portugal;"
    "PW:PLW:Palau;PY:PRY:Paraguay;QA:QAT:Qatar;RE:REU:Réunion;RO:ROU:Romania;RS:SRB:Serbia;"
    "RU:RUS:Russian Federation;RW:RWA:Rwanda;SA:SAU:Saudi Arabia;SB:SLB:Solomon Islands;"
    "SC:SYC:Seychelles;SD:SDN:Sudan;SE:SWE:Sweden;SG:SGP:Singapore;"
    "SH:SHN:Saint Helena, Ascension and Tristan da Cunha;SI:SVN:Slovenia;"
    "SJ:SJM:Svalbard and Jan Mayen;SK:SVK:Slovakia;SL:SLE:Sierra Leone;SM:SMR:San Marino;"
    "SN:SEN:Senegal;SO:SOM:Somalia;SR:SUR:Suriname;SS:SSD:South Sudan;"
    "ST:STP:Sao Tome and Principe;SV:SLV:El Salvador;SX:SXM:Sint Maarten (Dutch part);"
    "SY:SYR:Syria|Syrian Arab Republic;SZ:SWZ:Eswatini;TC:TCA:Turks and Caicos Islands;"
    "TD:TCD:Chad;TF:ATF:French Southern Territories;TG:TGO:Togo;TH:THA:Thailand;"
    "TJ:TJK:Tajikistan;TK:TKL:Tokelau;TL:TLS:Timor-Leste;TM:TKM:Turkmenistan;"
    "TN:TUN:Tunisia;TO:TON:Tonga;TR:TUR:Türkiye;TT:TTO:Trinidad and Tobago;TV:TUV:Tuvalu;"
    "TW:TWN:Taiwan|Taiwan, Province of China;TZ:TZA:Tanzania|Tanzania, United Republic of;"
    "UA:UKR:Ukraine;UG:UGA:Uganda;UM:UMI:United States Minor Outlying Islands;"
    "US:USA:United States;UY:URY:Uruguay;UZ:UZB:Uzbekistan;"
    "VA:VAT:Holy See (Vatican City State);VC:VCT:Saint Vincent and the Grenadines;"
    "VE:VEN:Venezuela|Venezuela, Bolivarian Republic of;VG:VGB:Virgin Islands, British;"
    "VI:VIR:Virgin Islands, U.S.;VN:VNM:Vietnam|Viet Nam;VU:VUT:Vanuatu;"
    "WF:WLF:Wallis and Futuna;WS:WSM:Samoa;YE:YEM:Yemen;YT:MYT:Mayotte;ZA:ZAF:South Africa;"
    "ZM:ZMB:Zambia;ZW:ZWE:Zimbabwe"
)
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
    for entry in _ISO_3166.split(";"):
        code, code3, country_names = entry.split(":")
        alpha2.add(code)
        alpha3[code3] = code
        for name in country_names.split("|"):
            names[_country_key(name)] = code
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
    return _rejected(UNKNOWN_COUNTRY)


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
        return _EMPTY
    text = _text(raw)
    if len(text) > _DATE_MAX_LENGTH:
        return _rejected(UNKNOWN_COUNTRY)
    return _check_country(text)


# ---------------------------------------------------------------------------------------------
# Booleans

_TRUE_WORDS: Final = frozenset(
    {"true", "t", "yes", "y", "1", "on", "subscribed", "opted_in", "opt_in", "optin", "optedin"}
)
_FALSE_WORDS: Final = frozenset(
    {"false", "f", "no", "n", "0", "off", "unsubscribed", "opted_out", "opt_out", "optout"}
    | {"optedout"}
)
_TRUE: Final = Normalised("true", None)
_FALSE: Final = Normalised("false", None)


def normalise_bool(raw: object) -> Normalised:
    """Read a yes/no flag such as a marketing consent.

    Args:
        raw: The value from the source: a bool, 1/0, or words such as "yes", "n", "subscribed",
            "opted-out" in any case.

    Returns:
        "true" or "false"; reason "invalid_bool" for anything else.
    """
    if is_blank(raw):
        return _EMPTY
    if isinstance(raw, bool):
        return _TRUE if raw else _FALSE
    key = _text(raw).strip().lower().replace("-", "_").replace(" ", "_")
    if key in _TRUE_WORDS:
        return _TRUE
    if key in _FALSE_WORDS:
        return _FALSE
    return _rejected(INVALID_BOOL)
