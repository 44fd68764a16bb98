"""What the matcher's reference lists know, so the truth can label what lies beyond them.

The generator writes names and numbers from its own lists; two phenomena are defined by
what the *resolver's* references lack: a short form the resolver's name lists (the
`nicknames` package and its own groups, `matching.names`) do not tie to its formal name
("Lachie" for "Lachlan", "Con" for "Konstantinos"), and a number the `phonenumbers` metadata
holds possible (the right length for its region) but not allocated. Both are read here only
to label people in `truth/labels.csv`; nothing the generator draws depends on them.
"""

from __future__ import annotations

from core.normalise import fold_name, normalise_phone
from core.normalise.phone import UNALLOCATED_PHONE
from generator.phones import Phone
from matching.names import given_names_compatible


def listed_nickname(given: str, nickname: str) -> bool:
    """Whether the resolver takes `nickname` for a name `given` may go by."""
    return given_names_compatible(fold_name(given), fold_name(nickname))


def unallocated(phone: Phone) -> bool:
    """A possible number that `phonenumbers` does not know as allocated: what ingest keeps
    and flags `unallocated_phone` (`core.normalise.normalise_phone`)."""
    return normalise_phone(phone.e164, phone.country).reason == UNALLOCATED_PHONE
