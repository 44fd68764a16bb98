"""Suppression hashes: what a GDPR erasure leaves behind so the person does not come back.

Only a hash is kept, never the identifier itself.
"""

from __future__ import annotations

import hashlib


def suppression_hash(identifier_key: str) -> str:
    """Hash of an identifier key (`type:value`) or of a record (`record:<rid>`)."""
    return hashlib.sha256(identifier_key.encode("utf-8")).hexdigest()


def record_suppression_key(rid: str) -> str:
    return f"record:{rid}"
