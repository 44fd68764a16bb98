"""Personal names: tidied for display (`normalise_name`) and folded for matching (`fold_name`)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

from core.normalise.text import (
    CACHE_SIZE,
    EMPTY,
    HAS_DIGIT,
    HAS_LETTER,
    Normalised,
    as_text,
    clean_text,
    is_blank,
    nfkc,
    rejected,
)

INVALID_NAME: Final = "invalid_name"

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


def case_token(token: str) -> str:
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
        return EMPTY
    return _check_name(as_text(raw))


@lru_cache(maxsize=CACHE_SIZE)
def _check_name(text: str) -> Normalised:
    # Before NFKC because it turns "´" into a space and an accent; after, because it turns
    # "ŉ" into "ʼn".
    name = clean_text(text.translate(_TO_APOSTROPHE)).translate(_TO_APOSTROPHE)
    if "@" in name or not HAS_LETTER.search(name) or HAS_DIGIT.search(name):
        return rejected(INVALID_NAME)
    if not _deliberately_cased(name):
        tokens = [case_token(token) for token in name.split(" ")]
        tokens[1:] = [t.upper() if t.lower() in _ROMAN_SUFFIXES else t for t in tokens[1:]]
        # Casing can decompose characters ("İ" lower-cases to "i" + combining dot).
        name = nfkc(" ".join(tokens))
    return Normalised(name, None)


_DROPPED_IN_FOLD: Final = str.maketrans(dict.fromkeys(_APOSTROPHES, None))
# Letters that NFKD does not decompose but people write without the diacritic.
_FOLD_LETTERS: Final = str.maketrans(
    {"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i", "þ": "th", "æ": "ae", "œ": "oe"}
)
_FOLD_BREAKS: Final = re.compile(r"[\W_]+")


@lru_cache(maxsize=CACHE_SIZE)
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
