"""Till cards (issue 15, item 2): a store's card carries a name and a postcode, nothing
else. Agreement on both is weighed by how common the name is (and how many records share
the postcode): a rare name in one postcode is one customer, "Jack Smith" in a big suburb
is not evidence enough."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from generator import GENERATED_SOURCES, generate
from graph.client import GraphClient
from ingest.mapping import builtin_mapping, parse_mapping
from ingest.pipeline import Ingestor
from matching.explain import explain_pair
from matching.linking import ProbabilisticLinker
from matching.resolve import Resolver
from tests.factories.records import CLUB_MAPPING

_TILL = """
source: till
default_country: AU
customers:
  file: till.csv
  key: card
  attributes:
    given_name: {field: first, kind: name}
    family_name: {field: last, kind: name}
    postcode: {field: postcode, kind: postcode}
"""
_SUBURB = "3030"  # a big suburb: many members live there
_GIVEN = ("olivia", "noah", "charlotte", "oliver", "amelia", "jack", "isla", "william", "mia")
_FAMILY = ("smith", "jones", "williams", "brown", "wilson", "taylor", "nguyen", "johnson")


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields)
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


_JACKS = 3


def _members() -> list[dict[str, str]]:
    """One member with a rare name in a remote town (a postcode few share), three
    different "Jack Smith"s in the big suburb, and 150 other members there with common
    names."""
    rows = [
        {
            "id": "rare",
            "first": "Ottoline",
            "last": "Vanderbyl",
            "dob": "1979-03-14",
            "address": "4 Banksia Street",
            "postcode": "0872",
            "email": "ottoline.v@example.org",
            "phone": "0412 000 111",
        }
    ]
    for i in range(_JACKS):
        rows.append(
            {
                "id": f"js{i}",
                "first": "Jack",
                "last": "Smith",
                "dob": f"19{60 + 4 * i}-0{1 + i % 9}-1{i}",
                "address": f"{10 + i} Station Street",
                "postcode": _SUBURB,
                "email": f"jack.smith{i}@example.org",
                "phone": f"0412 100 {200 + i}",
            }
        )
    for i in range(150):
        rows.append(
            {
                "id": f"m{i}",
                "first": _GIVEN[i % len(_GIVEN)].title(),
                "last": _FAMILY[(i // len(_GIVEN)) % len(_FAMILY)].title(),
                "dob": f"19{50 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "address": f"{i + 1} High Street",
                "postcode": _SUBURB,
                "email": f"member{i}@example.org",
                "phone": f"0413 {i:03d} 000",
            }
        )
    return rows


async def _profiles(graph: GraphClient) -> dict[str, str]:
    rows = await graph.read_text(
        "t",
        "MATCH (r:Record)-[:IN_PROFILE]->(p:Profile) WHERE r.source IN ['club', 'till'] "
        "RETURN r.rid AS rid, p.pid AS pid",
    )
    return {r["rid"]: r["pid"] for r in rows}


async def test_a_rare_name_joins_in_its_postcode_a_common_one_in_a_big_suburb_does_not(
    graph: GraphClient, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    generate(data, customers=400, seed=5)
    for source in GENERATED_SOURCES:
        await Ingestor(graph, builtin_mapping(source)).ingest_path(data)
    linker = ProbabilisticLinker(graph, tmp_path / "models")
    await linker.train()
    club = _write(
        tmp_path / "club.csv",
        ["id", "first", "last", "dob", "address", "postcode", "email", "phone"],
        _members(),
    )
    till = _write(
        tmp_path / "till.csv",
        ["card", "first", "last", "postcode"],
        [
            {"card": "c1", "first": "OTTOLINE", "last": "Vanderbyl", "postcode": "0872"},
            {"card": "c2", "first": "Jack", "last": "Smith", "postcode": _SUBURB},
        ],
    )
    await Ingestor(graph, parse_mapping(CLUB_MAPPING, "test")).ingest_path(club)
    await Ingestor(graph, parse_mapping(_TILL, "test")).ingest_path(till)
    await Resolver(graph, linker=linker).resolve(full=True)
    pids = await _profiles(graph)
    jacks = {pids[f"club:js{i}"] for i in range(_JACKS)}
    assert len(jacks) == _JACKS
    assert pids["till:c2"] not in jacks
    assert pids["till:c1"] == pids["club:rare"]
    # A name and a postcode only: flagged, so it joins as a conditional match (never two
    # namesakes), above the threshold as below it.
    rows = await graph.read_text(
        "t",
        "MATCH (:Record {rid: 'till:c1'})-[m:MATCHES]-(:Record {rid: 'club:rare'}) "
        "RETURN m.name_postcode AS flag, m.match_probability AS p",
    )
    assert [r["flag"] for r in rows] == [True]


_TILL_PHONE = """
source: till
default_country: AU
customers:
  file: till.csv
  key: card
  identifiers:
    - {field: phone, type: phone}
  attributes:
    given_name: {field: first, kind: name}
    family_name: {field: last, kind: name}
    postcode: {field: postcode, kind: postcode}
