"""Browser tests of the web app: a small generated retailer in the real Neo4j, the real app
served by uvicorn on a free port, and Debian's Chromium driven by Playwright.

The data is loaded once for the package (these tests only read it, except the override test,
which runs last in its module). Screenshots of each screen land in `docs/screenshots/`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn

from activate.segments.examples import create_examples
from activate.sync import destinations as dest
from api.app import create_app
from api.auth import issue_key
from core.settings import Settings
from enrich.enricher import Enricher
from enrich.predictive import MODEL_ID, model_props
from enrich.providers.postcode_file import PostcodeFileProvider
from generator import GENERATED_SOURCES, generate
from graph import enrich_repo
from graph.client import GraphClient
from graph.schema import migrate
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from matching.resolve import Resolver
from tests import cypher as test_cypher
from tests.factories.clv import CDNOW_LIKE

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
CUSTOMERS = 250
SEED = 7
TABLET = {"width": 820, "height": 1180}
DESKTOP = {"width": 1440, "height": 1000}


def chromium_path() -> str:
    found = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        pytest.fail("no Chromium: `make browser` installs Debian's (apt-get install chromium)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Keys:
    clienteling: str
    analyst: str
    admin: str


@dataclass
class Site:
    url: str
    keys: Keys

    def gql(self, query: str, variables: dict[str, Any] | None = None, key: str = "") -> Any:
        """The API as an analyst (or `key`) sees it: what the tests compare the screens with."""
        r = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {key or self.keys.analyst}"},
            timeout=60,
        )
        body = r.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]


async def _load(graph: GraphClient, data: Path) -> None:
    await test_cypher.wipe(graph)
    generate(data, customers=CUSTOMERS, seed=SEED)
    for source in GENERATED_SOURCES:
        await Ingestor(graph, builtin_mapping(source)).ingest_path(data)
    await Resolver(graph).resolve()
    provider = PostcodeFileProvider(data / "reference" / "postcodes.csv")
    try:
        # A stored CLV model instead of a fit: PyTensor's first compilation alone takes ~45 s.
        await enrich_repo.put_model(graph, MODEL_ID, model_props(CDNOW_LIKE))
        await Enricher(graph, provider=provider).run(full=True)
    finally:
        await provider.aclose()
    await create_examples(graph)
    await dest.create_destination(
        graph, "e2e-files", "file", {"directory": "e2e-files", "format": "csv"}
    )


async def _prepare(settings: Settings, data: Path) -> Keys:
    graph = GraphClient.from_settings(settings)
    try:
        await migrate(graph)
        await _load(graph, data)
        return Keys(
            clienteling=await issue_key(graph, "e2e-store", "clienteling"),
            analyst=await issue_key(graph, "e2e-analyst", "analyst"),
            admin=await issue_key(graph, "e2e-admin", "admin"),
        )
    finally:
        await graph.close()


def in_thread(fn: Callable[[], T]) -> T:
    """Run `fn` in a thread of its own: Playwright's sync API holds this thread's loop."""
    out: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as exc:  # re-raised in the caller
            failed.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if failed:
        raise failed[0]
    return out[0]


@pytest.fixture(scope="package")
def e2e_data(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Keys:
    started = time.monotonic()
    data = tmp_path_factory.mktemp("e2e-data")
    keys = in_thread(lambda: asyncio.run(_prepare(settings, data)))
    print(f"e2e data loaded in {time.monotonic() - started:.1f} s")
    return keys


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # a thread cannot own the signals
        pass


@pytest.fixture(scope="package")
def site(e2e_data: Keys, settings: Settings) -> Iterator[Site]:
    """The app served by uvicorn in a thread, with its own graph client (its own loop)."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = _Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the app did not start")
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", e2e_data)
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
        )
        yield b
        b.close()


def login(browser: Any, site: Site, key: str, viewport: dict[str, int] = DESKTOP) -> Any:
    """A fresh browser context logged in with `key`; returns its page."""
    context = browser.new_context(viewport=viewport, base_url=site.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/app/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()
    return page


def until(page: Any, script: str, arg: Any = None, timeout_s: float = 15.0) -> Any:
    """Poll `script` (a JS function of `arg`) until it returns something truthy.

    Playwright's `wait_for_function` evaluates its predicate with `eval`, which the app's
    Content-Security-Policy forbids; `evaluate` goes through the DevTools protocol instead.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(script, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {script}")
        time.sleep(0.05)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
