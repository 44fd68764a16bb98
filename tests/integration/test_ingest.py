"""Ingestion into the real Neo4j: built-in sources, a user's own CSV, re-ingestion, changed
rows, malformed files and bad values."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from generator import GENERATED_SOURCES, generate
from graph import health
from graph.client import GraphClient
from ingest.errors import MappingError, SourceFileError
from ingest.mapping import builtin_mapping, parse_mapping
from ingest.pipeline import Ingestor
from tests import cypher as test_cypher


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    generate(out, customers=300, seed=11)
    return out


async def _record(graph: GraphClient, rid: str) -> tuple[dict[str, object], set[str]]:
    rows = await test_cypher.read(graph, "record_detail", {"rid": rid})
    assert rows and rows[0]["record"], f"no record {rid}"
    return rows[0]["record"], set(rows[0]["identifiers"])


async def test_all_builtin_sources_ingest_and_counts_add_up(
    graph: GraphClient, generated: Path
) -> None:
    anonymous = 0
    for source in GENERATED_SOURCES:
        reports = await Ingestor(graph, builtin_mapping(source), chunk_size=500).ingest_path(
            generated
        )
        assert reports, source
        for r in reports:
            assert r.status == "completed"
            assert r.rows_read == r.rows_accepted + r.rows_quarantined + r.rows_suppressed
            assert r.rows_read > 0
            anonymous += r.anonymous_rows
    counts = await health.counts(graph)
    truth_text = (generated / "truth" / "ground_truth.csv").read_text()
    truth = list(csv.DictReader(truth_text.splitlines()))
    # Every source record of the ground truth is a Record in the graph, and no more, but
    # for walk-in transactions that carry nothing about the customer: they are anonymous
    # orders, not customer records.
    rids = {r["rid"] for r in await graph.read_text("t", "MATCH (r:Record) RETURN r.rid AS rid")}
    truth_rids = {f"{t['source']}:{t['source_id']}" for t in truth}
    assert rids <= truth_rids
    assert anonymous > 0
    assert len(truth_rids - rids) == anonymous
    assert all(r.startswith("pos:") for r in truth_rids - rids)
    assert counts["records"] == len(truth) - anonymous
    assert counts["orders"] > 0 and counts["events"] > 0
    # Lineage: every record knows its batch, file and row.
    orphans = await graph.read_text(
        "t",
        "MATCH (r:Record) WHERE r.stub IS NULL AND (r.batch_id IS NULL OR r.file IS NULL "
        "OR r.row IS NULL) RETURN count(r) AS n",
    )
    assert orphans[0]["n"] == 0
    batches = await graph.read_text(
        "t",
        "MATCH (b:IngestBatch) RETURN b.status AS s, b.rows_read AS n, "
        "b.rows_accepted + b.rows_quarantined + b.rows_suppressed AS total",
    )
    assert all(b["s"] == "completed" and b["n"] == b["total"] for b in batches)


async def test_reingesting_changes_nothing(graph: GraphClient, generated: Path) -> None:
    for source in ("ecommerce", "pos", "web"):
        await Ingestor(graph, builtin_mapping(source)).ingest_path(generated)
    before = await health.counts(graph)
    rels = await graph.read_text("t", "MATCH ()-[h]->() RETURN count(h) AS n")
    for source in ("ecommerce", "pos", "web"):
        reports = await Ingestor(graph, builtin_mapping(source)).ingest_path(generated)
        assert all(r.records_changed == 0 for r in reports), source
    assert await health.counts(graph) == before
    rels2 = await graph.read_text("t", "MATCH ()-[h]->() RETURN count(h) AS n")
    assert rels2 == rels


CUSTOM_MAPPING = """
source: crm
format: csv
csv_delimiter: ";"
default_region: GB
default_country: GB
customers:
  file: members.csv
  key: Member No
  identifiers:
    - {field: E-mail, type: email}
    - {field: Mobile, type: phone}
    - {field: Card, type: club_card}
  attributes:
    given_name: {field: Forename, kind: name}
    family_name: {field: Surname, kind: name}
    dob: {field: Born, kind: date}
    postcode: {field: Post Code, kind: postcode}
    shoe_size: {field: Shoe, kind: number}
