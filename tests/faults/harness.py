"""The fault suite's harness: the real `cdp` command in a subprocess, killed at a named
fault point (`core.faults`), and snapshots of the graph to compare a healed run with a
clean one."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from activate.segments.compiler import count_query
from activate.segments.definition import parse_filter
from core.clock import utc_today
from core.faults import EXIT_CODE
from graph.client import GraphClient

CDP = str(Path(sys.executable).parent / "cdp")
FAULT_CHUNK = "40"
"""Batch size of the write paths under test: several batches to die between, on small data."""


def cdp(
    *args: str, fault: str | None = None, env: Mapping[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """Run `cdp ARGS`; with `fault`, it must die there (status 137, like `kill -9`)."""
    run_env = {**os.environ, **(env or {}), "CDP_FAULT_CHUNK": FAULT_CHUNK}
    run_env.pop("CDP_FAULT_AT", None)
    if fault:
        run_env["CDP_FAULT_AT"] = fault
    done = subprocess.run(
        [CDP, *args], env=run_env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if fault:
        assert done.returncode == EXIT_CODE, (
            f"cdp {' '.join(args)} did not die at {fault}: {done.returncode}\n{done.stderr[-2000:]}"
        )
    else:
        tail = done.stderr[-3000:]
        assert done.returncode == 0, f"cdp {' '.join(args)}: {done.returncode}\n{tail}"
    return done


@dataclass(frozen=True)
class Snapshot:
    """What a resolution leaves, independent of the profile ids it chose."""

    partition: frozenset[frozenset[str]]
    """The records of each live profile."""
    live: int
    """Profiles that are not retired ids."""
    without_records: int
    """Live profiles holding no record (ghosts)."""
    unsettled: int
    """Profiles still marked by a write phase."""
    dirty: int
    """Records still marked for resolution."""
    segment: int
    """Profiles a segment (those with a postcode) counts."""


async def snapshot(graph: GraphClient) -> Snapshot:
    rows = await graph.read_text(
        "faults_membership",
        "MATCH (r:Record)-[:IN_PROFILE]->(p:Profile) WHERE p.retired IS NULL "
        "RETURN p.pid AS pid, collect(r.rid) AS rids",
    )
    counts = await graph.read_text(
        "faults_counts",
        "CALL { MATCH (p:Profile) WHERE p.retired IS NULL RETURN count(p) AS live } "
        "CALL { MATCH (p:Profile) WHERE p.retired IS NULL "
        "  AND NOT EXISTS { (:Record)-[:IN_PROFILE]->(p) } RETURN count(p) AS ghosts } "
        "CALL { MATCH (p:Unsettled) RETURN count(p) AS unsettled } "
        "CALL { MATCH (r:Record) WHERE r.dirty = true RETURN count(r) AS dirty } "
        "RETURN live, ghosts, unsettled, dirty",
    )
    query, params = count_query(
        parse_filter({"attribute": {"field": "postcode", "op": "exists"}}), utc_today().isoformat()
    )
    seg = await graph.read_text("faults_segment_count", query, params)
    c = counts[0]
    return Snapshot(
        partition=frozenset(frozenset(r["rids"]) for r in rows),
        live=int(c["live"]),
        without_records=int(c["ghosts"]),
        unsettled=int(c["unsettled"]),
        dirty=int(c["dirty"]),
        segment=int(seg[0]["n"]),
    )
