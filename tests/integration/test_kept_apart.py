"""Records kept apart on the real graph: a household's landline or email does not join two
family members through a third record, an operator's rejected pair stays apart whatever
path of other links joins it, and `explain` names the rule and the link that gave way."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph import matching_repo
from graph.client import GraphClient
from ingest.mapping import parse_mapping
from ingest.pipeline import Ingestor
from matching import overrides
from matching.explain import explain_pair
from matching.resolve import Resolver
from tests.factories.records import ingest_people, membership, partition

pytestmark = pytest.mark.integration

LANDLINE = "02 9555 0172"

WEB_MAPPING = """
source: web
customers:
  file: web.csv
  key: id
  identifiers:
    - {field: device, type: device_id}
    - {field: cookie, type: cookie}
  attributes:
    given_name: {field: first, kind: name}
    family_name: {field: last, kind: name}
"""
"""Web sessions: a device id and a cookie, and the name of whoever was logged in."""


def web_file(tmp: Path, rows: list[dict[str, str]]) -> Path:
    tmp.mkdir(exist_ok=True)
    columns = ("id", "first", "last", "device", "cookie")
    lines = [",".join(columns), *(",".join(r.get(c, "") for c in columns) for r in rows)]
    path = tmp / "web.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def ingest_web(tmp: Path, graph: GraphClient, rows: list[dict[str, str]]) -> None:
    path = web_file(tmp, rows)
    await Ingestor(graph, parse_mapping(WEB_MAPPING, "test")).ingest_path(path)


@pytest.mark.parametrize("kind", ["device", "cookie"])
async def test_a_shared_device_or_cookie_joins_neither_two_members_nor_a_nameless_session(
    graph: GraphClient, tmp_path: Path, kind: str
) -> None:
    """The family tablet (one device id, one browser cookie) carries John's and Mary's
    logins: it may not join the twins-or-siblings the family rule keeps apart, and a session
    on it with nobody logged in could be either's, so it stays on its own and `explain`
    says why; John's second login on it still joins his first. Incremental as full."""
    shared = "3f0c2a9e-1b7d-4c55-9a43-2d8e6f1b0c77"
    await ingest_web(
        tmp_path / "one",
        graph,
        [
            {"id": "j1", "first": "John", "last": "Smith", kind: shared},
            {"id": "m1", "first": "Mary", "last": "Smith", kind: shared},
        ],
    )
    await Resolver(graph).resolve()
    await ingest_web(
        tmp_path / "two",
        graph,
        [
            {"id": "anon", kind: shared},
            {"id": "j2", "first": "John", "last": "Smith", kind: shared},
        ],
    )
    await Resolver(graph).resolve()
    incremental = partition(await membership(graph))
    assert incremental == {
        frozenset({"web:j1", "web:j2"}),
        frozenset({"web:m1"}),
        frozenset({"web:anon"}),
    }
    await Resolver(graph).resolve(full=True)
    assert partition(await membership(graph)) == incremental

    key_type = "device_id" if kind == "device" else "cookie"
    why = await explain_pair(graph, "web:j1", "web:m1")
    [barrier] = why.barriers
    assert barrier.identifier is not None and barrier.identifier.startswith(key_type)
    assert "kept apart by the family rule (web:j1 / web:m1" in barrier.reason
    why = await explain_pair(graph, "web:anon", "web:j1")
    [barrier] = why.barriers
    assert barrier.reason.startswith(
        f"refused: the {key_type} is carried by two people kept apart by the family rule "
        "(web:j1 / web:m1"
    )
    assert barrier.reason.endswith("so it is placed with neither")


