"""GraphQL mutations on the real graph: overrides (split, reject, force-link), GDPR erasure
and small-batch ingestion, posted with httpx to the real app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from api.app import create_app
from api.auth import issue_key
from cli.main import app as cdp
from core.settings import Settings
from graph.client import GraphClient
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from ingest.suppression import SuppressionHasher, record_suppression_key
from matching.resolve import Resolver
from tests.factories.graphql import GraphQLClient
from tests.factories.records import ingest_people

SARAH = [
    {
        "id": "1",
        "first": "Sarah",
        "last": "Johnson",
        "email": "s.johnson@email.com",
        "phone": "0412 987 651",
        "loyalty": "L-100",
        "dob": "1985-03-02",
    },
    {"id": "2", "first": "Sarah", "last": "Johnson", "email": "S.Johnson@Email.com"},
]
# Sam shares Sarah's phone (a household): different people, so the phone does not link them.
SAM = [
    {"id": "8", "first": "Sam", "last": "Johnson", "phone": "+61412987651", "email": "sam@x.com"}
]
TOMS = [
    {"id": "3", "first": "Tom", "last": "Brown", "email": "tom@x.com"},
    {"id": "4", "first": "Tom", "last": "Brown", "email": "TOM@x.com", "phone": "0498 765 432"},
]
ECOMMERCE = [
    {
        "id": "e1",
        "first_name": "Sarah",
        "last_name": "Johnson",
        "email": "s.johnson@email.com",
        "default_address": {"address1": "12 George St", "zip": "3000", "country_code": "AU"},
    },
]
ORDERS = [
    {
        "id": f"o{i}",
        "customer": {"id": "e1"},
        "created_at": f"2024-0{i}-05T10:00:00Z",
        "total_price": "10.00",
        "line_items": [{"sku": "S", "quantity": 1, "price": "10.00"}],
    }
    for i in (1, 2, 3)
]
ESP = [{"profile_id": "k1", "email": "s.johnson@email.com", "first_name": "Sarah"}]
EVENTS = [
    {"event_id": "ev1", "profile_id": "k1", "type": "email_open", "ts": "2024-03-01T08:00:00Z"},
    {"event_id": "ev2", "profile_id": "k1", "type": "email_click", "ts": "2024-03-02T08:00:00Z"},
]


async def load_sarah(graph: GraphClient, tmp: Path) -> None:
    await ingest_people(graph, tmp, SARAH + SAM + TOMS)
    eco = Ingestor(graph, builtin_mapping("ecommerce"))
    await eco.ingest_rows("customers.jsonl", ECOMMERCE)
    await eco.ingest_rows("orders.jsonl", ORDERS)
    esp = Ingestor(graph, builtin_mapping("esp"))
    await esp.ingest_rows("profiles.csv", ESP)
    await esp.ingest_rows("events.csv", EVENTS)
    await Resolver(graph).resolve()


@dataclass
class Api(GraphQLClient):
    graph: GraphClient

    async def count(self, pattern: str, params: dict[str, Any] | None = None) -> int:
        rows = await self.graph.read_text(
            "t", f"MATCH {pattern} RETURN count(*) AS n", params or {}
        )
        return int(rows[0]["n"])

    async def pid_of(self, rid: str) -> str | None:
        rows = await self.graph.read_text(
            "t",
            "MATCH (:Record {rid: $rid})-[:IN_PROFILE]->(p:Profile) RETURN p.pid AS pid",
            {"rid": rid},
        )
        return str(rows[0]["pid"]) if rows else None


def codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code", "") for e in body.get("errors", [])]


@pytest.fixture
async def api(graph: GraphClient, settings: Settings, tmp_path: Path) -> AsyncIterator[Api]:
    await load_sarah(graph, tmp_path)
    keys = {
        r: await issue_key(graph, f"m-{r}", r)
        for r in ("clienteling", "analyst", "admin", "ingest")
    }
    app: FastAPI = create_app(settings, graph=graph)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        yield Api(c, keys, graph)


LOOKUP = (
    "query($t: String!, $v: String!) "
    "{ profileByIdentifier(type: $t, value: $v) { pid givenName { value } } }"
)
FORGET = """mutation($t: String!, $v: String!, $pid: ID) {
  forgetCustomer(type: $t, value: $v, pid: $pid) {
  found profiles records identifiers events ordersUnlinked suppressions reResolvedRecords } }"""


# -- forgetting ----------------------------------------------------------------------------------


async def test_forget_customer_erases_the_person_and_keeps_others(api: Api) -> None:
    sarah = await api.pid_of("crm:1")
    sam = await api.pid_of("crm:8")
    assert sarah and sam and sarah != sam
    assert await api.pid_of("esp:k1") == await api.pid_of("ecommerce:e1") == sarah

    result = (await api.data(FORGET, {"t": "email", "v": " S.JOHNSON@email.com"}))["forgetCustomer"]
    assert result == {
        "found": True,
        "profiles": 1,
        "records": 4,  # crm:1, crm:2, ecommerce:e1, esp:k1
        "identifiers": 4,  # email, loyalty id, Shopify id, ESP id; the phone is Sam's too
        "events": 2,
        "ordersUnlinked": 3,
        "suppressions": 8,  # the 4 erased identifiers and the 4 records
        "reResolvedRecords": 1,  # Sam's record, which shared the phone
    }
    assert (
        await api.count("(r:Record) WHERE r.rid IN ['crm:1', 'crm:2', 'ecommerce:e1', 'esp:k1']")
        == 0
    )
    assert await api.count("(p:Profile {pid: $pid})", {"pid": sarah}) == 0
    assert await api.count("(:Identifier {key: 'email:s.johnson@email.com'})") == 0
    assert await api.count("(:Identifier {key: 'phone:+61412987651'})") == 1
    assert await api.count("(:Event)") == 0
    assert await api.count("(o:Order) WHERE o.forgotten AND NOT (o)-[:PLACED_BY]->()") == 3
    hashes = {
        r["h"] for r in await api.graph.read_text("t", "MATCH (s:Suppression) RETURN s.hash AS h")
    }
    assert (
        SuppressionHasher(api.graph.suppression_keys).written("email:s.johnson@email.com") in hashes
    )
    assert (
        SuppressionHasher(api.graph.suppression_keys).written(record_suppression_key("crm:1"))
        in hashes
    )
    assert SuppressionHasher(api.graph.suppression_keys).written("phone:+61412987651") not in hashes
    # Nothing readable of her is left in the suppression entries.
    props = await api.graph.read_text("t", "MATCH (s:Suppression) RETURN properties(s) AS p")
    assert all("johnson" not in str(p).lower() for p in props)

    assert (await api.data(LOOKUP, {"t": "email", "v": "s.johnson@email.com"}))[
        "profileByIdentifier"
    ] is None
    by_phone = (await api.data(LOOKUP, {"t": "phone", "v": "0412 987 651"}))["profileByIdentifier"]
    assert by_phone == {"pid": sam, "givenName": {"value": "Sam"}}


async def test_reingest_after_forget_does_not_bring_the_person_back(
    api: Api, tmp_path: Path
) -> None:
    await api.data(FORGET, {"t": "email", "v": "s.johnson@email.com"})
    # The same files again, and a new source that only knows her email.
    await load_sarah(api.graph, tmp_path)
    rep = await Ingestor(api.graph, builtin_mapping("loyalty")).ingest_rows(
        "members.csv",
        [{"loyalty_id": "L-900", "email": "S.Johnson@email.com", "first_name": "Sarah"}],
    )
    assert rep.rows_suppressed == 1 and rep.rows_accepted == 0
    await Resolver(api.graph).resolve()
    assert (await api.data(LOOKUP, {"t": "email", "v": "s.johnson@email.com"}))[
        "profileByIdentifier"
    ] is None
    assert (
        await api.count(
            "(r:Record) WHERE r.rid IN "
            "['crm:1', 'crm:2', 'ecommerce:e1', 'esp:k1', 'loyalty:L-900']"
        )
        == 0
    )
    assert await api.count("(:Event)") == 0
    assert await api.count("(o:Order)-[:PLACED_BY]->()") == 0
    # Sam and the Toms are untouched.
    assert await api.pid_of("crm:8") is not None and await api.pid_of("crm:3") is not None
    # Ingesting through the API drops her rows too.
    data = await api.data(
        'mutation($rows: [JSON!]!) { ingestRecords(source: "ecommerce", rows: $rows) '
        "{ rowsRead rowsAccepted rowsSuppressed } }",
        {"rows": ECOMMERCE},
        role="ingest",
    )
    assert data["ingestRecords"] == {"rowsRead": 1, "rowsAccepted": 0, "rowsSuppressed": 1}


async def test_forget_a_shared_identifier_needs_the_pid(api: Api) -> None:
    sam = await api.pid_of("crm:8")
    body = await api.gql(FORGET, {"t": "phone", "v": "0412987651"})
    assert codes(body) == ["CONFLICT"] and "pass the pid" in body["errors"][0]["message"]
    assert body["data"] is None
    result = (await api.data(FORGET, {"t": "phone", "v": "0412987651", "pid": sam}))[
        "forgetCustomer"
    ]
    assert result["profiles"] == 1 and result["records"] == 1
    # The phone is still Sarah's: neither erased nor suppressed.
    assert await api.count("(:Identifier {key: 'phone:+61412987651'})") == 1
    assert (await api.data(LOOKUP, {"t": "phone", "v": "0412987651"}))["profileByIdentifier"][
        "givenName"
    ] == {"value": "Sarah"}
    assert (await api.data(LOOKUP, {"t": "email", "v": "sam@x.com"}))["profileByIdentifier"] is None
    body = await api.gql(FORGET, {"t": "phone", "v": "0412987651", "pid": "p-unknown"})
    assert codes(body) == ["NOT_FOUND"]


async def test_cdp_forget_erases_like_forget_customer(api: Api) -> None:
    sarah, sam = await api.pid_of("crm:1"), await api.pid_of("crm:8")
    runner = CliRunner()
    shared = await asyncio.to_thread(runner.invoke, cdp, ["forget", "phone", "0412987651"])
    assert shared.exit_code == 2 and "pass the pid" in " ".join(shared.stdout.split())
    assert await api.pid_of("crm:1") == sarah

    done = await asyncio.to_thread(runner.invoke, cdp, ["forget", "email", " S.JOHNSON@email.com"])
    assert done.exit_code == 0, done.stdout
    out = " ".join(done.stdout.split())
    assert "1 profiles, 4 records, 4 identifiers, 2 events; 3 orders unlinked" in out
    assert "8 suppression hashes kept; 1 records resolved again" in out
    assert (
        await api.count("(r:Record) WHERE r.rid IN ['crm:1', 'crm:2', 'ecommerce:e1', 'esp:k1']")
        == 0
    )
    assert await api.count("(p:Profile {pid: $pid})", {"pid": sarah}) == 0
    assert await api.count("(:Identifier {key: 'email:s.johnson@email.com'})") == 0
    hashes = {
        r["h"] for r in await api.graph.read_text("t", "MATCH (s:Suppression) RETURN s.hash AS h")
    }
    assert (
        SuppressionHasher(api.graph.suppression_keys).written("email:s.johnson@email.com") in hashes
    )
    assert (
        SuppressionHasher(api.graph.suppression_keys).written(record_suppression_key("crm:1"))
        in hashes
    )
    assert await api.pid_of("crm:8") == sam
    bad = await asyncio.to_thread(runner.invoke, cdp, ["forget", "email", "not an email"])
    assert bad.exit_code == 2 and "not an email" not in bad.stdout


async def test_forget_someone_unknown_still_suppresses(api: Api) -> None:
    result = (await api.data(FORGET, {"t": "email", "v": "never@seen.com"}))["forgetCustomer"]
    assert result["found"] is False and result["records"] == 0 and result["suppressions"] == 1
    rep = await Ingestor(api.graph, builtin_mapping("esp")).ingest_rows(
        "profiles.csv", [{"profile_id": "k9", "email": "NEVER@seen.com"}]
    )
    assert rep.rows_suppressed == 1
    body = await api.gql(FORGET, {"t": "email", "v": "not an email"})
    assert codes(body) == ["BAD_USER_INPUT"]


# -- overrides ---------------------------------------------------------------------------------


async def test_split_identifier_then_undo(api: Api) -> None:
    tom = await api.pid_of("crm:3")
    assert tom == await api.pid_of("crm:4")
    q = """mutation($shared: Boolean!) {
      splitIdentifier(type: "email", value: "Tom@X.com", shared: $shared) {
      records resolution { split created merged records } profiles { pid recordCount } } }"""
    data = (await api.data(q, {"shared": True}))["splitIdentifier"]
    assert data["records"] == 2 and data["resolution"]["split"] == 1
    assert sorted(p["recordCount"] for p in data["profiles"]) == [1, 1]
    assert await api.pid_of("crm:3") != await api.pid_of("crm:4")
    data = (await api.data(q, {"shared": False}))["splitIdentifier"]
    assert data["resolution"]["merged"] == 1 and [p["recordCount"] for p in data["profiles"]] == [2]
    body = await api.gql(
        'mutation { splitIdentifier(type: "email", value: "nobody@x.com") { records } }'
    )
    assert codes(body) == ["NOT_FOUND"]


async def test_force_link_and_reject_match(api: Api) -> None:
    q = """mutation($a: ID!, $b: ID!) { forceLink(recordA: $a, recordB: $b) {
      records resolution { merged } profiles { pid recordCount } } }"""
    data = (await api.data(q, {"a": "crm:3", "b": "crm:8"}))["forceLink"]
    assert data["resolution"]["merged"] == 1 and [p["recordCount"] for p in data["profiles"]] == [3]
    assert await api.pid_of("crm:8") == await api.pid_of("crm:3")
    body = await api.gql(q, {"a": "crm:3", "b": "crm:3"})
    assert codes(body) == ["BAD_USER_INPUT"]
    body = await api.gql(q, {"a": "crm:3", "b": "crm:404"})
    assert codes(body) == ["NOT_FOUND"]

    r = """mutation($a: ID!, $b: ID!) { rejectMatch(recordA: $a, recordB: $b, resolve: false) {
      records resolution { records } profiles { pid } } }"""
    data = (await api.data(r, {"a": "crm:1", "b": "crm:8"}))["rejectMatch"]
    assert data["records"] == 2 and data["resolution"] is None and len(data["profiles"]) == 2
    assert (
        await api.count(
            "(:Record {rid: 'crm:1'})-[m:MATCHES {rejected: true}]-(:Record {rid: 'crm:8'})"
        )
        == 1
    )
    body = await api.gql(r, {"a": "crm:404", "b": "crm:1"})
    assert codes(body) == ["NOT_FOUND"]


# -- ingestion ---------------------------------------------------------------------------------


async def test_ingest_records_small_batch(api: Api) -> None:
    q = """mutation($rows: [JSON!]!, $file: String, $resolve: Boolean!) {
      ingestRecords(source: "ecommerce", rows: $rows, file: $file, resolve: $resolve) {
        batchId status rowsRead rowsAccepted rowsQuarantined records orders quarantineReasons
        resolution { created } } }"""
    rows = [
        {"id": "e7", "first_name": "Ivy", "last_name": "Lam", "email": "ivy@x.com"},
        {"first_name": "No", "last_name": "Key"},
    ]
    data = (await api.data(q, {"rows": rows, "file": None, "resolve": True}, role="ingest"))[
        "ingestRecords"
    ]
    assert data["status"] == "completed" and data["rowsRead"] == 2
    assert data["rowsAccepted"] == 1 and data["rowsQuarantined"] == 1 and data["records"] == 1
    assert data["quarantineReasons"] == {"missing_key": 1} and data["resolution"] == {"created": 1}
    found = (await api.data(LOOKUP, {"t": "email", "v": "IVY@x.com"}))["profileByIdentifier"]
    assert found["givenName"] == {"value": "Ivy"}
    orders = [
        {
            "id": "o9",
            "customer": {"id": "e7"},
            "created_at": "2024-05-01T00:00:00Z",
            "total_price": "5",
        }
    ]
    data = (await api.data(q, {"rows": orders, "file": "orders.jsonl", "resolve": False}))[
        "ingestRecords"
    ]
    assert data["orders"] == 1 and data["resolution"] is None

    cases: list[tuple[dict[str, Any], str]] = [
        ({"rows": rows, "file": "nope.csv", "resolve": False}, "has no file"),
        ({"rows": [], "file": None, "resolve": False}, "rows is empty"),
        ({"rows": [1, 2], "file": None, "resolve": False}, "must be a JSON object"),
        ({"rows": [{}] * 1001, "file": None, "resolve": False}, "at most 1000 rows"),
    ]
    for variables, needle in cases:
        body = await api.gql(q, variables, role="ingest")
        assert codes(body) == ["BAD_USER_INPUT"] and needle in body["errors"][0]["message"], body
    body = await api.gql(
        'mutation { ingestRecords(source: "nope", rows: [{}]) { batchId } }', role="ingest"
    )
    assert (
        codes(body) == ["BAD_USER_INPUT"] and "no built-in mapping" in body["errors"][0]["message"]
    )
