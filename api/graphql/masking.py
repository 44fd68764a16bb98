"""Masking of personal data for keys that may look customers up but not see them in full
(clienteling): enough to recognise a customer at the till, not enough to contact them.

`s.johnson@email.com` -> `s***@email.com`; `+61412345678` -> `+614*****678`; a street
address and a date of birth are not shown at all.
"""

from __future__ import annotations

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