"""


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)


HEADER = [
    "Member No",
    "Forename",
    "Surname",
    "E-mail",
    "Mobile",
    "Card",
    "Born",
    "Post Code",
    "Shoe",
]


async def test_custom_csv_with_hand_written_mapping(graph: GraphClient, tmp_path: Path) -> None:
    mapping = parse_mapping(CUSTOM_MAPPING, "test")
    _write_csv(
        tmp_path / "members.csv",
        [
            HEADER,
            [
                "M1",
                "  sarah ",
                "JOHNSON",
                " S.Johnson@Email.com ",
                "07911 123456",
                "C-77",
                "07/03/1985",
                "sw1a1aa",
                "38",
            ],
            ["M2", "Bob", "Smith", "bob@", "12", "", "31/02/1990", "nonsense", "x"],
            ["", "No", "Key", "nokey@example.com", "", "", "", "", ""],
        ],
    )
    (rep,) = await Ingestor(graph, mapping).ingest_path(tmp_path)
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (3, 2, 1)
    rec, ids = await _record(graph, "crm:M1")
    assert rec["given_name"] == "Sarah" and rec["family_name"] == "Johnson"
    assert rec["dob"] == "1985-03-07"
    assert rec["postcode"] == "SW1A 1AA"
    assert rec["shoe_size"] == "38.0"
    assert ids == {"email:s.johnson@email.com", "phone:+447911123456", "club_card:C-77"}
    assert rec["file"] == str(tmp_path / "members.csv") and rec["row"] == 1
    # Bad values are left out of identity, kept raw and reported; the row still lands.
    rec2, ids2 = await _record(graph, "crm:M2")
    assert ids2 == set()
    assert rec2.get("dob") is None
    issues = rec2["issues"]
    assert isinstance(issues, list)
    assert {i.split(":")[0] for i in issues} >= {"E-mail", "Mobile", "Born", "Post Code"}
    assert json.loads(str(rec2["raw"]))["E-mail"] == "bob@"
    q = await graph.read_text("t", "MATCH (q:Quarantine) RETURN q.reason AS reason, q.raw AS raw")
    assert len(q) == 1 and q[0]["reason"] == "missing_key:Member No"
    assert json.loads(q[0]["raw"])["E-mail"] == "nokey@example.com"


async def test_changed_row_updates_its_record(graph: GraphClient, tmp_path: Path) -> None:
    mapping = parse_mapping(CUSTOM_MAPPING, "test")
    row = ["M1", "Sarah", "Johnson", "sarah@a.com", "07911 123456", "", "", "", ""]
    _write_csv(tmp_path / "members.csv", [HEADER, row])
    await Ingestor(graph, mapping).ingest_path(tmp_path)
    first, ids = await _record(graph, "crm:M1")
    assert ids == {"email:sarah@a.com", "phone:+447911123456"}
    changed = ["M1", "Sarah", "Johnson-Lee", "sarah@b.com", "07911 123456", "", "", "", ""]
    new = ["M2", "Tom", "Lee", "tom@b.com", "", "", "", "", ""]
    _write_csv(tmp_path / "members.csv", [HEADER, changed, new])
    (rep,) = await Ingestor(graph, mapping).ingest_path(tmp_path)
    assert rep.records_changed == 2  # the changed row and the new one
    second, ids2 = await _record(graph, "crm:M1")
    assert second["family_name"] == "Johnson-Lee"
    assert ids2 == {"email:sarah@b.com", "phone:+447911123456"}
    assert second["updated_at"] >= first["updated_at"]  # type: ignore[operator]
    assert second["created_at"] == first["created_at"]
    assert second["dirty"] is True
    counts = await health.counts(graph)
    assert counts["records"] == 2


async def test_malformed_files_give_clear_errors(graph: GraphClient, tmp_path: Path) -> None:
    mapping = parse_mapping(CUSTOM_MAPPING, "test")
    with pytest.raises(SourceFileError, match="none of the mapping's files"):
        await Ingestor(graph, mapping).ingest_path(tmp_path)
    (tmp_path / "members.csv").write_text("")
    with pytest.raises(SourceFileError, match="empty file"):
        await Ingestor(graph, mapping).ingest_path(tmp_path)
    batches = "MATCH (b:IngestBatch) RETURN b.id AS id, b.status AS s ORDER BY id"
    before = await graph.read_text("t", batches)  # the empty file's batch ends "failed"
    assert all(b["s"] == "failed" for b in before)
    (tmp_path / "members.csv").write_bytes(b"Member No;Forename\n\xff\xfe\x00bad")
    with pytest.raises(SourceFileError, match="line 2 is not UTF-8"):
        await Ingestor(graph, mapping).ingest_path(tmp_path)
    # Found before anything is written: no new batch, nothing half-done.
    assert await graph.read_text("t", batches) == before
    with pytest.raises(MappingError, match="customers.0.key"):
        parse_mapping("source: x\ncustomers:\n  file: a.csv\n", "inline")
    with pytest.raises(MappingError, match="snake_case"):
        parse_mapping("source: Bad Name\n", "inline")


async def test_broken_rows_are_quarantined_and_counts_add_up(
    graph: GraphClient, tmp_path: Path
) -> None:
    mapping = parse_mapping(CUSTOM_MAPPING, "test")
    (tmp_path / "members.csv").write_text(
        ";".join(HEADER) + "\nM1;Ann;Lee;ann@x.com;;;;;\nM2;too;few\n\nM3;Joe;Bloggs;;;;;;;extra\n"
    )
    (rep,) = await Ingestor(graph, mapping).ingest_path(tmp_path)
    assert rep.rows_read == 3
    assert rep.rows_accepted == 1 and rep.rows_quarantined == 2
    assert rep.quarantine_reasons == {"wrong_field_count": 2}
    jsonl = parse_mapping(
        "source: app\ncustomers:\n  file: users.jsonl\n  key: id\n"
        "  identifiers: [{field: email, type: email}]\n",
        "inline",
    )
    (tmp_path / "users.jsonl").write_text('{"id": 1, "email": "a@b.com"}\n{not json\n[1,2]\n')
    (rep2,) = await Ingestor(graph, jsonl).ingest_path(tmp_path / "users.jsonl")
    assert (rep2.rows_read, rep2.rows_accepted, rep2.rows_quarantined) == (3, 1, 2)
    reasons = await graph.read_text(
        "t", "MATCH (q:Quarantine {source: 'app'}) RETURN q.reason AS r ORDER BY r"
    )
    assert [r["r"].split(":")[0] for r in reasons] == ["not_an_object", "unparseable_json"]


OBSERVED_MAPPING = """
source: crm
format: csv
customers:
  file: members.csv
  key: id
  observed_at: seen
  identifiers:
    - {field: email, type: email}
    - {field: card, type: club_card}
  attributes:
    given_name: {field: name, kind: name}
