"""Masking of identifier values in the audit, which is shared beyond the data team.

Enough stays visible to recognise a test or shop value (`te***@test.com`, `+614***000`),
not enough to contact a customer.
"""

from __future__ import annotations

MASK = "***"


def mask_email(value: str) -> str:
    """`noreply@store.example.com` -> `no***@store.example.com`.

    The domain stays: it tells a staff or test address from a customer's.
    """
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return mask_text(value)
    keep = 2 if len(local) > 3 else 1 if len(local) > 1 else 0
    return f"{local[:keep]}{MASK}@{domain}"


def mask_phone(value: str) -> str:
    """`+61412345678` -> `+614***678`: country and carrier prefix, and the last digits."""
    if len(value) <= 8:
        return MASK
    return f"{value[:4]}{MASK}{value[-3:]}"


def mask_text(value: str) -> str:
    """Any other value: the first and last two characters, when long enough to stay vague."""
    if len(value) <= 6:
        return MASK
    return f"{value[:2]}{MASK}{value[-2:]}"


def mask_identifier(id_type: str, value: str | None) -> str:
    """The value of an identifier of type `id_type`, masked for the shared report."""
    if not value:
        return ""
    if id_type == "email":
        return mask_email(value)
    if id_type == "phone":
        return mask_phone(value)
    return mask_text(value)
