"""Identity resolution against the graph: records -> golden profiles.

Incremental by default: only the components that the dirty records (new or changed since the
last run) can touch are recomputed. The closure of the dirty records is grown to a fixpoint
over identifiers allowed to link, matches, forced links and current profile membership, so it
is a union of whole components and the result equals a full rebuild restricted to it
(`resolve(full=True)`; a test proves the two agree).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import weakref
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np

from core.clock import utc_now, utc_stamp
from core.hashing import content_hash
from core.normalise import fold_name
from core.owner import is_dead, this_owner
from graph import resolve_repo, write_counts
from graph.client import GraphClient
from graph.record_facts import RecordFacts
from matching import full_state
from matching.component_rules import ComponentRules, ResolutionInput
from matching.components import APART, LIMIT_PREFIX, Resolution
from matching.config import IdentityConfig, default_config
from matching.engine import LocalEngine, ResolveEngine
from matching.households import HOUSEHOLD_PREFIX, LANDLINE, base_key
from matching.linking import LinkReport, ProbabilisticLinker
from matching.names import disagreeing_people
from matching.partition import ColumnReader, PartRows, Parts
from matching.protection import IdentifierStats, Protection
from matching.refusals import refusal_changes
from matching.stable_ids import Assignment, assign_profile_ids
from matching.survivorship import SurvivorshipConfig, golden_attributes

log = logging.getLogger(__name__)

PART_RECORDS = 200_000
"""Records a full resolution holds as Python objects at once (`matching.partition`)."""

_PartTag = tuple[list[RecordFacts], dict[str, RecordFacts], int]
"""What the write of a part needs beside its resolution: its facts, by rid, its number."""

STALE_AFTER = timedelta(hours=6)
"""A write phase started this long ago by a process of another host is taken as dead (one
of this host is known dead at once)."""


@dataclass
class ResolveReport:
    mode: str
    records: int = 0
    components: int = 0
    moved_records: int = 0
    created: int = 0
    merged: int = 0
    split: int = 0
    retired: int = 0
    skipped_links: Counter[str] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)
    largest_profile: int = 0
    seconds: float = 0.0
    matching: LinkReport | None = None
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds per phase: matching, read, components, survivorship, write."""
    completed_runs: list[str] = field(default_factory=list)
    """Runs that died in their write phase and that this one completed."""
    ghosts_deleted: int = 0
    """Profiles left with no record (by a crash) that this run deleted."""
    writes: write_counts.WriteCounts = field(default_factory=write_counts.WriteCounts)
    """What the run wrote to the graph (matching's links included), as the server counted
    it: nothing at all when nothing changed."""
    unchanged_since: str | None = None
    """A full run that found nothing changed since the last full run (`matching.full_state`)
    and so recomputed nothing: when that run recorded its state."""

    def lap(self, phase: str, since: float) -> float:
        """Add the time since `since` to `phase`; return now, the start of the next phase."""
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - since
        return now


@dataclass
class _Scope:
    """The records a run resolves and what it read of them.

    Attributes:
        closure: The records, a union of whole components.
        facts: What survivorship, stable ids and matching need of each record.
        pairs: (rid, identifier key) of the records' identifiers.
        stored: The stored (blocked, generic) flags of those identifiers.
        generic: Identifiers that must not link, with the reason.
        extra: The attributes whose values each fact's `extra` holds, in order.
    """

    closure: list[str]
    facts: list[RecordFacts]
    pairs: list[tuple[str, str]]
    stored: dict[str, tuple[str | None, str | None]]
    generic: dict[str, str]
    extra: tuple[str, ...] = ()


def new_pid() -> str:
    return f"p-{uuid.uuid4().hex[:20]}"