"""


async def test_new_and_rewritten_records_carry_the_same_facts(
    graph: GraphClient, tmp_path: Path
) -> None:
    """A new record takes the lean write; a record the graph holds the full one. Both leave
    the same properties and link facts (the lean write is not a lesser record)."""
    mapping = parse_mapping(OBSERVED_MAPPING, "test")
    path = tmp_path / "members.csv"
    path.write_text("id,name,email,card,seen\nA,Ann,ann@a.com,C1,2024-01-02T03:04:05Z\n")
    (first,) = await Ingestor(graph, mapping).ingest_path(tmp_path)
    new, new_ids = await _record(graph, "crm:A")
    path.write_text(
        "id,name,email,card,seen\n"
        "A,Anne,ann@a.com,C2,2024-02-02T03:04:05Z\n"
        "B,Bea,bea@b.com,C3,2024-02-02T03:04:05Z\n"
    )
    (second,) = await Ingestor(graph, mapping).ingest_path(tmp_path)
    assert second.records_changed == 2
    rewritten, ids = await _record(graph, "crm:A")
    fresh, fresh_ids = await _record(graph, "crm:B")
    assert new_ids == {"email:ann@a.com", "club_card:C1"}
    assert ids == {"email:ann@a.com", "club_card:C2"}  # the stale card link went
    assert fresh_ids == {"email:bea@b.com", "club_card:C3"}
    assert set(new) == set(rewritten) == set(fresh)
    assert new["first_batch_id"] == new["batch_id"] == first.batch_id
    assert rewritten["first_batch_id"] == first.batch_id
    assert fresh["first_batch_id"] == fresh["batch_id"] == second.batch_id
    assert new["dirty"] is True and fresh["dirty"] is True
    assert new["observed_at"] == "2024-01-02T03:04:05Z"
    assert json.loads(str(fresh["raw"]))["name"] == "Bea"
    links = await graph.read_text(
        "t",
        "MATCH (r:Record)-[h:HAS_IDENTIFIER]->(i:Identifier) "
        "RETURN r.rid AS rid, i.key AS key, h.first_seen AS first, h.last_seen AS last, "
        "h.batch_id AS batch, i.sha256 IS NOT NULL AS hashed ORDER BY rid, key",
    )
    assert [
        (r["rid"], r["key"], r["first"], r["last"], r["batch"], r["hashed"]) for r in links
    ] == [
        (
            "crm:A",
            "club_card:C2",
            "2024-02-02T03:04:05Z",
            "2024-02-02T03:04:05Z",
            second.batch_id,
            False,
        ),
        (
            "crm:A",
            "email:ann@a.com",
            "2024-01-02T03:04:05Z",
            "2024-02-02T03:04:05Z",
            first.batch_id,
            True,
        ),
        (
            "crm:B",
            "club_card:C3",
            "2024-02-02T03:04:05Z",
            "2024-02-02T03:04:05Z",
            second.batch_id,
            False,
        ),
        (
            "crm:B",
            "email:bea@b.com",
            "2024-02-02T03:04:05Z",
            "2024-02-02T03:04:05Z",
            second.batch_id,
            True,
        ),
    ]
    # The same file again: nothing is sent for unchanged records, nothing changes.
    (third,) = await Ingestor(graph, mapping).ingest_path(tmp_path)
    assert third.records_changed == 0
    assert await _record(graph, "crm:B") == (fresh, fresh_ids)
