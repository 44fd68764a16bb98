"""Reads and writes of identity resolution."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.faults import chunk_size, fault_point
from graph.client import GraphClient
from graph.matching_repo import checked_attributes
from graph.queries import cypher, safe_name
from graph.record_facts import RecordFacts, StringPool

CHUNK = 10_000


def _chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


async def dirty_records(graph: GraphClient) -> list[str]:
    return [r["rid"] for r in await graph.read("resolve_dirty_records")]


async def expand(
    graph: GraphClient,
    rids: Sequence[str],
    nonlinking: Sequence[str],
    rechecked: Sequence[str],
    household_prefix: str,
) -> set[str]:
    """One step of an incremental closure (see `cypher/resolve_expand.cypher`)."""
    out: set[str] = set()
    for part in _chunks(rids, 2_000):
        params = {
            "rids": list(part),
            "nonlinking": list(nonlinking),
            "rechecked": list(rechecked),
            "household": household_prefix,
        }
        out.update(await graph.read_rows("resolve_expand", params))
    return out


def record_pages(graph: GraphClient) -> AsyncIterator[list[list[Any]]]:
    """Every record as [rid, pid] rows, a page at a time in rid order."""
    return graph.pages("resolve_records_page")


def link_pages(graph: GraphClient) -> AsyncIterator[list[list[Any]]]:
    """Every identifier link as [rid, identifier key, blocked, generic] rows, a page of
    records at a time in rid order."""
    return graph.pages("resolve_links_page")


def match_pages(graph: GraphClient) -> AsyncIterator[list[list[Any]]]:
    """Every `MATCHES` link as [a, b, rejected, probability, name and postcode only] rows,
    a page of records at a time in rid order."""
    return graph.pages("resolve_all_matches_page")


async def links(
    graph: GraphClient, rids: Sequence[str] | None
) -> tuple[list[tuple[str, str]], dict[str, tuple[str | None, str | None]]]:
    """(rid, identifier key) pairs of the given records (or of all records), and the
    stored (blocked, generic) flags of each identifier."""
    pairs: list[tuple[str, str]] = []
    flags: dict[str, tuple[str | None, str | None]] = {}
    # Most identifiers carry no flag: one (blocked, generic) tuple per distinct value.
    shared: dict[tuple[str | None, str | None], tuple[str | None, str | None]] = {}
    if rids is None:
        pages = (rows async for rows in graph.pages("resolve_links_page"))
    else:
        pages = (
            await graph.read_rows("resolve_links_of", {"rids": list(part)})
            for part in _chunks(rids)
        )
    async for rows in pages:
        for rid, key, blocked, generic in rows:
            pairs.append((rid, key))
            flag = (blocked, generic)
            flags[key] = shared.setdefault(flag, flag)
    return pairs, flags


@dataclass(frozen=True)
class GenericCaps:
    """The record counts from which an identifier is generic by its count alone: per type
    (`by_type`), else `default`. The reads below do not read the records of such an
    identifier (a store's default email is carried by tens of thousands)."""

    by_type: Mapping[str, int]
    default: int

    def params(self) -> dict[str, Any]:
        return {"max_records": dict(self.by_type), "max_records_default": self.default}


async def identifier_stats_pages(
    graph: GraphClient, keys: Sequence[str] | None, min_records: int, caps: GenericCaps
) -> AsyncIterator[list[dict[str, Any]]]:
    """What generic detection weighs per identifier carried by `min_records` records or
    more, a page (or a chunk of `keys`) at a time; one at or above its cap comes with its
    count and no names."""
    params = {"min_records": min_records, **caps.params()}
    if keys is None:
        async for rows in graph.pages("resolve_identifier_stats_page", params):
            yield rows
        return
    for part in _chunks(keys):
        yield await graph.read("resolve_identifier_stats", {"keys": list(part), **params})


async def identifier_stats(
    graph: GraphClient, keys: Sequence[str] | None, min_records: int, caps: GenericCaps
) -> list[dict[str, Any]]:
    """`identifier_stats_pages`, all pages in one list."""
    pages = identifier_stats_pages(graph, keys, min_records, caps)
    return [row async for rows in pages for row in rows]


async def matches(
    graph: GraphClient,
    rids: Sequence[str] | None,
    *,
    strong_from: float | None = None,
    probability: dict[tuple[str, str], float] | None = None,
    name_postcode: list[tuple[str, str]] | None = None,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """(accepted, rejected, strong) MATCHES pairs touching the records (or all); strong
    pairs are the accepted ones whose probability is at least `strong_from` (none when
    it is None). With `probability`, each accepted pair's probability is put there; with
    `name_postcode`, the accepted pairs on a name and a postcode only."""
    # Rows of [a, b, rejected, probability, name and postcode only], a page (or a chunk)
    # per Bolt record.
    rows: list[list[Any]] = []
    if rids is None:
        async for page in graph.pages("resolve_all_matches_page"):
            rows.extend(page)
    else:
        for part in _chunks(rids):
            rows.extend(await graph.read_rows("resolve_matches_of", {"rids": list(part)}))
    acc = [(a, b) for a, b, rejected, _, _ in rows if not rejected]
    if probability is not None:
        probability.update(
            ((a, b), float(p)) for a, b, rejected, p, _ in rows if p is not None and not rejected
        )
    if name_postcode is not None:
        name_postcode.extend((a, b) for a, b, rejected, _, flag in rows if flag and not rejected)
    rej = [(a, b) for a, b, rejected, _, _ in rows if rejected]
    strong = [
        (a, b)
        for a, b, rejected, p, _ in rows
        if not rejected and strong_from is not None and p is not None and p >= strong_from
    ]
    return acc, rej, strong


async def forced_links(graph: GraphClient, rids: Sequence[str] | None) -> list[tuple[str, str]]:
    if rids is None:
        rows = await graph.read("resolve_all_forced")
    else:
        rows = []
        for part in _chunks(rids):
            rows.extend(await graph.read("resolve_forced_of", {"rids": list(part)}))
    return [(r["a"], r["b"]) for r in rows]


async def shared_identifiers(graph: GraphClient) -> set[str]:
    return {r["key"] for r in await graph.read("resolve_shared_identifiers")}


async def record_fact_pages(
    graph: GraphClient, extra: Sequence[str] = ()
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every record's facts (see `record_facts`) as the rows read, a page at a time in
    rid order."""
    params = {"extra": checked_attributes(extra)}
    async for rows in graph.pages("resolve_record_facts_page", params):
        yield rows


def facts_of(rows: Iterable[Mapping[str, Any]]) -> list[RecordFacts]:
    """Rows of `record_fact_pages` as `RecordFacts`, sharing their common values."""
    pool = StringPool()
    return [RecordFacts(row, pool) for row in rows]


async def record_facts(
    graph: GraphClient, rids: Sequence[str], extra: Sequence[str] = ()
) -> list[RecordFacts]:
    """What survivorship and stable ids need of each of these records, and `extra` as the
    tuple of these attributes' values (those the rules compare); a full run reads every
    record's a page at a time instead (`record_fact_pages`)."""
    params = {"extra": checked_attributes(extra)}
    pool = StringPool()
    out: list[RecordFacts] = []
    for part in _chunks(rids):
        rows = await graph.read_rows("resolve_record_facts", {**params, "rids": list(part)})
        out.extend(RecordFacts(row, pool) for row in rows)
    return out


def write_profiles_query(names: Sequence[str]) -> str:
    """The write of a batch of golden profiles as rows `[pid, value of names[0], ...]`.

    Every name becomes a `SET p.<name> = row[i]` (a null removes the property). The
    profile is marked for enrichment.

    Raises:
        InvalidName: A name is not a plain property key.
    """
    sets = "".join(
        f"    p.{safe_name('property', name)} = row[{i}],\n"
        for i, name in enumerate(names, start=1)
    )
    return (
        "UNWIND $rows AS row\n"
        "MERGE (p:Profile {pid: row[0]})\n"
        "ON CREATE SET p.created_at = $now, p:Unsettled, p.settle_run = $run_id\n"
        f"SET\n{sets}"
        "    p.retired = null,\n"
        "    p.resolved_at = $now,\n"
        "    p.enrich_dirty = true"
    )


@dataclass(frozen=True)
class OpenRun:
    """A resolution whose write phase has not completed: running, or dead mid-write."""

    id: str
    mode: str
    host: str | None
    pid: int | None
    heartbeat_at: str | None
    failed_at: str | None = None


async def open_runs(graph: GraphClient) -> list[OpenRun]:
    rows = await graph.read("resolve_runs_open")
    return [
        OpenRun(r["id"], r["mode"], r["host"], r["pid"], r["heartbeat_at"], r.get("failed_at"))
        for r in rows
    ]


async def run_failed(graph: GraphClient, run_id: str, *, now: str) -> None:
    """The write phase `run_id` stopped on an error; the next run completes it at once."""
    await graph.write("resolve_run_failed", {"run_id": run_id, "now": now})


async def begin_run(
    graph: GraphClient, run_id: str, *, mode: str, host: str, pid: int, now: str
) -> None:
    """A resolution's write phase begins: its journal entry is written, and the state the
    last full run recorded is forgotten (what is stored is about to change)."""
    await graph.write(
        "resolve_run_begin",
        {"run_id": run_id, "mode": mode, "host": host, "pid": pid, "now": now},
    )


@dataclass(frozen=True, slots=True)
class FullState:
    fingerprint: str | None
    """What the last completed full run recorded (`matching.full_state`); None when none
    is recorded or it was forgotten since."""
    recorded_at: str | None
    dirty: bool
    """Whether any record is marked dirty."""


async def full_state(graph: GraphClient) -> FullState:
    (row,) = await graph.read("resolve_full_state")
    fingerprint, recorded_at = row["fingerprint"], row["recorded_at"]
    return FullState(
        None if fingerprint is None else str(fingerprint),
        None if recorded_at is None else str(recorded_at),
        bool(row["dirty"]),
    )


async def record_full_state(graph: GraphClient, fingerprint: str, now: str) -> None:
    """A full run completed with this fingerprint (written only when it is a new one)."""
    await graph.write("resolve_full_state_record", {"fingerprint": fingerprint, "now": now})


async def forget_full_state(graph: GraphClient) -> None:
    """What is stored changes outside a resolution (an erasure); a resolution's write phase
    forgets the state in `begin_run`."""
    await graph.write("resolve_full_state_forget")


async def heal(graph: GraphClient, dead_runs: Sequence[str], *, sweep: bool, now: str) -> int:
    """Complete what dead runs left: profiles they emptied before retiring them are retired
    into their planned successor; profiles left with no record (theirs, or with `sweep`
    any but a live run's) are deleted. Returns the number of ghosts deleted."""
    runs = list(dead_runs)
    if runs:
        await graph.write("resolve_heal_retire", {"runs": runs, "now": now})
    deleted = 0
    if runs or sweep:
        while True:
            rows = await graph.write(
                "resolve_heal_ghosts", {"runs": runs, "all": sweep, "limit": CHUNK}
            )
            n = int(rows[0]["deleted"]) if rows else 0
            deleted += n
            if n < CHUNK:
                break
    return deleted


async def end_run(graph: GraphClient, runs: Sequence[str]) -> None:
    """The write phase of `runs` (this one and the dead ones it completed) is complete:
    their marks are removed, then their journal entries."""
    while True:
        rows = await graph.write("resolve_settle", {"runs": list(runs), "limit": CHUNK})
        if not rows or int(rows[0]["settled"]) < CHUNK:
            break
    await graph.write("resolve_run_end", {"ids": list(runs)})


async def write_resolution(
    graph: GraphClient,
    *,
    membership: Sequence[tuple[str, str]],
    profile_names: Sequence[str],
    profiles: Sequence[Sequence[Any]],
    retired: Sequence[Mapping[str, str]],
    events: Sequence[Mapping[str, Any]],
    identifier_flags: Sequence[Mapping[str, Any]],
    refused: Sequence[Sequence[str]],
    refused_cleared: Sequence[Sequence[str]],
    dirty: Sequence[str],
    run_id: str,
    now: str,
    mark_moved: bool = True,
) -> None:
    """Write a resolution: profiles, moved records, retired ids, events and flags.

    `membership` holds (rid, pid) pairs; `profiles` rows `[pid, value of
    profile_names[0], ...]`; `refused` rows [rid, identifier key, reason] of refusals new
    or changed, `refused_cleared` rows [rid, identifier key] of those that no longer hold.

    The write is a sequence of transactions, ordered so that a crash between any two leaves
    a state the next run completes (the run's journal entry, `begin_run`, is written
    before): the records about to move are marked dirty (`mark_moved`; a full run is
    redone in full instead), the ids about to be retired are marked with their successor,
    profiles are written (new ones marked unsettled) before the records that move into
    them, a retired profile is redirected only once its successor holds its records, and
    the dirty marks are cleared last. The next run retires the profiles a crash emptied
    and deletes those left with no record (`heal`).
    """
    size = chunk_size(CHUNK)
    if mark_moved:
        await graph.write_each(
            "resolve_mark_dirty",
            cypher("resolve_mark_dirty"),
            ({"rids": list(part)} for part in _chunks([rid for rid, _ in membership], size)),
        )
    for part in _chunks(retired, size):
        await graph.write("resolve_plan_retire", {"rows": list(part), "run_id": run_id})
    for part in _chunks(identifier_flags, size):
        await graph.write("resolve_write_identifier_flags", {"rows": list(part)})
    fault_point("resolve.write.prepared")
    if profiles:
        # Positional rows, not maps: one key string less per value for driver and server.
        # Two batches in flight at a time (`write_each`): no two write the same profile.
        await graph.write_each(
            "resolve_write_profiles",
            write_profiles_query(profile_names),
            ({"rows": list(p), "now": now, "run_id": run_id} for p in _chunks(profiles, size)),
            after_each=lambda: fault_point("resolve.write.profiles"),
        )
    # Membership batches hold distinct records but may share the profile at their boundary:
    # the later one waits for its lock (a rare deadlock between moves is retried).
    await graph.write_each(
        "resolve_write_membership",
        cypher("resolve_write_membership"),
        ({"rows": list(p), "now": now, "run_id": run_id} for p in _chunks(membership, size)),
        after_each=lambda: fault_point("resolve.write.membership"),
    )
    for part in _chunks(retired, size):
        await graph.write("resolve_retire", {"rows": list(part), "now": now})
        fault_point("resolve.write.retire")
    await graph.write_each(
        "resolve_write_events",
        cypher("resolve_write_events"),
        ({"rows": list(p), "now": now, "run_id": run_id} for p in _chunks(events, size)),
    )
    for part in _chunks(refused_cleared, size):
        await graph.write("resolve_clear_refused_links", {"rows": [list(r) for r in part]})
    for part in _chunks(refused, size):
        await graph.write("resolve_write_refused_links", {"rows": [list(r) for r in part]})
    fault_point("resolve.write.events")
    await clear_dirty(graph, dirty)


async def clear_dirty(graph: GraphClient, rids: Sequence[str]) -> None:
    """The records' dirty marks are removed: their resolution is written."""
    await graph.write_each(
        "resolve_clear_dirty",
        cypher("resolve_clear_dirty"),
        ({"rids": list(part)} for part in _chunks(rids, chunk_size(CHUNK))),
        after_each=lambda: fault_point("resolve.write.clean"),
    )


async def clusters(graph: GraphClient) -> list[tuple[str, str, str, str | None]]:
    """(source, source_id, rid, profile id) of every record, streamed."""
    return [(r[0], r[1], r[2], r[3]) async for r in graph.stream("export_clusters")]


async def record_evidence(graph: GraphClient, nonlinking: Sequence[str]) -> list[dict[str, Any]]:
    """Per record: its linkable identifier keys (`keys`) and its compared attributes."""
    rows = await graph.read("evaluate_record_evidence", {"nonlinking": list(nonlinking)})
    return [dict(r) for r in rows]


async def household_names_pages(
    graph: GraphClient, keys: Sequence[str] | None, types: Sequence[str], caps: GenericCaps
) -> AsyncIterator[list[tuple[str, list[list[str]]]]]:
    """(key, [[given, family], ...]) of shared identifiers of the given types, those
    generic by their count (`caps`) left out, a page (or a chunk of `keys`) at a time."""
    params = {"types": list(types), **caps.params()}
    if keys is None:
        async for rows in graph.pages("resolve_household_names_page", params):
            yield [(key, names) for key, names in rows]
        return
    for part in _chunks(keys):
        rows = await graph.read("resolve_household_names", {"keys": list(part), **params})
        yield [(r["key"], r["names"]) for r in rows if len(r["names"]) >= 2]


async def household_names(
    graph: GraphClient, keys: Sequence[str] | None, types: Sequence[str], caps: GenericCaps
) -> list[tuple[str, list[list[str]]]]:
    """`household_names_pages`, all pages in one list."""
    pages = household_names_pages(graph, keys, types, caps)
    return [row async for rows in pages for row in rows]


async def refusals(graph: GraphClient, rids: Sequence[str] | None) -> dict[tuple[str, str], str]:
    """(rid, identifier key) -> reason of the identifier links a limit refused, of these
    records (or of all)."""
    rows: list[Any] = []
    if rids is None:
        rows = await graph.read_rows("refused_links_all")
    else:
        for part in _chunks(rids):
            rows.extend(await graph.read_rows("refused_links_of", {"rids": list(part)}))
    return {(rid, key): reason for rid, key, reason in rows}
