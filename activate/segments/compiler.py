"""Compiles a segment's filter tree to parameterised Cypher.

`compile_filter` turns a `Filter` into a boolean predicate over the profile `p`: its
text holds property names from the allow-list in `fields.py` and `$f<n>` parameters,
nothing else from the definition. Every leaf is made two-valued (`coalesce(..., false)`),
so `NOT` of a condition on a missing attribute is true, as a marketer expects. The query
builders below wrap the predicate into the statements `graph.segment_repo` runs; they
return `(query, params)` and are unit-tested as text.

Conditions on a profile's records, identifiers, orders and events are evaluated once per
profile, so they must expand from the bound `p` whatever the statistics say. A cached plan
made while the graph held one profile and no records chose, for each profile, an
`Identifier(type)` index seek joined back to `p`: minutes on a few thousand profiles. So
the patterns name no label and no indexed property the planner could start from: only
Records have `IN_PROFILE`, only Identifiers are reached by `HAS_IDENTIFIER`, only Orders
have `PLACED_BY` and only Events have `BY` (the writers in `cypher/` keep it so), and
"holds records" is a degree (`getDegree`, no plan to choose).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from activate.segments.definition import (
    AttributeCondition,
    EventCondition,
    Filter,
    PurchaseCondition,
)
from activate.segments.fields import FIELDS, FieldSpec
from graph.queries import safe_name

ALIAS = "p"
ACTIVE = "coalesce(p.retired, false) = false AND COUNT { (p)<-[:IN_PROFILE]-() } > 0"
"""A profile a segment may hold: not a retired id, and holding records (a crash in a
resolution's write phase can leave a profile with none until the next run deletes it)."""


def date_of(expr: str) -> str:
    """A Cypher `date` from a timestamp stored as ISO text or as a temporal value."""
    return f"CASE WHEN {expr} IS :: STRING THEN date(datetime({expr})) ELSE date({expr}) END"


@dataclass(frozen=True)
class Predicate:
    text: str
    params: dict[str, Any]
    time_relative: bool
    """True when the result depends on `$today` (days since, within N days): such a
    segment changes from one day to the next with no change to the data."""


@dataclass
class _Compiler:
    params: dict[str, Any] = field(default_factory=dict)
    time_relative: bool = False

    def param(self, value: Any) -> str:
        name = f"f{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def node(self, f: Filter) -> str:
        if f.all_of is not None:
            return "(" + " AND ".join(self.node(c) for c in f.all_of) + ")"
        if f.any_of is not None:
            return "(" + " OR ".join(self.node(c) for c in f.any_of) + ")"
        if f.none_of is not None:
            return f"(NOT {self.node(f.none_of)})"
        if f.attribute is not None:
            return f"coalesce({self.attribute(f.attribute)}, false)"
        if f.has_identifier is not None:
            return (
                f"EXISTS {{ MATCH ({ALIAS})<-[:IN_PROFILE]-()-[:HAS_IDENTIFIER]->"
                f"(i) WHERE i.type = {self.param(f.has_identifier)} "
                "AND coalesce(i.blocked, false) = false }"
            )
        if f.in_source is not None:
            return f"({self.param(f.in_source)} IN coalesce({ALIAS}.sources, []))"
        if f.purchased is not None:
            return self.purchased(f.purchased)
        if f.event is not None:
            return self.event(f.event)
        if f.consent is not None:
            return consent_predicate(f.consent)
        raise AssertionError("a validated node has one key")  # pragma: no cover

    def value_expr(self, spec: FieldSpec) -> str:
        prop = f"{ALIAS}.{safe_name('property', spec.prop)}"
        if spec.kind == "days":
            self.time_relative = True
            return f"duration.inDays({date_of(prop)}, date($today)).days"
        return prop

    def attribute(self, c: AttributeCondition) -> str:
        spec = FIELDS[c.field]
        e = self.value_expr(spec)
        op = c.op
        if op == "exists":
            return f"size(coalesce({e}, [])) > 0" if spec.kind == "list" else f"{e} IS NOT NULL"
        if op == "missing":
            return f"size(coalesce({e}, [])) = 0" if spec.kind == "list" else f"{e} IS NULL"
        if op == "between":
            assert isinstance(c.value, list)
            lo, hi = c.value
            return f"({e} >= {self.param(lo)} AND {e} <= {self.param(hi)})"
        if op == "contains":
            return f"{self.param(c.value)} IN {e}"
        if op == "contains_any":
            return f"any(x IN {e} WHERE x IN {self.param(c.value)})"
        if op == "in":
            return f"{e} IN {self.param(c.value)}"
        if op == "not_in":
            return f"NOT {e} IN {self.param(c.value)}"
        if op == "starts_with":
            return f"{e} STARTS WITH {self.param(c.value)}"
        symbol = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
        return f"{e} {symbol} {self.param(c.value)}"

    def since(self, expr: str, days: int) -> str:
        self.time_relative = True
        # Within the last N days: 0 to N-1 days ago, so NOT within 90 = 90 days or more.
        return f"{date_of(expr)} > date($today) - duration({{days: {self.param(days)}}})"

    def purchased(self, c: PurchaseCondition) -> str:
        where = []
        if c.channel is not None:
            where.append(f"o.channel = {self.param(c.channel)}")
        if c.category is not None:
            where.append(f"{self.param(c.category)} IN coalesce(o.categories, [])")
        if c.within_days is not None:
            where.append(self.since("o.placed_at", c.within_days))
        pattern = f"({ALIAS})<-[:IN_PROFILE]-()<-[:PLACED_BY]-(o)"
        return self._exists_or_count(pattern, where, c.min_orders)

    def event(self, c: EventCondition) -> str:
        where = [f"e.type IN {self.param(list(c.types))}"]
        if c.within_days is not None:
            where.append(self.since("e.ts", c.within_days))
        pattern = f"({ALIAS})<-[:IN_PROFILE]-()<-[:BY]-(e)"
        return self._exists_or_count(pattern, where, c.min_count)

    def _exists_or_count(self, pattern: str, where: list[str], at_least: int) -> str:
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        if at_least <= 1:
            return f"EXISTS {{ MATCH {pattern}{clause} }}"
        return f"(COUNT {{ MATCH {pattern}{clause} }} >= {self.param(at_least)})"


def consent_predicate(channel: str, alias: str = ALIAS) -> str:
    """Consent to be contacted on `channel` ("email" or "sms")."""
    a = safe_name("alias", alias)
    if channel == "email":
        return (
            f"(coalesce({a}.consent_email, false) = true"
            f" AND coalesce({a}.unsubscribed, false) = false)"
        )
    if channel == "sms":
        return f"(coalesce({a}.consent_sms, false) = true)"
    raise ValueError(f"no consent for channel {channel!r}")


def compile_filter(f: Filter) -> Predicate:
    """The predicate of `f` over the profile `p`, with its parameters (`$f0`, `$f1`, ...).

    The text may also refer to `$today` (an ISO date), which the caller supplies.
    """
    c = _Compiler()
    text = c.node(f)
    return Predicate(text, c.params, c.time_relative)


# query builders -----------------------------------------------------------------------

SAMPLE_FIELDS = (
    "pid",
    "given_name",
    "family_name",
    "email",
    "phone",
    "city",
    "country",
    "loyalty_tier",
    "clv_percentile",
    "churn_risk",
    "top_category",
    "last_purchase_at",
)
_SAMPLE_MAP = ", ".join(f".{safe_name('property', n)}" for n in SAMPLE_FIELDS)


def _with_today(pred: Predicate, today: str, **extra: Any) -> dict[str, Any]:
    return {**pred.params, "today": today, **extra}


def count_query(f: Filter, today: str) -> tuple[str, dict[str, Any]]:
    """How many active profiles the definition selects now."""
    pred = compile_filter(f)
    query = f"MATCH (p:Profile)\nWHERE {ACTIVE}\n  AND {pred.text}\nRETURN count(p) AS n"
    return query, _with_today(pred, today)


def sample_query(f: Filter, today: str, limit: int) -> tuple[str, dict[str, Any]]:
    """Up to `limit` members (the first by pid), with the preview's fields."""
    pred = compile_filter(f)
    query = (
        f"MATCH (p:Profile)\nWHERE {ACTIVE}\n  AND {pred.text}\n"
        f"WITH p ORDER BY p.pid LIMIT $limit\nRETURN p {{{_SAMPLE_MAP}}} AS member"
    )
    return query, _with_today(pred, today, limit=limit)


def refresh_query(
    f: Filter, today: str, *, segment_id: str, now: str, pids: Sequence[str] | None
) -> tuple[str, dict[str, Any]]:
    """Bring `IN_SEGMENT` of the given profiles (or of every profile) up to date.

    Profiles that now match and are not members join; members that no longer match, or
    were retired by a merge, leave. Returns one row: `joined`, `left`.
    """
    pred = compile_filter(f)
    source = (
        "MATCH (p:Profile)" if pids is None else "UNWIND $pids AS pid\nMATCH (p:Profile {pid: pid})"
    )
    query = (
        "MATCH (s:Segment {id: $segment_id})\n"
        f"{source}\n"
        f"WITH s, p, ({ACTIVE} AND {pred.text}) AS inside\n"
        "OPTIONAL MATCH (p)-[r:IN_SEGMENT]->(s)\n"
        "WITH s, p, r, inside WHERE inside <> (r IS NOT NULL)\n"
        "CALL (s, p, inside) {\n"
        "  WITH * WHERE inside\n"
        # MERGE, not CREATE: two refreshes running at once must not both add the edge.
        "  MERGE (p)-[m:IN_SEGMENT]->(s)\n"
        "  ON CREATE SET m.since = $now\n"
        "}\n"
        "CALL (r, inside) {\n"
        "  WITH * WHERE NOT inside\n"
        "  DELETE r\n"
        "}\n"
        "RETURN sum(CASE WHEN inside THEN 1 ELSE 0 END) AS joined,\n"
        "       sum(CASE WHEN inside THEN 0 ELSE 1 END) AS left"
    )
    params = _with_today(pred, today, segment_id=segment_id, now=now)
    if pids is not None:
        params["pids"] = list(pids)
    return query, params