async def test_household_landline_does_not_join_two_members_through_a_nameless_record(
    graph: GraphClient, tmp_path: Path
) -> None:
    """John gave the family's landline; a till receipt with no name carries it and Mary's
    email, which Mary's own account has. The landline may not join John to Mary through the
    receipt, and it still joins John's second account to his first; incrementally as in a
    full rebuild."""
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "j1", "first": "John", "last": "Smith", "phone": LANDLINE},
            {"id": "r", "phone": LANDLINE, "email": "mary.smith@x.com"},
            {"id": "m1", "first": "Mary", "last": "Smith", "email": "mary.smith@x.com"},
        ],
    )
    await Resolver(graph).resolve()
    first = await membership(graph)
    assert first["crm:r"] == first["crm:m1"] != first["crm:j1"]

    later = tmp_path / "later"
    later.mkdir()
    await ingest_people(
        graph,
        later,
        [{"id": "j2", "first": "John", "last": "Smith", "phone": LANDLINE, "email": "js@x.com"}],
    )
    await Resolver(graph).resolve()
    incremental = await membership(graph)
    assert incremental["crm:j1"] == incremental["crm:j2"] != incremental["crm:m1"]
    assert incremental["crm:r"] == incremental["crm:m1"]
    await Resolver(graph).resolve(full=True)
    assert partition(await membership(graph)) == partition(incremental)

    why = await explain_pair(graph, "crm:j1", "crm:m1")
    assert not why.same_profile
    [barrier] = [b for b in why.barriers if b.identifier == "phone:+61295550172"]
    assert "kept apart by the family rule (crm:j1 / crm:m1" in barrier.reason
    assert "the phone that crm:j1, crm:j2 and crm:r share gave way" in barrier.reason
    assert why.summary.startswith("different profiles: refused: kept apart by the family rule")


async def test_operator_rejected_pair_stays_apart_through_a_path_of_other_links(
    graph: GraphClient, tmp_path: Path
) -> None:
    """An operator said crm:a and crm:b are different people: neither the email and phone
    a third record shares with each, nor a path of matches, puts them in one profile."""
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "a", "first": "Ann", "last": "Lee", "email": "ann.lee@x.com"},
            {"id": "c", "first": "Ann", "last": "Lee", "email": "ann.lee@x.com", "phone": LANDLINE},
            {"id": "b", "first": "Ann", "last": "Lee", "phone": LANDLINE},
            {"id": "d", "first": "Bo", "last": "Chan", "postcode": "2000"},
            {"id": "e", "first": "Bo", "last": "Chan", "postcode": "2000"},
            {"id": "f", "first": "Bo", "last": "Chan", "postcode": "2000"},
        ],
    )
    rows = [
        {"a": "crm:d", "b": "crm:e", "weight": 12.0, "probability": 0.9990, "evidence": "{}"},
        {"a": "crm:e", "b": "crm:f", "weight": 8.0, "probability": 0.9700, "evidence": "{}"},
    ]
    await matching_repo.write_matches(graph, rows, "test", "2026-01-01")
    await Resolver(graph).resolve()
    before = await membership(graph)
    assert before["crm:a"] == before["crm:b"] and before["crm:d"] == before["crm:f"]

    await overrides.reject_match(graph, "crm:a", "crm:b", by="test")
    await overrides.reject_match(graph, "crm:d", "crm:f", by="test")
    await Resolver(graph).resolve()
    incremental = await membership(graph)
    # The email (higher priority) joins a and c; the phone gives way. The weaker match
    # of the path gives way.
    assert incremental["crm:a"] == incremental["crm:c"] != incremental["crm:b"]
    assert incremental["crm:d"] == incremental["crm:e"] != incremental["crm:f"]
    await Resolver(graph).resolve(full=True)
    assert partition(await membership(graph)) == partition(incremental)

    why = await explain_pair(graph, "crm:a", "crm:b")
    assert not why.same_profile
    reasons = [b.reason for b in why.barriers]
    assert any(
        "kept apart by an operator's rejection (crm:a / crm:b" in r
        and "the phone that crm:b and crm:c share gave way" in r
        for r in reasons
    ), reasons
    assert "rejected by an operator" in reasons
    why = await explain_pair(graph, "crm:e", "crm:f")
    assert [b.reason for b in why.barriers] == [
        "kept apart by an operator's rejection (crm:d / crm:f are different people); "
        "the match crm:e - crm:f (p = 0.9700) gave way"
    ]


