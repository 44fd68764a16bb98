"""The segment and activation GraphQL API, posted with httpx to the real app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.auth import issue_key
from api.graphql.segments import mutations as segments_api
from core.settings import Settings
from graph.client import GraphClient
from tests.factories.graphql import GraphQLClient
from tests.integration.test_segments_support import add_profiles, profile

Api = GraphQLClient


def codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code", "") for e in body.get("errors", [])]


@pytest.fixture
async def api(
    graph: GraphClient, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Api]:
    await add_profiles(
        graph,
        [
            profile(
                f"p-{i}",
                email=f"c{i}@shop.com",
                given_name="Ann",
                clv_percentile=i / 10,
                loyalty_tier="gold" if i % 2 else "silver",
                consent_email=True,
                identifiers=[{"type": "email", "value": f"c{i}@shop.com"}],
            )
            for i in range(10)
        ],
    )
    keys = {r: await issue_key(graph, f"seg-{r}", r) for r in ("analyst", "admin", "clienteling")}
    # The API reads the activation settings once (CDP_DEST_*); point files at tmp_path.
    monkeypatch.setenv("CDP_DEST_FILE_ROOT", str(tmp_path / "out"))
    segments_api._settings_from_env.cache_clear()
    app: FastAPI = create_app(settings, graph=graph)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        yield Api(c, keys)
    segments_api._settings_from_env.cache_clear()


GOLD_HIGH = {
    "and": [
        {"attribute": {"field": "loyalty_tier", "op": "eq", "value": "gold"}},
        {"attribute": {"field": "clv_percentile", "op": "gte", "value": 0.5}},
    ]
}

PREVIEW = """query($d: SegmentFilterInput!) {
  segmentPreview(definition: $d, sampleSize: 2) { count sample { pid email loyaltyTier } } }"""
CREATE = """mutation($d: SegmentFilterInput!) {
  createSegment(id: "gold-high", name: "Gold, high value", definition: $d) {
    id memberCount definition timeRelative } }"""
MEMBERS = """query($after: String) { segmentMembers(id: "gold-high", first: 2, after: $after) {
  nodes { pid } pageInfo { hasNextPage endCursor } } }"""


async def test_segments_over_graphql(api: Api) -> None:
    prev = (await api.data(PREVIEW, {"d": GOLD_HIGH}, role="analyst"))["segmentPreview"]
    assert prev["count"] == 3  # 5, 7, 9
    assert [m["pid"] for m in prev["sample"]] == ["p-5", "p-7"]
    assert prev["sample"][0]["email"] == "c5@shop.com"

    made = (await api.data(CREATE, {"d": GOLD_HIGH}))["createSegment"]
    assert made["memberCount"] == 3 and made["definition"]["and"][0]["attribute"]["value"] == "gold"

    page = (await api.data(MEMBERS, role="analyst"))["segmentMembers"]
    assert [n["pid"] for n in page["nodes"]] == ["p-5", "p-7"] and page["pageInfo"]["hasNextPage"]
    page = (await api.data(MEMBERS, {"after": page["pageInfo"]["endCursor"]}))["segmentMembers"]
    assert [n["pid"] for n in page["nodes"]] == ["p-9"] and not page["pageInfo"]["hasNextPage"]

    listed = await api.data("{ segments { id name memberCount } }", role="analyst")
    assert listed["segments"] == [{"id": "gold-high", "name": "Gold, high value", "memberCount": 3}]


async def test_writes_and_syncs_need_admin(api: Api) -> None:
    for role in ("analyst", "clienteling"):
        body = await api.gql(CREATE, {"d": GOLD_HIGH}, role=role)
        assert codes(body) == ["FORBIDDEN"] and body["data"] is None
    body = await api.gql(PREVIEW, {"d": GOLD_HIGH}, role="clienteling")
    assert codes(body) == ["FORBIDDEN"]


async def test_bad_definitions_are_bad_input(api: Api) -> None:
    bad = {"attribute": {"field": "loyalty_tier) DETACH DELETE p //", "op": "eq", "value": "x"}}
    body = await api.gql(PREVIEW, {"d": bad}, role="analyst")
    assert codes(body) == ["BAD_USER_INPUT"]
    two_keys = {"inSource": "esp", "consent": "email"}
    body = await api.gql(PREVIEW, {"d": two_keys}, role="analyst")
    assert body.get("errors")  # oneOf: exactly one field


async def test_destination_link_and_trigger_sync(api: Api) -> None:
    await api.data(CREATE, {"d": GOLD_HIGH})
    made = await api.data(
        """mutation($c: JSON!) { createDestination(id: "files", kind: "file", config: $c) {
          id kind config } }""",
        {"c": {"directory": "gql", "attributes": ["clv_percentile"]}},
    )
    assert made["createDestination"]["config"] == {
        "directory": "gql",
        "attributes": ["clv_percentile"],
    }
    secret = await api.gql(
        """mutation { createDestination(id: "hook", kind: "webhook",
          config: {url: "https://h.test/x", secret: "plain-text-secret"}) { id } }"""
    )
    assert codes(secret) == ["BAD_USER_INPUT"] and "secret_ref" in secret["errors"][0]["message"]

    link = await api.data(
        'mutation { linkSegment(segment: "gold-high", destination: "files", intervalSeconds: 3600) '
        "{ segment destination intervalSeconds enabled } }"
    )
    assert link["linkSegment"]["intervalSeconds"] == 3600

    dry = (
        await api.data(
            'mutation { triggerSync(segment: "gold-high", destination: "files", dryRun: true) '
            "{ status adds dryRun } }"
        )
    )["triggerSync"]
    assert dry == {"status": "dry_run", "adds": 3, "dryRun": True}
    run = (
        await api.data(
            'mutation { triggerSync(segment: "gold-high", destination: "files") '
            "{ id status adds } }"
        )
    )["triggerSync"]
    assert (run["status"], run["adds"]) == ("succeeded", 3)
    runs = await api.data('{ syncRuns(segment: "gold-high") { id status dryRun } }', role="analyst")
    assert [r["status"] for r in runs["syncRuns"]] == ["succeeded", "dry_run"]
    links = await api.data("{ syncLinks { segment members lastStatus running } }", role="analyst")
    assert links["syncLinks"] == [
        {"segment": "gold-high", "members": 3, "lastStatus": "succeeded", "running": False}
    ]
    dests = await api.data("{ destinations { id kind } }", role="analyst")
    assert dests["destinations"] == [{"id": "files", "kind": "file"}]
    assert json.dumps(dests).count("secret") == 0
