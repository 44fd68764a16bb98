"""Erasure on request (GDPR): forget a customer, from the API (`forgetCustomer`) or the
command line (`cdp forget`). It runs under the resolution lock, so it never interleaves with
another resolution's writes of this process."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.clock import utc_stamp
from graph import forget_repo, profile_repo
from graph.client import GraphClient
from graph.forget_repo import Erased
from ingest.suppression import record_suppression_key, suppression_hash
from matching.errors import IdentifierNotOnProfile, ProfileNotFound, SharedIdentifier
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


async def forget(graph: GraphClient, key: str, pid: str | None = None) -> Forgotten:
    """Erase the customer carrying identifier `key` (the profile `pid` when several do).

    Every record of the profile goes, with its events, the identifiers nobody else carries
    and the profile (retired ids included); orders stay, unlinked. Suppression hashes of the
    records and of the erased identifiers (and of `key` unless someone else still carries it)
    keep a later ingest from bringing the person back. Records that shared an identifier or a
    link with the erased ones are resolved again.

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
        scope = await forget_repo.scope(graph, pids, unresolved)
        keys = set(scope.exclusive)
        if not groups or key in keys:
            keys.add(key)
        hashes = [suppression_hash(k) for k in sorted(keys)] + [
            suppression_hash(record_suppression_key(r)) for r in scope.rids
        ]
        erased = await forget_repo.erase(graph, scope, hashes, utc_stamp())
        report = await Resolver(graph).resolve() if erased.neighbours else None
    log.info(
        "erasure: %d profiles, %d records, %d identifiers, %d events removed",
        erased.profiles,
        erased.records,
        erased.identifiers,
        erased.events,
    )
    return Forgotten(bool(groups), erased, report)
