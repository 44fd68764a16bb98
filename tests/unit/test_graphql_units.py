"""The GraphQL layer without a database: the exported schema is current, masking, input
normalisation, cursors, the cost estimate, metric labels, value conversions, and the rule
that resolvers hold no Cypher."""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path
from typing import cast

import pytest
from graphql import parse
from hypothesis import given
from hypothesis import strategies as st
from neo4j.exceptions import ServiceUnavailable

from activate.errors import InvalidSegmentDefinition, SegmentInUse, SegmentNotFound
from api.auth import Principal, Role
from api.context import Context
from api.graphql import inputs, values
from api.graphql.errors import ApiError, DomainError, api_error
from api.graphql.limits import MAX_COST
from api.graphql.masking import mask_email, mask_identifier, mask_phone
from api.graphql.pagination import decode_cursor, encode_cursor, page_size
from api.graphql.shape import measure
from api.metrics import operation_label
from cli.schema_cmd import DEFAULT_PATH, schema_sdl
from core.settings import Settings
from graph.client import GraphClient
from graph.errors import Neo4jUnavailable
from graph.queries import cypher, query_names
from ingest.errors import InvalidPayload, InvalidRows
from matching.errors import ConfigError, ProfileNotFound, SharedIdentifier

ROOT = Path(__file__).resolve().parents[2]


def test_exported_schema_is_current() -> None:
    assert DEFAULT_PATH.is_file(), "run `cdp schema export`"
    assert DEFAULT_PATH.read_text(encoding="utf-8") == schema_sdl(), (
        "schema.graphql is stale: run `cdp schema export`"
    )


def test_masking() -> None:
    assert mask_email("sarah.johnson@email.com") == "s***@email.com"
    assert mask_phone("+61412345678") == "+614*****678"
    assert mask_identifier("loyalty_id", "L-1234567") == "L-***67"
    assert mask_identifier("loyalty_id", "L-1") == "***"
    assert mask_email("nonsense") == "no***se"


@given(st.emails())
def test_masked_email_never_shows_the_mailbox_beyond_one_letter(email: str) -> None:
    local, _, domain = email.rpartition("@")
    masked = mask_email(email)
    assert masked == f"{local[0]}***@{domain}"


@pytest.mark.parametrize(
    "raw", ["(0412) 345 678", "+61 412 345 678", "0412345678", "0412-345-678", " 0412 345 678 "]
)
def test_phone_lookups_key_like_ingestion(raw: str) -> None:
    assert inputs.identifier("phone", raw) == "phone:+61412345678"


@pytest.mark.parametrize(
    "raw", ["S.Johnson@Email.com", "  s.johnson@EMAIL.COM\t", "s.johnson@email.com"]
)
def test_email_lookups_fold_case_and_space(raw: str) -> None:
    assert inputs.identifier("email", raw) == "email:s.johnson@email.com"


@pytest.mark.parametrize(
    ("t", "v", "region"),
    [
        ("phone", "0412 34", "AU"),
        ("email", "a@", "AU"),
        ("email", " ", "AU"),
        ("bad type", "x", "AU"),
        ("phone", "0412345678", "Australia"),
        ("email", "x" * 400 + "@x.com", "AU"),
    ],
)
def test_malformed_identifiers_are_bad_input(t: str, v: str, region: str) -> None:
    with pytest.raises(ApiError) as err:
        inputs.identifier(t, v, region)
    assert err.value.extensions == {"code": "BAD_USER_INPUT"}
    assert v.strip() == "" or v not in err.value.message


def test_cursors_are_opaque_and_checked() -> None:
    c = encode_cursor("order", ["2024-01-01", "ecommerce:o1"])
    assert "ecommerce" not in c and "=" not in c
    assert decode_cursor("order", c) == ["2024-01-01", "ecommerce:o1"]
    assert decode_cursor("order", None) is None
    for bad in ("%%%", "bm90IGpzb24", encode_cursor("profile", "p-1")):
        with pytest.raises(ApiError):
            decode_cursor("order", bad)
    assert page_size(None) == 20 and page_size(100) == 100
    for n in (0, -1, 101):
        with pytest.raises(ApiError):
            page_size(n)


def test_cost_estimate_multiplies_lists_by_their_page() -> None:
    doc = parse(
        "{ searchProfiles(first: 100) { edges { node { records { identifiers { key } } } } } }"
    )
    # searchProfiles 1 + 100 x (edges 1 + (node 1 + (records 1 + 10 x (identifiers 1 + 10 x 1))))
    assert measure(doc, None, {}).cost == 1 + 100 * (1 + 1 + 1 + 10 * (1 + 10))
    doc = parse("query Q($n: Int) { searchProfiles(first: $n) { nodes { pid } } }")
    assert measure(doc, "Q", {"n": 5}).cost == 1 + 5 * (1 + 1)
    assert measure(doc, "Q", {}).cost == 1 + 100 * (1 + 1)  # unknown: the largest page
    doc = parse('fragment F on Profile { records { rid } } { profile(pid: "x") { ...F pid } }')
    assert measure(doc, None, {}).cost == 1 + (1 + 10 * 1) + 1
    doc = parse("{ __schema { types { name } } version }")
    # Introspection counts too: __schema 1 + (types 1 + 10 x name 1), version 1.
    assert measure(doc, None, {}).cost == 1 + (1 + 10 * 1) + 1
    assert MAX_COST >= 20_000


