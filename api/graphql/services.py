"""What the mutations do, apart from GraphQL: re-resolve after an override, forget a
customer, ingest a small batch. Resolutions of one process run one at a time, so an
override or an erasure never interleaves with another resolution's writes."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from api.graphql.errors import ApiError, Code, bad_input, not_found
from core.clock import utc_stamp
from graph import forget_repo, profile_repo
from graph.client import GraphClient
from graph.forget_repo import Erased
from ingest.errors import MappingError
from ingest.mapping import builtin_mapping
from ingest.pipeline import BatchReport, Ingestor
from ingest.suppression import record_suppression_key, suppression_hash
from matching.resolve import Resolver, ResolveReport

log = logging.getLogger(__name__)

_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def resolution_lock() -> asyncio.Lock:
    """The lock serialising this process's resolutions and erasures (one per event loop)."""
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        lock = _locks[loop] = asyncio.Lock()
    return lock


async def resolve(graph: GraphClient) -> ResolveReport:
    """An incremental resolution of the records marked dirty."""
    async with resolution_lock():
        return await Resolver(graph).resolve()


# -- forgetting ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Forgotten:
    found: bool
    erased: Erased
    resolution: ResolveReport | None


async def forget(graph: GraphClient, key: str, pid: str | None) -> Forgotten:
    """Erase the customer carrying identifier `key` (the profile `pid` when several do).

    Every record of the profile goes, with its events, the identifiers nobody else carries
    and the profile (retired ids included); orders stay, unlinked. Suppression hashes of the
    records and of the erased identifiers (and of `key` unless someone else still carries it)
    keep a later ingest from bringing the person back. Records that shared an identifier or a
    link with the erased ones are resolved again.

    Raises:
        ApiError: CONFLICT when several profiles carry `key` and no `pid` says which;
            NOT_FOUND when `pid` is unknown or does not carry `key`.
    """
    async with resolution_lock():
        groups = await forget_repo.carriers(graph, key)
        pids = sorted({g.pid for g in groups if g.pid is not None})
        unresolved = sorted(r for g in groups if g.pid is None for r in g.rids)
        if pid is not None:
            target = (await profile_repo.profiles_by_pid(graph, [pid])).get(pid)
            if target is None:
                raise not_found("no profile with this id")
            if str(target["pid"]) not in pids:
                raise not_found("this profile does not carry the identifier")
            pids = [str(target["pid"])]
        elif len(pids) > 1:
            raise ApiError(
                Code.CONFLICT,
                f"{len(pids)} profiles carry this identifier (a shared one); "
                "pass the pid of the customer to forget",
            )
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


# -- ingestion ----------------------------------------------------------------------------

MAX_ROWS = 1_000


async def ingest(
    graph: GraphClient, source: str, rows: Sequence[Any], file: str | None
) -> BatchReport:
    """Ingest `rows` (JSON objects) of a built-in source as one batch, as file `file` of its
    mapping (default: its customer file).

    Raises:
        ApiError: BAD_USER_INPUT for an unknown source or file, too many rows, or a row that
            is not an object.
    """
    try:
        mapping = builtin_mapping(source)
    except MappingError:
        raise bad_input(f"no built-in mapping for source {source!r}") from None
    files = mapping.files()
    name = file or (mapping.customers[0].file if mapping.customers else files[0])
    if name not in files:
        raise bad_input(f"source {source!r} has no file {name!r}; its files: {', '.join(files)}")
    if not rows:
        raise bad_input("rows is empty")
    if len(rows) > MAX_ROWS:
        raise bad_input(f"at most {MAX_ROWS} rows per call; send more calls")
    bad = [i for i, r in enumerate(rows) if not isinstance(r, dict)]
    if bad:
        raise bad_input(f"every row must be a JSON object; row {bad[0]} is not")
    return await Ingestor(graph, mapping).ingest_rows(name, [dict(r) for r in rows], "api:graphql")
