"""The onsite personalisation endpoint on the real graph (issue 18, item 11): a storefront's
`onsite` key asks for its visitor by analytics cookie, customer id or hashed email and gets
segments and non-personal traits, never personal data; CORS only for its own origins;
cache headers; every other role refused, and the onsite key refused everywhere else."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.auth import issue_key
from api.routes.onsite import PATH, InvalidOnsiteSetting
from core.settings import Settings
from graph.client import GraphClient
from graph.schema import migrate
from ingest.mapping import parse_mapping
from ingest.pipeline import Ingestor
from matching.resolve import Resolver

SHOP = parse_mapping(
    """
source: shop
customers:
  file: shop.csv
  key: id
  identifiers:
    - {field: email, type: email}
    - {field: id, type: shopify_customer_id}
    - {field: cookie, type: cookie}
  attributes:
    given_name: {field: first, kind: name}
    family_name: {field: last, kind: name}
    postcode: {field: postcode, kind: postcode}
""",
    "test",
)
ROWS = (
    "id,first,last,email,cookie,postcode\n"
    "1001,Sarah,Johnson,S.Johnson@Email.com,ajs-aaa-111,3000\n"
    "1002,Tom,Brown,tom@x.com,ajs-bbb-222,2000\n"
)
STOREFRONT = "https://shop.example.com"
PERSONAL = ("Sarah", "Johnson", "s.johnson", "3000", "1001", "ajs-aaa-111")


def sha(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()


@pytest.fixture
async def shop(graph: GraphClient, tmp_path: Path) -> GraphClient:
    (tmp_path / "shop.csv").write_text(ROWS, encoding="utf-8")
    await Ingestor(graph, SHOP).ingest_path(tmp_path / "shop.csv")
    await Resolver(graph).resolve()
    await graph.write_text(
        "test_onsite_world",
        "MATCH (:Record {rid: 'shop:1001'})-[:IN_PROFILE]->(p:Profile) "
        "SET p.clv_percentile = 0.95, p.churn_risk = 'low', p.top_category = 'shoes' "
        "MERGE (v:Segment {id: 'vip'}) SET v.name = 'VIP' "
        "MERGE (l:Segment {id: 'lapsing'}) SET l.name = 'Lapsing' "
        "MERGE (p)-[:IN_SEGMENT]->(v) MERGE (p)-[:IN_SEGMENT]->(l)",
    )
    return graph


async def client_for(
    graph: GraphClient, settings: Settings, **overrides: object
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update=overrides), graph=graph)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


@pytest.fixture
async def api(shop: GraphClient, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for c in client_for(shop, settings, onsite_cors_origins=[STOREFRONT]):
        yield c


@pytest.fixture
async def onsite_key(shop: GraphClient) -> str:
    return await issue_key(shop, "storefront", "onsite")


async def test_visitor_by_cookie_customer_id_and_hashed_email(
    api: httpx.AsyncClient, onsite_key: str
) -> None:
    headers = {"X-API-Key": onsite_key}
    expected = {
        "known": True,
        "segments": ["lapsing", "vip"],
        "traits": {"clv_band": "top", "top_category": "shoes", "churn_band": "low"},
    }
    for params in (
        {"anonymous_id": "ajs-aaa-111"},
        {"customer_id": "1001"},
        {"email_sha256": sha("s.johnson@email.com")},
        {"email_sha256": sha("s.johnson@email.com").upper()},
    ):
        r = await api.get(PATH, params=params, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json() == expected
        assert r.headers["cache-control"] == "private, max-age=60"
        assert not any(value.lower() in r.text.lower() for value in PERSONAL)
    # Known, with no enrichment and no segment yet.
    tom = await api.get(PATH, params={"customer_id": "1002"}, headers=headers)
    assert tom.json() == {
        "known": True,
        "segments": [],
        "traits": {"clv_band": None, "top_category": None, "churn_band": None},
    }


async def test_an_unknown_visitor_is_known_false(api: httpx.AsyncClient, onsite_key: str) -> None:
    for params in ({"anonymous_id": "never-seen"}, {"email_sha256": sha("nobody@x.com")}):
        r = await api.get(PATH, params=params, headers={"X-API-Key": onsite_key})
        assert r.status_code == 200
        assert r.json()["known"] is False and r.json()["segments"] == []


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({}, "exactly one of"),
        ({"anonymous_id": "a", "customer_id": "1"}, "exactly one of"),
        ({"email_sha256": "s.johnson@email.com"}, "64 hexadecimal"),
        ({"email_sha256": "ab" * 31}, "64 hexadecimal"),
        ({"anonymous_id": "x" * 201}, "at most 200"),
    ],
)
async def test_bad_parameters_are_400(
    api: httpx.AsyncClient, onsite_key: str, params: dict[str, str], needle: str
) -> None:
    r = await api.get(PATH, params=params, headers={"X-API-Key": onsite_key})
    assert r.status_code == 400
    assert needle in r.json()["detail"]["message"]


async def test_only_onsite_and_admin_keys_and_the_onsite_key_nowhere_else(
    api: httpx.AsyncClient, shop: GraphClient, onsite_key: str
) -> None:
    params = {"customer_id": "1001"}
    assert (await api.get(PATH, params=params)).status_code == 401
    for role, code in (("clienteling", 403), ("analyst", 403), ("ingest", 403), ("admin", 200)):
        key = await issue_key(shop, f"k-{role}", role)
        assert (await api.get(PATH, params=params, headers={"X-API-Key": key})).status_code == code
    lookup = {
        "query": 'query { profileByIdentifier(type: "email", value: "tom@x.com") { pid } }',
    }
    body = (await api.post("/graphql", json=lookup, headers={"X-API-Key": onsite_key})).json()
    assert body["data"] == {"profileByIdentifier": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    track = await api.post(
        "/v1/track",
        json={"type": "track", "event": "x", "anonymousId": "a", "messageId": "m-1"},
        headers={"X-API-Key": onsite_key},
    )
    assert track.status_code == 403


async def test_cors_for_the_storefront_only(api: httpx.AsyncClient, onsite_key: str) -> None:
    preflight = {"Access-Control-Request-Method": "GET", "Origin": STOREFRONT}
    ok = await api.options(PATH, headers=preflight)
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == STOREFRONT
    assert "X-API-Key" in ok.headers["access-control-allow-headers"]
    other = await api.options(PATH, headers={**preflight, "Origin": "https://evil.example"})
    assert other.status_code == 403 and "access-control-allow-origin" not in other.headers
    got = await api.get(
        PATH,
        params={"anonymous_id": "ajs-aaa-111"},
        headers={"X-API-Key": onsite_key, "Origin": STOREFRONT},
    )
    assert got.headers["access-control-allow-origin"] == STOREFRONT
    # The storefront's origin reaches nothing else.
    gql = await api.options("/graphql", headers=preflight)
    assert "access-control-allow-origin" not in gql.headers


async def test_settings_choose_segments_and_refuse_personal_traits(
    shop: GraphClient, settings: Settings, onsite_key: str
) -> None:
    async for c in client_for(
        shop, settings, onsite_segments=["vip"], onsite_traits=["clv_band", "loyalty_tier"]
    ):
        r = await c.get(PATH, params={"customer_id": "1001"}, headers={"X-API-Key": onsite_key})
        assert r.json() == {
            "known": True,
            "segments": ["vip"],
            "traits": {"clv_band": "top", "loyalty_tier": None},
        }
    for personal in ("email", "postcode", "given_name", "nonsense"):
        with pytest.raises(InvalidOnsiteSetting, match=personal):
            create_app(settings.model_copy(update={"onsite_traits": [personal]}), graph=shop)


async def test_email_hashes_are_backfilled_by_the_migration(shop: GraphClient) -> None:
    await shop.write_text(
        "test_onsite_old_identifier",
        "CREATE (:Identifier {key: 'email:old@x.com', type: 'email', value: 'old@x.com'}) "
        "WITH 1 AS one MATCH (i:Identifier {type: 'email'}) REMOVE i.sha256",
    )
    await migrate(shop)
    rows = await shop.read_text(
        "test_onsite_hashes",
        "MATCH (i:Identifier {type: 'email'}) RETURN i.value AS value, i.sha256 AS sha256",
    )
    assert {r["value"]: r["sha256"] for r in rows} == {
        v: sha(v) for v in ("old@x.com", "s.johnson@email.com", "tom@x.com")
    }
