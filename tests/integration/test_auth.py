"""API keys and roles on the real graph: issuing, hashing, revoking, caching, and the HTTP
answers for missing, wrong, revoked and under-privileged keys."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from api.app import create_app
from api.auth import (
    InvalidKeyName,
    KeyCache,
    Permission,
    Principal,
    Role,
    authenticate,
    hash_key,
    issue_key,
    key_from_headers,
    revoke_key,
)
from cli import apikey_cmd
from core.settings import Settings
from graph import apikey_repo
from graph.apikey_repo import ApiKeyNameTaken
from graph.client import GraphClient

IDENTIFY = {"type": "identify", "messageId": "auth-1", "userId": "u-1", "traits": {}}


@pytest.fixture
async def client(graph: GraphClient, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings, graph=graph)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- roles and permissions (no database) --------------------------------------------------


def test_roles_imply_what_the_brief_says() -> None:
    admin = Principal("a", Role.ADMIN)
    analyst = Principal("b", Role.ANALYST)
    clienteling = Principal("c", Role.CLIENTELING)
    ingest = Principal("d", Role.INGEST)
    assert all(admin.has_role(r) for r in Role)
    assert analyst.has_role("clienteling") and not analyst.has_role(Role.INGEST)
    assert not clienteling.has_role(Role.ANALYST) and not ingest.has_role(Role.CLIENTELING)
    assert all(admin.can(p) for p in Permission)
    assert analyst.can(Permission.READ) and analyst.sees_personal_data
    assert not analyst.can(Permission.WRITE) and not analyst.can("ingest")
    assert clienteling.can(Permission.LOOKUP) and not clienteling.sees_personal_data
    assert not clienteling.can(Permission.READ)
    assert ingest.can(Permission.INGEST) and not ingest.can(Permission.LOOKUP)


@pytest.mark.parametrize(
    ("authorization", "x_api_key", "expected"),
    [
        ("Bearer cdp_abc", None, "cdp_abc"),
        ("bearer   cdp_abc ", None, "cdp_abc"),
        (None, " cdp_xyz ", "cdp_xyz"),
        ("Bearer cdp_abc", "cdp_xyz", "cdp_xyz"),
        ("Basic " + base64.b64encode(b"cdp_seg:").decode(), None, "cdp_seg"),
        ("Basic !!!", None, None),
        ("Bearer", None, None),
        ("Token cdp_abc", None, None),
        (None, None, None),
        (None, "  ", None),
    ],
)
def test_key_from_headers(
    authorization: str | None, x_api_key: str | None, expected: str | None
) -> None:
    assert key_from_headers(authorization, x_api_key) == expected


def test_cache_expires_and_stays_bounded() -> None:
    clock = FakeClock()
    cache = KeyCache(ttl_s=30, max_entries=3, clock=clock)
    p = Principal("k", Role.INGEST)
    cache.put("h1", p)
    cache.put("h2", None)
    assert cache.get("h1") == (True, p)
    assert cache.get("h2") == (True, None)
    assert cache.get("h3") == (False, None)
    clock.now += 30
    assert cache.get("h1") == (False, None)
    for i in range(10):
        cache.put(f"x{i}", None)
    assert len(cache) == 3
    assert cache.get("x9")[0] and not cache.get("x0")[0]
    off = KeyCache(ttl_s=0)
    off.put("h", p)
    assert off.get("h") == (False, None)


# -- keys in the graph --------------------------------------------------------------------


async def test_key_is_stored_hashed_and_authenticates(graph: GraphClient) -> None:
    key = await issue_key(graph, "store-042", Role.CLIENTELING)
    assert key.startswith("cdp_") and len(key) > 40
    rows = await graph.read_text("t", "MATCH (k:ApiKey) RETURN properties(k) AS k")
    (stored,) = [r["k"] for r in rows]
    assert stored["hash"] == hash_key(key)
    assert key not in {str(v) for v in stored.values()}
    assert stored["revoked"] is False and stored["role"] == "clienteling"
    assert await authenticate(graph, key) == Principal("store-042", Role.CLIENTELING)
    assert await authenticate(graph, key + "x") is None
    assert await authenticate(graph, "") is None
    assert await authenticate(graph, "x" * 10_000) is None
    listed = await apikey_repo.list_keys(graph)
    assert [(k.name, k.role, k.revoked) for k in listed] == [("store-042", "clienteling", False)]


async def test_revoked_key_is_refused_and_its_name_reusable(graph: GraphClient) -> None:
    key = await issue_key(graph, "etl", Role.INGEST)
    with pytest.raises(ApiKeyNameTaken):
        await issue_key(graph, "etl", Role.ADMIN)
    assert await revoke_key(graph, "etl") == 1
    assert await revoke_key(graph, "etl") == 0
    assert await authenticate(graph, key) is None
    again = await issue_key(graph, "etl", Role.ADMIN)
    assert await authenticate(graph, again) == Principal("etl", Role.ADMIN)
    listed = await apikey_repo.list_keys(graph)
    assert sorted(k.revoked for k in listed) == [False, True]


@pytest.mark.parametrize(
    "name", ["", "a b", "x' OR 1=1 //", "n})-[:X]->(m", "é", "a" * 65, "-leading"]
)
async def test_key_names_are_plain_labels(graph: GraphClient, name: str) -> None:
    with pytest.raises(InvalidKeyName):
        await issue_key(graph, name, Role.INGEST)


async def test_unknown_role_is_refused(graph: GraphClient) -> None:
    with pytest.raises(ValueError):
        await issue_key(graph, "x", "superuser")


async def test_cache_spares_the_graph_and_revocation_waits_for_the_ttl(
    graph: GraphClient,
) -> None:
    key = await issue_key(graph, "ipad", Role.CLIENTELING)
    clock = FakeClock()
    cache = KeyCache(ttl_s=30, clock=clock)
    assert await authenticate(graph, key, cache) is not None
    before = graph.query_count
    for _ in range(50):
        assert await authenticate(graph, key, cache) is not None
        assert await authenticate(graph, "cdp_wrong", cache) is None
    assert graph.query_count == before + 1  # only the first look-up of the wrong key
    await revoke_key(graph, "ipad")
    assert await authenticate(graph, key, cache) is not None  # still trusted within the TTL
    clock.now += 31
    assert await authenticate(graph, key, cache) is None


# -- HTTP ---------------------------------------------------------------------------------


async def test_missing_key_is_401_with_a_clear_error(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/identify", json=IDENTIFY)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["detail"]["error"] == "missing_api_key"
    assert "Authorization: Bearer" in r.json()["detail"]["message"]


async def test_wrong_key_is_401(client: httpx.AsyncClient, graph: GraphClient) -> None:
    await issue_key(graph, "real", Role.INGEST)
    r = await client.post("/v1/identify", json=IDENTIFY, headers={"X-API-Key": "cdp_guess"})
    assert r.status_code == 401
    assert r.json()["detail"]["error"] == "invalid_api_key"
    assert "cdp_guess" not in r.text


async def test_revoked_key_is_401(client: httpx.AsyncClient, graph: GraphClient) -> None:
    key = await issue_key(graph, "old", Role.INGEST)
    await revoke_key(graph, "old")
    r = await client.post("/v1/identify", json=IDENTIFY, headers={"X-API-Key": key})
    assert r.status_code == 401
    assert r.json()["detail"]["error"] == "invalid_api_key"


async def test_clienteling_and_analyst_keys_may_not_ingest(
    client: httpx.AsyncClient, graph: GraphClient
) -> None:
    for role in (Role.CLIENTELING, Role.ANALYST):
        key = await issue_key(graph, f"k-{role.value}", role)
        r = await client.post(
            "/v1/identify", json=IDENTIFY, headers={"Authorization": f"Bearer {key}"}
        )
        assert r.status_code == 403, role
        detail = r.json()["detail"]
        assert detail["error"] == "forbidden" and "ingest" in detail["message"]


async def test_ingest_and_admin_keys_may_ingest_with_any_header(
    client: httpx.AsyncClient, graph: GraphClient
) -> None:
    ingest = await issue_key(graph, "segment", Role.INGEST)
    admin = await issue_key(graph, "ops", Role.ADMIN)
    basic = base64.b64encode(f"{ingest}:".encode()).decode()
    for i, headers in enumerate(
        [
            {"Authorization": f"Bearer {ingest}"},
            {"X-API-Key": admin},
            {"Authorization": f"Basic {basic}"},
        ]
    ):
        body = {**IDENTIFY, "messageId": f"auth-{i}"}
        r = await client.post("/v1/identify", json=body, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["accepted"] == 1


async def test_wrong_key_is_401_before_the_body_is_read(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post("/v1/batch", content=b"{not json", headers={"X-API-Key": "cdp_nope"})
    assert r.status_code == 401


# -- command line -------------------------------------------------------------------------


async def test_cli_creates_lists_and_revokes(graph: GraphClient, settings: Settings) -> None:
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        res = runner.invoke(apikey_cmd.app, list(args))
        return res.exit_code, res.stdout, res.stderr

    code, out, err = await asyncio.to_thread(invoke, "create", "pos-sync", "--role", "ingest")
    assert code == 0, err
    key = out.strip()
    assert key.startswith("cdp_") and "shown only now" in err
    assert await authenticate(graph, key) == Principal("pos-sync", Role.INGEST)
    code, out, _ = await asyncio.to_thread(invoke, "list")
    assert code == 0 and "pos-sync" in out and "ingest" in out and key not in out
    code, _, err = await asyncio.to_thread(invoke, "create", "pos-sync", "--role", "admin")
    assert code == 2 and "exists" in err
    code, _, _ = await asyncio.to_thread(invoke, "create", "x", "--role", "root")
    assert code == 2
    code, out, _ = await asyncio.to_thread(invoke, "revoke", "pos-sync")
    assert code == 0 and "revoked" in out
    assert await authenticate(graph, key) is None
    code, _, err = await asyncio.to_thread(invoke, "revoke", "pos-sync")
    assert code == 1 and "no valid key" in err
