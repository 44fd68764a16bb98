"""Health of the database as the API's readiness probe and the CLI report it."""

from __future__ import annotations

from dataclasses import dataclass

from graph.client import GraphClient
from graph.errors import GraphError


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    version: str | None = None
    edition: str | None = None
    error: str | None = None


async def check(client: GraphClient) -> Health:
    """Ask the server for its version; never raises."""
    try:
        rows = await client.read("health_check")
    except (GraphError, OSError, Exception) as exc:  # readiness must answer, not crash
        return Health(ok=False, error=type(exc).__name__)
    kernel = next((r for r in rows if r["name"] == "Neo4j Kernel"), rows[0] if rows else None)
    if kernel is None:
        return Health(ok=False, error="no components")
    return Health(ok=True, version=kernel["version"], edition=kernel["edition"])


async def counts(client: GraphClient) -> dict[str, int]:
    """Node counts of the main labels."""
    rows = await client.read("graph_counts")
    return {k: int(v) for k, v in rows[0].items()}
