"""The API's probes and GraphQL endpoint, served by the real app on the real graph."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.auth import issue_key
from core.settings import Settings
from graph.client import GraphClient


@pytest.fixture
async def client(graph: GraphClient, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings, graph=graph)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    r = await client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = await client.get("/ready")
    assert r.status_code == 200
    assert r.json()["status"] == "ready"
    assert r.json()["neo4j"].startswith("5.26")


async def test_graphql_stats_reads_the_graph(client: httpx.AsyncClient, graph: GraphClient) -> None:
    await graph.write_text("t", "CREATE (:Record {rid: 'web:1'}), (:Record {rid: 'web:2'})")
    query = {"query": "{ version stats { records profiles } }"}
    anonymous = await client.post("/graphql", json=query)
    assert anonymous.json()["data"] is None
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    key = await issue_key(graph, "basics", "analyst")
    r = await client.post("/graphql", json=query, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    body = r.json()
    assert "errors" not in body
    assert body["data"]["stats"] == {"records": 2, "profiles": 0}
