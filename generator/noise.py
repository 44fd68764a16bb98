"""How real people and clerks garble names, addresses, postcodes and dates.

Each source owns a `NameMess` with its own rates: a web form typed by the customer is
cleaner than a name a store clerk hears over the counter.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date

from generator.places import ABBREVIATION, Address

_NEIGHBOURS = {
    "a": "sqz",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "y": "tu",
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def typo(rng: random.Random, text: str) -> str:
    """One slip of the fingers: a transposition, a dropped, doubled or wrong letter."""
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + text[i] + text[i:]
    near = _NEIGHBOURS.get(text[i].lower())
    return text[:i] + rng.choice(near) + text[i + 1 :] if near else text[:i] + text[i + 1 :]


def strip_accents(text: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


class WrittenName(tuple[str, str]):
    """(first, last) as a source stores them, and which of the two was mistyped (a typo, not
    a case slip, padding or dropped accents), for the truth's `name_typo` label."""

    typos: tuple[bool, bool]

    def __new__(cls, first: str, last: str, typos: tuple[bool, bool]) -> WrittenName:
        written = super().__new__(cls, (first, last))
        written.typos = typos
        return written

    @property
    def mistyped(self) -> bool:
        return any(self.typos)


@dataclass(frozen=True, slots=True)
class NameMess:
    """Per-field error rates of one source's name fields."""

    nickname: float = 0.08
    typo: float = 0.02
    upper: float = 0.02
    lower: float = 0.04
    padded: float = 0.01
    swapped: float = 0.01
    accents_dropped: float = 0.2
    missing_given: float = 0.01
    missing_family: float = 0.02

    def _one(self, rng: random.Random, text: str, case: str) -> tuple[str, bool]:
        mistyped = False
        if rng.random() < self.typo:
            typed = typo(rng, text)
            mistyped, text = typed != text, typed
        if rng.random() < self.accents_dropped:
            text = strip_accents(text)
        if case == "upper" or (case == "mixed" and rng.random() < 0.5):
            text = text.upper()
        elif case == "lower":
            text = text.lower()
        if rng.random() < self.padded:
            text = rng.choice((f" {text}", f"{text} ", f"{text}  ", text.replace(" ", "  ")))
        return text, mistyped

    def write(
        self, rng: random.Random, given: str, nickname: str | None, family: str
    ) -> WrittenName:
        """(first, last) as this source stores them."""
        if nickname and rng.random() < self.nickname:
            given = nickname
        # Case slips usually hit the whole name (caps lock, a lazy phone keyboard);
        # a clerk sometimes capitalises only one part.
        u = rng.random()
        if u < self.upper:
            case = "upper" if rng.random() < 0.75 else "mixed"
        elif u < self.upper + self.lower:
            case = "lower"
        else:
            case = ""
        first = ("", False) if rng.random() < self.missing_given else self._one(rng, given, case)
        last = ("", False) if rng.random() < self.missing_family else self._one(rng, family, case)
        if rng.random() < self.swapped:
            first, last = last, first
        return WrittenName(first[0], last[0], (first[1], last[1]))


def address_line(rng: random.Random, addr: Address, abbreviate: float = 0.5) -> str:
    """`addr.line1` as a person types it: abbreviated types, `Unit 3, 12 ...`, case."""
    street_type = addr.street_type
    if rng.random() < abbreviate:
        street_type = ABBREVIATION[street_type]
    body = f"{addr.number} {addr.street} {street_type}"
    if addr.unit:
        u = rng.random()
        if u < 0.6:
            body = f"{addr.unit}/{body}"
        elif u < 0.85:
            body = f"Unit {addr.unit}, {body}"
        elif u < 0.95:
            body = f"Apt {addr.unit} {body}"
    u = rng.random()
    if u < 0.04:
        body = body.lower()
    elif u < 0.05:
        body = body.upper()
    return body


def postcode_text(
    rng: random.Random, postcode: str, *, missing: float = 0.02, mangled: float = 0.005
) -> str:
    """A postcode as stored: sometimes missing, sometimes a digit off, and NT codes
    that went through a spreadsheet lose their leading zero."""
    u = rng.random()
    if u < missing:
        return ""
    if postcode.isdigit() and postcode.startswith("0") and rng.random() < 0.3:
        return postcode.lstrip("0")
    if u < missing + mangled and postcode.isdigit():
        i = rng.randrange(1, len(postcode))
        return postcode[:i] + str((int(postcode[i]) + 1) % 10) + postcode[i + 1 :]
    return postcode


_INVALID_DOBS = ("31/02/{y}", "00/00/0000", "{y}", "30/02/{y}", "15/13/{y}", "31/04/{y}")


def dob_text(rng: random.Random, dob: date) -> str:
    """A date of birth from a paper form keyed in by staff: mostly day-first, some ISO,
    some US month-first (ambiguous when the day is 12 or less), some impossible."""
    u = rng.random()
    if u < 0.55:
        return f"{dob.day:02d}/{dob.month:02d}/{dob.year}"
    if u < 0.69:
        return dob.isoformat()
    if u < 0.76:
        return f"{dob.day}/{dob.month}/{dob.year % 100:02d}"
    if u < 0.81:
        return f"{dob.month:02d}/{dob.day:02d}/{dob.year}"
    if u < 0.85:
        return f"{dob.day:02d}-{dob.month:02d}-{dob.year}"
    if u < 0.89:
        return f"{dob.day:02d} {_MONTHS[dob.month - 1]} {dob.year}"
    if u < 0.95:
        return ""
    if u < 0.97:
        # A real date, but not this person's: day and month swapped on entry.
        return f"{dob.month:02d}/{dob.day:02d}/{dob.year}" if dob.day <= 12 else dob.isoformat()
    if u < 0.98:
        return "01/01/1900"
    return rng.choice(_INVALID_DOBS).format(y=dob.year)
