"""Erasure on request (GDPR): forget a customer, from the API (`forgetCustomer`) or the
command line (`cdp forget`). It runs under the resolution lock, so it never interleaves with
another resolution's writes of this process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.clock import utc_stamp
from graph import forget_repo, profile_repo, resolve_repo
from graph.client import GraphClient
from graph.forget_repo import Erased
from ingest.suppression import (
    SCHEME,
    SuppressionHasher,
    migrate_legacy_suppressions,
    parse_raw,
    record_suppression_key,
    row_keys,
)
from matching.errors import IdentifierNotOnProfile, ProfileNotFound, SharedIdentifier
from matching.linking import index_path
from matching.probabilistic import remove_from_index
from matching.resolve import Resolver, ResolveReport, resolution_lock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Forgotten:
    found: bool
    """Whether any record carried the identifier."""
    erased: Erased
    resolution: ResolveReport | None
    """The resolution of the records that shared something with the erased ones."""

    @property
    def re_resolved_records(self) -> int:
        """Records that shared something with the erased ones, resolved again."""
        return self.resolution.records if self.resolution else 0


async def _quarantined_carriers(
    graph: GraphClient, identifiers: Sequence[str], rids: Sequence[str]
) -> list[str]:
    """Ids of the quarantined rows that carry one of the erased identifiers or records."""
    wanted = {*identifiers, *(record_suppression_key(r) for r in rids)}
    types = sorted({k.split(":", 1)[0] for k in identifiers})
    return [
        str(q["id"])
        for q in await forget_repo.quarantine_rows(graph)
        if wanted & row_keys(parse_raw(q["raw"]), str(q["source"]), types)
    ]


async def forget(
    graph: GraphClient,
    key: str,
    pid: str | None = None,
    *,
    model_dir: Path | None = None,
) -> Forgotten:
    """Erase the customer carrying identifier `key` (the profile `pid` when several do).

    Every record of the profile goes, with its events, the identifiers nobody else carries
    and the profile (retired ids included), the quarantined rows carrying any of them, the
    sync snapshots of the profile and its rows in the match index of `model_dir` (when
    given); orders stay, unlinked. Keyed suppression hashes of the records and of the erased
    identifiers (and of `key` unless someone else still carries it) keep a later ingest from
    bringing the person back. Records that shared an identifier or a link with the erased
    ones are resolved again.

    Raises:
        SharedIdentifier: several profiles carry `key` and no `pid` says which.
        ProfileNotFound: `pid` is unknown.
        IdentifierNotOnProfile: profile `pid` does not carry `key`.
    """
    async with resolution_lock():
        groups = await forget_repo.carriers(graph, key)
        pids = sorted({g.pid for g in groups if g.pid is not None})
        unresolved = sorted(r for g in groups if g.pid is None for r in g.rids)
        if pid is not None:
            target = (await profile_repo.profiles_by_pid(graph, [pid])).get(pid)
            if target is None:
                raise ProfileNotFound(pid)
            if str(target["pid"]) not in pids:
                raise IdentifierNotOnProfile(pid)
            pids = [str(target["pid"])]
        elif len(pids) > 1:
            raise SharedIdentifier(pids)
        hasher = SuppressionHasher(graph.suppression_keys)
        await migrate_legacy_suppressions(graph, hasher)
        scope = await forget_repo.scope(graph, pids, unresolved)
        keys = set(scope.exclusive)
        if not groups or key in keys:
            keys.add(key)
        hashes = [hasher.written(k) for k in sorted(keys)] + [
            hasher.written(record_suppression_key(r)) for r in scope.rids
        ]
        quarantined = await _quarantined_carriers(graph, [*scope.identifiers, key], scope.rids)
        # What is stored changes outside a full run: the next full run recomputes.
        await resolve_repo.forget_full_state(graph)
        erased = await forget_repo.erase(
            graph, scope, hashes, utc_stamp(), scheme=SCHEME, quarantine_ids=quarantined
        )
        if model_dir is not None and scope.rids:
            await asyncio.to_thread(remove_from_index, index_path(model_dir), scope.rids)
        report = await Resolver(graph).resolve() if erased.neighbours else None
    log.info(
        "erasure: %d profiles, %d records, %d identifiers, %d events, %d quarantined rows, "
        "%d sync snapshots removed",
        erased.profiles,
        erased.records,
        erased.identifiers,
        erased.events,
        erased.quarantined,
        erased.snapshots,
    )
    return Forgotten(bool(groups), erased, report)
