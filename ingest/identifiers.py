"""Identifier normalisation, shared by ingestion and by look-ups (the clienteling search
normalises its input exactly as ingestion did, so any format of a phone finds the customer).
"""

from __future__ import annotations

import re

from ingest.errors import InvalidIdentifier
from ingest.model import identifier_key
from ingest.normalise import (
    Normalised,
    canonical_email,
    is_blank,
    normalise_email,
    normalise_phone,
)

_SPACES = re.compile(r"\s+")
_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_REGION = re.compile(r"^[A-Z]{2}$")
MAX_VALUE_CHARS = 320
# Types whose values are codes printed on cards or receipts: case is noise.
_UPPERCASE_TYPES = frozenset({"loyalty_id"})


def normalise_identifier(id_type: str, raw: object, region: str = "AU") -> Normalised:
    """The identifier value as it is keyed in the graph, or why it was rejected.

    Emails are keyed by their canonical form (Gmail dots and `+tag` removed), the address
    that reaches one mailbox; phones by E.164; other types by their trimmed text.
    """
    if is_blank(raw):
        return Normalised(None, None)
    if id_type == "email":
        n = normalise_email(raw)
        return Normalised(canonical_email(n.value), None) if n.value else n
    if id_type == "phone":
        return normalise_phone(raw, region)
    text = _SPACES.sub(" ", str(raw)).strip()
    if id_type in _UPPERCASE_TYPES:
        text = text.upper().replace(" ", "")
    return Normalised(text, None) if text else Normalised(None, None)


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
