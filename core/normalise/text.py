"""What every normaliser shares: the `Normalised` outcome, blanks, and text clean-up.

None of the normalisers raise on bad input, because a bad value is data to report, not an
error. They run once per field per row on millions of rows, so regexes are compiled once and
the expensive checks (email syntax, phone metadata, date formats) are cached on the input
string.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

# Big enough to hold the distinct values of a typical file, small enough that a file of
# garbage cannot grow memory without bound.
CACHE_SIZE: Final = 1 << 17


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


EMPTY: Final = Normalised(None, None)


def rejected(reason: str) -> Normalised:
    """A value refused for `reason`."""
    return Normalised(None, reason)


_BLANK_TOKENS: Final = frozenset({"", "null", "none", "n/a", "na", "nan", "-"})
_LONGEST_BLANK: Final = max(map(len, _BLANK_TOKENS))


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
    if type(raw) is str:
        # Most values are longer than any placeholder and do not start or end with a space.
        if len(raw) > _LONGEST_BLANK and not raw[0].isspace() and not raw[-1].isspace():
            return False
        return raw.strip().lower() in _BLANK_TOKENS
    if isinstance(raw, str):
        return raw.strip().lower() in _BLANK_TOKENS
    if isinstance(raw, float):
        return math.isnan(raw)
    return False


def as_text(raw: object) -> str:
    """A raw value as the text its source meant."""
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


HAS_LETTER: Final = re.compile(r"[^\W\d_]")
HAS_ALNUM: Final = re.compile(r"[^\W_]")
HAS_DIGIT: Final = re.compile(r"\d")


def nfkc(text: str) -> str:
    """NFKC-normalise `text`."""
    # ASCII is already in NFKC, and most values are ASCII.
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def clean_text(text: str) -> str:
    """NFKC-normalise, drop control and format characters, collapse whitespace."""
    text = nfkc(text)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else " " if ch.isspace() else "" for ch in text)
    return " ".join(text.split())