def test_operation_labels_are_bounded() -> None:
    assert operation_label(None) == "anonymous"
    assert operation_label("Lookup") == "Lookup"
    assert operation_label("drop table; --") == "other"
    assert operation_label("x" * 100) == "other"


def test_value_conversions() -> None:
    assert values.number("12.5") == 12.5 and values.number("n/a") is None
    assert values.number(float("nan")) is None and values.number(True) is None
    assert values.integer(3.9) == 3
    assert values.json_value('{"a": 1}') == {"a": 1} and values.json_value("plain") == "plain"
    props = {"last_purchase_at": "2024-01-01T10:00:00Z"}
    assert values.days_since_last_purchase(props, date(2024, 1, 31)) == 30
    assert values.days_since_last_purchase({}, date(2024, 1, 31)) is None


def test_resolvers_hold_no_cypher() -> None:
    cypher_words = re.compile(r"\b(MATCH|MERGE|CREATE) \(|\bUNWIND \$\w+ AS\b|DETACH DELETE")
    mine = [ROOT / "api" / "schema.py", ROOT / "api" / "context.py", ROOT / "api" / "metrics.py"]
    for path in sorted((ROOT / "api" / "graphql").rglob("*.py")) + mine:
        assert not cypher_words.search(path.read_text(encoding="utf-8")), path


API_QUERIES = [
    n
    for n in query_names()
    if n.startswith(("profile_", "search_", "forget_"))
    or n.startswith("graph_")
    and n != "graph_counts"
]


@pytest.mark.parametrize("name", API_QUERIES)
def test_api_queries_take_every_value_as_a_parameter(name: str) -> None:
    text = cypher(name)
    body = "\n".join(line.split("//")[0] for line in text.splitlines())
    # No literal values but the empty string and small list bounds; every input is $param.
    literals = re.findall(r"'([^']*)'", body)
    assert all(lit == "" for lit in literals), (name, literals)
    assert "$" in body or name == "graph_counts"


class _BrokenGraph:
    """Stands in for the graph client: every read fails with `exc`."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc
        self.query_count = 0

    async def read(self, name: str, params: object = None) -> list[dict[str, object]]:
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "code", "message"),
    [
        (ServiceUnavailable("down"), "UNAVAILABLE", "the graph is unavailable; retry later"),
        (
            Neo4jUnavailable("bolt://x", "down"),
            "UNAVAILABLE",
            "the graph is unavailable; retry later",
        ),
        (ValueError("secret@customer.com is not a number"), "INTERNAL", "Unexpected error."),
    ],
)
async def test_unexpected_errors_are_masked_and_logged_without_data(
    exc: Exception, code: str, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    from api.schema import schema

    ctx = Context(cast(GraphClient, _BrokenGraph(exc)), Settings(), Principal("t", Role.ANALYST))
    with caplog.at_level(logging.INFO):
        result = await schema.execute('{ profile(pid: "p-1") { pid } }', context_value=ctx)
    assert result.errors is not None
    [err] = result.errors
    assert err.message == message and err.extensions == {"code": code}
    assert "secret@customer.com" not in caplog.text and type(exc).__name__ in caplog.text


async def test_variable_values_stay_out_of_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    from api.schema import schema

    graph = cast(GraphClient, _BrokenGraph(RuntimeError()))
    ctx = Context(graph, Settings(), Principal("t", Role.ANALYST))
    query = 'query($v: String!) { profileByIdentifier(type: "email", value: $v) { pid } }'
    with caplog.at_level(logging.DEBUG):
        result = await schema.execute(query, variable_values={"v": 412345678}, context_value=ctx)
    assert result.errors and "412345678" in result.errors[0].message  # told to the client
    assert "412345678" not in caplog.text  # never logged


@pytest.mark.parametrize(
    ("exc", "code", "message"),
    [
        (
            Neo4jUnavailable("bolt://x", "down"),
            "UNAVAILABLE",
            "the graph is unavailable; retry later",
        ),
        (SegmentNotFound("vip"), "NOT_FOUND", "no segment 'vip'"),
        (ProfileNotFound("p-1"), "NOT_FOUND", "no profile with this id"),
        (SegmentInUse("vip", ["klaviyo"]), "CONFLICT", None),
        (SharedIdentifier(["p-1", "p-2"]), "CONFLICT", None),
        (InvalidSegmentDefinition("empty"), "BAD_USER_INPUT", "invalid segment definition: empty"),
        (InvalidRows("rows is empty"), "BAD_USER_INPUT", "rows is empty"),
        (ConfigError("x.yaml", "bad"), "BAD_USER_INPUT", None),
        # An ingestion error's message could quote a row: never shown.
        (
            InvalidPayload([("email", "a@b.c is odd")]),
            "BAD_USER_INPUT",
            "the rows could not be ingested",
        ),
    ],
)
def test_one_translator_answers_every_package_root_error(
    exc: DomainError, code: str, message: str | None
) -> None:
    err = api_error(exc)
    assert err.code.value == code and err.extensions == {"code": code}
    assert err.message == (message if message is not None else str(exc))
