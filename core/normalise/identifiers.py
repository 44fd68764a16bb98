"""Identifier normalisation, shared by ingestion and by look-ups (the clienteling search
normalises its input exactly as ingestion did, so any format of a phone finds the customer).
"""

from __future__ import annotations

import re

from core.normalise.email import canonical_email, normalise_email
from core.normalise.phone import normalise_phone
from core.normalise.text import Normalised, is_blank

_SPACES = re.compile(r"\s+")
# Types whose values are codes printed on cards or receipts: case is noise.
_UPPERCASE_TYPES = frozenset({"loyalty_id"})


def identifier_key(id_type: str, value: str) -> str:
    """The `Identifier.key`: `type:normalised value`."""
    return f"{id_type}:{value}"


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
