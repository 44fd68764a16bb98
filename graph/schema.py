"""Idempotent schema migration: uniqueness constraints on node keys, and indexes.

Constraints exist before the first `MERGE`; every statement uses `IF NOT EXISTS`, so running
the migration again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.client import GraphClient
from graph.onsite_repo import backfill_email_hashes
from graph.queries import safe_name


@dataclass(frozen=True, slots=True)
class NodeKey:
    label: str
    key: str


@dataclass(frozen=True, slots=True)
class PropertyIndex:
    label: str
    props: tuple[str, ...]


# The node keys of ARCHITECTURE.md, plus the bookkeeping nodes of ingestion and activation.
NODE_KEYS: tuple[NodeKey, ...] = (
    NodeKey("Record", "rid"),
    NodeKey("Identifier", "key"),
    NodeKey("Profile", "pid"),
    NodeKey("Order", "oid"),
    NodeKey("Event", "eid"),
    NodeKey("IngestBatch", "id"),
    NodeKey("Quarantine", "id"),
    NodeKey("ProfileChange", "id"),
    NodeKey("Suppression", "hash"),
    NodeKey("Segment", "id"),
    NodeKey("Destination", "id"),
    NodeKey("SyncRun", "id"),
    NodeKey("SyncMember", "key"),
    NodeKey("SyncState", "id"),
    NodeKey("ApiKey", "hash"),
    NodeKey("SegmentMessage", "message_id"),
    NodeKey("ComparedAttribute", "key"),
    NodeKey("SourceKey", "source"),
)

INDEXES: tuple[PropertyIndex, ...] = (
    PropertyIndex("Record", ("source",)),
    PropertyIndex("Record", ("batch_id",)),
    PropertyIndex("Identifier", ("type",)),
    PropertyIndex("Identifier", ("type", "value")),
    PropertyIndex("Profile", ("family_name",)),
    PropertyIndex("Profile", ("postcode",)),
    PropertyIndex("Order", ("placed_at",)),
    PropertyIndex("Event", ("ts",)),
    PropertyIndex("Quarantine", ("batch_id",)),
    PropertyIndex("ProfileChange", ("at",)),
    PropertyIndex("ProfileChange", ("pid",)),
    PropertyIndex("Profile", ("given_name",)),
    PropertyIndex("SyncMember", ("state",)),
    PropertyIndex("SyncRun", ("segment", "destination")),
    # Work queues found without a label scan: records resolution must look at, profiles
    # enrichment must recompute, identifiers an operator marked shared.
    PropertyIndex("Record", ("dirty",)),
    PropertyIndex("Profile", ("enrich_dirty",)),
    PropertyIndex("Identifier", ("shared",)),
    PropertyIndex("Identifier", ("sha256",)),
)


def constraint_statement(nk: NodeKey) -> str:
    label = safe_name("label", nk.label)
    key = safe_name("property", nk.key)
    return (
        f"CREATE CONSTRAINT {label.lower()}_{key}_unique IF NOT EXISTS "
        f"FOR (n:{label}) REQUIRE n.{key} IS UNIQUE"
    )


def index_statement(ix: PropertyIndex) -> str:
    label = safe_name("label", ix.label)
    props = [safe_name("property", p) for p in ix.props]
    name = f"{label.lower()}_{'_'.join(props)}_idx"
    on = ", ".join(f"n.{p}" for p in props)
    return f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{label}) ON ({on})"


def migration_statements() -> list[str]:
    return [constraint_statement(k) for k in NODE_KEYS] + [index_statement(i) for i in INDEXES]


async def migrate(client: GraphClient) -> int:
    """Create every constraint and index that does not exist yet and wait until online.

    Returns:
        How many statements were run (all of them: each is a no-op when present).
    """
    statements = migration_statements()
    for stmt in statements:
        await client.write_text("schema_migration", stmt)
    await client.write_text("schema_await", "CALL db.awaitIndexes(300)")
    # Data written before email identifiers carried their hash (a no-op once done).
    await backfill_email_hashes(client)
    return len(statements)


async def schema_names(client: GraphClient) -> set[str]:
    """Names of the constraints and indexes present."""
    indexes = await client.read("schema_index_names")
    constraints = await client.read("schema_constraint_names")
    return {r["name"] for r in indexes + constraints}


async def wipe(client: GraphClient) -> None:
    """Delete every node and relationship (constraints and indexes stay)."""
    await client.write_batched("wipe_graph")