async def test_explain_names_the_family_rule_and_the_match_that_gave_way(
    graph: GraphClient, tmp_path: Path
) -> None:
    """Twins Oliver and Harry, and a record with the family name only that matches both:
    the weaker match gives way, and `explain` says so."""
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "o", "first": "Oliver", "last": "Walsh", "dob": "2001-02-03"},
            {"id": "h", "first": "Harry", "last": "Walsh", "dob": "2001-02-03"},
            {"id": "d", "last": "Walsh", "dob": "2001-02-03"},
        ],
    )
    rows = [
        {"a": "crm:d", "b": "crm:o", "weight": 12.0, "probability": 0.9990, "evidence": "{}"},
        {"a": "crm:d", "b": "crm:h", "weight": 8.0, "probability": 0.9700, "evidence": "{}"},
    ]
    await matching_repo.write_matches(graph, rows, "test", "2026-01-01")
    await Resolver(graph).resolve()
    m = await membership(graph)
    assert m["crm:o"] == m["crm:d"] != m["crm:h"]
    why = await explain_pair(graph, "crm:o", "crm:h")
    assert not why.same_profile
    [barrier] = why.barriers
    assert barrier.kind == "match"
    assert barrier.reason.startswith("kept apart by the family rule (crm:h / crm:o: ")
    assert barrier.reason.endswith("the match crm:d - crm:h (p = 0.9700) gave way")


async def test_household_landline_joins_each_members_records_through_nameless_ones(
    graph: GraphClient, tmp_path: Path
) -> None:
    """John's two records and two nameless receipts, each beside one of Mary's emails, carry
    the family's landline: it joins John's records to each other and Mary's receipts to each
    other, not John to Mary; `explain` says why the landline did not join them."""
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "j1", "first": "John", "last": "Smith", "phone": LANDLINE},
            {"id": "j2", "first": "John", "last": "Smith", "phone": LANDLINE},
            {"id": "r1", "phone": LANDLINE, "email": "mary.smith@x.com"},
            {"id": "m1", "first": "Mary", "last": "Smith", "email": "mary.smith@x.com"},
            {"id": "r2", "phone": LANDLINE, "email": "msmith@y.com"},
            {"id": "m2", "first": "Mary", "last": "Smith", "email": "msmith@y.com"},
        ],
    )
    await Resolver(graph).resolve()
    assert partition(await membership(graph)) == {
        frozenset({"crm:j1", "crm:j2"}),
        frozenset({"crm:r1", "crm:m1", "crm:r2", "crm:m2"}),
    }
    why = await explain_pair(graph, "crm:j1", "crm:m1")
    [barrier] = why.barriers
    assert barrier.identifier == "phone:+61295550172"
    assert barrier.reason.startswith("refused: kept apart by the family rule (crm:j1 / crm:m1")
    assert barrier.reason.endswith(
        "the phone that crm:j1, crm:j2, crm:r1 and crm:r2 share gave way"
    )


async def test_a_landline_alone_places_no_nameless_receipt(
    graph: GraphClient, tmp_path: Path
) -> None:
    """John gave the family's landline and his mobile. A till receipt with no name and only
    the landline could be any member of the household's, so it stays on its own and
    `explain` says why; a receipt with his mobile is his, and so is one with the landline
    and his email. Incrementally as in a full rebuild."""
    mobile = "0412 555 019"
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "j1", "first": "John", "last": "Smith", "phone": LANDLINE, "email": "js@x.com"},
            {"id": "j2", "first": "John", "last": "Smith", "phone": mobile, "email": "js@x.com"},
        ],
    )
    await Resolver(graph).resolve()
    later = tmp_path / "later"
    later.mkdir()
    await ingest_people(
        graph,
        later,
        [
            {"id": "r1", "phone": LANDLINE},
            {"id": "r2", "phone": mobile},
            {"id": "r3", "phone": LANDLINE, "email": "js@x.com"},
        ],
        source="pos",
    )
    await Resolver(graph).resolve()
    incremental = partition(await membership(graph))
    assert incremental == {
        frozenset({"crm:j1", "crm:j2", "pos:r2", "pos:r3"}),
        frozenset({"pos:r1"}),
    }
    await Resolver(graph).resolve(full=True)
    assert partition(await membership(graph)) == incremental

    why = await explain_pair(graph, "pos:r1", "crm:j1")
    assert not why.same_profile
    [barrier] = why.barriers
    assert barrier.identifier == "phone:+61295550172"
    assert barrier.reason == (
        "refused: landline (a landline is the household's: it places no record without a "
        "given name with one member)"
    )
