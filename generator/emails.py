"""Email addresses: derived from a person's name, unique per mailbox, and then written
the ways people and systems write them (case, Gmail dots and +tags, typos, garbage).
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from dataclasses import dataclass

from generator.ids import SeenSet

_FOLD = str.maketrans({"ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "đ": "d", "ı": "i"})

CONSUMER_DOMAINS: dict[str, tuple[tuple[str, float], ...]] = {
    "AU": (
        ("gmail.com", 35),
        ("hotmail.com", 9),
        ("outlook.com", 8),
        ("icloud.com", 9),
        ("yahoo.com.au", 4),
        ("yahoo.com", 3),
        ("bigpond.com", 6),
        ("live.com.au", 3),
        ("optusnet.com.au", 3),
        ("iinet.net.au", 2),
        ("me.com", 1),
        ("internode.on.net", 1),
        ("proton.me", 1),
        ("tpg.com.au", 1),
    ),
    "NZ": (("gmail.com", 40), ("xtra.co.nz", 20), ("outlook.com", 15), ("icloud.com", 10)),
    "GB": (("gmail.com", 35), ("btinternet.com", 15), ("hotmail.co.uk", 15), ("icloud.com", 10)),
}
_DOMAIN_CUM = {
    k: ([d for d, _ in v], list(itertools.accumulate(w for _, w in v)))
    for k, v in CONSUMER_DOMAINS.items()
}
_WORK = """
acmelogistics.com.au bluegumhealth.org.au southerncrossbank.com.au redgumlegal.com.au
northwindtrading.com.au tasmanengineering.com.au coastalcouncil.nsw.gov.au
metroeducation.vic.edu.au brightsparkenergy.com.au wattleconsulting.com.au
harbourhospital.org.au outbackmining.com.au kookaburrasoftware.io pacificfreight.com.au
greenleafarchitects.com.au sunrisemedia.com.au ironbarkconstruction.com.au
riverinaagri.com.au meridianinsurance.com.au blueoceanpartners.com
stonebridgecapital.com.au eastcoastdental.com.au koalacare.org.au silverliningit.com
apexaccounting.com.au urbanfitout.com.au crestviewschools.edu.au bayviewrealty.com.au
"""
WORK_DOMAINS: tuple[str, ...] = tuple(_WORK.split())
"""Fictional employers: work addresses are the second email many people use."""
_HANDLES = (
    "sunny beach surf coffee koala blue happy little wild salty golden mango ocean "
    "star moon pixie tiger honey misty rocky bondi aussie kiwi"
)
_WORDS = tuple(_HANDLES.split())

_TYPO_DOMAINS = {
    "gmail.com": ("gmial.com", "gmail.con", "gamil.com", "gmail.co"),
    "hotmail.com": ("hotmial.com", "hotmail.con", "hotmal.com"),
    "outlook.com": ("outlok.com", "outlook.con"),
    "icloud.com": ("icloud.con", "iclould.com"),
    "bigpond.com": ("bigpond.con", "bigpong.com", "bigpond.com.au"),
    "yahoo.com.au": ("yahoo.con.au", "yaho.com.au"),
}


def fold(name: str) -> str:
    """`"José O'Brien-Smith"` -> `"joseobriensmith"`: what survives into an address."""
    text = unicodedata.normalize("NFKD", name.lower().translate(_FOLD))
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def mailbox(email: str) -> str:
    """The mailbox an address delivers to: Gmail ignores dots and `+tags`."""
    local, _, domain = email.lower().partition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        return local.replace(".", "") + "@gmail.com"
    return f"{local}@{domain}"


def _local_part(rng: random.Random, given: str, family: str, year: int) -> str:
    g, f = fold(given) or "x", fold(family) or "x"
    yy = f"{year % 100:02d}"
    pattern = rng.choices(range(10), cum_weights=(28, 40, 45, 57, 61, 73, 81, 85, 90, 100))[0]
    match pattern:
        case 0:
            return f"{g}.{f}"
        case 1:
            return f"{g}{f}"
        case 2:
            return f"{g}_{f}"
        case 3:
            return f"{g[0]}{f}"
        case 4:
            return f"{g}.{f[0]}"
        case 5:
            return f"{g}{f}{yy}"
        case 6:
            return f"{g}.{f}{rng.randint(1, 99)}"
        case 7:
            return f"{f}.{g}"
        case 8:
            return f"{g}{year}"
        case _:
            return f"{rng.choice(_WORDS)}{rng.choice(_WORDS)}{rng.randint(1, 999)}"


def new_address(
    rng: random.Random,
    seen: SeenSet,
    given: str,
    family: str,
    year: int,
    country: str,
    *,
    work: bool = False,
) -> str:
    """A fresh address whose mailbox no one else in this run has."""
    if work:
        domain = rng.choice(WORK_DOMAINS)
    else:
        names, cum = _DOMAIN_CUM[country]
        domain = rng.choices(names, cum_weights=cum)[0]
    local = _local_part(rng, given, family, year)
    for attempt in range(12):
        candidate = (
            f"{local}@{domain}" if attempt == 0 else f"{local}{rng.randint(2, 9999)}@{domain}"
        )
        if seen.add(mailbox(candidate)):
            return candidate
    # Vanishingly rare: fall back to a long random suffix (still checked).
    while True:
        candidate = f"{local}.{rng.getrandbits(40):x}@{domain}"
        if seen.add(mailbox(candidate)):
            return candidate


def gmail_variant(rng: random.Random, email: str, tags: tuple[str, ...]) -> str:
    """Same Gmail mailbox, different string: dots moved or a `+tag` added."""
    local, _, domain = email.partition("@")
    if domain != "gmail.com":
        return email
    if rng.random() < 0.55:
        return f"{local}+{rng.choice(tags)}@{domain}"
    bare = local.replace(".", "")
    if len(bare) < 3:
        return email
    if "." in local and rng.random() < 0.5:
        return f"{bare}@{domain}"
    cut = rng.randint(1, len(bare) - 1)
    return f"{bare[:cut]}.{bare[cut:]}@{domain}"


def invalid(rng: random.Random, email: str) -> str:
    """A broken rendering: cut off, domain typo, missing TLD, stray space."""
    local, _, domain = email.partition("@")
    kind = rng.randrange(6)
    if kind == 0:
        return f"{local}@"
    if kind == 1:
        return f"{local}@{domain.split('.')[0]}"
    if kind == 2 and domain in _TYPO_DOMAINS:
        return f"{local}@{rng.choice(_TYPO_DOMAINS[domain])}"
    if kind == 3:
        return f"{local}@@{domain}"
    if kind == 4:
        return f"{local} @{domain}"
    return f"{local}.{domain}"


@dataclass(frozen=True, slots=True)
class EmailMess:
    """How a source garbles the addresses it stores."""

    variant: float = 0.05
    """Gmail dots/+tag, for Gmail users."""
    upper: float = 0.02
    invalid: float = 0.006
    padded: float = 0.005
    tags: tuple[str, ...] = ("shop", "hv", "promo", "deals")

    def write(self, rng: random.Random, email: str) -> str:
        u = rng.random()
        if u < self.invalid:
            return invalid(rng, email)
        u -= self.invalid
        if u < self.variant:
            email = gmail_variant(rng, email, self.tags)
        u = rng.random()
        if u < self.upper:
            local, _, domain = email.partition("@")
            email = (
                email.upper()
                if rng.random() < 0.3
                else f"{local[:1].upper()}{local[1:]}@{domain.capitalize()}"
            )
        elif u < self.upper + self.padded:
            email = f" {email} " if rng.random() < 0.5 else f"{email} "
        return email
