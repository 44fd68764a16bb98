"""Identity resolution on data we did not generate (issue 15): mappings that declare email
and phone only as identifiers, and families at one address."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from generator import GENERATED_SOURCES, generate
from graph import matching_repo
from graph.client import GraphClient
from ingest.mapping import builtin_mapping, parse_mapping
from ingest.pipeline import Ingestor
from matching.linking import ProbabilisticLinker
from matching.resolve import Resolver
from tests.factories.records import CLUB_MAPPING

_FIELDS = ["id", "first", "last", "dob", "address", "postcode", "email", "phone"]


async def _ingest_club(graph: GraphClient, tmp: Path, rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=_FIELDS)
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in _FIELDS})
    path = tmp / "club.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    await Ingestor(graph, parse_mapping(CLUB_MAPPING, "test")).ingest_path(path)


_FAMILY = {
    "last": "Quennell",
    "dob": "2011-04-17",
    "address": "12 Wattle Grove",
    "postcode": "3121",
}
_TWINS = [
    {
        "id": "t1",
        "first": "Oliver",
        **_FAMILY,
        "email": "oliver.q@example.org",
        "phone": "0412 555 101",
    },
    {
        "id": "t2",
        "first": "Harry",
        **_FAMILY,
        "email": "harryq@example.com",
        "phone": "0412 555 202",
    },
    # A sibling sharing the family's landline and email: still another person.
    {
        "id": "s1",
        "first": "Amelia",
        **_FAMILY,
        "dob": "2014-09-02",
        "email": "quennells@example.net",
        "phone": "03 9555 0303",
    },
    {
        "id": "s2",
        "first": "Isla",
        **_FAMILY,
        "dob": "2014-09-02",
        "email": "quennells@example.net",
        "phone": "03 9555 0303",
    },
]


async def _trained(graph: GraphClient, tmp: Path) -> ProbabilisticLinker:
    data = tmp / "data"
    generate(data, customers=400, seed=5)
    for source in GENERATED_SOURCES:
        await Ingestor(graph, builtin_mapping(source)).ingest_path(data)
    linker = ProbabilisticLinker(graph, tmp / "models")
    await linker.train()
    return linker


async def test_contacts_declared_only_as_identifiers_are_scored(
    graph: GraphClient, tmp_path: Path
) -> None:
    await _ingest_club(graph, tmp_path, _TWINS[:2])
    rows = await matching_repo.matching_records(graph, ["club:t1", "club:t2"])
    by_rid = {r[0]: dict(zip(matching_repo.COLUMNS, r, strict=False)) for r in rows}
    assert by_rid["club:t1"]["email"] == "oliver.q@example.org"
    assert by_rid["club:t2"]["phone"] == "+61412555202"
    full = [
        r
        async for page in graph.pages("matching_all_records_page", {"extra": [], "personal": []})
        for r in page
    ]
    scored = {r[0]: r for r in full}
    assert scored["club:t1"][8] == "oliver.q@example.org"


async def test_twins_and_siblings_at_one_address_are_not_merged(
    graph: GraphClient, tmp_path: Path
) -> None:
    linker = await _trained(graph, tmp_path)
    await _ingest_club(graph, tmp_path, _TWINS)
    for full in (False, True):
        await Resolver(graph, linker=linker).resolve(full=full)
        rows = await graph.read_text(
            "t",
            "MATCH (r:Record {source: 'club'})-[:IN_PROFILE]->(p:Profile) "
            "RETURN r.rid AS rid, p.pid AS pid",
        )
        pids = {r["rid"]: r["pid"] for r in rows}
        assert len(pids) == 4
        assert len(set(pids.values())) == 4, (full, pids)
        links = await graph.read_text(
            "t",
            "MATCH (a:Record {source: 'club'})-[m:MATCHES]-(b:Record {source: 'club'}) "
            "RETURN count(m) AS n",
        )
        assert links[0]["n"] == 0

    # Why not: the pair was scored (the same address, date of birth and family initial
    # propose it), with each comparison's weight, and the family rule held it back.
    scored = await linker.score_pair("club:t1", "club:t2")
    assert scored is not None and scored.scored
    assert {"address", "dob_family1"} <= {name for name, _ in scored.rules}
    assert scored.held_back and "family rule" in scored.held_back
    assert [name for name, _, _ in scored.weights][:2] == ["given_name_family_name", "dob"]
    assert "probability" in scored.waterfall()


_OLIVER = {"id": "o", "first": "Oliver", **_FAMILY}
_HARRY = {"id": "h", "first": "Harry", **_FAMILY}


@pytest.mark.parametrize(
    "duplicate",
    [
        {"id": "d", "first": "", **_FAMILY},  # the given name missing
        {"id": "d", "first": "Oliver", **_FAMILY, "last": "Quenell"},  # a family-name typo
    ],
    ids=["no-given-name", "family-name-typo"],
)
async def test_a_duplicate_matching_both_twins_does_not_join_them(
    graph: GraphClient, tmp_path: Path, duplicate: dict[str, str]
) -> None:
    """Oliver's duplicate matches Oliver and, less strongly, his twin Harry: the family
    rule never sees Oliver and Harry as a pair, yet the path through the duplicate must
    not put them in one profile. The weaker link gives way."""
    await _ingest_club(graph, tmp_path, [_OLIVER, _HARRY, duplicate])
    await matching_repo.write_matches(
        graph,
        [
            {"a": "club:d", "b": "club:o", "weight": 20.0, "probability": 0.99999, "evidence": ""},
            {"a": "club:d", "b": "club:h", "weight": 9.0, "probability": 0.998, "evidence": ""},
        ],
        "test",
        "2024-01-01T00:00:00Z",
    )
    for full in (False, True):
        await Resolver(graph).resolve(full=full)
        rows = await graph.read_text(
            "t",
            "MATCH (r:Record {source: 'club'})-[:IN_PROFILE]->(p:Profile) "
            "RETURN r.rid AS rid, p.pid AS pid",
        )
        pids = {r["rid"]: r["pid"] for r in rows}
        assert pids["club:o"] == pids["club:d"], full
        assert pids["club:h"] != pids["club:o"], (full, pids)
