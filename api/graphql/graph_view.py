"""`profileGraph`: a profile's neighbourhood as nodes and edges with evidence, for analysts
and for a graph view.

Depth 1: the profile and its records. Depth 2: also the identifiers the records carry
(with the flags that stop them linking), the probabilistic matches and forced links between
records, and the retired ids merged into the profile. Depth 3: also the records outside the
profile that carry its identifiers, and their profiles: what it could have joined.
"""

from __future__ import annotations

import json
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.graphql.errors import bad_input
from api.graphql.loaders import Loaders
from graph import explain_repo, profile_repo
from graph.client import GraphClient

MAX_DEPTH = 3
MAX_NEIGHBOURS = 200


@strawberry.type
class GraphNode:
    id: str = strawberry.field(description="`profile:<pid>`, `record:<rid>`, `identifier:<key>`.")
    kind: str = strawberry.field(description="profile, retired_profile, record or identifier.")
    label: str
    properties: JSON


@strawberry.type
class GraphEdge:
    source: str
    target: str
    type: str = strawberry.field(
        description="IN_PROFILE, HAS_IDENTIFIER, MATCHES, SAME_AS or MERGED_INTO."
    )
    evidence: JSON


@strawberry.type
class ProfileGraph:
    pid: str
    depth: int
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool = strawberry.field(
        description="Depth 3 lists at most 200 outside records; true when there were more."
    )


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


class _Builder:
    def __init__(self) -> None:
        self.nodes: dict[str, GraphNode] = {}
        self.edges: dict[tuple[str, str, str], GraphEdge] = {}

    def node(self, node_id: str, kind: str, label: str, props: dict[str, Any]) -> str:
        if node_id not in self.nodes:
            self.nodes[node_id] = GraphNode(
                id=node_id, kind=kind, label=label, properties=JSON(_clean(props))
            )
        return node_id

    def edge(self, source: str, target: str, kind: str, evidence: dict[str, Any]) -> None:
        key = (source, target, kind)
        if key not in self.edges:
            self.edges[key] = GraphEdge(
                source=source, target=target, type=kind, evidence=JSON(_clean(evidence))
            )

    def record(self, r: dict[str, Any]) -> str:
        name = " ".join(x for x in (r.get("given_name"), r.get("family_name")) if x)
        return self.node(
            f"record:{r['rid']}",
            "record",
            name or str(r["rid"]),
            {"rid": r["rid"], "source": r.get("source"), "stub": r.get("stub")},
        )

    def profile(self, pid: str, props: dict[str, Any], kind: str = "profile") -> str:
        name = " ".join(x for x in (props.get("given_name"), props.get("family_name")) if x)
        return self.node(
            f"profile:{pid}",
            kind,
            name or pid,
            {
                "pid": pid,
                "record_count": props.get("record_count"),
                "sources": props.get("sources"),
            },
        )


async def profile_graph(
    graph: GraphClient, loaders: Loaders, pid: str, depth: int
) -> ProfileGraph | None:
    """The graph around profile `pid` (a retired id is followed), or None when unknown."""
    if not 1 <= depth <= MAX_DEPTH:
        raise bad_input(f"depth must be between 1 and {MAX_DEPTH}")
    props = await loaders.profile.load(pid)
    if props is None:
        return None
    pid = str(props["pid"])
    b = _Builder()
    me = b.profile(pid, props)
    records = await loaders.records.load(pid)
    for r in records:
        b.edge(b.record(r), me, "IN_PROFILE", {})
    keys: list[str] = []
    if depth >= 2:
        keys = await _links(graph, b, pid)
        for r in await profile_repo.retired_ids(graph, pid):
            old = b.profile(str(r["pid"]), {}, "retired_profile")
            b.edge(old, f"profile:{r['into']}", "MERGED_INTO", {"retired_at": r.get("retired_at")})
    truncated = False
    if depth >= 3 and keys:
        rows = await profile_repo.neighbours(graph, pid, keys, MAX_NEIGHBOURS + 1)
        truncated = len(rows) > MAX_NEIGHBOURS
        for n in rows[:MAX_NEIGHBOURS]:
            rec = b.record(n)
            b.edge(rec, f"identifier:{n['key']}", "HAS_IDENTIFIER", {"refused": n.get("refused")})
            if n.get("pid"):
                b.edge(rec, b.profile(str(n["pid"]), {}), "IN_PROFILE", {})
    return ProfileGraph(
        pid=pid,
        depth=depth,
        nodes=list(b.nodes.values()),
        edges=list(b.edges.values()),
        truncated=truncated,
    )


async def _links(graph: GraphClient, b: _Builder, pid: str) -> list[str]:
    """Identifiers, matches and forced links of the profile's records; the identifier keys."""
    rows = await explain_repo.profile_links(graph, [pid])
    outside: set[str] = set()
    keys: list[str] = []
    for r in rows:
        info = r.get("info") or {}
        src = f"record:{r['rid']}"
        if r["kind"] == "identifier":
            key = str(r["target"])
            id_type, _, value = key.partition(":")
            flags = {k: info.get(k) for k in ("blocked", "generic", "shared")}
            ident = b.node(
                f"identifier:{key}", "identifier", key, {"type": id_type, "value": value, **flags}
            )
            if key not in keys:
                keys.append(key)
            b.edge(
                src,
                ident,
                "HAS_IDENTIFIER",
                {"refused": info.get("refused"), "first_seen": info.get("first_seen"), **flags},
            )
        elif r["kind"] == "match":
            evidence = info.get("evidence")
            b.edge(
                src,
                f"record:{r['target']}",
                "MATCHES",
                {
                    "match_weight": info.get("weight"),
                    "match_probability": info.get("probability"),
                    "rejected": info.get("rejected"),
                    "fields": json.loads(evidence) if isinstance(evidence, str) else evidence,
                },
            )
            outside.add(str(r["target"]))
        elif r["kind"] == "forced":
            b.edge(
                src,
                f"record:{r['target']}",
                "SAME_AS",
                {"by": info.get("by"), "at": info.get("at")},
            )
            outside.add(str(r["target"]))
    missing = sorted(rid for rid in outside if f"record:{rid}" not in b.nodes)
    if missing:
        for rec in (await profile_repo.record_summaries(graph, missing)).values():
            node = b.record(rec)
            if rec.get("pid"):
                b.edge(node, b.profile(str(rec["pid"]), {}), "IN_PROFILE", {})
    return keys
