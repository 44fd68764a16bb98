"""Test and placeholder values that show up in every real customer database.

Junk records share these values (many records say `test@test.com`) but belong to no
real person: ground truth gives each its own `junk-<n>`.
"""

from __future__ import annotations

import random

from generator.stores import STAFF_DOMAIN

NAMES: tuple[tuple[str, str], ...] = (
    ("Test", "Test"),
    ("test", "test"),
    ("TEST", "CUSTOMER"),
    ("Asdf", "Asdf"),
    ("Mickey", "Mouse"),
    ("Donald", "Duck"),
    ("No", "Name"),
    ("x", "x"),
    ("QA", "Tester"),
    ("Cash", "Sale"),
)
PHONES: tuple[str, ...] = (
    "0000000000",
    "0400000000",
    "1234567890",
    "0412345678",
    "+61400000000",
    "9999999999",
)
_EMAILS: tuple[str, ...] = (
    "test@test.com",
    "test@example.com",
    "asdf@asdf.com",
    "a@a.com",
    "noemail@noemail.com",
    "none@none.com",
    "fake@fake.com",
)


def name(rng: random.Random) -> tuple[str, str]:
    """ "Test Test" most of the time, as in real systems."""
    return NAMES[0] if rng.random() < 0.4 else rng.choice(NAMES)


def email(rng: random.Random) -> str:
    u = rng.random()
    if u < 0.35:
        return "test@test.com"
    if u < 0.5:
        return f"qa+{rng.randint(1, 500)}@{STAFF_DOMAIN}"
    return rng.choice(_EMAILS)


def phone(rng: random.Random) -> str:
    return rng.choice(PHONES)
