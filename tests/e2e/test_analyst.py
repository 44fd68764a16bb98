"""The analyst's screens in a real browser: the identity graph view draws what the API says
a profile holds, explains why two records are (not) one customer, and an admin's override
changes the graph."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, TABLET, Site, login, shot, until

PROFILES = """query { searchProfiles(filter: {identifierType: "email"}, first: 100) {
  nodes { pid recordCount records { rid source } } } }"""
GRAPH = """query ($pid: ID!) { profileGraph(pid: $pid, depth: 2) { nodes { id kind } } }"""


@pytest.fixture(scope="module")
def two_profiles(site: Site) -> tuple[dict[str, Any], dict[str, Any]]:
    """A profile of at least three records from two sources or more, and another one."""
    nodes = site.gql(PROFILES)["searchProfiles"]["nodes"]
    big = next(
        p for p in nodes if p["recordCount"] >= 3 and len({r["source"] for r in p["records"]}) > 1
    )
    other = next(p for p in nodes if p["pid"] != big["pid"] and p["recordCount"] >= 1)
    return big, other


def drawn(page: Any) -> dict[str, list[str]]:
    until(page, "() => window.__cdpGraph && window.__cdpGraph.nodes().length > 0")
    ids: list[str] = page.evaluate("window.__cdpGraph.nodes().map(n => n.id())")
    return {
        kind: sorted(i for i in ids if i.startswith(kind + ":"))
        for kind in ("profile", "record", "identifier")
    }


def open_profile(page: Any, pid: str) -> None:
    page.goto(f"/app/profiles/{pid}")
    page.get_by_role("heading", name="Identity graph").wait_for()


def test_search_then_graph_view_draws_records_and_identifiers(
    browser: Any, site: Site, two_profiles: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    big, _ = two_profiles
    page = login(browser, site, site.keys.analyst, DESKTOP)
    assert page.get_by_test_id("role").inner_text() == "analyst"
    page.get_by_test_id("profile-results").wait_for()
    assert page.get_by_test_id("profile-results").locator("tbody tr").count() == 20  # a page
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Page 2").wait_for()
    shot(page, "analyst-search-desktop")
    open_profile(page, big["pid"])
    seen = drawn(page)
    api = site.gql(GRAPH, {"pid": big["pid"]})["profileGraph"]["nodes"]
    assert seen["record"] == sorted(f"record:{r['rid']}" for r in big["records"])
    assert seen["identifier"] == sorted(n["id"] for n in api if n["kind"] == "identifier")
    assert seen["identifier"], "a profile found by email draws its identifiers"
    assert seen["profile"][0] == f"profile:{big['pid']}"
    # golden attributes say where each value came from
    assert page.get_by_role("heading", name="Golden attributes").is_visible()
    shot(page, "analyst-graph-desktop")
    page.set_viewport_size(TABLET)
    shot(page, "analyst-graph-tablet")
    page.context.close()


def test_why_one_customer_highlights_the_path_and_why_not_the_barriers(
    browser: Any, site: Site, two_profiles: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    big, other = two_profiles
    page = login(browser, site, site.keys.analyst, DESKTOP)
    open_profile(page, big["pid"])
    drawn(page)
    a, b = big["records"][0]["rid"], big["records"][-1]["rid"]
    page.get_by_label("Record A").fill(a)
    page.get_by_label("Record B").fill(b)
    page.get_by_role("button", name="Why (not) one customer?").click()
    explanation = page.get_by_test_id("explanation")
    explanation.wait_for()
    assert "One customer" in explanation.inner_text()
    hops = page.get_by_test_id("path").locator("li")
    assert hops.count() >= 1
    highlighted = page.evaluate("window.__cdpGraph.$('.path').map(e => e.id())")
    assert f"record:{a}" in highlighted and f"record:{b}" in highlighted
    shot(page, "analyst-why-desktop")
    page.get_by_label("Record B").fill(other["records"][0]["rid"])
    page.get_by_role("button", name="Why (not) one customer?").click()
    page.get_by_text("Kept apart").wait_for()
    page.context.close()


def test_admin_force_link_changes_the_graph_view(
    browser: Any, site: Site, two_profiles: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    big, other = two_profiles
    page = login(browser, site, site.keys.analyst, DESKTOP)
    open_profile(page, big["pid"])
    assert page.get_by_role("button", name="Force link of A and B…").count() == 0  # admin only
    page.context.close()

    page = login(browser, site, site.keys.admin, DESKTOP)
    open_profile(page, big["pid"])
    before = drawn(page)["record"]
    page.get_by_label("Record A").fill(big["records"][0]["rid"])
    page.get_by_label("Record B").fill(other["records"][0]["rid"])
    page.get_by_role("button", name="Force link of A and B…").click()
    dialog = page.get_by_role("dialog")
    assert "Force" in dialog.inner_text()
    shot(page, "admin-override-confirm-desktop")
    dialog.get_by_role("button", name="Confirm").click()
    page.get_by_test_id("notice").wait_for()
    until(
        page,
        "n => window.__cdpGraph && window.__cdpGraph.$('node.record').length > n",
        len(before),
        timeout_s=60,
    )
    after = drawn(page)["record"]
    assert f"record:{other['records'][0]['rid']}" in after
    assert set(before) < set(after)
    page.context.close()
