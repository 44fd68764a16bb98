"""A segment's refresh plan holds up whatever statistics it was planned under.

Neo4j caches a plan with the statistics of the moment. A refresh planned while the graph
held one profile and no records once chose, for every profile, an `Identifier(type)`
index seek joined back to the profile; reused on thousands of profiles it ran for
minutes. The compiled conditions must leave the planner no start but the bound profile.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from activate.segments import service
from activate.segments.compiler import refresh_query
from activate.segments.definition import (
    Filter,
    all_of,
    any_of,
    attr,
    event,
    has_identifier,
    not_,
    purchased,
)
from graph import segment_repo
from graph.client import GraphClient
from tests import cypher as test_cypher

TODAY = date(2026, 12, 5)
PROFILES = 2_000
SAFE_LEAVES = {"Argument", "NodeUniqueIndexSeek", "NodeUniqueIndexSeek(Locking)"}
"""Where a refresh may start: the segment and each profile by their unique ids, and the
bound profile inside a condition. Any scan or other seek runs once per profile."""


def leaves(plan: Any) -> list[str]:
    """The operators at the leaves of a plan, with their details."""
    children = plan.get("children", [])
    if not children:
        op = plan["operatorType"].split("@")[0]
        return [f"{op} {plan.get('args', {}).get('Details', '')}"]
    return [leaf for c in children for leaf in leaves(c)]


def total_db_hits(plan: Any) -> int:
    return int(plan.get("dbHits", 0)) + sum(total_db_hits(c) for c in plan.get("children", []))


async def run_plan(graph: GraphClient, mode: str, query: str, params: dict[str, Any]) -> Any:
    result = await graph.driver.execute_query(
        f"{mode} {query}", parameters_=params, database_=graph.database
    )
    summary = result.summary
    return summary.profile if mode == "PROFILE" else summary.plan


async def pids(graph: GraphClient) -> list[str]:
    return await segment_repo.all_profiles(graph)


EVERY_CONDITION = all_of(
    attr("loyalty_tier", "eq", "gold"),
    has_identifier("email"),
    not_(any_of(purchased(channel="store", within_days=30), purchased(min_orders=3))),
    not_(any_of(event(["open"], within_days=7), event(["click"], min_count=2))),
)


@pytest.mark.parametrize(
    "definition",
    [all_of(attr("loyalty_tier", "eq", "gold"), has_identifier("email")), EVERY_CONDITION],
    ids=["gold-with-email", "every-condition"],
)
async def test_refresh_planned_on_a_tiny_graph_stays_per_profile(
    graph: GraphClient, definition: Filter
) -> None:
    await graph.write_text("test:clear_query_caches", "CALL db.clearQueryCaches()")
    await service.create_segment(graph, "plan", "Plan", definition)
    await graph.write_text("test:segment_plan_tiny", test_cypher.query("segment_plan_tiny"))
    # The refresh caches its plan under one profile and no record, as in production
    # right after a wipe.
    await service.refresh_segment(graph, "plan", today=TODAY, full=True)
    query, params = refresh_query(
        definition, TODAY.isoformat(), segment_id="plan", now="t", pids=await pids(graph)
    )
    # The plan the cache now holds (EXPLAIN plans afresh, with the same statistics): the
    # old conditions put an Identifier(type) index seek here, under each profile's row.
    tiny = await run_plan(graph, "EXPLAIN", query, params)
    assert {leaf.split(" ")[0] for leaf in leaves(tiny)} <= SAFE_LEAVES, leaves(tiny)

    await graph.write_text(
        "test:segment_plan_profiles",
        test_cypher.query("segment_plan_profiles"),
        {"n": PROFILES},
    )
    report = await service.refresh_segment(graph, "plan", today=TODAY, full=True)
    assert report.joined == PROFILES
    query, params = refresh_query(
        definition, TODAY.isoformat(), segment_id="plan", now="t", pids=await pids(graph)
    )
    # The plan made at scale, as a bound: nothing changes now, so it only reads, a few
    # dozen hits per profile (15 and 43 when written); a scan per profile costs thousands.
    profiled = await run_plan(graph, "PROFILE", query, params)
    assert total_db_hits(profiled) < 60 * PROFILES
