"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import GraphDep
from graph import health

router = APIRouter()


@router.get("/health")
async def liveness() -> dict[str, str]:
    """The process is up (does not touch the database)."""
    return {"status": "ok"}


@router.get("/ready")
async def readiness(graph: GraphDep) -> JSONResponse:
    """Ready when Neo4j answers a query."""
    h = await health.check(graph)
    body = {"status": "ready" if h.ok else "unavailable", "neo4j": h.version, "error": h.error}
    return JSONResponse(body, status_code=200 if h.ok else 503)
