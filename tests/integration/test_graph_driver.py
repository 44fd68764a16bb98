"""The driver writes and reads real data through Bolt; migration is idempotent."""

from __future__ import annotations

import pytest
from neo4j.exceptions import ConstraintError

from graph import health
from graph.client import GraphClient
from graph.schema import NODE_KEYS, migrate, migration_statements, schema_names


async def test_write_then_read_through_bolt(graph: GraphClient) -> None:
    await graph.write_text(
        "test_create",
        "UNWIND $rows AS row CREATE (r:Record {rid: row.rid, source: row.source})",
        {"rows": [{"rid": f"pos:{i}", "source": "pos"} for i in range(25)]},
    )
    rows = await graph.read_text(
        "test_read",
        "MATCH (r:Record {source: $s}) RETURN r.rid AS rid ORDER BY rid",
        {"s": "pos"},
    )
    assert len(rows) == 25
    assert rows[0]["rid"] == "pos:0"
    counts = await health.counts(graph)
    assert counts["records"] == 25


async def test_migration_is_idempotent(graph: GraphClient) -> None:
    await migrate(graph)
    first = await schema_names(graph)
    n = await migrate(graph)
    second = await schema_names(graph)
    assert n == len(migration_statements())
    assert first == second
    for nk in NODE_KEYS:
        assert f"{nk.label.lower()}_{nk.key}_unique" in second


async def test_uniqueness_constraint_is_enforced(graph: GraphClient) -> None:
    await graph.write_text("t", "CREATE (:Profile {pid: $pid})", {"pid": "p1"})
    with pytest.raises(ConstraintError):
        await graph.write_text("t", "CREATE (:Profile {pid: $pid})", {"pid": "p1"})
    rows = await graph.read_text("t", "MATCH (p:Profile {pid: 'p1'}) RETURN count(p) AS n")
    assert rows[0]["n"] == 1


async def test_health_reports_version(graph: GraphClient) -> None:
    h = await health.check(graph)
    assert h.ok
    assert h.version is not None and h.version.startswith("5.26")
    assert h.edition == "community"


@pytest.mark.parametrize("page", [1, 3, 7, 50])
async def test_pages_read_every_row_once_across_page_boundaries(
    graph: GraphClient, page: int
) -> None:
    await migrate(graph)
    await graph.write_text(
        "test_create",
        "UNWIND $rows AS row CREATE (r:Record {rid: row.rid})"
        "-[:HAS_IDENTIFIER]->(:Identifier {key: row.key})",
        {"rows": [{"rid": f"pos:{i}", "key": f"email:{i}@x.com"} for i in range(7)]},
    )
    # A record with no identifier still counts towards its page and moves the cursor.
    await graph.write_text("test_create", "CREATE (:Record {rid: 'pos:3a'})", {})
    before = graph.query_count
    pages = [rows async for rows in graph.pages("resolve_links_page", page=page)]
    seen = [(rid, key) for rows in pages for rid, key, _, _ in rows]
    assert sorted(seen) == sorted((f"pos:{i}", f"email:{i}@x.com") for i in range(7))
    assert len(seen) == len(set(seen))
    # Eight records: one query per page, plus one that finds the last page full.
    assert graph.query_count - before == 8 // page + 1
