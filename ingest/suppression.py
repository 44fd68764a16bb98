"""Suppression hashes: what a GDPR erasure leaves behind so the person does not come back.

Only a keyed hash is kept, never the identifier itself: HMAC-SHA256 under a secret of the
settings (`SUPPRESSION_HMAC_KEYS`) over the SHA-256 of the identifier key (`type:value`)
or record key (`record:<rid>`). A plain SHA-256 of a phone number is reversed by trying
every number in minutes; without the secret the keyed hash cannot be tried at all.

The HMAC is taken over the plain SHA-256 so that entries written before keys existed
(plain SHA-256, no `scheme`) are migrated in place: `keyed(legacy)` is exactly what the
keyed scheme writes for the same identifier, and the reversible value leaves the graph.

Keys rotate: the first key writes, every key is checked on read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

from core.clock import utc_stamp
from core.normalise.identifiers import identifier_key, normalise_identifier
from graph import forget_repo, ingest_repo
from graph.client import GraphClient

log = logging.getLogger(__name__)

SCHEME = "hmac-sha256/sha256"
"""The `scheme` property of a keyed entry; legacy (plain SHA-256) entries have none."""


def legacy_hash(key: str) -> str:
    """The unsalted hash written before keyed hashes (kept only to migrate it)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def record_suppression_key(rid: str) -> str:
    return f"record:{rid}"


class SuppressionHasher:
    """Keyed suppression hashes under a list of secrets (the first one writes)."""

    def __init__(self, secrets: Sequence[bytes]) -> None:
        if not secrets or not all(secrets):
            raise ValueError("suppression hashing needs at least one non-empty secret")
        self._secrets = tuple(secrets)

    def _keyed(self, secret: bytes, digest: str) -> str:
        return hmac.new(secret, digest.encode("ascii"), hashlib.sha256).hexdigest()

    def written(self, key: str) -> str:
        """The hash an erasure writes for identifier or record key `key`."""
        return self._keyed(self._secrets[0], legacy_hash(key))

    def migrated(self, legacy: str) -> str:
        """The keyed hash replacing a legacy (plain SHA-256) entry."""
        return self._keyed(self._secrets[0], legacy)

    def candidates(self, key: str) -> list[str]:
        """Every hash `key` may be stored under: one per secret, and the legacy one (an
        entry not yet migrated still keeps the person out)."""
        digest = legacy_hash(key)
        return [self._keyed(s, digest) for s in self._secrets] + [digest]

    def any_suppressed(self, keys: Iterable[str], stored: Collection[str]) -> bool:
        """Whether any of `keys` has an entry among the `stored` hashes."""
        if not stored:
            return False
        return any(h in stored for k in keys for h in self.candidates(k))


PERSONAL_TYPES: Final = ("email", "phone", "loyalty_id")
"""Identifier types that are personal data whatever source carries them."""
_SEPARATORS = re.compile(r"[,;\t|\"]")


def raw_values(raw: Any) -> Iterator[str]:
    """Every text a raw row holds (nested documents and a reader's unparsed line included),
    whole and cut at field separators."""
    if isinstance(raw, str):
        yield raw.strip()
        if _SEPARATORS.search(raw):
            yield from (p.strip() for p in _SEPARATORS.split(raw) if p.strip())
    elif isinstance(raw, Mapping):
        for v in raw.values():
            yield from raw_values(v)
    elif isinstance(raw, list | tuple):
        for v in raw:
            yield from raw_values(v)
    elif raw is not None and not isinstance(raw, bool):
        yield str(raw)


def row_keys(raw: Any, source: str, types: Iterable[str], region: str = "AU") -> set[str]:
    """The identifier keys (`type:value`) and record keys (`record:<source>:<value>`) a raw
    row could stand for: each of its values normalised as each of `types`."""
    keys: set[str] = set()
    for value in set(raw_values(raw)):
        if not value:
            continue
        keys.add(record_suppression_key(f"{source}:{value}"))
        for t in types:
            n = normalise_identifier(t, value, region)
            if n.value:
                keys.add(identifier_key(t, n.value))
    return keys


def parse_raw(raw: Any) -> Any:
    """A quarantined row's `raw` as stored (JSON text) back to its value."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


async def load_suppressed(graph: GraphClient, hasher: SuppressionHasher) -> set[str]:
    """The suppression hashes ingestion refuses, legacy entries re-keyed first."""
    await migrate_legacy_suppressions(graph, hasher)
    return await ingest_repo.suppressed_hashes(graph)


async def migrate_legacy_suppressions(graph: GraphClient, hasher: SuppressionHasher) -> int:
    """Re-key entries written as plain SHA-256 (reversible by trying every phone number)
    into the keyed scheme; idempotent, one small read when there are none."""
    legacy = await forget_repo.legacy_suppressions(graph)
    rows = [{"old": h, "new": hasher.migrated(h)} for h in legacy]
    migrated = await forget_repo.migrate_suppressions(graph, rows, SCHEME, utc_stamp())
    if migrated:
        log.info("suppression: %d legacy hashes re-keyed", migrated)
    return migrated
