"""Checks and normalisation of the values clients send, before they reach the graph.

Identifiers are normalised by the very function ingestion uses, so `(0412) 345 678`,
`+61 412 345 678` and `0412345678` are one phone, and an email in any case or with stray
spaces is one email.
"""

from __future__ import annotations

import re

from api.graphql.errors import api_error, bad_input
from ingest.errors import InvalidIdentifier
from ingest.identifiers import is_identifier_type, typed_identifier_key

_ID = re.compile(r"^[^\s\x00-\x1f]{1,200}$")


def identifier(id_type: str, value: str, region: str = "AU") -> str:
    """The graph key (`type:normalised value`) of an identifier a client typed.

    Raises:
        ApiError: BAD_USER_INPUT naming what is wrong (never echoing the value).
    """
    try:
        return typed_identifier_key(id_type, value, region)
    except InvalidIdentifier as exc:
        raise api_error(exc) from None


def identifier_type(id_type: str, argument: str = "type") -> str:
    if not is_identifier_type(id_type):
        raise bad_input(f"{argument} must be an identifier type such as email, phone or loyalty_id")
    return id_type


def graph_id(kind: str, value: str) -> str:
    """A profile or record id as sent: printable, no spaces, at most 200 characters."""
    if not _ID.match(value):
        raise bad_input(f"{kind} is not a valid id")
    return value
