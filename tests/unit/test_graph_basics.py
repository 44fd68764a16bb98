"""Query loading, name checks and schema statements, without a database."""

from __future__ import annotations

import pytest

from graph.errors import InvalidName, QueryNotFound
from graph.queries import cypher, query_names, safe_name
from graph.schema import (
    NODE_KEYS,
    PropertyIndex,
    constraint_statement,
    index_statement,
    migration_statements,
)


def test_every_shipped_query_loads() -> None:
    names = query_names()
    assert "health_check" in names
    for n in names:
        assert cypher(n).strip(), n


@pytest.mark.parametrize("bad", ["nope", "../etc/passwd", "Health_Check", "a b", ""])
def test_unknown_or_unsafe_query_names_raise(bad: str) -> None:
    with pytest.raises(QueryNotFound):
        cypher(bad)


@pytest.mark.parametrize(
    "bad",
    ["Person) DETACH DELETE n //", "a`b", "x:Y", "1abc", "name with space", "", "a" * 70, "n}"],
)
def test_safe_name_rejects_injection(bad: str) -> None:
    with pytest.raises(InvalidName):
        safe_name("label", bad)


def test_constraint_statements_are_idempotent_and_cover_node_keys() -> None:
    stmts = migration_statements()
    assert all("IF NOT EXISTS" in s for s in stmts)
    for nk in NODE_KEYS:
        assert constraint_statement(nk) in stmts
    assert (
        constraint_statement(NODE_KEYS[0]) == "CREATE CONSTRAINT record_rid_unique IF NOT EXISTS "
        "FOR (n:Record) REQUIRE n.rid IS UNIQUE"
    )
    assert (
        index_statement(PropertyIndex("Identifier", ("type", "value")))
        == "CREATE INDEX identifier_type_value_idx IF NOT EXISTS "
        "FOR (n:Identifier) ON (n.type, n.value)"
    )


def test_index_statement_refuses_bad_property() -> None:
    with pytest.raises(InvalidName):
        index_statement(PropertyIndex("Record", ("rid) DETACH DELETE n",)))


def test_migration_creates_the_sync_state_schema() -> None:
    # The sync engine has no schema of its own: the one migration makes what it needs.
    stmts = migration_statements()
    for stmt in (
        "CREATE CONSTRAINT syncmember_key_unique IF NOT EXISTS "
        "FOR (n:SyncMember) REQUIRE n.key IS UNIQUE",
        "CREATE CONSTRAINT syncstate_id_unique IF NOT EXISTS "
        "FOR (n:SyncState) REQUIRE n.id IS UNIQUE",
        "CREATE INDEX syncmember_state_idx IF NOT EXISTS FOR (n:SyncMember) ON (n.state)",
        "CREATE INDEX syncrun_segment_destination_idx IF NOT EXISTS "
        "FOR (n:SyncRun) ON (n.segment, n.destination)",
    ):
        assert stmt in stmts
