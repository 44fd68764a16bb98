"""Bad input over HTTP gets a clear error and loses nothing: bodies that are no JSON object
(invalid UTF-8, `null`, a string, a 100,000-deep nest, `NaN`), lone surrogates, and twenty
concurrent requests with one `messageId`. The real app on the real graph."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.auth import issue_key
from core.settings import Settings
from graph.client import GraphClient

NO_HANG_S = 30.0
BODY_ENDPOINTS = (
    "/v1/identify",
    "/v1/track",
    "/v1/batch",
    "/webhooks/shopify/customers",
    "/webhooks/shopify/orders",
    "/graphql",
)
DEPTH_BOMB = b"[" * 100_000 + b"]" * 100_000
BAD_BODIES = {
    "invalid UTF-8": b'{"userId": "u-1", "event": "\xff\xfe"}',
    "null": b"null",
    "a string": b'"hello"',
    "a 100,000-deep nest": DEPTH_BOMB,
    "an object 100,000 deep": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
}


@pytest.fixture
async def app(graph: GraphClient, settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, graph=graph)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def _key(graph: GraphClient, role: str = "ingest") -> dict[str, str]:
    return {"X-API-Key": await issue_key(graph, f"abuse-{role}", role)}


def _message(body: dict[str, Any]) -> str:
    """The error's message, in the ingest (`detail`) or GraphQL (`errors`) shape."""
    if "detail" in body:
        return str(body["detail"]["message"])
    return str(body["errors"][0]["message"])


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
async def test_bodies_that_are_no_json_object_get_400_with_a_json_error(
    client: httpx.AsyncClient, graph: GraphClient, endpoint: str
) -> None:
    headers = {**await _key(graph, "admin"), "Content-Type": "application/json"}
    for what, body in BAD_BODIES.items():
        r = await asyncio.wait_for(client.post(endpoint, content=body, headers=headers), NO_HANG_S)
        assert r.status_code == 400, (endpoint, what, r.status_code, r.text[:200])
        message = _message(r.json())
        assert message and len(message) < 200, (endpoint, what)
    records = await graph.read_text("t", "MATCH (n:Record|Event|Order) RETURN count(n) AS n")
    assert records[0]["n"] == 0


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_nan_and_infinity_are_refused_not_stored(
    client: httpx.AsyncClient, graph: GraphClient, constant: str
) -> None:
    body = (
        '{"userId": "u-1", "event": "Order Completed", "messageId": "m-nan", '
        f'"properties": {{"revenue": {constant}}}}}'
    )
    r = await client.post(
        "/v1/track",
        content=body.encode(),
        headers={**await _key(graph), "Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["detail"]["error"] == "malformed_json"
    events = await graph.read_text("t", "MATCH (e:Event) RETURN e.properties AS p")
    assert events == []


async def test_a_lone_surrogate_in_a_graphql_argument_is_bad_user_input(
    client: httpx.AsyncClient, graph: GraphClient
) -> None:
    headers = {**await _key(graph, "analyst"), "Content-Type": "application/json"}
    as_variable = (
        b'{"query": "query($pid: String!) { profile(pid: $pid) { pid } }", '
        b'"variables": {"pid": "\\ud800"}}'
    )
    inline = b'{"query": "{ profile(pid: \\"p-\\udfff\\") { pid } }"}'
    for body in (as_variable, inline):
        r = await client.post("/graphql", content=body, headers=headers)
        codes = [e["extensions"]["code"] for e in r.json()["errors"]]
        assert codes == ["BAD_USER_INPUT"], r.text
        assert "surrogate" in r.json()["errors"][0]["message"]
    # A GraphQL escape of a lone surrogate is a syntax error, not INTERNAL either.
    escaped = b'{"query": "{ profile(pid: \\"\\\\ud800\\") { pid } }"}'
    r = await client.post("/graphql", content=escaped, headers=headers)
    codes = [e.get("extensions", {}).get("code") for e in r.json()["errors"]]
    assert "INTERNAL_SERVER_ERROR" not in codes and "INTERNAL" not in codes, r.text
    assert "Unicode" in r.json()["errors"][0]["message"], r.text


async def test_a_lone_surrogate_in_a_message_is_400(
    client: httpx.AsyncClient, graph: GraphClient
) -> None:
    body = b'{"userId": "u-\\ud800", "traits": {"email": "a@b.com"}}'
    r = await client.post(
        "/v1/identify",
        content=body,
        headers={**await _key(graph), "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and "surrogate" in r.json()["detail"]["message"]


async def test_twenty_concurrent_requests_with_one_message_id_ingest_it_once(
    graph: GraphClient, settings: Settings
) -> None:
    # A generous deadline: the machine running the tests may be slow; the race is the point.
    patient = settings.model_copy(update={"api_request_timeout_s": 300.0})
    app = create_app(patient, graph=graph)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await _twenty_at_once(client, graph)


async def _twenty_at_once(client: httpx.AsyncClient, graph: GraphClient) -> None:
    headers = await _key(graph)
    message = {
        "userId": "u-concurrent",
        "event": "Product Viewed",
        "messageId": "m-twenty",
        "properties": {"sku": "A-1"},
    }
    answers = await asyncio.wait_for(
        asyncio.gather(
            *(client.post("/v1/track", json=message, headers=headers) for _ in range(20))
        ),
        300,
    )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    results = [a.json() for a in answers]
    assert sum(r["accepted"] for r in results) == 1
    assert sum(r["duplicates"] for r in results) == 19
    events = await graph.read_text("t", "MATCH (e:Event) RETURN count(e) AS n")
    assert events[0]["n"] == 1
    # Remembered as ingested: a retry later is a duplicate too.
    again = await client.post("/v1/track", json=message, headers=headers)
    assert again.json()["duplicates"] == 1 and again.json()["accepted"] == 0


async def test_a_message_whose_ingestion_failed_is_ingested_on_retry(
    client: httpx.AsyncClient, graph: GraphClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph import ingest_repo
    from graph.errors import GraphError

    headers = await _key(graph)
    message = {"userId": "u-retry", "event": "Signed Up", "messageId": "m-retry"}
    real = ingest_repo.write_chunk

    async def failing(*args: Any, **kwargs: Any) -> None:
        raise GraphError("down")

    monkeypatch.setattr(ingest_repo, "write_chunk", failing)
    r = await client.post("/v1/track", json=message, headers=headers)
    assert r.status_code == 503
    monkeypatch.setattr(ingest_repo, "write_chunk", real)
    r = await client.post("/v1/track", json=message, headers=headers)
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
