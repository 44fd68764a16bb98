"""Abuse of the GraphQL endpoint: fragment bombs, cyclic nesting, repeated fields, huge
answers and slow requests. Each is answered with a clear error, quickly enough that the
server goes on serving everyone else, by the real app on the real graph."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from graphql import get_introspection_query

from api.app import create_app
from api.auth import issue_key
from core.settings import Settings
from graph.client import GraphClient

# A hang is what these tests catch, not a speed: the old code took 7-14 s on a 543-byte bomb
# and never answered a 726-byte one.
NO_HANG_S = 30.0


def fragment_bomb(levels: int, fan: int, leaf: str = "pid") -> str:
    """Fragments that each spread the next `fan` times: expanded, `fan ** levels` leaves."""
    frags = []
    for i in range(levels):
        body = f"...F{i + 1} " * fan if i + 1 < levels else leaf
        frags.append(f"fragment F{i} on Profile {{ {body} }}")
    return 'query { profile(pid: "p-1") { ...F0 } } ' + " ".join(frags)


def codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


@pytest.fixture
async def app(graph: GraphClient, settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, graph=graph)
    async with application.router.lifespan_context(application):
        yield application


async def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_an_anonymous_fragment_bomb_is_refused_before_validation(app: FastAPI) -> None:
    bomb = fragment_bomb(levels=12, fan=5)  # 5^11 leaves expanded; 726 bytes hung the API
    assert len(bomb) < 800
    async with await _client(app) as c:
        r = await asyncio.wait_for(c.post("/graphql", json={"query": bomb}), NO_HANG_S)
    assert r.status_code == 200
    assert r.json().get("data") is None and codes(r.json()) == ["UNAUTHENTICATED"]


async def test_a_keyed_fragment_bomb_is_measured_linearly_and_health_answers(
    app: FastAPI, graph: GraphClient
) -> None:
    key = await issue_key(graph, "bomb", "clienteling")
    bomb = fragment_bomb(levels=40, fan=5)
    async with await _client(app) as c:
        answers = await asyncio.wait_for(
            asyncio.gather(
                c.post("/graphql", json={"query": bomb}, headers={"X-API-Key": key}),
                c.get("/health"),
            ),
            NO_HANG_S,
        )
    gql, health = answers
    assert health.status_code == 200
    # Spread five times, a fragment is still one fragment: the query asks one field.
    assert gql.json() == {"data": {"profile": None}}


async def test_cyclic_nesting_inside_the_depth_limit_is_refused(
    app: FastAPI, graph: GraphClient
) -> None:
    key = await issue_key(graph, "cyclic", "clienteling")
    inner = "pid"
    for _ in range(3):
        inner = f"records {{ profile {{ {inner} }} }}"
    query = f'{{ profile(pid: "p-1") {{ {inner} }} }}'  # depth 7: under the depth limit
    async with await _client(app) as c:
        r = await c.post("/graphql", json={"query": query}, headers={"X-API-Key": key})
        body = r.json()
        assert body.get("data") is None and codes(body) == ["LIMIT_EXCEEDED"]
        assert "Profile" in body["errors"][0]["message"]
        # Back once to the profile is fine.
        ok = '{ profile(pid: "p-1") { records { profile { pid } } } }'
        r = await c.post("/graphql", json={"query": ok}, headers={"X-API-Key": key})
        assert r.json() == {"data": {"profile": None}}


async def test_one_field_asked_hundreds_of_times_is_refused(
    app: FastAPI, graph: GraphClient
) -> None:
    key = await issue_key(graph, "repeat", "analyst")
    query = '{ profile(pid: "p-1") { ' + "records { rid } " * 600 + "} }"
    async with await _client(app) as c:
        r = await asyncio.wait_for(
            c.post("/graphql", json={"query": query}, headers={"X-API-Key": key}), NO_HANG_S
        )
    assert codes(r.json()) == ["LIMIT_EXCEEDED"] and "600 times" in r.json()["errors"][0]["message"]


async def test_an_answer_over_the_size_limit_is_replaced_by_an_error(
    graph: GraphClient, settings: Settings
) -> None:
    await graph.write_text(
        "t",
        "UNWIND range(1, 400) AS i CREATE (:Record {rid: 'web:' + i, source: 'web'})",
    )
    small = settings.model_copy(update={"api_max_response_bytes": 10_000})
    app = create_app(small, graph=graph)
    key = await issue_key(graph, "big", "analyst")
    query = "{ stats { records } version }"
    async with app.router.lifespan_context(app), await _client(app) as c:
        r = await c.post("/graphql", json={"query": query}, headers={"X-API-Key": key})
        assert r.json()["data"]["stats"]["records"] == 400  # small answers pass untouched
        big = "{ __schema { types { name description fields { name description } } } }"
        r = await c.post("/graphql", json={"query": big}, headers={"X-API-Key": key})
    assert r.status_code == 200 and codes(r.json()) == ["LIMIT_EXCEEDED"]
    assert len(r.content) < 1_000


async def test_introspection_without_a_key_follows_the_setting(
    graph: GraphClient, settings: Settings
) -> None:
    query = {"query": "{ __schema { queryType { name } } }"}
    for allowed in (False, True):
        app = create_app(
            settings.model_copy(update={"api_public_introspection": allowed}), graph=graph
        )
        async with app.router.lifespan_context(app), await _client(app) as c:
            body = (await c.post("/graphql", json=query)).json()
        if allowed:
            assert body["data"]["__schema"]["queryType"]["name"] == "Query"
        else:
            assert body.get("data") is None and codes(body) == ["UNAUTHENTICATED"]
    production = Settings(
        environment="production", neo4j_password="a-real-secret-1", suppression_hmac_keys=["k" * 32]
    )
    assert production.introspection_without_key is False


async def test_a_clients_full_introspection_query_passes_the_limits(
    app: FastAPI, graph: GraphClient
) -> None:
    """GraphiQL and code generators send the standard introspection query, whose `TypeRef`
    fragment enters `__Type` eight times along one path: introspection types are not data a
    client can nest to fetch the graph again, so they do not count as repetition (GraphiQL
    showed an error instead of the schema when they did)."""
    key = await issue_key(graph, "tools", "analyst")
    query = get_introspection_query(descriptions=True, specified_by_url=True)
    async with await _client(app) as c:
        r = await c.post(
            "/graphql",
            json={"query": query, "operationName": "IntrospectionQuery"},
            headers={"X-API-Key": key},
        )
    body = r.json()
    assert "errors" not in body, body.get("errors")
    names = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"Query", "Profile", "__Type"} <= names
