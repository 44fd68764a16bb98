"""Segments and data health in a real browser: the builder's live count is the CLI's preview,
a saved segment syncs after a dry run, and the health screen shows batches and quarantine."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import DESKTOP, TABLET, Site, login, shot, until

DEFINITION = {"attribute": {"field": "orders_count", "op": "gte", "value": 2}}


def cli_preview_count(definition: dict[str, Any]) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "cli.main", "segment", "preview", "-d", json.dumps(definition)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
        check=True,
    ).stdout
    found = re.search(r"([\d,]+) profiles", out)
    assert found, out
    return int(found.group(1).replace(",", ""))


def build(page: Any) -> None:
    page.get_by_label("Add a condition").first.select_option("attribute")
    cond = page.get_by_test_id("condition").first
    cond.get_by_label("Attribute").select_option("orders_count")
    cond.get_by_label("Operator").select_option("gte")
    cond.get_by_label("Value").fill("2")


def test_live_count_equals_cdp_segment_preview(browser: Any, site: Site) -> None:
    page = login(browser, site, site.keys.analyst, DESKTOP)
    page.goto("/app/segments/new")
    page.get_by_role("heading", name="New segment").wait_for()
    build(page)
    expected = cli_preview_count(DEFINITION)
    count = page.get_by_test_id("live-count")
    count.wait_for()
    until(
        page,
        "n => document.querySelector('[data-testid=live-count]')?.textContent"
        ".replace(/,/g, '') === String(n)",
        expected,
    )
    assert int(count.inner_text().replace(",", "")) == expected
    assert page.get_by_role("button", name="Save").is_disabled()  # analysts preview only
    shot(page, "segment-builder-desktop")
    page.context.close()


def test_admin_saves_dry_runs_then_syncs_with_history(browser: Any, site: Site) -> None:
    page = login(browser, site, site.keys.admin, TABLET)
    page.goto("/app/segments/new")
    page.get_by_label("Id", exact=True).fill("e2e-repeat")
    page.get_by_label("Name", exact=True).fill("Repeat buyers")
    build(page)
    page.get_by_test_id("live-count").wait_for()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Repeat buyers").wait_for()
    page.get_by_label("Destination").select_option("e2e-files")
    sync_now = page.get_by_role("button", name="Sync now")
    assert sync_now.is_disabled()  # a dry run first
    page.get_by_role("button", name="Dry run").click()
    page.get_by_test_id("dry-run").wait_for()
    assert "Nothing was sent" in page.get_by_test_id("dry-run").inner_text()
    sync_now.click()
    page.get_by_text(re.compile(r"Sync (succeeded|partial)")).wait_for()
    rows = page.get_by_test_id("sync-runs").locator("tbody tr")
    until(page, "() => document.querySelectorAll('[data-testid=sync-runs] tbody tr').length >= 2")
    assert rows.count() == 2
    assert "dry run" in rows.nth(1).inner_text()
    shot(page, "segment-sync-tablet")
    page.context.close()


def test_data_health_shows_batches_quarantine_and_charts(browser: Any, site: Site) -> None:
    api = site.gql(
        "query { ingestBatches(first: 20) { nodes { id } } quarantine(first: 20) { totalCount } }"
    )
    page = login(browser, site, site.keys.analyst, DESKTOP)
    page.goto("/app/health")
    page.get_by_role("heading", name="Data health").wait_for()
    batches = page.get_by_test_id("batches").locator("tbody tr")
    assert batches.count() == len(api["ingestBatches"]["nodes"]) > 0
    if api["quarantine"]["totalCount"]:
        assert page.get_by_test_id("quarantine").locator("tbody tr").count() > 0
    assert page.get_by_test_id("chart-records").get_by_role("listitem").count() >= 6
    shot(page, "health-desktop")
    page.set_viewport_size(TABLET)
    shot(page, "health-tablet")
    page.context.close()


def test_graphiql_works_offline_with_the_session(browser: Any, site: Site) -> None:
    page = login(browser, site, site.keys.analyst, DESKTOP)
    hosts: list[str] = []
    page.on("request", lambda r: hosts.append(r.url))

    # GraphiQL loads the schema first (the introspection query, within the limits) and
    # ignores Execute until it has it.
    def introspection(r: Any) -> bool:
        return r.url.endswith("/graphql") and "IntrospectionQuery" in (r.request.post_data or "")

    with page.expect_response(introspection) as schema:
        page.goto("/app/graphiql")
    loaded = schema.value.text()
    assert '"__schema"' in loaded and '"errors"' not in loaded
    page.locator(".graphiql-container").wait_for()
    answer = page.get_by_text('"version"')
    for _ in range(10):
        page.get_by_role("button", name=re.compile("Execute query")).click()
        try:
            answer.wait_for(timeout=2_000)
            break
        except PlaywrightTimeout:
            continue
    answer.wait_for()
    assert hosts and all(u.startswith(site.url) for u in hosts), hosts
    shot(page, "graphiql-desktop")
    page.context.close()
