"""Explanations: why two records are in one profile (the path and the evidence of each
hop), why they are not (what kept them apart), and how a profile was formed."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graph import explain_repo, resolve_repo
from graph.client import GraphClient
from matching import family_rule, name_postcode
from matching.apart import EITHER_PERSON, FAMILY_RULE, family_apart
from matching.components import OPERATOR_REJECTION
from matching.config import default_config
from matching.errors import MatchingError
from matching.households import is_household, member_groups
from matching.protection import Protection


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


_APART_REFUSAL = re.compile(r"^apart \((?P<rule>.+): (?P<x>\S+) / (?P<y>\S+)\)$")


def _kept_apart_by(rule: str, x: str, y: str) -> str:
    if rule == OPERATOR_REJECTION:
        return f"kept apart by an operator's rejection ({x} / {y} are different people)"
    if rule == FAMILY_RULE:
        why = family_rule.REASON.removeprefix("the family rule: ")
        return f"kept apart by the family rule ({x} / {y}: {why})"
    return f"kept apart by {rule} ({x} / {y})"


def _identifier_barrier(key: str, reason: str, carriers: list[str]) -> str:
    """An identifier's barrier in plain words; for a link refused because it would have
    put two records kept apart in one profile, the rule and the link that gave way (the
    identifier its `carriers` in the two profiles share)."""
    found = _APART_REFUSAL.match(reason.removeprefix("refused: "))
    if found is None:
        return reason
    rule = found["rule"]
    if rule.startswith(f"{EITHER_PERSON}, "):
        kept = _kept_apart_by(rule.removeprefix(f"{EITHER_PERSON}, "), found["x"], found["y"])
        return (
            f"refused: the {key.partition(':')[0]} is carried by two people {kept}, and "
            "nothing tells which of them this record is, so it is placed with neither"
        )
    return _identifier_gave_way(key, (found["x"], found["y"], rule), carriers)


def _identifier_gave_way(key: str, apart: tuple[str, str, str], carriers: list[str]) -> str:
    kind = key.partition(":")[0]
    names = sorted(set(carriers))
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
    x, y, rule = apart
    return f"refused: {_kept_apart_by(rule, x, y)}; the {kind} that {listed} share gave way"


def _first_apart(apart: list[tuple[str, str, str]], a: str, b: str) -> tuple[str, str, str]:
    """The pair kept apart to name: one of `a` or `b`'s first."""
    return min(apart, key=lambda p: (not {a, b} & set(p[:2]), p))


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


async def _profiles_of(graph: GraphClient, rows: list[dict[str, Any]]) -> dict[str, str | None]:
    """rid -> profile of the records of the rows and of the records their links reach (a
    record with no link of its own appears only as a target)."""
    pid_of: dict[str, str | None] = {r["rid"]: r["pid"] for r in rows}
    targets = sorted({r["target"] for r in rows if r["kind"] != "identifier"} - set(pid_of))
    if targets:
        pid_of.update(await explain_repo.record_profiles(graph, targets))
    return pid_of


def _apart_pairs(
    rows: list[dict[str, Any]],
    pid_of: dict[str, str | None],
    sides: tuple[str, str],
    facts: Mapping[str, Mapping[str, Any]],
    personal: Sequence[str],
) -> list[tuple[str, str, str]]:
    """The pairs (one record of each profile, rid, rid, rule) kept apart: by an operator's
    rejection or by the family rule, as resolution keeps them (`matching.apart`)."""

    def across(x: str, y: str) -> bool:
        return {pid_of.get(x), pid_of.get(y)} == set(sides)

    found = {
        (*sorted((r["rid"], r["target"])), OPERATOR_REJECTION)
        for r in rows
        if r["kind"] == "match" and (r["info"] or {}).get("rejected")
        if across(r["rid"], r["target"])
    }
    rids = sorted(rid for rid, pid in pid_of.items() if pid in sides)
    protection = Protection.from_config(default_config())
    family = family_apart(facts, personal, personal, protection.is_blocked)
    found.update((x, y, rule) for x, y, rule in family(rids) if across(x, y))
    return sorted(found)


def _match_barriers(
    rows: list[dict[str, Any]],
    pid_of: dict[str, str | None],
    sides: tuple[str, str],
    apart: list[tuple[str, str, str]],
    a: str,
    b: str,
) -> list[Barrier]:
    """The accepted matches between the two profiles, each a link that gave way to a pair
    kept apart (the pair of `a` or `b` named first)."""
    if not apart:
        return []
    x, y, rule = _first_apart(apart, a, b)
    barriers = []
    seen: set[tuple[str, str]] = set()
    for r in rows:
        info = r["info"] or {}
        pair = tuple(sorted((r["rid"], r["target"])))
        if r["kind"] != "match" or info.get("rejected") or pair in seen:
            continue
        if {pid_of.get(r["rid"]), pid_of.get(r["target"])} != set(sides):
            continue
        seen.add((pair[0], pair[1]))
        p = info.get("probability")
        odds = f" (p = {float(p):.4f})" if p is not None else ""
        barriers.append(
            Barrier(
                "match",
                None,
                f"{_kept_apart_by(rule, x, y)}; the match {pair[0]} - {pair[1]}{odds} gave way",
            )
        )
    return barriers


