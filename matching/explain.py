"""Explanations: why two records are in one profile (the path and the evidence of each
hop), why they are not (what kept them apart), and how a profile was formed."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graph import explain_repo
from graph.client import GraphClient
from matching.errors import MatchingError
from matching.households import is_household, member_groups


class RecordNotFound(MatchingError):
    def __init__(self, rid: str) -> None:
        super().__init__(f"no record {rid!r}")
        self.rid = rid


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of a path: from a record to the next record, and why they join."""

    from_rid: str
    to_rid: str
    via: str
    """"identifier", "match" or "forced"."""
    identifier: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Barrier:
    """Something that could have joined the two sides but did not, and why."""

    kind: str
    """"identifier" or "match"."""
    identifier: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Explanation:
    record_a: str
    record_b: str
    same_profile: bool
    profile_a: str | None
    profile_b: str | None
    path: list[Hop] = field(default_factory=list)
    barriers: list[Barrier] = field(default_factory=list)
    summary: str = ""


def _link_barrier(info: dict[str, Any]) -> str | None:
    for flag in ("shared", "blocked", "generic", "refused"):
        if info.get(flag):
            value = info[flag]
            return "shared (operator)" if flag == "shared" else f"{flag}: {value}"
    return None


_Members = dict[str, dict[str, int]]
"""Household identifier key -> rid -> member group (see `matching.households`)."""


def _household_keys(rows: list[dict[str, Any]]) -> list[str]:
    """Household identifiers among the rows that link within each member's records."""
    keys = set()
    for r in rows:
        info = r["info"] or {}
        household = r["kind"] == "identifier" and is_household(info.get("generic"))
        if household and not info.get("blocked") and not info.get("shared"):
            keys.add(r["target"])
    return sorted(keys)


async def _links(graph: GraphClient, pids: list[str]) -> tuple[list[dict[str, Any]], _Members]:
    rows = await explain_repo.profile_links(graph, pids)
    carriers = await explain_repo.household_carriers(graph, _household_keys(rows))
    return rows, {key: member_groups(found) for key, found in carriers.items()}


def _graph(
    rows: list[dict[str, Any]], members: _Members | None = None
) -> tuple[nx.Graph, dict[str, list[tuple[str, str]]]]:
    """Record-record graph of the edges that join, and the identifiers that did not.
    A household identifier joins the carriers that are one member's (`members`)."""
    g: nx.Graph = nx.Graph()
    by_identifier: dict[tuple[str, int | None], list[str]] = defaultdict(list)
    blocked: dict[str, list[tuple[str, str]]] = defaultdict(list)
    members = members or {}
    for r in rows:
        g.add_node(r["rid"])
        info = r["info"] or {}
        if r["kind"] == "identifier":
            reason = _link_barrier(info)
            group = members.get(r["target"], {}).get(r["rid"])
            if reason is None:
                by_identifier[(r["target"], None)].append(r["rid"])
            elif group is not None and not info.get("refused"):
                # One member's records at a household's identifier: joined, while the
                # identifier still keeps the members apart.
                by_identifier[(r["target"], group)].append(r["rid"])
                blocked[r["target"]].append((r["rid"], reason))
            else:
                blocked[r["target"]].append((r["rid"], reason))
        elif r["kind"] == "match" and not info.get("rejected"):
            evidence = json.loads(info["evidence"]) if info.get("evidence") else {}
            g.add_edge(
                r["rid"],
                r["target"],
                via="match",
                evidence={
                    "match_weight": info.get("weight"),
                    "match_probability": info.get("probability"),
                    "fields": evidence,
                },
            )
        elif r["kind"] == "forced":
            g.add_edge(r["rid"], r["target"], via="forced", evidence=dict(info))
    for (key, group), rids in by_identifier.items():
        first = rids[0]
        evidence = {} if group is None else {"household_member": True}
        for other in rids[1:]:
            if not g.has_edge(first, other):
                g.add_edge(first, other, via="identifier", identifier=key, evidence=evidence)
    return g, blocked


async def explain_pair(graph: GraphClient, a: str, b: str) -> Explanation:
    """Why records `a` and `b` are (or are not) one customer."""
    profiles = await explain_repo.record_profiles(graph, [a, b])
    for rid in (a, b):
        if rid not in profiles:
            raise RecordNotFound(rid)
    pa, pb = profiles[a], profiles[b]
    pids = sorted({p for p in (pa, pb) if p})
    rows, households = await _links(graph, pids)
    g, blocked = _graph(rows, households)
    if pa is not None and pa == pb:
        nodes = nx.shortest_path(g, a, b) if a != b else [a]
        hops = []
        for x, y in zip(nodes, nodes[1:], strict=False):
            e = g.edges[x, y]
            hops.append(Hop(x, y, e["via"], e.get("identifier"), e.get("evidence", {})))
        vias = ", ".join(
            f"{h.via} {h.identifier.split(':', 1)[0] if h.identifier else ''}".strip() for h in hops
        )
        return Explanation(
            a,
            b,
            True,
            pa,
            pb,
            path=hops,
            summary=f"one profile, joined in {len(hops)} hop(s): {vias}",
        )
    barriers: list[Barrier] = []
    members: dict[str, str | None] = {}
    for r in rows:
        members[r["rid"]] = r["pid"]
    # Identifiers carried on both sides that did not join them.
    sides: dict[str, set[str | None]] = defaultdict(set)
    reasons: dict[str, str] = {}
    for key, carriers in blocked.items():
        for rid, reason in carriers:
            sides[key].add(members.get(rid))
            reasons[key] = reason
    for r in rows:
        if r["kind"] == "identifier":
            sides[r["target"]].add(r["pid"])
    for key in sorted(sides):
        if {pa, pb} <= sides[key] and key in reasons:
            barriers.append(Barrier("identifier", key, reasons[key]))
    for r in rows:
        info = r["info"] or {}
        if r["kind"] == "match" and info.get("rejected") and {r["rid"], r["target"]} == {a, b}:
            barriers.append(Barrier("match", None, "rejected by an operator"))
    if not barriers:
        barriers.append(
            Barrier(
                "match",
                None,
                "no shared identifier and no probabilistic match above the "
                "threshold between their profiles",
            )
        )
    return Explanation(
        a, b, False, pa, pb, barriers=barriers, summary=f"different profiles: {barriers[0].reason}"
    )


@dataclass(frozen=True, slots=True)
class ProfileFormation:
    pid: str
    records: list[str]
    edges: list[Hop]
    """A spanning tree of the profile: the links that hold it together."""
    history: list[dict[str, Any]]


async def explain_profile(graph: GraphClient, pid: str) -> ProfileFormation:
    rows, members = await _links(graph, [pid])
    g, _ = _graph(rows, members)
    tree = nx.minimum_spanning_tree(g) if g.number_of_nodes() else g
    edges = [
        Hop(x, y, d["via"], d.get("identifier"), d.get("evidence", {}))
        for x, y, d in sorted(tree.edges(data=True))
    ]
    history = await explain_repo.profile_history(graph, pid)
    return ProfileFormation(pid, sorted(g.nodes), edges, history)
