"""Prometheus metrics of the API: GraphQL operations counted and timed by operation name, and
the `/metrics` endpoint that exposes them.

Operation names are chosen by clients, so a label is only a plain name, and only the first
`MAX_OPERATION_NAMES` distinct names get their own series; the rest count as "other".
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from strawberry.extensions import SchemaExtension

MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_known: set[str] = set()

REQUESTS = Counter(
    "cdp_graphql_requests_total",
    "GraphQL operations answered, by operation name and outcome (ok or error).",
    ["operation", "outcome"],
)
LATENCY = Histogram(
    "cdp_graphql_request_duration_seconds",
    "Time to answer a GraphQL operation, by operation name.",
    ["operation"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if not _NAME.match(name):
        return "other"
    if name not in _known:
        if len(_known) >= MAX_OPERATION_NAMES:
            return "other"
        _known.add(name)
    return name


class MetricsExtension(SchemaExtension):
    """Counts and times every operation (parsing, validation and execution included)."""

    def on_operation(self) -> Iterator[None]:
        start = time.perf_counter()
        yield
        ec = self.execution_context
        try:
            label = operation_label(ec.operation_name)
        except Exception:  # an unparseable document has no operation
            label = "anonymous"
        LATENCY.labels(label).observe(time.perf_counter() - start)
        REQUESTS.labels(label, "error" if ec.pre_execution_errors else "ok").inc()


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    """The metrics of this process, in Prometheus' text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
