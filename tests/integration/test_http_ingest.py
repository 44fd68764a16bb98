"""HTTP ingestion on the real graph: Segment messages and Shopify webhooks through the
pipeline, deduplication, limits and errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from api.app import create_app
from api.auth import Role, issue_key
from core.settings import Settings
from graph.client import GraphClient
from ingest.connectors.shopify import sign
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from tests import cypher as test_cypher

SECRET = "shpss_integration_secret"
Client = Callable[[Settings], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def make_client(graph: GraphClient) -> AsyncIterator[Client]:
    """Serves the app with the given settings; apps and clients close when the test ends."""
    async with AsyncExitStack() as stack:

        async def make(settings: Settings) -> httpx.AsyncClient:
            app: FastAPI = create_app(settings, graph=graph)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            return await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://test")
            )

        yield make


@pytest.fixture
async def client(make_client: Client, settings: Settings) -> httpx.AsyncClient:
    return await make_client(settings)


@pytest.fixture
async def key(graph: GraphClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {await issue_key(graph, 'test-ingest', Role.INGEST)}"}


async def _record(graph: GraphClient, rid: str) -> tuple[dict[str, Any], set[str]]:
    rows = await test_cypher.read(graph, "record_detail", {"rid": rid})
    assert rows and rows[0]["record"], f"no record {rid}"
    return rows[0]["record"], set(rows[0]["identifiers"])


async def _count(graph: GraphClient, pattern: str) -> int:
    rows = await graph.read_text("t", f"MATCH {pattern} RETURN count(*) AS n")
    return int(rows[0]["n"])


def identify(**over: Any) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "type": "identify",
        "messageId": "msg-identify-1",
        "userId": "user-1",
        "anonymousId": "anon-1",
        "timestamp": "2024-05-01T10:00:00Z",
        "traits": {
            "email": " Jane.Doe+news@GMAIL.com",
            "phone": "(04) 1234 5678",
            "firstName": "JANE",
            "lastName": "doe",
            "address": {"city": "Sydney", "postalCode": "2000", "country": "Australia"},
        },
    }
    msg.update(over)
    return msg


def track(**over: Any) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "type": "track",
        "messageId": "msg-track-1",
        "userId": "user-1",
        "event": "Order Completed",
        "properties": {"revenue": 42.5, "currency": "AUD"},
        "timestamp": "2024-05-01T10:05:00Z",
    }
    msg.update(over)
    return msg


def shopify_customer(**over: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "id": 7001,
        "email": "Bob.Norman@Example.com",
        "phone": "+61 412 345 678",
        "first_name": "Bob",
        "last_name": "Norman",
        "created_at": "2024-03-01T10:00:00+11:00",
        "updated_at": "2024-03-02T10:00:00+11:00",
        "email_marketing_consent": {"state": "subscribed"},
        "default_address": {
            "address1": "12 Smith St",
            "city": "Fitzroy",
            "province": "Victoria",
            "zip": "3065",
            "country_code": "AU",
        },
    }
    p.update(over)
    return p


def signed(payload: Any, topic: str, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    return body, {
        "X-Shopify-Hmac-Sha256": sign(secret, body),
        "X-Shopify-Topic": topic,
        "Content-Type": "application/json",
    }


# -- Segment ------------------------------------------------------------------------------


async def test_identify_creates_a_record_with_normalised_identifiers(
    client: httpx.AsyncClient, graph: GraphClient, key: dict[str, str]
) -> None:
    r = await client.post("/v1/identify", json=identify(), headers=key)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 1 and body["duplicates"] == 0 and body["quarantined"] == 0
    assert body["batch_id"].startswith("segment-") and body["batch_ids"] == [body["batch_id"]]
    record, identifiers = await _record(graph, "segment:user-1")
    assert identifiers == {
        "user_id:user-1",
        "cookie:anon-1",
        "email:janedoe@gmail.com",
        "phone:+61412345678",
    }
    assert (record["given_name"], record["family_name"]) == ("Jane", "Doe")
    assert record["postcode"] == "2000" and record["file"] == "http:/v1/identify"
    batch = await graph.read_text(
        "t",
        "MATCH (b:IngestBatch {id: $id}) RETURN b.status AS s, b.rows_accepted AS n",
        {"id": body["batch_id"]},
    )
    assert batch == [{"s": "completed", "n": 1}]


async def test_a_repeated_message_id_is_not_ingested_twice(
    client: httpx.AsyncClient, graph: GraphClient, key: dict[str, str]
) -> None:
    first = await client.post("/v1/identify", json=identify(), headers=key)
    assert first.json()["accepted"] == 1
    # The retry carries other traits: had it been ingested, the name would change.
    retry = identify(traits={"firstName": "Other"}, timestamp="2024-06-01T00:00:00Z")
    again = await client.post("/v1/identify", json=retry, headers=key)
    assert again.status_code == 200
    assert again.json() == {
        "accepted": 0,
        "duplicates": 1,
        "quarantined": 0,
        "ignored": 0,
        "batch_id": None,
        "batch_ids": [],
    }
    record, _ = await _record(graph, "segment:user-1")
    assert record["given_name"] == "Jane"
    assert await _count(graph, "(:IngestBatch)") == 1
    assert await _count(graph, "(:SegmentMessage {message_id: 'msg-identify-1'})") == 1


async def test_track_creates_events_attached_to_the_record(
    client: httpx.AsyncClient, graph: GraphClient, key: dict[str, str]
) -> None:
    await client.post("/v1/identify", json=identify(), headers=key)
    r = await client.post("/v1/track", json=track(), headers=key)
    assert r.status_code == 200 and r.json()["accepted"] == 1
    rows = await graph.read_text(
        "t",
        "MATCH (e:Event)-[:BY]->(r:Record) RETURN e.eid AS eid, e.type AS type, r.rid AS rid, "
        "e.ts AS ts, e.properties AS props",
    )
    assert len(rows) == 1
    ev = rows[0]
    assert (ev["eid"], ev["type"], ev["rid"]) == (
        "segment:msg-track-1",
        "order completed",
        "segment:user-1",
    )
    assert ev["ts"] == "2024-05-01T10:05:00Z"
    assert json.loads(ev["props"])["properties"] == {"revenue": 42.5, "currency": "AUD"}
    # The track row did not erase what identify said.
    record, identifiers = await _record(graph, "segment:user-1")
    assert record["given_name"] == "Jane" and "email:janedoe@gmail.com" in identifiers


async def test_anonymous_activity_shares_the_cookie_of_the_user(
    client: httpx.AsyncClient, graph: GraphClient, key: dict[str, str]
) -> None:
    anon = track(userId=None, anonymousId="anon-1", messageId="anon-view", event="Viewed")
    await client.post("/v1/track", json=anon, headers=key)
    await client.post("/v1/identify", json=identify(), headers=key)
    _, visitor = await _record(graph, "segment:anon-1")
    _, user = await _record(graph, "segment:user-1")
    assert visitor == {"cookie:anon-1"}
    assert "cookie:anon-1" in user  # the identifier that resolution joins them by


async def test_batch_of_mixed_messages(
    client: httpx.AsyncClient, graph: GraphClient, key: dict[str, str]
) -> None:
    await client.post("/v1/track", json=track(messageId="seen-before"), headers=key)
    batch = {
        "batch": [
            identify(),
            identify(
                messageId="msg-identify-2",
                userId="user-2",
                anonymousId=None,
                traits={"email": "sam@example.com"},
            ),
            track(messageId="t-2"),
            track(messageId="t-2"),  # repeated within the batch
            track(messageId="seen-before"),  # ingested by an earlier request
            {
                "type": "page",
                "anonymousId": "anon-9",
                "messageId": "p-1",
                "name": "Home",
                "properties": {"url": "https://shop.example/"},
            },
            {"type": "group", "userId": "user-1", "groupId": "g-1"},
            track(messageId="bad-time", timestamp="not a time"),
        ],
        "sentAt": "2024-05-01T10:06:00Z",
    }
    r = await client.post("/v1/batch", json=batch, headers=key)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["duplicates"], body["quarantined"], body["ignored"]) == (
        4,
        2,
        1,
        1,
    )
    assert len(body["batch_ids"]) == 2  # the identify rows and the track rows
    assert await _count(graph, "(:Record {source: 'segment'})") == 3
    events = await graph.read_text(
        "t", "MATCH (e:Event)-[:BY]->(r) RETURN e.eid AS eid, e.type AS type, r.rid AS rid"
    )
    assert sorted((e["eid"], e["type"], e["rid"]) for e in events) == [
        ("segment:p-1", "page", "segment:anon-9"),
        ("segment:seen-before", "order completed", "segment:user-1"),
        ("segment:t-2", "order completed", "segment:user-1"),
    ]
    q = await graph.read_text("t", "MATCH (q:Quarantine) RETURN q.reason AS reason")
    assert [x["reason"] for x in q] == ["unparseable_timestamp:ts"]
    _, sam = await _record(graph, "segment:user-2")
    assert sam == {"user_id:user-2", "email:sam@example.com"}
    # Every message handled (ingested or quarantined) is remembered; ignored ones are not.
    assert await _count(graph, "(:SegmentMessage)") == 6


async def test_schema_errors_are_422_naming_the_field(
    client: httpx.AsyncClient, graph: GraphClient, key: dict[str, str]
) -> None:
    r = await client.post(
        "/v1/batch", json={"batch": [identify(), {"type": "track", "userId": "u"}]}, headers=key
    )
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail["error"] == "invalid_payload"
    assert {"field": "batch.1.event", "message": "Field required"} in detail["errors"]
    r = await client.post("/v1/identify", json={"traits": {}}, headers=key)
    assert r.status_code == 422 and "userId or anonymousId" in r.json()["detail"]["message"]
    r = await client.post("/v1/track", json=identify(), headers=key)
    assert r.status_code == 422 and r.json()["detail"]["errors"][0]["field"] == "type"
    assert await _count(graph, "(:Record)") == 0  # nothing of a refused batch is ingested


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (b'{"type": "identify", "userId": ', "not valid JSON"),
        (b"", "empty"),
        (b"\xff\xfe{}", "JSON"),
        (b"[" * 100_000, "JSON"),
    ],
)
async def test_malformed_json_is_400(
    client: httpx.AsyncClient, key: dict[str, str], content: bytes, text: str
) -> None:
    headers = {**key, "Content-Type": "application/json"}
    r = await client.post("/v1/batch", content=content, headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["detail"]["error"] == "malformed_json"
    assert text in r.json()["detail"]["message"]


async def test_body_too_large_is_413_before_parsing(
    make_client: Client, settings: Settings, graph: GraphClient, key: dict[str, str]
) -> None:
    small = settings.model_copy(update={"api_max_body_bytes": 2048})
    client = await make_client(small)
    big = {"batch": [track(messageId=f"m-{i}") for i in range(40)]}
    r = await client.post("/v1/batch", json=big, headers=key)
    assert r.status_code == 413
    assert r.json()["detail"] == {
        "error": "payload_too_large",
        "message": "the body exceeds 2048 bytes; send fewer messages per request",
        "limit": 2048,
    }

    # Without Content-Length (chunked): counted while streaming, and not even valid JSON.
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 500

    r = await client.post("/v1/batch", content=chunks(), headers=key)
    assert r.status_code == 413
    # A body under the limit passes.
    r = await client.post("/v1/batch", json={"batch": [track()]}, headers=key)
    assert r.status_code == 200
    assert await _count(graph, "(:Event)") == 1


async def test_compressed_bodies_are_refused(
    client: httpx.AsyncClient, key: dict[str, str]
) -> None:
    r = await client.post(
        "/v1/batch", content=b"\x1f\x8b", headers={**key, "Content-Encoding": "gzip"}
    )
    assert r.status_code == 415


# -- Shopify ------------------------------------------------------------------------------


@pytest.fixture
async def shop(make_client: Client, settings: Settings) -> httpx.AsyncClient:
    return await make_client(
        settings.model_copy(update={"shopify_webhook_secret": SecretStr(SECRET)})
    )


async def test_shopify_customer_with_a_valid_hmac_lands_on_the_export_record(
    shop: httpx.AsyncClient, graph: GraphClient, tmp_path: Path
) -> None:
    # The customer as the batch export knows it...
    export = {**shopify_customer(), "accepts_marketing": False, "email_marketing_consent": None}
    (tmp_path / "customers.jsonl").write_text(json.dumps(export) + "\n")
    await Ingestor(graph, builtin_mapping("ecommerce")).ingest_path(tmp_path)
    # ...then updated by webhook: a new name and consent, on the same record.
    body, headers = signed(shopify_customer(first_name="Robert"), "customers/update")
    r = await shop.post("/webhooks/shopify/customers", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1 and r.json()["quarantined"] == 0
    assert await _count(graph, "(:Record)") == 1
    record, identifiers = await _record(graph, "ecommerce:7001")
    assert record["given_name"] == "Robert"
    assert record["consent_email"] in (True, "true")
    assert record["file"] == "http:/webhooks/shopify/customers"
    assert {"email:bob.norman@example.com", "phone:+61412345678"} <= identifiers


async def test_shopify_invalid_or_missing_hmac_is_401(
    shop: httpx.AsyncClient, graph: GraphClient
) -> None:
    body, headers = signed(shopify_customer(), "customers/create", secret="not the secret")
    r = await shop.post("/webhooks/shopify/customers", content=body, headers=headers)
    assert r.status_code == 401
    assert r.json()["detail"]["error"] == "invalid_signature"
    good_body, good = signed(shopify_customer(), "customers/create")
    tampered = good_body.replace(b"Bob", b"Eve")
    r = await shop.post("/webhooks/shopify/customers", content=tampered, headers=good)
    assert r.status_code == 401
    no_sig = {k: v for k, v in good.items() if k != "X-Shopify-Hmac-Sha256"}
    r = await shop.post("/webhooks/shopify/customers", content=good_body, headers=no_sig)
    assert r.status_code == 401
    assert await _count(graph, "(:Record)") == 0


async def test_shopify_order_webhook_creates_an_order(
    shop: httpx.AsyncClient, graph: GraphClient
) -> None:
    order = {
        "id": 9001,
        "order_number": 1001,
        "email": "bob.norman@example.com",
        "created_at": "2024-03-05T12:00:00-05:00",
        "total_price": "59.90",
        "currency": "AUD",
        "customer": {"id": 7001, "email": "bob.norman@example.com"},
        "line_items": [
            {
                "sku": "TEE-1",
                "title": "Tee",
                "product_type": "Tops",
                "quantity": 2,
                "price": "19.95",
            },
            {
                "sku": "CAP-2",
                "title": "Cap",
                "product_type": "Hats",
                "quantity": 1,
                "price": "20.00",
            },
        ],
    }
    body, headers = signed(order, "orders/create")
    r = await shop.post("/webhooks/shopify/orders", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1
    rows = await graph.read_text(
        "t",
        "MATCH (o:Order)-[:PLACED_BY]->(r:Record) RETURN o.oid AS oid, r.rid AS rid, "
        "o.total AS total, o.categories AS cats, o.line_quantities AS qty, r.stub AS stub",
    )
    assert rows == [
        {
            "oid": "ecommerce:9001",
            "rid": "ecommerce:7001",
            "total": 59.9,
            "cats": ["Hats", "Tops"],
            "qty": [2, 1],
            "stub": True,
        }
    ]
    # The customer's own webhook then fills in the stub.
    body, headers = signed(shopify_customer(), "customers/create")
    await shop.post("/webhooks/shopify/customers", content=body, headers=headers)
    record, _ = await _record(graph, "ecommerce:7001")
    assert record.get("stub") is None and record["given_name"] == "Bob"


async def test_shopify_guest_order_is_quarantined(
    shop: httpx.AsyncClient, graph: GraphClient
) -> None:
    order = {
        "id": 9002,
        "created_at": "2024-03-05T12:00:00Z",
        "total_price": "5.00",
        "customer": None,
        "line_items": [],
    }
    body, headers = signed(order, "orders/create")
    r = await shop.post("/webhooks/shopify/orders", content=body, headers=headers)
    assert r.status_code == 200
    assert (r.json()["accepted"], r.json()["quarantined"]) == (0, 1)
    assert await _count(graph, "(:Order)") == 0


async def test_shopify_other_topics_are_acknowledged_and_ignored(
    shop: httpx.AsyncClient, graph: GraphClient
) -> None:
    body, headers = signed({"id": 7001}, "customers/delete")
    r = await shop.post("/webhooks/shopify/customers", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["ignored"] == 1
    assert await _count(graph, "(:Record)") == 0


async def test_shopify_schema_error_is_422(shop: httpx.AsyncClient) -> None:
    body, headers = signed({"email": "x@example.com"}, "customers/create")
    r = await shop.post("/webhooks/shopify/customers", content=body, headers=headers)
    assert r.status_code == 422
    assert r.json()["detail"]["errors"][0]["field"] == "id"


async def test_shopify_without_a_secret_needs_an_ingest_key(
    client: httpx.AsyncClient, graph: GraphClient, key: dict[str, str]
) -> None:
    payload = shopify_customer()
    r = await client.post("/webhooks/shopify/customers", json=payload)
    assert r.status_code == 401 and r.json()["detail"]["error"] == "missing_api_key"
    clienteling = await issue_key(graph, "ipad", Role.CLIENTELING)
    r = await client.post(
        "/webhooks/shopify/customers", json=payload, headers={"X-API-Key": clienteling}
    )
    assert r.status_code == 403
    r = await client.post("/webhooks/shopify/customers", json=payload, headers=key)
    assert r.status_code == 200 and r.json()["accepted"] == 1
    await _record(graph, "ecommerce:7001")
