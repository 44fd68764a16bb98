"""Record ids and source keys that are personal data (a Segment `userId` that is an email, a
loyalty number) are masked for clienteling keys wherever a clienteling key can reach them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.auth import _PERMISSIONS as PERMISSIONS
from api.auth import Permission, issue_key
from core.settings import Settings
from graph.client import GraphClient
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from matching.resolve import Resolver
from tests.factories.graphql import GraphQLClient

USER_EMAIL = "Marguerite.Okonkwo@Okonkwo-Mail.com.au"
LOYALTY = "LX-99817263"
PHONE = "0413 579 246"

EVERYTHING = """query($t: String!, $v: String!) {
  profileByIdentifier(type: $t, value: $v) {
    pid givenName { value source } familyName { value } email { value source }
    phone { value } sources recordCount
    identifiers { key type value records sources }
    records {
      rid source sourceId givenName familyName email phone address file row issues raw
      identifiers { key value type }
      profile { pid recordCount }
    }
    orders(first: 10) { edges { cursor node { oid orderId source } } }
    events(first: 10) { edges { cursor node { eid type source properties } } }
    history { kind pid others records }
  }
  profilesByIdentifier(type: $t, value: $v) { pid records { rid sourceId } }
}"""


@pytest.fixture
async def gql(
    graph: GraphClient, settings: Settings, tmp_path: Path
) -> AsyncIterator[GraphQLClient]:
    keys = {r: await issue_key(graph, f"k-{r}", r) for r in ("clienteling", "analyst", "ingest")}
    app: FastAPI = create_app(settings, graph=graph)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        yield GraphQLClient(c, keys)


async def _load(gql: GraphQLClient, graph: GraphClient) -> None:
    identify = {
        "type": "identify",
        "messageId": "m-1",
        "userId": USER_EMAIL,
        "timestamp": "2024-05-01T10:00:00Z",
        "traits": {"email": USER_EMAIL, "firstName": "Marguerite", "lastName": "Okonkwo"},
    }
    r = await gql.client.post(
        "/v1/identify", json=identify, headers={"Authorization": f"Bearer {gql.keys['ingest']}"}
    )
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    rep = await Ingestor(graph, builtin_mapping("loyalty")).ingest_rows(
        "members.csv",
        [
            {
                "loyalty_id": LOYALTY,
                "email": USER_EMAIL,
                "phone": PHONE,
                "first_name": "Marguerite",
                "last_name": "Okonkwo",
            }
        ],
    )
    assert rep.rows_accepted == 1
    await Resolver(graph).resolve()


def _values() -> list[str]:
    return [USER_EMAIL, USER_EMAIL.lower(), LOYALTY, "+61413579246", PHONE]


async def test_personal_source_keys_are_masked_for_clienteling(
    gql: GraphQLClient, graph: GraphClient
) -> None:
    await _load(gql, graph)
    for t, v in (("email", USER_EMAIL), ("loyalty_id", LOYALTY), ("phone", PHONE)):
        body = await gql.data(EVERYTHING, {"t": t, "v": v}, role="clienteling")
        profile = body["profileByIdentifier"]
        assert profile is not None and profile["recordCount"] == 2
        text = json.dumps(body)
        for value in _values():
            assert value not in text, (t, value)
        records = {r["source"]: r for r in profile["records"]}
        # Masked like the identifier type, and still one id per record.
        assert records["segment"]["rid"].startswith("segment:M***@Okonkwo-Mail.com.au~")
        assert records["segment"]["sourceId"].startswith("M***@Okonkwo-Mail.com.au~")
        assert records["loyalty"]["rid"].startswith("loyalty:LX***63~")
        assert len({r["rid"] for r in profile["records"]}) == 2

    # An analyst sees them in full.
    full = await gql.data(EVERYTHING, {"t": "loyalty_id", "v": LOYALTY}, role="analyst")
    rids = {r["rid"] for r in full["profileByIdentifier"]["records"]}
    assert rids == {f"segment:{USER_EMAIL}", f"loyalty:{LOYALTY}"}


async def test_a_source_key_that_is_not_personal_stays_readable(
    gql: GraphQLClient, graph: GraphClient
) -> None:
    rep = await Ingestor(graph, builtin_mapping("esp")).ingest_rows(
        "profiles.csv", [{"profile_id": "k-123", "email": "ann@x.org", "first_name": "Ann"}]
    )
    assert rep.rows_accepted == 1
    await Resolver(graph).resolve()
    body = await gql.data(EVERYTHING, {"t": "email", "v": "ann@x.org"}, role="clienteling")
    (record,) = body["profileByIdentifier"]["records"]
    assert (record["rid"], record["sourceId"]) == ("esp:k-123", "k-123")


def test_every_role_that_reads_explanations_sees_personal_data() -> None:
    # `explain`, `profileGraph`, `quarantine` and the audit show record ids in full: they are
    # open only to roles that see personal data anyway.
    for perms in PERMISSIONS.values():
        if Permission.READ in perms:
            assert Permission.PERSONAL_DATA in perms
