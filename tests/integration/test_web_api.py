"""The web app's server side against the real app and Neo4j: the session a key is exchanged
for (HttpOnly cookie, CSRF, logout, revocation), the pages and GraphiQL served without a CDN,
CORS for configured origins only, and persisted queries."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.auth import issue_key, revoke_key
from api.web.routes import DIST
from core.settings import Settings
from graph.client import GraphClient

VERSION = "query { version }"
STATS = "query { stats { records } }"
FIELDS = "query { segmentFields { name kind operators } }"
LOOKUP_ID = "lookup-v1"
LOOKUP = 'query ($v: String!) { profileByIdentifier(type: "email", value: $v) { pid } }'


async def client_for(
    graph: GraphClient, settings: Settings
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(settings, graph=graph)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c, app


@pytest.fixture
async def web(graph: GraphClient, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for c, _ in client_for(graph, settings):
        yield c


async def login(c: httpx.AsyncClient, key: str) -> dict[str, Any]:
    r = await c.post("/app/api/login", json={"key": key})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def gql(c: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None) -> Any:
    return c.post("/graphql", json={"query": query}, headers=headers or {})


async def test_login_sets_an_httponly_samesite_cookie_and_keeps_no_key(
    graph: GraphClient, web: httpx.AsyncClient
) -> None:
    key = await issue_key(graph, "web-analyst", "analyst")
    r = await web.post("/app/api/login", json={"key": key})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert "cdp_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert key not in cookie and key not in r.text
    assert r.json()["role"] == "analyst" and len(r.json()["csrf"]) > 20
    me = await web.get("/app/api/session")
    assert me.json()["name"] == "web-analyst"


async def test_wrong_and_ingest_keys_cannot_log_in(
    graph: GraphClient, web: httpx.AsyncClient
) -> None:
    assert (await web.post("/app/api/login", json={"key": "cdp_nope"})).status_code == 401
    ingest = await issue_key(graph, "web-ingest", "ingest")
    assert (await web.post("/app/api/login", json={"key": ingest})).status_code == 403
    assert (await web.get("/app/api/session")).status_code == 401


async def test_session_requests_need_the_csrf_token(
    graph: GraphClient, web: httpx.AsyncClient
) -> None:
    who = await login(web, await issue_key(graph, "web-analyst", "analyst"))
    without = (await gql(web, STATS)).json()
    assert without["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "CSRF" in without["errors"][0]["message"]
    wrong = (await gql(web, STATS, {"X-CSRF-Token": "x" * 43})).json()
    assert wrong["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    ok = (await gql(web, STATS, {"X-CSRF-Token": who["csrf"]})).json()
    assert "errors" not in ok and ok["data"]["stats"]["records"] == 0


async def test_logout_needs_csrf_and_ends_the_session(
    graph: GraphClient, web: httpx.AsyncClient
) -> None:
    who = await login(web, await issue_key(graph, "web-analyst", "analyst"))
    assert (await web.post("/app/api/logout")).status_code == 403
    assert (
        await web.post("/app/api/logout", headers={"X-CSRF-Token": who["csrf"]})
    ).status_code == 204
    web.cookies.clear()
    assert (await web.get("/app/api/session")).status_code == 401


async def test_revoking_the_key_ends_its_sessions(graph: GraphClient, settings: Settings) -> None:
    async for c, app in client_for(graph, settings.model_copy(update={"api_key_cache_ttl_s": 0})):
        who = await login(c, await issue_key(graph, "web-revoked", "clienteling"))
        await revoke_key(graph, "web-revoked")
        app.state.key_cache.clear()
        body = (await gql(c, STATS, {"X-CSRF-Token": who["csrf"]})).json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert (await c.get("/app/api/session")).status_code == 401


async def test_the_role_decides_what_a_session_may_read(
    graph: GraphClient, web: httpx.AsyncClient
) -> None:
    who = await login(web, await issue_key(graph, "web-store", "clienteling"))
    h = {"X-CSRF-Token": who["csrf"]}
    assert (await gql(web, STATS, h)).json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await gql(web, FIELDS, h)).json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # the till's fallback: a clienteling key searches by a name and a postcode, not by less
    narrow = 'query { searchProfiles(filter: {name: "Smith", postcode: "3000"}) { nodes { pid } } }'
    wide = 'query { searchProfiles(filter: {name: "Smith"}) { nodes { pid } } }'
    assert "errors" not in (await gql(web, narrow, h)).json()
    assert (await gql(web, wide, h)).json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_segment_fields_are_the_allow_list_with_operators(
    graph: GraphClient, web: httpx.AsyncClient
) -> None:
    key = await issue_key(graph, "web-analyst", "analyst")
    r = await web.post(
        "/graphql", json={"query": FIELDS}, headers={"Authorization": f"Bearer {key}"}
    )
    fields = {f["name"]: f for f in r.json()["data"]["segmentFields"]}
    assert fields["orders_count"]["kind"] == "number"
    assert fields["orders_count"]["operators"][:2] == ["eq", "ne"]
    assert "between" not in fields["loyalty_tier"]["operators"]
    assert "email" not in fields  # personal data is not a filter


@pytest.mark.skipif(not (DIST / "index.html").is_file(), reason="the web app is not built")
async def test_pages_and_graphiql_load_nothing_from_another_host(web: httpx.AsyncClient) -> None:
    for path in ("/app/", "/app/profiles/p-123", "/app/graphiql"):
        r = await web.get(path)
        assert r.status_code == 200
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-frame-options"] == "DENY"
        srcs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
        assert srcs and all(s.startswith("/app/assets/") for s in srcs), srcs
        for src in srcs:
            asset = await web.get(src)
            assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert (await web.get("/app/assets/nope.js")).status_code == 404


async def test_graphiql_in_development_is_the_bundled_page(
    graph: GraphClient, settings: Settings
) -> None:
    dev = settings.model_copy(update={"environment": "development"})
    async for c, _ in client_for(graph, dev):
        r = await c.get("/graphql", headers={"Accept": "text/html"})
        assert r.status_code == 307 and r.headers["location"] == "/app/graphiql"


async def test_cors_only_for_configured_origins(graph: GraphClient, settings: Settings) -> None:
    preflight = {
        "Origin": "https://shop.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    async for c, _ in client_for(graph, settings):  # none by default
        r = await c.options("/graphql", headers=preflight)
        assert "access-control-allow-origin" not in r.headers
    allowed = settings.model_copy(update={"cors_allow_origins": ["https://shop.example.com"]})
    async for c, _ in client_for(graph, allowed):
        r = await c.options("/graphql", headers=preflight)
        assert r.headers["access-control-allow-origin"] == "https://shop.example.com"
        assert "access-control-allow-credentials" not in r.headers
        other = await c.options("/graphql", headers={**preflight, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


async def test_persisted_queries_and_roles_limited_to_them(
    graph: GraphClient, settings: Settings, tmp_path: Path
) -> None:
    registry = tmp_path / "queries.json"
    registry.write_text(json.dumps({LOOKUP_ID: LOOKUP}))
    limited = settings.model_copy(
        update={"persisted_queries_file": registry, "persisted_only_roles": ["clienteling"]}
    )
    store = await issue_key(graph, "web-store", "clienteling")
    analyst = await issue_key(graph, "web-analyst", "analyst")
    async for c, _ in client_for(graph, limited):
        auth = {"Authorization": f"Bearer {store}"}
        r = await c.post(
            f"/graphql/persisted/{LOOKUP_ID}", json={"variables": {"v": "a@b.co"}}, headers=auth
        )
        assert r.status_code == 200 and r.json() == {"data": {"profileByIdentifier": None}}
        free_query = 'query { profileByIdentifier(type: "email", value: "a@b.co") { pid } }'
        free = (await gql(c, free_query, auth)).json()
        assert free["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "registered" in free["errors"][0]["message"]
        unknown = await c.post("/graphql/persisted/nope", json={}, headers=auth)
        assert unknown.status_code == 404
        # other roles still send GraphQL as they like
        ok = (await gql(c, STATS, {"Authorization": f"Bearer {analyst}"})).json()
        assert "errors" not in ok
        # and a persisted query still checks the key
        anon = await c.post(f"/graphql/persisted/{LOOKUP_ID}", json={"variables": {"v": "a@b.co"}})
        assert anon.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
