"""The data audit against the real Neo4j: exact figures on a hand-written data set, the
aggregates checked against a brute-force count on generated data, and the HTML report."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from generator import generate
from graph import audit_repo
from graph.client import GraphClient
from ingest.audit import Audit, build_audit, write_html
from ingest.audit.fields import BOOKKEEPING
from ingest.audit.model import FieldKind
from ingest.mapping import builtin_mapping, builtin_sources, parse_mapping
from ingest.pipeline import Ingestor

SHOE = "<script>shoe</script>"
"""A source column whose name is markup: it reaches the report through the issues."""

SHOP_MAPPING = """
source: ecommerce
format: csv
customers:
  file: customers.csv
  key: id
  identifiers:
    - {field: email, type: email}
    - {field: phone, type: phone}
  attributes:
    given_name: {field: first, kind: name}
    family_name: {field: last, kind: name}
    email: {field: email, kind: email}
    phone: {field: phone, kind: phone}
    postcode: {field: postcode, kind: postcode}
orders:
  file: orders.csv
  key: order_id
  customer_key: customer_id
  placed_at: placed_at
  total: total
"""

STORE_MAPPING = f"""
source: pos
format: csv
customers:
  file: customers.csv
  key: pos_id
  identifiers:
    - {{field: phone, type: phone}}
    - {{field: email, type: email}}
    - {{field: card, type: loyalty_id}}
  attributes:
    full_name: {{field: name, kind: full_name}}
    phone: {{field: phone, kind: phone}}
    shoe: {{field: "{SHOE}", kind: number}}
