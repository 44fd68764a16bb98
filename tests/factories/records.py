"""Factories: customer rows ingested through the real pipeline with a hand-written mapping."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from generator import GENERATED_SOURCES, generate
from graph.client import GraphClient
from ingest.mapping import SourceMapping, builtin_mapping, parse_mapping
from ingest.pipeline import Ingestor
from matching.linking import ProbabilisticLinker
from tests import cypher as test_cypher

COLUMNS = ["id", "first", "last", "email", "phone", "loyalty", "dob", "postcode"]


def crm_mapping(source: str = "crm") -> SourceMapping:
    return parse_mapping(
        f"""
source: {source}
customers:
  file: {source}.csv
  key: id
  identifiers:
    - {{field: email, type: email}}
    - {{field: phone, type: phone}}
    - {{field: loyalty, type: loyalty_id}}
  attributes:
    given_name: {{field: first, kind: name}}
    family_name: {{field: last, kind: name}}
    dob: {{field: dob, kind: date}}
    postcode: {{field: postcode, kind: postcode}}
""",
        "factory",
    )


async def ingest_people(
    graph: GraphClient, tmp: Path, rows: list[dict[str, str]], source: str = "crm"
) -> None:
    """Ingest rows (dicts with some of COLUMNS) as records `<source>:<id>`."""
    path = tmp / f"{source}.csv"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS)
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in COLUMNS})
    path.write_text(buf.getvalue(), encoding="utf-8")
    await Ingestor(graph, crm_mapping(source)).ingest_path(path)


CLUB_MAPPING = """
source: club
default_region: AU
default_country: AU
customers:
  file: club.csv
  key: id
  identifiers:
    - {field: email, type: email}
    - {field: phone, type: phone}
  attributes:
    given_name: {field: first, kind: name}
    family_name: {field: last, kind: name}
    dob: {field: dob, kind: date}
    address: {field: address, kind: address}
    postcode: {field: postcode, kind: postcode}
"""
"""A club's customers with email and phone only as identifiers, as a mapping for a system
we never saw may say (the README's own example does)."""


async def membership(graph: GraphClient) -> dict[str, str]:
    """rid -> pid of every record in a profile."""
    return {r["rid"]: r["pid"] for r in await test_cypher.read(graph, "membership")}


def partition(m: dict[str, str]) -> set[frozenset[str]]:
    """The records grouped by profile, ids aside: what two runs must agree on."""
    groups: dict[str, set[str]] = {}
    for rid, pid in m.items():
        groups.setdefault(pid, set()).add(rid)
    return {frozenset(g) for g in groups.values()}


async def generated_and_trained(
    graph: GraphClient, tmp_path: Path, customers: int = 300, seed: int = 11
) -> ProbabilisticLinker:
    """The generator's retailer ingested from every source, and a model trained on it."""
    data = tmp_path / "data"
    generate(data, customers=customers, seed=seed)
    for source in GENERATED_SOURCES:
        await Ingestor(graph, builtin_mapping(source)).ingest_path(data)
    linker = ProbabilisticLinker(graph, tmp_path / "models")
    await linker.train()
    return linker
