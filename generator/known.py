"""What the matcher's reference lists know, so the truth can label what lies beyond them.

The generator writes names and numbers from its own lists; two phenomena are defined by
what the *resolver's* references lack: a nickname the `nicknames` package does not list for
its formal name ("Lachie" for "Lachlan"), and a number the `phonenumbers` metadata holds
possible (the right length for its region) but not allocated. Both are read here only to
label people in `truth/labels.csv`; nothing the generator draws depends on them.
"""

from __future__ import annotations

from functools import cache

import phonenumbers
from nicknames import NickNamer

from generator.phones import Phone


@cache
def _namer() -> NickNamer:
    return NickNamer()


def listed_nickname(given: str, nickname: str) -> bool:
    """Whether the `nicknames` package knows `nickname` as a short form of `given`."""
    formal, short = given.lower(), nickname.lower()
    namer = _namer()
    return short in namer.nicknames_of(formal) or formal in namer.canonicals_of(short)


def unallocated(phone: Phone) -> bool:
    """A possible number that `phonenumbers` does not know as allocated."""
    number = phonenumbers.parse(phone.e164)
    return phonenumbers.is_possible_number(number) and not phonenumbers.is_valid_number(number)
