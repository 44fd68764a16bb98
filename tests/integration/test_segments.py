"""Segments on the real graph: previews, saved segments, incremental refresh, examples."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from activate.errors import InvalidSegmentDefinition, SegmentExists, SegmentNotFound
from activate.segments import service
from activate.segments.definition import (
    all_of,
    any_of,
    attr,
    consent,
    event,
    has_identifier,
    in_source,
    not_,
    purchased,
)
from activate.segments.examples import create_examples
from graph.client import GraphClient
from tests.integration.test_segments_support import (
    add_profiles,
    members,
    profile,
    retire,
    set_props,
)

TODAY = date(2024, 6, 1)


def days_ago(n: int) -> str:
    return f"{TODAY - timedelta(days=n)}T12:00:00Z"


@pytest.fixture
async def people(graph: GraphClient) -> GraphClient:
    """Eight customers, each built to match (or miss) particular conditions."""
    await add_profiles(
        graph,
        [
            # store buyer, never emailed, high value, lapsed
            profile(
                "p-ann",
                source="pos",
                orders=[{"channel": "store", "categories": ["shoes"], "placed_at": days_ago(200)}],
                identifiers=[{"type": "email", "value": "ann@x.com"}],
                email="ann@x.com",
                clv_percentile=0.95,
                last_purchase_at=days_ago(200),
                loyalty_tier="gold",
                consent_email=True,
            ),
            # store buyer who opens emails
            profile(
                "p-bob",
                source="pos",
                orders=[{"channel": "store", "categories": ["bags"], "placed_at": days_ago(10)}],
                events=[{"type": "open", "ts": days_ago(5)}],
                identifiers=[{"type": "email", "value": "bob@x.com"}],
                email="bob@x.com",
                clv_percentile=0.85,
                last_purchase_at=days_ago(10),
                consent_email=True,
                sources=["pos", "esp"],
            ),
            # online only, high value, lapsed, in the ESP, unsubscribed
            profile(
                "p-cat",
                orders=[{"channel": "online", "categories": ["shoes"], "placed_at": days_ago(95)}],
                events=[{"type": "click", "ts": days_ago(300)}],
                identifiers=[{"type": "email", "value": "cat@x.com"}],
                email="cat@x.com",
                clv_percentile=0.8,
                last_purchase_at=days_ago(95),
                consent_email=True,
                unsubscribed=True,
                sources=["ecommerce", "esp"],
            ),
            # low value, lapsed exactly 90 days, phone only, SMS consent
            profile(
                "p-dan",
                orders=[{"channel": "online", "categories": ["hats"], "placed_at": days_ago(90)}],
                identifiers=[{"type": "phone", "value": "+61400000001"}],
                phone="+61400000001",
                clv_percentile=0.3,
                last_purchase_at=days_ago(90),
                consent_sms=True,
            ),
            # no orders, loyalty member
            profile(
                "p-eve",
                source="loyalty",
                identifiers=[{"type": "loyalty_id", "value": "L1"}],
                loyalty_tier="silver",
            ),
            # blocked email only, store buyer 89 days ago, high value
            profile(
                "p-fay",
                source="pos",
                orders=[{"channel": "store", "categories": ["shoes"], "placed_at": days_ago(89)}],
                identifiers=[{"type": "email", "value": "test@test.com", "blocked": True}],
                clv_percentile=0.9,
                last_purchase_at=days_ago(89),
            ),
            # retired (merged into ann): never in a segment
            profile(
                "p-old",
                source="pos",
                orders=[{"channel": "store", "placed_at": days_ago(300)}],
                clv_percentile=0.99,
                last_purchase_at=days_ago(300),
                retired=True,
            ),
            # several store orders
            profile(
                "p-gus",
                source="pos",
                orders=[
                    {"channel": "store", "categories": ["shoes"], "placed_at": days_ago(3)},
                    {"channel": "store", "categories": ["bags"], "placed_at": days_ago(40)},
                    {"channel": "online", "categories": ["shoes"], "placed_at": days_ago(60)},
                ],
                events=[{"type": "sent", "ts": days_ago(2)}],
                clv_percentile=0.5,
                last_purchase_at=days_ago(3),
                channels=["store", "online"],
            ),
        ],
    )
    return graph


async def pids(graph: GraphClient, definition: Any, today: date = TODAY) -> set[str]:
    prev = await service.preview(graph, definition, today=today, sample_size=100)
    found = {m["pid"] for m in prev.sample}
    assert prev.count == len(found)
    return found


async def test_preview_conditions(people: GraphClient) -> None:
    g = people
    assert await pids(g, purchased(channel="store")) == {"p-ann", "p-bob", "p-fay", "p-gus"}
    assert await pids(g, purchased(channel="online")) == {"p-cat", "p-dan", "p-gus"}
    assert await pids(g, purchased(category="shoes", within_days=90)) == {"p-fay", "p-gus"}
    assert await pids(g, purchased(channel="store", min_orders=2)) == {"p-gus"}
    assert await pids(g, has_identifier("email")) == {"p-ann", "p-bob", "p-cat"}  # fay's blocked
    assert await pids(g, has_identifier("loyalty_id")) == {"p-eve"}
    assert await pids(g, not_(in_source("esp"))) == {"p-ann", "p-dan", "p-eve", "p-fay", "p-gus"}
    assert await pids(g, consent("email")) == {"p-ann", "p-bob"}  # cat unsubscribed
    assert await pids(g, consent("sms")) == {"p-dan"}
    assert await pids(g, attr("loyalty_tier", "in", ["gold", "silver"])) == {"p-ann", "p-eve"}
    # NOT is two-valued: profiles without a tier are "not gold".
    assert await pids(g, not_(attr("loyalty_tier", "eq", "gold"))) == {
        "p-bob",
        "p-cat",
        "p-dan",
        "p-eve",
        "p-fay",
        "p-gus",
    }
    assert await pids(g, attr("channels", "contains", "store")) == {"p-gus"}
    assert await pids(g, attr("clv_percentile", "between", [0.3, 0.5])) == {"p-dan", "p-gus"}
    # no email open or click in 90 days (bob opened 5 days ago; cat clicked 300 days ago)
    no_engagement = not_(event(["open", "click"], within_days=90))
    assert "p-bob" not in await pids(g, no_engagement)
    assert "p-cat" in await pids(g, no_engagement)
    either = any_of(has_identifier("phone"), attr("loyalty_tier", "eq", "silver"))
    assert await pids(g, either) == {"p-dan", "p-eve"}


async def test_days_since_last_purchase_is_relative_to_today(people: GraphClient) -> None:
    g = people
    lapsed = attr("days_since_last_purchase", "gte", 90)
    assert await pids(g, lapsed) == {"p-ann", "p-cat", "p-dan"}
    # no purchase in the last 90 days, said with orders: the same customers
    assert await pids(g, all_of(purchased(), not_(purchased(within_days=90)))) == {
        "p-ann",
        "p-cat",
        "p-dan",
    }
    assert await pids(g, lapsed, TODAY + timedelta(days=1)) == {"p-ann", "p-cat", "p-dan", "p-fay"}
    stored = await g.read_text(
        "t", "MATCH (p:Profile) WHERE p.days_since_last_purchase IS NOT NULL RETURN count(p) AS n"
    )
    assert stored[0]["n"] == 0


async def test_the_two_examples(people: GraphClient) -> None:
    g = people
    made = await create_examples(g)
    assert [s.id for s in made] == ["in-store-never-emailed", "high-value-lapsed"]
    assert [s.id for s in await create_examples(g)] == [s.id for s in made]  # idempotent
    for s in made:
        await service.refresh_segment(g, s.id, today=TODAY)
    # store buyers with no open/click: ann, fay, gus ("sent" is not engagement); bob opens
    assert await members(g, "in-store-never-emailed") == {"p-ann", "p-fay", "p-gus"}
    # clv >= 0.8 and last purchase 90+ days ago: ann and cat (fay 89 days, old retired)
    assert await members(g, "high-value-lapsed") == {"p-ann", "p-cat"}


async def test_saved_segment_crud_and_members_pages(people: GraphClient) -> None:
    g = people
    seg = await service.create_segment(g, "store", "Store buyers", purchased(channel="store"))
    assert seg.member_count == 0 and seg.needs_full
    with pytest.raises(SegmentExists):
        await service.create_segment(g, "store", "again", purchased())
    with pytest.raises(InvalidSegmentDefinition):
        await service.create_segment(g, "Bad Id!", "x", purchased())
    rep = await service.refresh_segment(g, "store", today=TODAY)
    assert (rep.mode, rep.joined, rep.left, rep.members) == ("full", 4, 0, 4)
    page1 = await service.members_page(g, "store", limit=3)
    page2 = await service.members_page(g, "store", after=page1[-1]["pid"], limit=3)
    assert [m["pid"] for m in page1 + page2] == ["p-ann", "p-bob", "p-fay", "p-gus"]
    assert (await service.get_segment(g, "store")).member_count == 4
    # a changed definition makes the next refresh full
    await service.update_segment(g, "store", definition=purchased(channel="store", min_orders=2))
    rep = await service.refresh_segment(g, "store", today=TODAY)
    assert (rep.mode, rep.left) == ("full", 3)
    assert await members(g, "store") == {"p-gus"}
    assert [s.id for s in await service.list_segments(g)] == ["store"]
    await service.delete_segment(g, "store")
    with pytest.raises(SegmentNotFound):
        await service.get_segment(g, "store")


async def test_incremental_refresh_follows_touched_profiles(people: GraphClient) -> None:
    g = people
    await service.create_segment(g, "gold", "Gold", attr("loyalty_tier", "eq", "gold"))
    await service.refresh_segment(g, "gold", today=TODAY)
    assert await members(g, "gold") == {"p-ann"}

    await set_props(g, "p-bob", loyalty_tier="gold")  # enrichment stamps enriched_at
    await set_props(g, "p-ann", loyalty_tier="silver")
    await set_props(g, "p-cat", touch=False, loyalty_tier="gold")  # untouched: not seen
    rep = await service.refresh_segment(g, "gold", today=TODAY)
    assert rep.mode == "incremental"
    assert rep.candidates is not None and rep.candidates >= 2
    assert (rep.joined, rep.left) == (1, 1)
    assert await members(g, "gold") == {"p-bob"}

    # a merge retires an id: it leaves its segments, the survivor is evaluated again
    await retire(g, "p-bob", "p-dan")
    reports = await service.refresh_all(g, today=TODAY)
    assert reports[0].mode == "incremental" and reports[0].left == 1
    assert await members(g, "gold") == set()

    rep = await service.refresh_segment(g, "gold", today=TODAY, full=True)
    assert await members(g, "gold") == {"p-cat"}


async def test_relative_segments_refresh_fully_on_a_new_day(people: GraphClient) -> None:
    g = people
    await service.create_segment(g, "lapsed", "Lapsed", attr("days_since_last_purchase", "gte", 90))
    rep = await service.refresh_segment(g, "lapsed", today=TODAY)
    assert rep.mode == "full" and await members(g, "lapsed") == {"p-ann", "p-cat", "p-dan"}
    rep = await service.refresh_segment(g, "lapsed", today=TODAY)
    assert rep.mode == "incremental"
    rep = await service.refresh_segment(g, "lapsed", today=TODAY + timedelta(days=1))
    assert rep.mode == "full" and rep.joined == 1  # fay's last purchase is now 90 days ago


@pytest.mark.parametrize(
    "value",
    [
        "gold' OR 1=1 //",
        '"}) MATCH (n) DETACH DELETE n //',
        "$f0",
        "gold`) DETACH DELETE p //",
    ],
)
async def test_injected_values_are_only_values(people: GraphClient, value: str) -> None:
    g = people
    assert await pids(g, attr("loyalty_tier", "eq", value)) == set()
    assert await pids(g, purchased(category=value)) == set()
    n = await g.read_text("t", "MATCH (p:Profile) RETURN count(p) AS n")
    assert n[0]["n"] == 8


@pytest.mark.parametrize(
    "definition",
    [
        {"attribute": {"field": "loyalty_tier) DETACH DELETE p //", "op": "eq", "value": "x"}},
        {"attribute": {"field": "email", "op": "eq", "value": "a@b.c"}},
        {"attribute": {"field": "loyalty_tier", "op": "eq} OR true //", "value": "x"}},
        {"in_source": "esp' OR 1=1"},
        {"event": {"types": ["open'])--"]}},
        {"has_identifier": "email`"},
    ],
)
async def test_injected_names_are_refused(people: GraphClient, definition: Any) -> None:
    with pytest.raises(InvalidSegmentDefinition):
        await service.preview(people, definition, today=TODAY)
