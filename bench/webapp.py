"""Benchmark: the clienteling card, from pressing enter to the card on screen, in Chromium.

Against a running `cdp serve` on the demo data (`make demo`, or `cdp demo` then `cdp serve`):
creates a clienteling and an analyst key for the run (revoked afterwards), takes N customers'
phone numbers through the API, logs in to the web app as the store associate and looks each
one up, typed as an associate would (national format, spaces), one after the other.

Two figures per look-up:
- in the app: from the submit on enter to the frame after the card is rendered (the app
  records it, `window.__cdpCardTimings`): what the associate waits for;
- from outside: from Playwright's key press to the card seen in the page (adds the test
  driver's own round trips).

    python -m bench.webapp --url http://127.0.0.1:8095 --lookups 200
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import time
from typing import Any

import httpx
import phonenumbers

from api.auth import issue_key, revoke_key
from core.settings import Settings
from graph.client import GraphClient

PHONES = """query ($after: String) { searchProfiles(filter: {identifierType: "phone"}, first: 100,
  after: $after) { pageInfo { hasNextPage endCursor } nodes { pid phone { value } } } }"""
BY_PHONE = """query ($v: String!) { profileByIdentifier(type: "phone", value: $v) { pid } }"""


async def _keys(settings: Settings, suffix: str) -> tuple[str, str]:
    graph = GraphClient.from_settings(settings)
    try:
        return (
            await issue_key(graph, f"bench-webapp-store-{suffix}", "clienteling"),
            await issue_key(graph, f"bench-webapp-analyst-{suffix}", "analyst"),
        )
    finally:
        await graph.close()


async def _revoke(settings: Settings, suffix: str) -> None:
    graph = GraphClient.from_settings(settings)
    try:
        for role in ("store", "analyst"):
            await revoke_key(graph, f"bench-webapp-{role}-{suffix}")
    finally:
        await graph.close()


def _customers(url: str, key: str, n: int) -> list[tuple[str, str]]:
    """(pid, phone typed in national format) of up to n customers whose phone finds them."""
    out: list[tuple[str, str]] = []
    after = None
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
        while len(out) < n:
            page = c.post("/graphql", json={"query": PHONES, "variables": {"after": after}})
            conn = page.json()["data"]["searchProfiles"]
            for p in conn["nodes"]:
                phone = (p.get("phone") or {}).get("value")
                if not phone:
                    continue
                found = c.post("/graphql", json={"query": BY_PHONE, "variables": {"v": phone}})
                if (found.json()["data"]["profileByIdentifier"] or {}).get("pid") != p["pid"]:
                    continue  # a shared phone finds its main carrier: not this one
                parsed = phonenumbers.parse(phone)
                # As a store associate in Australia types it: national for AU numbers.
                fmt = (
                    phonenumbers.PhoneNumberFormat.NATIONAL
                    if parsed.country_code == 61
                    else phonenumbers.PhoneNumberFormat.INTERNATIONAL
                )
                out.append((p["pid"], phonenumbers.format_number(parsed, fmt)))
                if len(out) == n:
                    break
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
    return out


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _run(url: str, key: str, customers: list[tuple[str, str]], warmup: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    inside: list[float] = []
    outside: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 820, "height": 1180}, base_url=url)
        page.goto("/app/")
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Log in").click()
        box = page.get_by_label("Phone, email or loyalty number")
        box.wait_for()
        for i, (pid, typed) in enumerate(customers):
            box.fill(typed)
            seen = page.evaluate("() => (window.__cdpCardTimings || []).length")
            started = time.perf_counter()
            box.press("Enter")
            while True:
                done = page.evaluate(
                    "([n, pid]) => (window.__cdpCardTimings || []).length > n &&"
                    " document.querySelector('[data-testid=customer-card]')"
                    "?.getAttribute('data-pid') === pid",
                    [seen, pid],
                )
                if done:
                    break
                if time.perf_counter() - started > 10:
                    raise RuntimeError(f"no card for look-up {i} ({pid})")
            wall = (time.perf_counter() - started) * 1000
            app_ms = page.evaluate("() => window.__cdpCardTimings.at(-1)")
            if i >= warmup:
                outside.append(wall)
                inside.append(float(app_ms))
        browser.close()
    return {"inside": inside, "outside": outside}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8095")
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    settings = Settings()
    suffix = str(int(time.time()))
    store_key, analyst_key = asyncio.run(_keys(settings, suffix))
    try:
        customers = _customers(args.url, analyst_key, args.lookups + args.warmup)
        result = _run(args.url, store_key, customers, args.warmup)
    finally:
        asyncio.run(_revoke(settings, suffix))
    for name, label in (
        ("inside", "enter -> card rendered (in the app)"),
        ("outside", "key press -> card seen (Playwright)"),
    ):
        v = result[name]
        print(
            f"{label}: n={len(v)} p50={statistics.median(v):.0f} ms "
            f"p95={_pct(v, 95):.0f} ms max={max(v):.0f} ms"
        )


if __name__ == "__main__":
    main()
