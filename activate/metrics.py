"""Prometheus metrics of syncs: rows sent and failed, requests, retries, 429s, latency and
the time spent pacing below a vendor's rate limits, labelled by destination id and vendor.

The collectors live in `SYNC_REGISTRY` (what `cdp sync --metrics-file` writes for
node-exporter's textfile collector) and in the process's default registry, so the API's
`/metrics` shows them when syncs run inside the API or scheduler process.

Which destination a request belongs to is known to the sync engine, not to the HTTP
channel: the engine runs each sync inside `sync_labels(destination_id, vendor)`, a context
variable the channel reads. Outside a sync the destination label is the vendor's name.
Labels never hold personal data: ids and names of configuration only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Protocol

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import write_to_textfile as _write_textfile


class RunCounts(Protocol):
    """What a finished run reports (`activate.sync.engine.SyncReport`), as metrics read it:
    declared here so that the metrics, which delivery imports, import nothing of the sync."""

    @property
    def destination(self) -> str: ...
    @property
    def adds(self) -> int: ...
    @property
    def updates(self) -> int: ...
    @property
    def removes(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def invalid(self) -> int: ...
    @property
    def no_consent(self) -> int: ...
    @property
    def dry_run(self) -> bool: ...
    @property
    def status(self) -> str: ...


SYNC_REGISTRY = CollectorRegistry()
_LABELS = ("destination", "vendor")

ROWS = Counter(
    "cdp_sync_rows_total",
    "Rows a sync handled, by outcome: added, updated, removed (delivered), failed (sent "
    "again by the next run), invalid (the destination cannot take them), no_consent.",
    [*_LABELS, "outcome"],
    registry=SYNC_REGISTRY,
)
RUNS = Counter(
    "cdp_sync_runs_total",
    "Sync runs finished, by status (succeeded, partial, failed, dry_run).",
    [*_LABELS, "status"],
    registry=SYNC_REGISTRY,
)
LAST_RUN = Gauge(
    "cdp_sync_last_run_timestamp_seconds",
    "When the last sync run to the destination finished (UNIX time).",
    list(_LABELS),
    registry=SYNC_REGISTRY,
)
REQUESTS = Counter(
    "cdp_sync_requests_total",
    "HTTP requests sent to destinations, by answer (2xx, 4xx, 429, 5xx, error).",
    [*_LABELS, "status"],
    registry=SYNC_REGISTRY,
)
RETRIES = Counter(
    "cdp_sync_retries_total",
    "Requests sent again, by reason (429, 5xx, vendor throttling, transport).",
    [*_LABELS, "reason"],
    registry=SYNC_REGISTRY,
)
THROTTLED = Counter(
    "cdp_sync_throttled_total",
    "Answers that said the destination's rate limit was hit (429 or the vendor's code).",
    list(_LABELS),
    registry=SYNC_REGISTRY,
)
LATENCY = Histogram(
    "cdp_sync_request_duration_seconds",
    "Time from sending a request to a destination to its answer.",
    list(_LABELS),
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=SYNC_REGISTRY,
)
PACED = Counter(
    "cdp_sync_rate_limit_wait_seconds_total",
    "Seconds requests waited for a slot below the destination's rate limits.",
    list(_LABELS),
    registry=SYNC_REGISTRY,
)
_ALL = (ROWS, RUNS, LAST_RUN, REQUESTS, RETRIES, THROTTLED, LATENCY, PACED)
for _collector in _ALL:
    REGISTRY.register(_collector)

_current: ContextVar[str | None] = ContextVar("cdp_sync_destination", default=None)


@contextmanager
def sync_labels(destination_id: str) -> Iterator[None]:
    """Requests made inside are counted for `destination_id`."""
    token = _current.set(destination_id)
    try:
        yield
    finally:
        _current.reset(token)


def labels(vendor: str) -> tuple[str, str]:
    """(destination, vendor) for a request made now."""
    return (_current.get() or vendor, vendor)


def status_class(status: int | None) -> str:
    if status is None:
        return "error"
    if status == 429:
        return "429"
    return f"{status // 100}xx"


def observe_request(vendor: str, status: int | None, seconds: float) -> None:
    who = labels(vendor)
    REQUESTS.labels(*who, status_class(status)).inc()
    LATENCY.labels(*who).observe(seconds)


def observe_retry(vendor: str, reason: str, *, throttled: bool) -> None:
    who = labels(vendor)
    RETRIES.labels(*who, reason).inc()
    if throttled:
        THROTTLED.labels(*who).inc()


def observe_throttled(vendor: str) -> None:
    """A throttling answer that was not retried (the last attempt, or a wait too long)."""
    THROTTLED.labels(*labels(vendor)).inc()


def observe_paced(vendor: str, seconds: float) -> None:
    if seconds > 0:
        PACED.labels(*labels(vendor)).inc(seconds)


def record_run(report: RunCounts, vendor: str) -> None:
    """A finished run's row counts and status."""
    who = (report.destination, vendor)
    outcomes = {
        "added": report.adds,
        "updated": report.updates,
        "removed": report.removes,
        "failed": report.failed,
        "invalid": report.invalid,
        "no_consent": report.no_consent,
    }
    for outcome, count in outcomes.items():
        if count and not report.dry_run:
            ROWS.labels(*who, outcome).inc(count)
    RUNS.labels(*who, report.status).inc()
    LAST_RUN.labels(*who).set(time.time())


def write_textfile(path: Path) -> None:
    """The sync metrics in Prometheus' text format, written atomically (for node-exporter)."""
    _write_textfile(str(path), SYNC_REGISTRY)
