"""One sync run of a segment to a destination.

1. Refresh the segment (incremental) and read its members with their consent.
2. Diff them against what the destination last received (`SyncMember` state): adds,
   updates (a synced field changed) and removes (left the segment, merged away, lost
   consent, no longer valid for the destination).
3. Unless it is a dry run, hand them over, removes first (a merged-away pid leaves before
   its successor, who may carry the same email, arrives), in chunks the destination
   splits into its own batches.
4. Record the state of the rows delivered, and only those, once the destination has
   finished the run: failed rows are retried next run, and a run that dies halfway loses
   nothing (what it did deliver is sent again; adds and removes are idempotent).
5. Keep the `SyncRun` with its counts, durations and per-row error log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Literal

from activate import metrics, progress
from activate.destinations.base import (
    DeliveryResult,
    Destination,
    DestinationError,
    Member,
    RowError,
    SegmentRef,
)
from activate.destinations.file import FileDestination
from activate.errors import SyncAlreadyRunning
from activate.segments.service import get_segment, refresh_segment
from activate.settings import ActivationSettings
from activate.sync.destinations import get_spec, link, link_id
from activate.sync.diff import Plan, plan_sync
from activate.sync.members import from_snapshot, last_sent, recorded_consents, snapshot
from activate.sync.registry import DestinationSpec, build_destination, required_consent
from core.clock import utc_now, utc_stamp_ms
from core.faults import fault_point
from core.owner import is_dead, this_owner
from graph import sync_repo
from graph.client import GraphClient

log = logging.getLogger(__name__)

Action = Literal["add", "update", "remove"]
Status = Literal["succeeded", "partial", "failed", "dry_run"]
DestinationFactory = Callable[[DestinationSpec], Destination]


def new_run_id() -> str:
    return f"run-{utc_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:10]}"


@dataclass
class SyncReport:
    run_id: str
    segment: str
    destination: str
    dry_run: bool
    status: Status = "succeeded"
    members: int = 0
    adds: int = 0
    updates: int = 0
    removes: int = 0
    unchanged: int = 0
    failed: int = 0
    invalid: int = 0
    no_consent: int = 0
    seconds: float = 0.0
    refresh_seconds: float = 0.0
    diff_seconds: float = 0.0
    """Reading members and state, and computing adds, updates and removes."""
    send_seconds: float = 0.0
    record_seconds: float = 0.0
    """Writing the sync state of what was delivered."""
    error: str | None = None
    errors: list[tuple[Action, RowError]] = field(default_factory=list, repr=False)

    def props(self) -> dict[str, Any]:
        """What the `SyncRun` node keeps."""
        return {
            "status": self.status,
            "members": self.members,
            "adds": self.adds,
            "updates": self.updates,
            "removes": self.removes,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "invalid": self.invalid,
            "no_consent": self.no_consent,
            "seconds": round(self.seconds, 3),
            "refresh_seconds": round(self.refresh_seconds, 3),
            "diff_seconds": round(self.diff_seconds, 3),
            "send_seconds": round(self.send_seconds, 3),
            "record_seconds": round(self.record_seconds, 3),
            "error": self.error,
        }


@dataclass
class _Outcome:
    """What one action delivered, by pid."""

    delivered: list[str] = field(default_factory=list)
    done_invalid: list[str] = field(default_factory=list)
    failed: list[RowError] = field(default_factory=list)
    invalid: list[RowError] = field(default_factory=list)
    vendor_ids: dict[str, str] = field(default_factory=dict)


class SyncEngine:
    """Runs syncs with one set of settings; destinations are built per run."""

    def __init__(
        self,
        graph: GraphClient,
        settings: ActivationSettings,
        *,
        factory: DestinationFactory | None = None,
        on_progress: progress.Listener | None = None,
    ) -> None:
        """Args:
        graph: The graph client.
        settings: Destination secrets and tuning.
        factory: Builds a destination's client from its stored spec (tests hand in one
            pointing at a fake server with instant retries).
        on_progress: Told how many members each run has delivered, as it goes.
        """
        self.graph = graph
        self.settings = settings
        self.on_progress = on_progress
        self.factory: DestinationFactory = factory or (
            lambda spec: build_destination(spec, settings)
        )

    async def sync(
        self,
        segment_id: str,
        destination_id: str,
        *,
        today: date,
        dry_run: bool = False,
        refresh: bool = True,
    ) -> SyncReport:
        """Sync a segment to a destination (linking them on first use).

        Raises:
            SegmentNotFound, DestinationNotFound: No such segment or destination.
            InvalidDestinationConfig: The destination cannot be built (missing secret).
            SyncAlreadyRunning: Another live run of this link holds its lock.
        """
        t0 = time.perf_counter()
        g = self.graph
        segment = await get_segment(g, segment_id)
        spec = await get_spec(g, destination_id)
        state_id = link_id(segment_id, destination_id)
        state = await sync_repo.get_state(g, state_id)
        # Linked on first use, with the segment and destination just read.
        external_id = (
            state.get("external_id") if state else (await link(g, segment, spec)).external_id
        )
        destination = self.factory(spec)
        run_id = new_run_id()
        report = SyncReport(run_id, segment_id, destination_id, dry_run)
        started = utc_stamp_ms()
        beat: asyncio.Task[None] | None = None
        if not dry_run:
            if not await self._lease(state_id, run_id, state, now=started):
                await destination.aclose()
                raise SyncAlreadyRunning(segment_id, destination_id)
            beat = asyncio.create_task(self._heartbeat(state_id, run_id))
        try:
            await sync_repo.start_run(
                g,
                {
                    "id": run_id,
                    "segment": segment_id,
                    "destination": destination_id,
                    "started_at": started,
                    "dry_run": dry_run,
                },
            )
        except BaseException:
            await _stop(beat)
            await destination.aclose()
            if not dry_run:
                await sync_repo.release(
                    g,
                    state_id,
                    run_id,
                    started_at=started,
                    finished_at=utc_stamp_ms(),
                    status="failed",
                )
            raise
        try:
            if refresh:
                t_refresh = time.perf_counter()
                await refresh_segment(g, segment, today=today)
                report.refresh_seconds = time.perf_counter() - t_refresh
            t_diff = time.perf_counter()
            plan = await self._plan(state_id, spec, destination, segment_id)
            report.diff_seconds = time.perf_counter() - t_diff
            self._count_plan(report, plan)
            if dry_run:
                report.status = "dry_run"
            else:
                ref = SegmentRef(segment.id, segment.name, external_id)
                with metrics.sync_labels(destination_id):
                    await self._deliver(state_id, run_id, destination, ref, plan, report)
        except DestinationError as exc:
            # Credentials or configuration: no row can go. Nothing is recorded as sent.
            report.status = "failed"
            report.error = str(exc)[:500]
            report.failed = report.adds + report.updates + report.removes
            report.adds = report.updates = report.removes = 0
            log.warning("sync %s -> %s failed: %s", segment_id, destination_id, report.error)
        except BaseException as exc:
            report.status = "failed"
            report.error = type(exc).__name__
            await _stop(beat)
            await self._close_run(state_id, run_id, started, report, t0, destination)
            raise
        await _stop(beat)
        await self._close_run(state_id, run_id, started, report, t0, destination)
        metrics.record_run(report, spec.kind)
        log.info(
            "sync %s -> %s %s: %d adds, %d updates, %d removes, %d failed, %d invalid, "
            "%d without consent, %.2f s",
            segment_id,
            destination_id,
            report.status,
            report.adds,
            report.updates,
            report.removes,
            report.failed,
            report.invalid,
            report.no_consent,
            report.seconds,
        )
        return report

    async def _lease(
        self, state_id: str, run_id: str, state: dict[str, Any] | None, *, now: str
    ) -> bool:
        """Take the link's lease: free, expired (no heartbeat for `lock_timeout_s`) or held
        by a process of this host that is dead (taken over at once)."""
        stale = utc_stamp_ms(utc_now() - timedelta(seconds=self.settings.lock_timeout_s))
        dead_run = None
        if (
            state
            and state.get("running_run")
            and is_dead(state.get("running_host"), state.get("running_pid"))
        ):
            dead_run = state["running_run"]
            log.warning("sync lease of a dead run taken over")
        owner = this_owner()
        return await sync_repo.lock(
            self.graph,
            state_id,
            run_id,
            now=now,
            stale_before=stale,
            host=owner["host"],
            pid=owner["pid"],
            dead_run=dead_run,
        )

    async def _heartbeat(self, state_id: str, run_id: str) -> None:
        """Renew the lease while the run lasts; it expires soon after the process ends."""
        while True:
            await asyncio.sleep(self.settings.lock_heartbeat_s)
            try:
                await sync_repo.heartbeat(self.graph, state_id, run_id, now=utc_stamp_ms())
            except Exception:  # a missed beat is retried; the lease outlives a few
                log.warning("sync lease heartbeat failed", exc_info=True)

    async def _plan(
        self, state_id: str, spec: DestinationSpec, destination: Destination, segment_id: str
    ) -> Plan:
        attributes = spec.options.attributes
        rows = await sync_repo.segment_members(self.graph, segment_id, attributes)
        synced = await sync_repo.synced_hashes(self.graph, state_id)
        return plan_sync(
            rows,
            synced,
            attributes=attributes,
            required_consent=required_consent(spec, destination),
            validate=destination.validate,
        )

    @staticmethod
    def _count_plan(report: SyncReport, plan: Plan) -> None:
        report.members = plan.members
        report.adds, report.updates, report.removes = (
            len(plan.adds),
            len(plan.updates),
            len(plan.removes),
        )
        report.unchanged = plan.unchanged
        report.invalid = len(plan.invalid)
        report.no_consent = plan.no_consent
        report.errors.extend(("add", e) for e in plan.invalid)

    async def _deliver(
        self,
        state_id: str,
        run_id: str,
        destination: Destination,
        ref: SegmentRef,
        plan: Plan,
        report: SyncReport,
    ) -> None:
        t_send = time.perf_counter()
        g = self.graph
        snaps = await sync_repo.snapshots(
            g, state_id, [*plan.removes, *(m.pid for m in plan.updates)]
        )
        # The destination's own ids, learnt when the members were first delivered: a
        # removal or an update needs no look-up at the vendor.
        known = await sync_repo.vendor_ids(
            g, state_id, [*plan.removes, *(m.pid for m in plan.updates)]
        )
        # What the sources record now: an opt-out is told to the destination as such.
        recorded = {
            row["pid"]: recorded_consents(row) for row in await sync_repo.consents(g, plan.removes)
        }
        removals = [
            replace(
                from_snapshot(pid, snaps.get(pid)),
                vendor_id=known.get(pid),
                consents=recorded.get(pid, {}),
            )
            for pid in plan.removes
        ]
        updates = [
            replace(m, vendor_id=known.get(m.pid), last_sent=last_sent(snaps.get(m.pid)))
            for m in plan.updates
        ]
        adds = list(plan.adds)
        if destination.key_source:
            keys = await sync_repo.source_keys(
                g, destination.key_source, [*plan.removes, *(m.pid for m in (*adds, *updates))]
            )
            adds, updates, removals = (
                [replace(m, source_key=keys.get(m.pid)) for m in members]
                for members in (adds, updates, removals)
            )
        by_pid = {m.pid: m for m in (*plan.adds, *plan.updates)}
        learnt: dict[str, str] = {}
        total = len(removals) + len(adds) + len(updates)
        seen = progress.SyncProgress(report.segment, report.destination, total)

        async def record(action: Action, pids: Sequence[str]) -> None:
            if action == "remove":
                await sync_repo.record_removed(g, state_id, pids)
                return
            sent = [
                {
                    "pid": pid,
                    "hash": plan.hashes[pid],
                    "snapshot": snapshot(by_pid[pid]),
                    "vendor_id": learnt.get(pid),
                }
                for pid in pids
            ]
            await sync_repo.record_sent(
                g, state_id, sent, now=utc_stamp_ms(), run_id=run_id, new=action == "add"
            )

        # What an API destination accepted is recorded after each call, so a run killed
        # half-way is resumed by the next without sending anyone twice. A file destination
        # delivers nothing until finish() commits its files: recorded after it.
        at_once = not isinstance(destination, FileDestination)
        on_chunk = record if at_once else None
        with progress.reporting(seen, self.on_progress):
            await destination.begin(ref, run_id)
            removed = await self._send(
                destination.remove, ref, removals, "remove", on_chunk, learnt
            )
            added = await self._send(destination.add, ref, adds, "add", on_chunk, learnt)
            updated = await self._send(destination.update, ref, updates, "update", on_chunk, learnt)
            await destination.finish(ref, run_id)
            late = await destination.outcomes(ref, run_id)
            progress.finish()
        if late.failed:
            # Taken, then refused (Google's request status): not delivered after all.
            refused = {e.pid: e for e in late.failed}
            for outcome in (added, updated):
                undone = [pid for pid in outcome.delivered if pid in refused]
                if not undone:
                    continue
                outcome.delivered = [pid for pid in outcome.delivered if pid not in refused]
                outcome.failed.extend(refused[pid] for pid in undone)
                if at_once:
                    await sync_repo.record_removed(g, state_id, undone)
        report.send_seconds = time.perf_counter() - t_send

        if not at_once:
            t_record = time.perf_counter()
            await record("add", added.delivered)
            await record("update", updated.delivered)
            # A row the destination did not hold ("no such profile") has nothing to remove.
            await record("remove", [*removed.delivered, *removed.done_invalid])
            report.record_seconds = time.perf_counter() - t_record

        report.adds, report.updates, report.removes = (
            len(added.delivered),
            len(updated.delivered),
            len(removed.delivered) + len(removed.done_invalid),
        )
        report.failed = len(added.failed) + len(updated.failed) + len(removed.failed)
        report.invalid += len(added.invalid) + len(updated.invalid)
        outcomes: list[tuple[Action, _Outcome]] = [
            ("remove", removed),
            ("add", added),
            ("update", updated),
        ]
        for action, outcome in outcomes:
            report.errors.extend((action, e) for e in (*outcome.failed, *outcome.invalid))
        report.status = "partial" if report.failed else "succeeded"

    async def _send(
        self,
        send: Callable[[SegmentRef, Sequence[Member]], Any],
        ref: SegmentRef,
        members: Sequence[Member],
        action: Action,
        on_chunk: Callable[[Action, Sequence[str]], Any] | None = None,
        learnt: dict[str, str] | None = None,
    ) -> _Outcome:
        """Hand `members` over in chunks; `learnt` collects the vendor ids the destination
        reports, before `on_chunk` records the chunk."""
        outcome = _Outcome()
        size = self.settings.chunk_size
        # Members of earlier actions (removes before adds before updates) are done.
        held = progress.current()
        base = held.done if held is not None else 0
        for start in range(0, len(members), size):
            chunk = members[start : start + size]
            result: DeliveryResult = await send(ref, chunk)
            failed = {e.pid for e in result.failed}
            invalid = {e.pid for e in result.invalid}
            outcome.failed.extend(result.failed)
            outcome.invalid.extend(result.invalid)
            outcome.vendor_ids.update(result.vendor_ids)
            if learnt is not None:
                learnt.update(result.vendor_ids)
            done: list[str] = []
            for m in chunk:
                if m.pid in failed:
                    continue
                (outcome.done_invalid if m.pid in invalid else outcome.delivered).append(m.pid)
                if action == "remove" or m.pid not in invalid:
                    done.append(m.pid)
            if on_chunk is not None:
                await on_chunk(action, done)
            progress.advance_to(base + start + len(chunk))
            fault_point(f"sync.{action}")
        return outcome

    async def _close_run(
        self,
        state_id: str,
        run_id: str,
        started: str,
        report: SyncReport,
        t0: float,
        destination: Destination,
    ) -> None:
        try:
            await destination.aclose()
        finally:
            report.seconds = time.perf_counter() - t0
            finished = utc_stamp_ms()
            errors = [
                {"pid": e.pid, "action": action, "reason": e.reason, "retryable": e.retryable}
                for action, e in report.errors[: self.settings.max_logged_errors]
            ]
            if errors:
                await sync_repo.log_errors(self.graph, run_id, errors)
            await sync_repo.finish_run(
                self.graph,
                run_id,
                {**report.props(), "finished_at": finished, "errors_logged": len(errors)},
            )
            if not report.dry_run:
                await sync_repo.release(
                    self.graph,
                    state_id,
                    run_id,
                    started_at=started,
                    finished_at=finished,
                    status=report.status,
                )


async def _stop(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def unlock(graph: GraphClient, segment_id: str, destination_id: str) -> str | None:
    """Free a link's lease whoever holds it (an operator's `cdp sync --unlock`); the run
    that held it, if any. The next sync resumes: what was delivered is recorded."""
    return await sync_repo.unlock(graph, link_id(segment_id, destination_id))
