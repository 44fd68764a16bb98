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
