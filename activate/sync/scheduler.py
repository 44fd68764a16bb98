"""Schedules by interval: run the links whose interval has elapsed.

`run_due` is what `cdp sync --due` runs once (from cron, a systemd timer, a Kubernetes
CronJob), or every S seconds with `--watch S`. The per-link lock keeps two workers from
running the same link at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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
