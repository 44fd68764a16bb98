"""Checks and normalisation of the values clients send, before they reach the graph.

Identifiers are normalised by the very function ingestion uses, so `(0412) 345 678`,
`+61 412 345 678` and `0412345678` are one phone, and an email in any case or with stray
spaces is one email.
"""

from __future__ import annotations

import re

from api.graphql.errors import bad_input
from core.normalise.identifiers import identifier_key, normalise_identifier

_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_REGION = re.compile(r"^[A-Z]{2}$")
_ID = re.compile(r"^[^\s\x00-\x1f]{1,200}$")
MAX_VALUE_CHARS = 320


def identifier(id_type: str, value: str, region: str = "AU") -> str:
    """The graph key (`type:normalised value`) of an identifier a client typed.

    Raises:
        ApiError: BAD_USER_INPUT naming what is wrong (never echoing the value).
    """
    identifier_type(id_type)
    region = region.strip().upper()
    if not _REGION.match(region):
        raise bad_input("region must be a two-letter country code such as AU")
    if len(value) > MAX_VALUE_CHARS:
        raise bad_input(f"value is longer than {MAX_VALUE_CHARS} characters")
    n = normalise_identifier(id_type, value, region)
    if n.value is None:
        if n.reason is None:
            raise bad_input(f"the {id_type} is empty")
        raise bad_input(f"the {id_type} is not valid ({n.reason})")
    return identifier_key(id_type, n.value)


def identifier_type(id_type: str, argument: str = "type") -> str:
    if not _TYPE.match(id_type):
        raise bad_input(f"{argument} must be an identifier type such as email, phone or loyalty_id")
    return id_type


def graph_id(kind: str, value: str) -> str:
    """A profile or record id as sent: printable, no spaces, at most 200 characters."""
    if not _ID.match(value):
        raise bad_input(f"{kind} is not a valid id")
    return value
