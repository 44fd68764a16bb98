"""Short, stable content hashes: what tells a changed row or golden profile from one seen
before."""

from __future__ import annotations

import hashlib
import json
from typing import Any

# One encoder for every call: `json.dumps` with options builds a new one each time, which
# costs as much as encoding a short row.
_STABLE = json.JSONEncoder(sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))


def _stable_json(obj: Any) -> str:
    return _STABLE.encode(obj)


def content_hash(*parts: Any) -> str:
    """A 20-hex-digit digest of `parts`, the same for equal content whatever the key order.

    Args:
        *parts: JSON-like values; anything else is hashed by its `str`.

    Returns:
        The first 20 hex digits of the SHA-1 of the parts' canonical JSON.
    """
    return hashlib.sha1(_stable_json(parts).encode()).hexdigest()[:20]


def email_sha256(normalised_email: str) -> str:
    """The hex SHA-256 of a normalised (trimmed, lower-cased) email address: what a
    storefront or an ad platform sends instead of the address."""
    return hashlib.sha256(normalised_email.encode("utf-8")).hexdigest()
