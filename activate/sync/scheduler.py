"""Schedules by interval: run the links whose interval has elapsed.

`run_due` is what `cdp sync --due` runs once (from cron, a systemd timer, a Kubernetes
CronJob); `run_forever` is a simple loop around it for a single long-lived worker. The
per-link lock keeps two workers from running the same link at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import date

from activate.errors import ActivationError
from activate.sync.engine import SyncEngine, SyncReport
from core.clock import utc_stamp_ms, utc_today
from graph import sync_repo

log = logging.getLogger(__name__)


async def run_due(
    engine: SyncEngine, *, today: Callable[[], date] | None = None
) -> list[SyncReport]:
    """Run every enabled link whose interval has elapsed since its last run started.

    A link that fails to run (its destination lacks a secret, another worker holds it) is
    logged and skipped; the others still run.
    """
    day = today or utc_today
    reports: list[SyncReport] = []
    for state in await sync_repo.due_states(engine.graph, utc_stamp_ms()):
        try:
            reports.append(await engine.sync(state["segment"], state["destination"], today=day()))
        except ActivationError as exc:
            log.warning("scheduled sync %s skipped: %s", state["id"], exc)
    return reports


async def run_forever(
    engine: SyncEngine,
    *,
    poll_seconds: float = 60.0,
    on_report: Callable[[SyncReport], Awaitable[None] | None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Check for due links every `poll_seconds` until `stop` is set."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        for report in await run_due(engine):
            if on_report is not None:
                result = on_report(report)
                if result is not None:
                    await result
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