"""


async def test_a_till_card_below_the_threshold_joins_the_profile_it_agrees_with(
    graph: GraphClient, tmp_path: Path
) -> None:
    """At a threshold no name and postcode reach, a till card's name and postcode are a
    conditional match (`matching.name_postcode`): the card with a mobile joins the one
    member of its name in the suburb, who gave no phone; a card with a name and a postcode
    only, naming one of two namesakes there, cannot tell them apart and joins neither."""
    data = tmp_path / "data"
    generate(data, customers=400, seed=5)
    for source in GENERATED_SOURCES:
        await Ingestor(graph, builtin_mapping(source)).ingest_path(data)
    threshold = 0.999999
    linker = ProbabilisticLinker(graph, tmp_path / "models", threshold=threshold)
    await linker.train()
    members = _members()
    members.append(
        {
            "id": "priya",
            "first": "Priya",
            "last": "Raman",
            "dob": "1983-07-21",
            "address": "77 Station Street",
            "postcode": _SUBURB,
            "email": "priya.raman@example.org",
            "phone": "",
        }
    )
    namesakes = [m["id"] for m in members if (m["first"], m["last"]) == ("Noah", "Brown")]
    assert len(namesakes) == 2  # two members of one name in the suburb, each with a mobile
    club = _write(
        tmp_path / "club.csv",
        ["id", "first", "last", "dob", "address", "postcode", "email", "phone"],
        members,
    )
    till = _write(
        tmp_path / "till.csv",
        ["card", "first", "last", "postcode", "phone"],
        [
            {
                "card": "p",
                "first": "PRIYA",
                "last": "Raman",
                "postcode": _SUBURB,
                "phone": "0499 321 654",
            },
            {
                "card": "n",
                "first": "Noah",
                "last": "Brown",
                "postcode": _SUBURB,
                "phone": "",
            },
        ],
    )
    await Ingestor(graph, parse_mapping(CLUB_MAPPING, "test")).ingest_path(club)
    await Ingestor(graph, parse_mapping(_TILL_PHONE, "test")).ingest_path(till)
    await Resolver(graph, linker=linker).resolve(full=True)
    pids = await _profiles(graph)
    assert pids["till:p"] == pids["club:priya"]
    rows = await graph.read_text(
        "t",
        "MATCH (a:Record {rid: 'till:p'})-[m:MATCHES]-(b:Record {rid: 'club:priya'}) "
        "RETURN m.match_probability AS p",
    )
    assert len(rows) == 1 and rows[0]["p"] < threshold  # joined as a conditional match
    assert pids["till:n"] not in {pids[f"club:{rid}"] for rid in namesakes}
    assert pids[f"club:{namesakes[0]}"] != pids[f"club:{namesakes[1]}"]
    why = await explain_pair(graph, "till:n", f"club:{namesakes[0]}", threshold=threshold)
    assert not why.same_profile
    assert any(
        "join only profiles that agree" in b.reason and "tell a namesake by" in b.reason
        for b in why.barriers
    ), why.barriers
