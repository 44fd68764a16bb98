"""Identifiers someone typed (a look-up, an erasure): checked and keyed exactly as ingestion
keys them (`core.normalise.identifiers`), or refused with an ingest error that names what
is wrong."""

from __future__ import annotations

import re

from core.normalise.identifiers import identifier_key, normalise_identifier
from ingest.errors import InvalidIdentifier

_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_REGION = re.compile(r"^[A-Z]{2}$")
MAX_VALUE_CHARS = 320


def is_identifier_type(name: str) -> bool:
    """Whether `name` can be an identifier type (it prefixes `Identifier.key`)."""
    return _TYPE.match(name) is not None


def typed_identifier_key(id_type: str, value: str, region: str = "AU") -> str:
    """The graph key (`type:normalised value`) of an identifier someone typed (a look-up,
    an erasure), normalised exactly as at ingestion.

    Raises:
        InvalidIdentifier: naming what is wrong, never echoing the value.
    """
    if not is_identifier_type(id_type):
        raise InvalidIdentifier(
            "type must be an identifier type such as email, phone or loyalty_id"
        )
    region = region.strip().upper()
    if not _REGION.match(region):
        raise InvalidIdentifier("region must be a two-letter country code such as AU")
    if len(value) > MAX_VALUE_CHARS:
        raise InvalidIdentifier(f"value is longer than {MAX_VALUE_CHARS} characters")
    n = normalise_identifier(id_type, value, region)
    if n.value is None:
        if n.reason is None:
            raise InvalidIdentifier(f"the {id_type} is empty")
        raise InvalidIdentifier(f"the {id_type} is not valid ({n.reason})")
    return identifier_key(id_type, n.value)
