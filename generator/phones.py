"""Mobile numbers and the many ways people and systems write them.

A `Phone` is the true number (country + national significant number); sources render
it with `render(...)` in one of the styles that system produces.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

_CALLING_CODE = {"AU": "61", "NZ": "64", "GB": "44"}


@dataclass(frozen=True, slots=True)
class Phone:
    country: str
    nsn: str
    """National significant number, no trunk 0: AU `412345678`, NZ `212345678`,
    GB `7700900123`."""

    @property
    def e164(self) -> str:
        return f"+{_CALLING_CODE[self.country]}{self.nsn}"


def mobile(country: str, unique: int) -> Phone:
    """The mobile number for the person whose permuted index is `unique` (< 10**8)."""
    if country == "NZ":
        return Phone("NZ", f"2{unique:08d}")
    if country == "GB":
        return Phone("GB", f"77{unique:08d}")
    return Phone("AU", f"4{unique:08d}")


def landline(rng: random.Random) -> Phone:
    """An Australian landline: a capital city's area code and eight digits."""
    area = rng.choice(("29", "39", "73", "86"))
    return Phone("AU", f"{area}{rng.randint(0, 9_999_999):07d}")


def _au(nsn: str, style: str) -> str:
    a, b, c = nsn[0:3], nsn[3:6], nsn[6:9]
    match style:
        case "spaced":
            return f"0{a} {b} {c}"
        case "local":
            return f"0{nsn}"
        case "bracket":
            return f"(0{nsn[0]}) {nsn[1:5]} {nsn[5:9]}"
        case "intl_spaced":
            return f"+61 {a} {b} {c}"
        case "intl_bare":
            return f"61{nsn}"
        case "dashed":
            return f"0{a}-{b}-{c}"
        case _:
            return f"+61{nsn}"


def _nz(nsn: str, style: str) -> str:
    if style in ("spaced", "local", "bracket", "dashed"):
        return f"0{nsn[:2]} {nsn[2:5]} {nsn[5:]}"
    if style == "intl_spaced":
        return f"+64 {nsn[:2]} {nsn[2:5]} {nsn[5:]}"
    return f"+64{nsn}"


def _gb(nsn: str, style: str) -> str:
    if style in ("spaced", "local", "bracket", "dashed"):
        return f"0{nsn[:4]} {nsn[4:]}"
    if style == "intl_spaced":
        return f"+44 {nsn[:4]} {nsn[4:]}"
    return f"+44{nsn}"


STYLES: tuple[str, ...] = (
    "spaced",
    "local",
    "bracket",
    "intl_spaced",
    "intl_bare",
    "dashed",
    "e164",
)


def render(phone: Phone, style: str) -> str:
    """`phone` written in `style` (one of `STYLES`)."""
    if phone.country == "NZ":
        return _nz(phone.nsn, style)
    if phone.country == "GB":
        return _gb(phone.nsn, style)
    return _au(phone.nsn, style)


class StyleMix:
    """How one source writes phone numbers: weights over `STYLES`, plus mistakes."""

    def __init__(self, weights: tuple[float, ...], mistakes: float = 0.01) -> None:
        self._cum = list(itertools.accumulate(weights))
        self._mistakes = mistakes

    def write(self, rng: random.Random, phone: Phone) -> str:
        text = render(phone, rng.choices(STYLES, cum_weights=self._cum)[0])
        if rng.random() < self._mistakes:
            text = _mistype(rng, text)
        return text


def _mistype(rng: random.Random, text: str) -> str:
    """A dropped or swapped digit: the number no longer reaches the person."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    i = rng.choice(digits[2:])
    if rng.random() < 0.5:
        return text[:i] + text[i + 1 :]
    j = next((k for k in digits if k > i), None)
    if j is None:
        return text[:i] + text[i + 1 :]
    chars = list(text)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)
