"""Erasure on request (GDPR): the graph side of forgetting a customer.

`scope` reads what an erasure touches; `erase` deletes it and writes the suppression hashes
in one transaction, so a failure leaves the person whole rather than half forgotten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.client import GraphClient, Tx


@dataclass(frozen=True, slots=True)
class Carriers:
    """Records carrying an identifier, with the profile they are in (None: unresolved)."""

    pid: str | None
    rids: list[str]


@dataclass(frozen=True, slots=True)
class Scope:
    rids: list[str]
    """Every record to erase."""
    pids: list[str]
    """The profiles to erase, retired ids merged into them included."""
    identifiers: list[str]
    """Keys of every identifier the records carry."""
    exclusive: list[str]
    """The identifiers no other record carries: erased with the records."""
    neighbours: list[str]
    """Records outside that shared a linking identifier or a link: resolved again."""


@dataclass
class Erased:
    profiles: int = 0
    records: int = 0
    identifiers: int = 0
    events: int = 0
    orders_unlinked: int = 0
    suppressions: int = 0
    quarantined: int = 0
    """Quarantined rows that carried the person, deleted."""
    snapshots: int = 0
    """Sync snapshots (what destinations were last sent about the profiles), deleted."""
    neighbours: list[str] = field(default_factory=list)


async def carriers(graph: GraphClient, key: str) -> list[Carriers]:
    """The records carrying identifier `key`, grouped by profile."""
    rows = await graph.read("forget_carriers", {"key": key})
    return [Carriers(r["pid"], list(r["rids"])) for r in rows]


async def scope(graph: GraphClient, pids: Sequence[str], rids: Sequence[str]) -> Scope:
    """What erasing profiles `pids` and records `rids` touches."""
    rows = await graph.read("forget_scope", {"pids": list(pids), "rids": list(rids)})
    r = rows[0]
    idents = r["identifiers"]
    return Scope(
        rids=sorted(r["rids"]),
        pids=sorted({*pids, *r["retired"]}),
        identifiers=sorted(i["key"] for i in idents),
        exclusive=sorted(i["key"] for i in idents if i["exclusive"]),
        neighbours=sorted({*r["sharing"], *r["linked"]}),
    )


async def quarantine_rows(graph: GraphClient) -> list[dict[str, Any]]:
    """Every quarantined row (`id`, `source`, `raw`), for erasure to search."""
    return await graph.read("quarantine_raw_rows")


async def legacy_suppressions(graph: GraphClient) -> list[str]:
    """Suppression hashes written before they were keyed (plain SHA-256)."""
    return [str(r["hash"]) for r in await graph.read("suppression_legacy")]


async def migrate_suppressions(
    graph: GraphClient, rows: Sequence[dict[str, str]], scheme: str, now: str
) -> int:
    """Replace legacy hashes (`old`) by their keyed form (`new`)."""
    if not rows:
        return 0
    found = await graph.write(
        "suppression_migrate", {"rows": list(rows), "scheme": scheme, "now": now}
    )
    return int(found[0]["migrated"]) if found else 0


async def _count(tx: Tx, name: str, params: dict[str, object], column: str) -> int:
    rows = await tx.run(name, params)
    return int(rows[0][column]) if rows else 0


async def erase(
    graph: GraphClient,
    s: Scope,
    hashes: Sequence[str],
    now: str,
    *,
    scheme: str,
    quarantine_ids: Sequence[str] = (),
) -> Erased:
    """Delete the scope's events, records, exclusive identifiers, profiles and sync
    snapshots and the quarantined rows `quarantine_ids`, unlink its orders, mark its
    neighbours for resolution and write the suppression `hashes` (of `scheme`)."""

    async def work(tx: Tx) -> Erased:
        out = Erased(neighbours=list(s.neighbours))
        rids = list(s.rids)
        out.events = await _count(tx, "forget_delete_events", {"rids": rids}, "deleted")
        out.orders_unlinked = await _count(tx, "forget_unlink_orders", {"rids": rids}, "unlinked")
        # Before the records: "no one else carries it" is checked against the records left.
        out.identifiers = await _count(
            tx, "forget_delete_identifiers", {"keys": list(s.exclusive), "rids": rids}, "deleted"
        )
        out.records = await _count(tx, "forget_delete_records", {"rids": rids}, "deleted")
        out.profiles = await _count(tx, "forget_delete_profiles", {"pids": list(s.pids)}, "deleted")
        out.snapshots = await _count(
            tx, "forget_delete_snapshots", {"pids": list(s.pids)}, "deleted"
        )
        out.quarantined = await _count(
            tx, "forget_delete_quarantine", {"ids": sorted(set(quarantine_ids))}, "deleted"
        )
        await tx.run("forget_mark_dirty", {"rids": list(s.neighbours)})
        out.suppressions = await _count(
            tx,
            "forget_suppress",
            {"hashes": sorted(set(hashes)), "now": now, "reason": "erasure", "scheme": scheme},
            "written",
        )
        return out

    return await graph.in_write_tx(work)
