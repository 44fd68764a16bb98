"""Test data for segments and syncs: profiles written directly with small Cypher.

Each profile gets one record (source `row["source"]`, default "ecommerce") carrying its
identifiers, orders and events, so the segment conditions that walk records work.
(No tests here: the module only shares helpers between test_segments and test_sync.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from graph.client import GraphClient

_CREATE = """
UNWIND $rows AS row
CREATE (p:Profile)
SET p = row.props
CREATE (r:Record {rid: row.props.pid + ':r', source: row.source})-[:IN_PROFILE]->(p)
FOREACH (o IN row.orders |
  CREATE (:Order {oid: row.props.pid + ':o:' + o.n, channel: o.channel,
                  categories: o.categories, placed_at: o.placed_at, total: o.total})
         -[:PLACED_BY]->(r))
FOREACH (e IN row.events |
  CREATE (:Event {eid: row.props.pid + ':e:' + e.n, type: e.type, ts: e.ts})-[:BY]->(r))
FOREACH (i IN row.identifiers |
  MERGE (x:Identifier {key: i.type + ':' + i.value})
  SET x.type = i.type, x.value = i.value, x.blocked = i.blocked
  CREATE (r)-[:HAS_IDENTIFIER]->(x))
"""


EARLIER = datetime.now(UTC) - timedelta(hours=1)
"""When test profiles were resolved: before any refresh the test runs."""


def stamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def profile(
    pid: str,
    *,
    source: str = "ecommerce",
    orders: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    identifiers: list[dict[str, Any]] | None = None,
    **props: Any,
) -> dict[str, Any]:
    """A profile row for `add_profiles`. Orders: {channel, categories, placed_at, total};
    events: {type, ts}; identifiers: {type, value, blocked?}."""
    props = {"pid": pid, "resolved_at": stamp(EARLIER), "sources": [source], **props}
    return {
        "props": props,
        "source": source,
        "orders": [
            {"n": str(n), "categories": [], "total": 10.0, "channel": "online", **o}
            for n, o in enumerate(orders or [])
        ],
        "events": [{"n": str(n), **e} for n, e in enumerate(events or [])],
        "identifiers": identifiers or [],
    }


async def add_profiles(graph: GraphClient, rows: list[dict[str, Any]]) -> None:
    await graph.write_text("test_add_profiles", _CREATE, {"rows": rows})


async def set_props(graph: GraphClient, pid: str, touch: bool = True, **props: Any) -> None:
    """Change a profile's properties, as enrichment would (stamping `enriched_at`)."""
    if touch:
        props["enriched_at"] = stamp()
    await graph.write_text(
        "test_set_props",
        "MATCH (p:Profile {pid: $pid}) SET p += $props",
        {"pid": pid, "props": props},
    )


async def retire(graph: GraphClient, old: str, new: str) -> None:
    """What resolution does on a merge: the old id retires and points to the survivor."""
    await graph.write_text(
        "test_retire",
        """
        MATCH (o:Profile {pid: $old}), (n:Profile {pid: $new})
        MATCH (r:Record)-[m:IN_PROFILE]->(o)
        DELETE m
        CREATE (r)-[:IN_PROFILE]->(n)
        SET o.retired = true, o.retired_at = $now, n.resolved_at = $now
        MERGE (o)-[:MERGED_INTO]->(n)
        """,
        {"old": old, "new": new, "now": stamp()},
    )


async def members(graph: GraphClient, segment_id: str) -> set[str]:
    rows = await graph.read_text(
        "test_members",
        "MATCH (:Segment {id: $id})<-[:IN_SEGMENT]-(p:Profile) RETURN p.pid AS pid",
        {"id": segment_id},
    )
    return {r["pid"] for r in rows}