def _conditional_barriers(
    rows: list[dict[str, Any]],
    pid_of: dict[str, str | None],
    sides: tuple[str, str],
    threshold: float,
    facts: Mapping[str, Mapping[str, Any]],
) -> list[Barrier]:
    """The conditional matches between the two profiles (`matching.name_postcode`: scored
    below `threshold`, or on a name and a postcode only), which join only profiles that
    agree, each with what the two profiles disagree on."""
    below = []
    for r in rows:
        info = r["info"] or {}
        p = info.get("probability")
        if r["kind"] != "match" or info.get("rejected") or p is None:
            continue
        if float(p) >= threshold and not info.get("name_postcode"):
            continue
        if {pid_of.get(r["rid"]), pid_of.get(r["target"])} == set(sides):
            below.append((*sorted((r["rid"], r["target"])), float(p)))
    if not below:
        return []
    rids = sorted(rid for rid, pid in pid_of.items() if pid in sides)
    contacts = name_postcode.contacts(
        (r["rid"], str(r["target"])) for r in rows if r["kind"] == "identifier"
    )
    one, other = (
        [
            name_postcode.record_values(facts.get(rid) or {}, contacts.get(rid, {}))
            for rid in rids
            if pid_of.get(rid) == side
        ]
        for side in sides
    )
    protection = Protection.from_config(default_config())
    out = []
    for x, y, p in below:
        strict = p < threshold
        against = name_postcode.conflict(one, other, protection.is_blocked, strict=strict)
        if against is None:
            continue
        why = (
            "one of them holds no birth date, address, email or phone to tell a namesake by"
            if against == "no attribute"
            else f"the two profiles hold different values of {against}"
        )
        what = "is below the threshold" if strict else "rests on a name and a postcode only"
        out.append(
            Barrier(
                "match",
                None,
                f"the match {x} - {y} (p = {p:.4f}) {what}: a name and a postcode alone join "
                f"only profiles that agree, and {why}",
            )
        )
    return out


async def explain_pair(
    graph: GraphClient,
    a: str,
    b: str,
    personal: Sequence[str] = (),
    threshold: float | None = None,
) -> Explanation:
    """Why records `a` and `b` are (or are not) one customer.

    Args:
        graph: The graph client.
        a: A record id.
        b: Another record id.
        personal: The attributes the current model compares as one person's own (the
            family rule yields to them, `ProbabilisticLinker.personal_attributes`).
        threshold: The linker's threshold: a match below it between the two profiles is a
            conditional name-and-postcode match (`matching.name_postcode`), explained with
            what the profiles disagree on.
    """
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
    carried: dict[str, list[str]] = defaultdict(list)
    for key, carriers in blocked.items():
        for rid, reason in carriers:
            sides[key].add(members.get(rid))
            reasons[key] = reason
    for r in rows:
        if r["kind"] == "identifier":
            sides[r["target"]].add(r["pid"])
            carried[r["target"]].append(r["rid"])
    apart: list[tuple[str, str, str]] = []
    pid_of: dict[str, str | None] = {}
    facts: dict[str, Any] = {}
    if pa is not None and pb is not None:
        pid_of = await _profiles_of(graph, rows)
        rids = sorted(rid for rid, pid in pid_of.items() if pid in (pa, pb))
        facts = {f["rid"]: f for f in await resolve_repo.record_facts(graph, rids, personal)}
        apart = _apart_pairs(rows, pid_of, (pa, pb), facts, personal)
    for key in sorted(sides):
        if not {pa, pb} <= sides[key]:
            continue
        if key in reasons:
            reason = _identifier_barrier(key, reasons[key], carried[key])
            barriers.append(Barrier("identifier", key, reason))
        elif apart:
            # Each side's records joined through it, not the two sides: they hold a pair
            # kept apart (where no carrier was left alone, no link is stored as refused).
            reason = _identifier_gave_way(key, _first_apart(apart, a, b), carried[key])
            barriers.append(Barrier("identifier", key, reason))
    for r in rows:
        info = r["info"] or {}
        if r["kind"] == "match" and info.get("rejected") and {r["rid"], r["target"]} == {a, b}:
            barriers.append(Barrier("match", None, "rejected by an operator"))
    if pa is not None and pb is not None:
        barriers.extend(_match_barriers(rows, pid_of, (pa, pb), apart, a, b))
        if not apart and threshold is not None:
            barriers.extend(_conditional_barriers(rows, pid_of, (pa, pb), threshold, facts))
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