class Resolver:
    """Runs identity resolution with one set of rules."""

    def __init__(
        self,
        graph: GraphClient,
        config: IdentityConfig | None = None,
        survivorship: SurvivorshipConfig | None = None,
        household_types: Sequence[str] = ("phone", "email"),
        linker: ProbabilisticLinker | None = None,
        engine: ResolveEngine | None = None,
        part_records: int = PART_RECORDS,
    ) -> None:
        """Args:
        graph: The graph client.
        config: Identifier types, blocked values, generic thresholds.
        survivorship: Golden-value rules.
        household_types: Identifier types that, when the records carrying them name
            different people (a family's shared phone or email), link each person's own
            records and not the people (`matching.households`).
        linker: Probabilistic matching; when given (and trained), new records are scored
            against all others first and accepted pairs join like identifiers.
        engine: Where the rules run (`matching.engine`); the local engine by default.
        part_records: A full resolution reads, resolves and writes closed parts of about
            this many records one after the other (`matching.partition`), so its memory
            does not grow with the graph; the engine may resolve some parts ahead.
        """
        self.part_records = max(1, part_records)
        self.linker = linker
        self.engine = engine or LocalEngine()
        self.household_types = list(household_types)
        self.graph = graph
        self.config = config or default_config()
        self.protection = Protection.from_config(self.config)
        self.survivorship = survivorship or SurvivorshipConfig()
        types = self.config.identifier_types
        self.nonlinking = sorted(t for t, spec in types.items() if not spec.link)
        self.min_records = min(
            [self.config.generic_for(t).min_records for t in types]
            or [self.config.generic.min_records]
        )
        # Generic by count alone takes the type's max_records and the min_records the stats
        # read starts from; the household read skips exactly those.
        self.caps = resolve_repo.GenericCaps(
            {
                t: max(self.config.generic_for(t).max_records, self.min_records)
                for t in {*types, *self.config.generic.by_type}
            },
            max(self.config.generic.max_records, self.min_records),
        )

    async def _not_linking(self, keys: Sequence[str] | None) -> dict[str, str]:
        """Identifiers that must not link: generic ones and households' shared ones."""
        g = self.graph
        # A page at a time: a whole graph's rows held at once stay in the process's heap.
        out: dict[str, str] = {}
        async for stats in resolve_repo.identifier_stats_pages(
            g, keys, self.min_records, self.caps
        ):
            out.update(self._generic(stats))
        if keys is not None:
            keys = [k for k in keys if k not in out]
        async for households in resolve_repo.household_names_pages(
            g, keys, self.household_types, self.caps
        ):
            for key, names in households:
                if key not in out:
                    folded = [(fold_name(n[0]), fold_name(n[1])) for n in names]
                    if disagreeing_people(folded):
                        out[key] = f"{HOUSEHOLD_PREFIX}different_people"
        return out

    def _generic(self, rows: Sequence[dict[str, Any]]) -> dict[str, str]:
        stats = [
            IdentifierStats(
                key=r["key"],
                type=r["type"],
                records=int(r["records"]),
                given_names=len({fold_name(n) for n in r["given_names"] if n}),
                family_names=len({fold_name(n) for n in r["family_names"] if n}),
                postcodes=int(r["postcodes"]),
                dobs=int(r["dobs"]),
            )
            for r in rows
        ]
        return self.protection.detect_generic(stats)

    async def resolve(self, *, full: bool = False, recompute: bool = False) -> ResolveReport:
        """Resolve the records marked dirty (and every record they can reach), or, with
        `full`, every record; write what changed (`ResolveReport.writes` counts it).

        A full run stops at once when nothing changed since the last full run (no record
        is dirty, no resolution wrote since, the same rules, model and code:
        `matching.full_state`), unless `recompute`."""
        with write_counts.counting() as writes:
            report = await self._resolve(full=full, recompute=recompute)
        report.writes = writes
        return report

    def fingerprint(self) -> str:
        """What a full resolution's result depends on besides the graph
        (`matching.full_state`)."""
        model = self.linker.current_model() if self.linker is not None else None
        return full_state.fingerprint(
            config=self.config.model_dump(mode="json"),
            survivorship=self.survivorship.model_dump(mode="json"),
            household_types=self.household_types,
            model=model.version if model is not None else None,
            threshold=self.linker.threshold if self.linker is not None else None,
        )

    async def _resolve(self, *, full: bool, recompute: bool) -> ResolveReport:
        t0 = time.perf_counter()
        dead, escalate = await self._dead_runs()
        full = full or escalate
        report = ResolveReport("full" if full else "incremental", completed_runs=dead)
        fingerprint = self.fingerprint() if full else ""
        if full and not dead and not recompute:
            state = await resolve_repo.full_state(self.graph)
            if state.fingerprint == fingerprint and not state.dirty:
                report.unchanged_since = state.recorded_at
                report.seconds = time.perf_counter() - t0
                self._log(report)
                return report
        report.ghosts_deleted = await resolve_repo.heal(
            self.graph, dead, sweep=full, now=utc_stamp()
        )
        if full:
            await self._resolve_in_parts(report, t0)
            await resolve_repo.record_full_state(self.graph, fingerprint, utc_stamp())
            report.seconds = time.perf_counter() - t0
            self._log(report)
            return report
        found = await self._incremental_scope(report, t0)
        if found is None:
            if dead:
                await resolve_repo.end_run(self.graph, dead)
            report.seconds = time.perf_counter() - t0
            return report
        scope, lap = found
        await self._resolve_scope(scope, report, lap)
        report.seconds = time.perf_counter() - t0
        self._log(report)
        return report

    @staticmethod
    def _log(report: ResolveReport) -> None:
        log.info(
            "resolution %s: %d records, %d components, %d moved, %.1f s",
            report.mode,
            report.records,
            report.components,
            report.moved_records,
            report.seconds,
        )

    async def _dead_runs(self) -> tuple[list[str], bool]:
        """The runs that died in their write phase, and whether one of them was full (the
        next run is then full too: a full run marks no records dirty)."""
        stale = utc_stamp(utc_now() - STALE_AFTER)
        dead = [
            r
            for r in await resolve_repo.open_runs(self.graph)
            if r.failed_at or is_dead(r.host, r.pid) or (r.heartbeat_at or "") < stale
        ]
        if dead:
            log.warning("completing %d resolution run(s) that died while writing", len(dead))
        return [r.id for r in dead], any(r.mode == "full" for r in dead)

    async def _resolve_in_parts(self, report: ResolveReport, t0: float) -> None:
        """A full resolution, with either engine, in bounded memory (`matching.partition`):
        the whole scope read as columns while matching scores its own read of the records, then
        each closed part's facts read, resolved (by the engine, which may resolve parts
        ahead: `ResolveEngine.resolve_each`) and written in turn. One journal entry
        covers every part's writes; a crash between parts leaves a full run to complete,
        which the next run redoes in full."""
        g = self.graph
        reader = ColumnReader()

        async def read(pages: AsyncIterator[list[list[Any]]], add: Any) -> None:
            async for rows in pages:
                add(rows)

        async def link() -> LinkReport | None:
            # The records its links mark are read dirty below: it need not report them.
            if self.linker is None:
                return None
            return await self.linker.link(None, touched=False)

        # Matching reads the records it scores itself; the columns are read meanwhile (the
        # phase is timed as matching when there is any).
        _, _, generic, report.matching = await asyncio.gather(
            read(resolve_repo.record_pages(g), reader.records),
            read(resolve_repo.link_pages(g), reader.links),
            self._not_linking(None),
            link(),
        )
        lap = report.lap("read" if self.linker is None else "matching", t0)
        await read(resolve_repo.match_pages(g), reader.matches)
        forced = await resolve_repo.forced_links(g, None)
        shared = await resolve_repo.shared_identifiers(g)
        columns = reader.finish()
        lap = report.lap("read", lap)
        rules = self._rules()
        # One pass over the distinct keys: whether each may join records, and the stored
        # flags that changed (each key's blocklist check made once for both).
        changed_flags: list[dict[str, Any]] = []
        joinable = np.zeros(len(columns.keys), dtype=np.bool_)
        for i, keys, stored_blocked, stored_generic in columns.key_chunks():
            blocked = self.protection.blocked_keys(keys)
            may = rules.may_join(keys, generic, blocked=blocked)
            joinable[i : i + len(keys)] = [
                ok and key not in shared for key, ok in zip(keys, may, strict=True)
            ]
            for key, *stored in zip(keys, stored_blocked, stored_generic, strict=True):
                held = [blocked.get(key), generic.get(key)]
                if stored != held:
                    changed_flags.append({"key": key, "blocked": held[0], "generic": held[1]})
        parts = Parts(columns, joinable, forced, self.part_records)
        lap = report.lap("components", lap)
        personal = self.linker.personal_attributes() if self.linker is not None else ()
        run = _Run()
        with PartRows(parts) as part_rows:
            # One scan of every record's facts, sorted into the parts on disk.
            async for rows in resolve_repo.record_fact_pages(g, personal):
                part_rows.add(rows)
            lap = report.lap("read", lap)
            read_from = report.phases.get("read", 0.0)

            def inputs() -> Iterator[tuple[_PartTag, ResolutionInput]]:
                for part in range(parts.count):
                    t = time.perf_counter()
                    # Read after matching: the records its links marked dirty are read so.
                    facts = resolve_repo.facts_of(part_rows.rows(part))
                    by_rid = {f["rid"]: f for f in facts}
                    report.lap("read", t)
                    data = parts.input(
                        part,
                        by_rid,
                        extra=tuple(personal),
                        generic=generic,
                        shared=shared,
                        strong_from=self.config.strong_match_probability,
                    )
                    yield (facts, by_rid, part), data

            # An engine may resolve parts ahead while the ones before are written.
            resolved = self.engine.resolve_each(rules, inputs())
            try:
                while True:
                    t = time.perf_counter()
                    item = next(resolved, None)
                    if item is None:
                        break
                    (facts, by_rid, part), resolution = item
                    refused_before = await resolve_repo.refusals(g, parts.records(part))
                    # What the inputs' reads took is read time, the rest the engine's.
                    read_now = report.phases.get("read", 0.0)
                    report.lap("components", t + read_now - read_from)
                    read_from = read_now
                    # The identifiers' flags go with the first part written.
                    flags, changed_flags = changed_flags, []
                    await self._write(resolution, facts, by_rid, flags, refused_before, report, run)
                    del facts, by_rid, resolution, item
            except BaseException:
                # A part failed after earlier parts were written (the engine, a read): the
                # process may live on (an API server, `cdp run --watch`), so the next run
                # must complete this one at once rather than wait for it to look dead.
                if run.id is not None:
                    with contextlib.suppress(Exception):
                        await resolve_repo.run_failed(g, run.id, now=utc_stamp())
                raise
            finally:
                close = getattr(resolved, "close", None)
                if close is not None:
                    close()
        if not parts.count and changed_flags:
            # No record at all, but identifiers whose flags changed (none can link now).
            await self._write(
                Resolution([], np.empty(0, dtype=np.int64), []),
                [],
                {},
                changed_flags,
                {},
                report,
                run,
            )
        await run.end(g, report.completed_runs)

    def _rules(self) -> ComponentRules:
        personal = self.linker.personal_attributes() if self.linker is not None else ()
        return ComponentRules(
            self.protection,
            self.config,
            personal,
            tuple(self.household_types),
            self.linker.threshold if self.linker is not None else None,
        )

    async def _incremental_scope(
        self, report: ResolveReport, t0: float
    ) -> tuple[_Scope, float] | None:
        """The dirty records (scored by matching first) grown to whole components, with
        their links; the flags of the identifiers they carry brought up to date. None when
        nothing is dirty. Returns the scope and the start of the next phase."""
        g = self.graph
        if self.linker is not None:
            # Scores first: an accepted match marks both records dirty for this run.
            scope_rids = await resolve_repo.dirty_records(g)
            if scope_rids:
                report.matching = await self.linker.link(scope_rids)
        lap = report.lap("matching", t0)
        dirty = await resolve_repo.dirty_records(g)
        if not dirty:
            return None
        dirty_pairs, stored_touched = await resolve_repo.links(g, dirty)
        touched = sorted({k for _, k in dirty_pairs})
        generic_touched = await self._not_linking(touched)
        before = {k for k in touched if stored_touched[k][1] is not None}
        # Only the flags that changed: a batch of records re-ingested unchanged writes none.
        flags = [
            row
            for row in (self._flags(k, generic_touched) for k in touched)
            if stored_touched[row["key"]] != (row["blocked"], row["generic"])
        ]
        if flags:
            await g.write("resolve_write_identifier_flags", {"rows": flags})
        # The closure grows through identifiers that link, and once through those whose
        # status just changed: records an identifier joined before it became generic
        # must be resolved again, or their old profile would stay merged.
        rechecked = [k for k in touched if (k in before) != (k in generic_touched)]
        closure_set = set(dirty)
        frontier = list(dirty)
        while frontier:
            grown = await resolve_repo.expand(
                g, frontier, self.nonlinking, rechecked, HOUSEHOLD_PREFIX
            )
            frontier = sorted(grown - closure_set)
            closure_set.update(frontier)
        closure = sorted(closure_set)
        pairs, stored = await resolve_repo.links(g, closure)
        generic = {k: gen for k, (_, gen) in stored.items() if gen is not None}
        # The personal attributes too: the family rule yields to them (`ComponentRules.apart`).
        extra = self.linker.personal_attributes() if self.linker is not None else ()
        facts = await resolve_repo.record_facts(g, closure, extra)
        return _Scope(closure, facts, pairs, stored, generic, extra), lap

    async def _resolve_scope(self, scope: _Scope, report: ResolveReport, lap: float) -> None:
        """The tail both kinds of run share: read the matches, forced links and shared
        identifiers of the scope, compute its components and write the result."""
        g = self.graph
        probability: dict[tuple[str, str], float] = {}
        name_postcode: list[tuple[str, str]] = []
        accepted, rejected, strong = await resolve_repo.matches(
            g,
            scope.closure,
            strong_from=self.config.strong_match_probability,
            probability=probability,
            name_postcode=name_postcode,
        )
        forced = await resolve_repo.forced_links(g, scope.closure)
        shared = await resolve_repo.shared_identifiers(g)
        lap = report.lap("read", lap)
        generic, stored, facts = scope.generic, scope.stored, scope.facts
        by_rid = {f["rid"]: f for f in facts}
        resolution = self.engine.resolve(
            self._rules(),
            ResolutionInput(
                records=scope.closure,
                pairs=scope.pairs,
                facts=by_rid,
                extra=scope.extra,
                accepted=accepted,
                rejected=rejected,
                strong=strong,
                probability=probability,
                forced=forced,
                shared=shared,
                generic=generic,
                name_postcode=name_postcode,
            ),
        )
        # Flags are written only where they changed (a rebuild with nothing new writes none).
        changed_flags = [
            row
            for row in (self._flags(k, generic) for k in sorted(stored))
            if stored[row["key"]] != (row["blocked"], row["generic"])
        ]
        refused_before = await resolve_repo.refusals(g, scope.closure)
        # The links are in the components now; a full graph's take GBs the write needs.
        scope.pairs, scope.stored = [], {}
        del stored, accepted, rejected, forced
        report.lap("components", lap)
        run = _Run()
        await self._write(resolution, facts, by_rid, changed_flags, refused_before, report, run)
        await run.end(g, report.completed_runs)

    def _flags(self, key: str, generic: dict[str, str]) -> dict[str, Any]:
        return {
            "key": key,
            "blocked": self.protection.is_blocked_key(key),
            "generic": generic.get(key),
        }

    async def _write(
        self,
        resolution: Resolution,
        facts: Sequence[RecordFacts],
        by_rid: Mapping[str, RecordFacts],
        identifier_flags: list[dict[str, Any]],
        refused_before: Mapping[tuple[str, str], str],
        report: ResolveReport,
        run: _Run,
    ) -> None:
        """Write what changed against what is stored: profiles whose golden attributes
        changed, records that moved, retired ids and their events, identifier flags and
        refusals that changed. With nothing to write but dirty marks to clear, no journal
        entry either: a run with nothing changed writes nothing. The journal entry is
        `run`'s, begun by its first write (a full run's parts share one)."""
        g = self.graph
        lap = time.perf_counter()
        previous = {f["rid"]: f["pid"] for f in facts if f["pid"]}
        history: dict[str, float] = defaultdict(float)
        for f in facts:
            if f["pid"]:
                history[f["pid"]] += float(f["weight"])
        assignment = assign_profile_ids(resolution.components, previous, history, new_pid)
        golden_hash = {f["pid"]: f["golden_hash"] for f in facts if f["pid"]}
        # Positional rows [pid, value of names[0], ...]: a first full resolution holds
        # every profile at once, and a list is a fraction of a dict's size.
        names: list[str] = []
        profiles: list[list[Any]] = []
        for pid, comp in zip(assignment.profiles, resolution.components, strict=True):
            props = golden_attributes([by_rid[r] for r in comp], self.survivorship)
            props["golden_hash"] = content_hash(props)
            # Unchanged profiles are not rewritten (nor marked for enrichment).
            if golden_hash.get(pid) != props["golden_hash"]:
                names = names or sorted(props)
                profiles.append([pid, *(props[n] for n in names)])
        membership = [
            (rid, pid) for rid, pid in assignment.membership.items() if previous.get(rid) != pid
        ]
        events = [
            {
                "id": uuid.uuid4().hex,
                "kind": e.kind,
                "pid": e.pid,
                "others": list(e.others),
                "records": e.records,
            }
            for e in assignment.events
        ]
        refused = refusal_changes(
            (
                (s.rid, base_key(s.identifier_key), f"{s.reason} ({s.detail})")
                for s in resolution.skipped_links
                if s.reason.startswith(LIMIT_PREFIX) or s.reason in (APART, LANDLINE)
            ),
            refused_before,
        )
        lap = report.lap("survivorship", lap)
        full = report.mode == "full"
        dirty = {f["rid"] for f in facts if f["dirty"]}
        if not full:
            # Marked dirty before they move (`write_resolution`), cleared with the others.
            dirty.update(rid for rid, _ in membership)
        changed = membership or profiles or assignment.retired or events or identifier_flags
        if not (changed or refused):
            # Clearing dirty marks alone needs no journal: a crash before it leaves them,
            # and the next run resolves the same records again.
            await resolve_repo.clear_dirty(g, sorted(dirty))
            report.lap("write", lap)
            self._report(resolution, facts, membership, assignment, report)
            return
        run_id = await run.begin(g, report.mode)
        try:
            await resolve_repo.write_resolution(
                g,
                membership=membership,
                profile_names=names,
                profiles=profiles,
                retired=[{"old": o, "new": n} for o, n in sorted(assignment.retired.items())],
                events=events,
                identifier_flags=identifier_flags,
                refused=refused.write,
                refused_cleared=refused.clear,
                dirty=sorted(dirty),
                run_id=run_id,
                now=utc_stamp(),
                mark_moved=not full,
            )
        except BaseException:
            # The process lives on (an API server): the next run must not wait for it.
            with contextlib.suppress(Exception):
                await resolve_repo.run_failed(g, run_id, now=utc_stamp())
            raise
        report.lap("write", lap)
        self._report(resolution, facts, membership, assignment, report)

    @staticmethod
    def _report(
        resolution: Resolution,
        facts: Sequence[RecordFacts],
        membership: Sequence[tuple[str, str]],
        assignment: Assignment,
        report: ResolveReport,
    ) -> None:
        # Added up: a full run reports its parts together.
        report.records += len(facts)
        report.components += len(resolution.components)
        report.moved_records += len(membership)
        kinds = Counter(e.kind for e in assignment.events)
        report.created += kinds["created"]
        report.merged += kinds["merged"]
        report.split += kinds["split"]
        report.retired += len(assignment.retired)
        report.skipped_links.update(s.reason for s in resolution.skipped_links)
        # Types and limits only: identifier values are personal data.
        report.violations.update(f"{v.type}<={v.limit}" for v in resolution.violations)
        report.largest_profile = max(
            [report.largest_profile, *(len(c) for c in resolution.components)]
        )


@dataclass
class _Run:
    """A resolution's journal entry, begun by its first write and ended once at the end,
    with the dead runs it completed (whose entries end even when it wrote nothing)."""

    id: str | None = None

    async def begin(self, graph: GraphClient, mode: str) -> str:
        if self.id is None:
            self.id = uuid.uuid4().hex
            owner = this_owner()
            await resolve_repo.begin_run(
                graph, self.id, mode=mode, host=owner["host"], pid=owner["pid"], now=utc_stamp()
            )
        return self.id

    async def end(self, graph: GraphClient, completed: Sequence[str]) -> None:
        runs = [*([self.id] if self.id else []), *completed]
        if runs:
            await resolve_repo.end_run(graph, runs)


# -- one resolution at a time ---------------------------------------------------------------

_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def resolution_lock() -> asyncio.Lock:
    """The lock serialising this process's resolutions and erasures (one per event loop), so
    an override or an erasure never interleaves with another resolution's writes."""
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        lock = _locks[loop] = asyncio.Lock()
    return lock


async def resolve_serially(graph: GraphClient) -> ResolveReport:
    """An incremental resolution of the records marked dirty, under `resolution_lock`."""
    async with resolution_lock():
        return await Resolver(graph).resolve()