"""

SHOP_CUSTOMERS = [
    ["id", "first", "last", "email", "phone", "postcode"],
    ["S1", "Ann", "Lee", "ann@example.com", "0412 345 678", "2000"],
    ["S2", "Bob", "Ray", "bob@example.com", "", "3000"],
    ["S3", "Cat", "Poe", "not-an-email", "0412 345 679", "abc"],
    ["S4", "<script>alert</script>", "Smith", "test@test.com", "", "2000"],
    ["S5", "Dan", "Fox", "TEST@test.com", "", ""],
    ["", "Nob", "Ody", "nobody@example.com", "", ""],
]
SHOP_ORDERS = [
    ["order_id", "customer_id", "placed_at", "total"],
    ["O1", "S1", "2024-01-02T10:00:00Z", "10.50"],
    ["O2", "S1", "2024-02-02T10:00:00Z", "20"],
    ["O3", "S2", "2024-03-02T10:00:00Z", "5"],
    ["O4", "S9", "2024-03-03T10:00:00Z", "7"],
]
STORE_CUSTOMERS = [
    ["pos_id", "name", "phone", "email", "card", SHOE],
    ["P1", "Ann Lee", "0412345678", "", "<script>", "42"],
    ["P2", "Bob Ray", "", "bob@example.com", "C2", "x"],
    ["P3", "Eve Day", "12", "", "", ""],
    ["P4", "Zed Quinn", "", "test@test.com", "C3", ""],
    ["P5", "Kim Wu", "0499 999 999", "", "<script>", ""],
    ["", "No Key", "0400 111 222", "", "", ""],
]


def _write(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


@pytest.fixture
async def hand_written(graph: GraphClient, tmp_path: Path) -> Audit:
    _write(tmp_path / "shop" / "customers.csv", SHOP_CUSTOMERS)
    _write(tmp_path / "shop" / "orders.csv", SHOP_ORDERS)
    _write(tmp_path / "store" / "customers.csv", STORE_CUSTOMERS)
    shop = parse_mapping(SHOP_MAPPING, "test shop")
    store = parse_mapping(STORE_MAPPING, "test store")
    await Ingestor(graph, shop).ingest_path(tmp_path / "shop")
    await Ingestor(graph, store).ingest_path(tmp_path / "store")
    return await build_audit(graph, mappings={"ecommerce": shop, "pos": store})


def _rates(
    audit: Audit, source: str, kind: FieldKind, name: str
) -> tuple[int | None, int, float | None, float | None]:
    s = audit.source(source)
    assert s is not None
    f = s.field(kind, name)
    assert f is not None, (source, kind, name)
    return f.valid, f.invalid, f.fill_rate, f.validity_rate


async def test_counts_per_source(hand_written: Audit) -> None:
    audit = hand_written
    assert audit.source_names() == ["ecommerce", "pos"]
    shop, store = audit.sources
    # S9 placed an order but is no customer of the file: a stub, not a record.
    assert (shop.records, shop.stubs, shop.orders, shop.events) == (5, 1, 4, 0)
    assert (store.records, store.stubs, store.orders, store.events) == (5, 0, 0, 0)
    # No e-mail identifier: S3 (invalid address); P1, P3, P5. No identifier at all: P3.
    assert (shop.no_email, store.no_email, audit.no_email) == (1, 3, 4)
    assert (shop.no_identifier, store.no_identifier) == (0, 1)


async def test_fill_and_validity(hand_written: Audit) -> None:
    a = hand_written
    # E-mail: 4 valid of 5 present (S3's is invalid), on 5 records.
    assert _rates(a, "ecommerce", "identifier", "email") == (4, 1, 1.0, 0.8)
    assert _rates(a, "ecommerce", "attribute", "email") == (4, 1, 1.0, 0.8)
    assert _rates(a, "ecommerce", "identifier", "phone") == (2, 0, 0.4, 1.0)
    # Postcode: 2000, 3000, 2000 valid, "abc" invalid, one blank.
    assert _rates(a, "ecommerce", "attribute", "postcode") == (3, 1, 0.8, 0.75)
    assert _rates(a, "ecommerce", "attribute", "given_name") == (5, 0, 1.0, 1.0)
    # Store phone: P1 and P5 valid, P3's "12" invalid.
    assert _rates(a, "pos", "identifier", "phone") == (2, 1, 0.6, 2 / 3)
    assert _rates(a, "pos", "identifier", "email") == (2, 0, 0.4, 1.0)
    assert _rates(a, "pos", "identifier", "loyalty_id") == (4, 0, 0.8, 1.0)
    # The given name comes from the full name.
    assert _rates(a, "pos", "attribute", "given_name") == (5, 0, 1.0, 1.0)
    assert _rates(a, "pos", "attribute", "shoe") == (1, 1, 0.4, 0.5)
    store = a.source("pos")
    assert store is not None
    shoe = store.field("attribute", "shoe")
    assert shoe is not None and shoe.reasons == {"invalid_number": 1}
    assert shoe.source_fields == (SHOE,)


async def test_overlap_and_store_buyers_online(hand_written: Audit, graph: GraphClient) -> None:
    a = hand_written
    assert a.overlap == {
        # S1 (phone), S2 (bob@), S4 and S5 (test@) share with the store.
        ("ecommerce", "pos"): 4,
        # S4 and S5 share test@test.com.
        ("ecommerce", "ecommerce"): 2,
        # P1 (phone), P2 (bob@), P4 (test@) share with the shop.
        ("pos", "ecommerce"): 3,
        # P1 and P5 share a loyalty card.
        ("pos", "pos"): 2,
    }
    assert [(s.source, s.shared_with_others) for s in a.sources] == [("ecommerce", 4), ("pos", 3)]
    assert a.store_online is not None
    assert (a.store_online.shared, a.store_online.records) == (3, 5)
    # Expanding every identifier as a hub gives the same answer.
    default = await audit_repo.overlap_counts(graph)
    assert await audit_repo.overlap_counts(graph, hub_records=0) == default


async def test_combinations_and_identifier_types(hand_written: Audit) -> None:
    a = hand_written
    combos = [(c.sources, c.identifiers, c.by_type) for c in a.combinations]
    assert combos == [
        (("pos",), 4, {"loyalty_id": 3, "phone": 1}),
        (("ecommerce", "pos"), 3, {"email": 2, "phone": 1}),
        (("ecommerce",), 2, {"email": 1, "phone": 1}),
    ]
    types = [
        (t.type, t.identifiers, t.multi_source, t.blocked, t.generic) for t in a.identifier_types
    ]
    assert types == [("email", 3, 2, 0, 0), ("loyalty_id", 3, 0, 0, 0), ("phone", 3, 1, 0, 0)]
    assert a.identifiers == 9


async def test_top_identifiers_are_masked_and_flagged(
    graph: GraphClient, hand_written: Audit
) -> None:
    top = [
        (t.type, t.masked_value, t.records, t.given_names, t.family_names, t.sources)
        for t in hand_written.top_identifiers
    ]
    assert top == [
        ("email", "te***@test.com", 3, 3, 3, ("ecommerce", "pos")),
        ("email", "b***@example.com", 2, 1, 1, ("ecommerce", "pos")),
        ("loyalty_id", "<S***T>", 2, 2, 2, ("pos",)),
        ("phone", "+614***678", 2, 1, 1, ("ecommerce", "pos")),
    ]
    # Flags set by identity resolution show up.
    await graph.write_text(
        "t",
        "MATCH (i:Identifier {key: $key}) SET i.generic = $why",
        {"key": "email:test@test.com", "why": "generic:given_names=3>=3"},
    )
    audit = await build_audit(graph, top=1)
    (only,) = audit.top_identifiers
    assert only.generic == "generic:given_names=3>=3" and only.blocked is None
    assert [t.generic for t in audit.identifier_types] == [1, 0, 0]


async def test_quarantine_and_batches(hand_written: Audit) -> None:
    q = [(r.source, r.kind, r.reason, r.field, r.rows) for r in hand_written.quarantine]
    assert q == [
        ("ecommerce", "customer", "missing_key", "id", 1),
        ("pos", "customer", "missing_key", "pos_id", 1),
    ]
    batches = sorted(
        (b.source, Path(b.file).name, b.rows_read, b.rows_accepted, b.rows_quarantined, b.orders)
        for b in hand_written.batches
    )
    assert batches == [
        ("ecommerce", "customers.csv", 6, 5, 1, 0),
        ("ecommerce", "orders.csv", 4, 4, 0, 4),
        ("pos", "customers.csv", 6, 5, 1, 0),
    ]
    assert all(b.status == "completed" for b in hand_written.batches)


async def test_html_report(hand_written: Audit, tmp_path: Path) -> None:
    out = write_html(hand_written, tmp_path / "reports" / "audit.html")
    page = out.read_text(encoding="utf-8")
    for anchor in ("fill", "overlap", "combinations", "top-identifiers", "quarantine", "batches"):
        assert f'id="{anchor}"' in page
    assert "<svg" in page
    # Markup from the data is escaped, and no script can enter the page.
    assert "<script" not in page
    assert "&lt;script&gt;shoe&lt;/script&gt;" in page
    assert "&lt;S***T&gt;" in page
    # No personal data: names and full identifier values stay out.
    for secret in ("alert", "Quinn", "ann@example.com", "+61412345678", "0412 345 678"):
        assert secret not in page


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit-gen")
    generate(out, customers=300, seed=1)
    return out


async def test_builtin_sources_match_a_brute_force_count(
    graph: GraphClient, generated: Path, tmp_path: Path
) -> None:
    # The generator writes six of the built-in sources.
    sources = [s for s in builtin_sources() if (generated / s).is_dir()]
    assert len(sources) == 6
    for source in sources:
        await Ingestor(graph, builtin_mapping(source), chunk_size=500).ingest_path(generated)
    audit = await build_audit(graph, parallel=False)
    assert audit.source_names() == sources
    assert set(audit.timings) >= {"fill", "overlap", "top_identifiers"}

    rows = await graph.read_text(
        "t",
        "MATCH (r:Record) WHERE r.stub IS NULL "
        "RETURN r.rid AS rid, r.source AS source, keys(r) AS props, "
        "COLLECT { MATCH (r)-[:HAS_IDENTIFIER]->(i) RETURN i.key } AS keys",
    )
    records: dict[str, int] = defaultdict(int)
    filled: dict[tuple[str, str, str], int] = defaultdict(int)
    carriers: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in rows:
        records[r["source"]] += 1
        for p in set(r["props"]) - BOOKKEEPING:
            filled[(r["source"], "attribute", p)] += 1
        for t in {k.split(":", 1)[0] for k in r["keys"]}:
            filled[(r["source"], "identifier", t)] += 1
        for k in r["keys"]:
            carriers[k].append((r["rid"], r["source"]))
    reached: dict[str, set[str]] = defaultdict(set)
    for held in carriers.values():
        for rid, _ in held:
            reached[rid].update(s for other, s in held if other != rid)
    overlap: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        for other_source in reached[r["rid"]]:
            overlap[(r["source"], other_source)] += 1

    assert {s.source: s.records for s in audit.sources} == dict(records)
    assert audit.overlap == dict(overlap)
    for src in audit.sources:
        for f in src.fields:
            if f.kind != "source_field":
                assert f.valid == filled.get((src.source, f.kind, f.name), 0), (src.source, f.name)
            for rate in (f.fill_rate, f.validity_rate):
                assert rate is None or 0.0 <= rate <= 1.0
        email = src.field("identifier", "email")
        assert src.no_email == src.records - ((email.valid or 0) if email else 0)
    # Junk values (test@test.com on many records) are hubs of the overlap query; expanding
    # none of them as hubs gives the same answer.
    assert await audit_repo.overlap_counts(
        graph, hub_records=10**9
    ) == await audit_repo.overlap_counts(graph, hub_records=3)
    assert sum(c.identifiers for c in audit.combinations) == len(carriers)
    counts = [t.records for t in audit.top_identifiers]
    assert counts == sorted(counts, reverse=True) and len(counts) == 20
    assert (
        audit.store_online is not None
        and 0 < audit.store_online.shared < audit.store_online.records
    )
    page = write_html(audit, tmp_path / "audit.html").read_text(encoding="utf-8")
    assert page.count("<svg") == len(audit.sources) + 1
