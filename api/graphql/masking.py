"""Masking of personal data for keys that may look customers up but not see them in full
(clienteling): enough to recognise a customer at the till, not enough to contact them.

`s.johnson@email.com` -> `s***@email.com`; `+61412345678` -> `+614*****678`; a street
address and a date of birth are not shown at all. A record's source key is masked the same
way when it is personal data (`segment:s***@email.com~1f2e3d4c`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping

from core.normalise.email import normalise_email
from core.normalise.phone import normalise_phone

STAR = "*"


def mask_email(value: str) -> str:
    """The first character of the mailbox and the domain: `s***@email.com`."""
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return mask_text(value)
    return f"{local[0]}***@{domain}"


def mask_phone(value: str) -> str:
    """Country and carrier prefix and the last three digits, one star per digit hidden:
    `+61412345678` -> `+614*****678`."""
    if len(value) <= 7:
        return STAR * len(value)
    return value[:4] + STAR * (len(value) - 7) + value[-3:]


def mask_text(value: str) -> str:
    """Any other identifier: its first and last two characters when long enough."""
    if len(value) <= 6:
        return STAR * 3
    return f"{value[:2]}***{value[-2:]}"


def mask_identifier(id_type: str, value: str) -> str:
    if id_type == "email":
        return mask_email(value)
    if id_type == "phone":
        return mask_phone(value)
    return mask_text(value)


PERSONAL_KEY_TYPES = frozenset({"email", "phone", "loyalty_id"})
"""Identifier types that make a record's source key personal data."""
_MASK_CONTEXT = b"cdp/record-key-mask"


def source_key_kind(source_id: str, declared: Collection[str]) -> str | None:
    """The personal identifier type a source key is, or None when it is not personal data.

    Personal when the source's mapping declares its key field as an identifier of a
    personal type (a loyalty number), or when the key itself normalises as an email or a
    phone (a Segment `userId` that is an email address).
    """
    if normalise_email(source_id).value:
        return "email"
    phone_like = source_id.strip().startswith("+") or sum(c.isdigit() for c in source_id) >= 8
    if phone_like and normalise_phone(source_id, "AU").value:
        return "phone"
    personal = sorted(PERSONAL_KEY_TYPES.intersection(declared))
    return personal[0] if personal else None


class RecordKeyMask:
    """Record ids (`source:source_id`) and source keys as a key that may not see personal
    data sees them: a personal key masked like its identifier type, with a short keyed
    digest so that two records never share a masked id."""

    def __init__(self, key_types: Mapping[str, Collection[str]], secret: bytes) -> None:
        self._types = key_types
        self._secret = hmac.new(secret, _MASK_CONTEXT, hashlib.sha256).digest()

    def source_id(self, source: str, source_id: str) -> str:
        kind = source_key_kind(source_id, self._types.get(source, ()))
        if kind is None:
            return source_id
        digest = hmac.new(
            self._secret, f"{source}:{source_id}".encode(), hashlib.sha256
        ).hexdigest()[:8]
        return f"{mask_identifier(kind, source_id)}~{digest}"

    def rid(self, rid: str) -> str:
        source, sep, source_id = rid.partition(":")
        return f"{source}:{self.source_id(source, source_id)}" if sep else rid
