"""`cdp enrich` and `cdp run` with an area-demographics service configured in the settings
(`ENRICH_AREA_*`), against a fake service on a real local HTTP server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from activate.settings import ActivationSettings
from cli import enrich_cmd, pipeline_cmd, runtime
from enrich.providers.http import LOOKUP_PATH
from graph.client import GraphClient
from tests.factories.records import ingest_people
from tests.fakes.areas import API_KEY, FakeAreaService

pytestmark = pytest.mark.integration

PEOPLE = [
    {"id": "1", "first": "Sarah", "last": "Johnson", "email": "s.j@email.com", "postcode": "2000"},
    {"id": "2", "first": "Tom", "last": "Brown", "email": "tom@x.com", "postcode": "9999"},
]


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAreaService]:
    """The fake service, configured in the environment the commands read their settings from."""
    with FakeAreaService() as api:
        monkeypatch.setenv("ENRICH_AREA_URL", api.url)
        monkeypatch.setenv("ENRICH_AREA_API_KEY", API_KEY)
        monkeypatch.setenv("ENRICH_AREA_NAME", "areas-test")
        runtime.settings.cache_clear()
        yield api
    runtime.settings.cache_clear()


async def demographics(graph: GraphClient, rid: str) -> dict[str, Any]:
    rows = await graph.read_text(
        "t",
        "MATCH (:Record {rid: $rid})-[:IN_PROFILE]->(p:Profile) RETURN properties(p) AS p",
        {"rid": rid},
    )
    return {k: v for k, v in rows[0]["p"].items() if k.startswith("demo_")}


def _command(function: Any) -> typer.Typer:
    app = typer.Typer()
    app.command()(function)
    return app


async def test_run_asks_the_configured_service(
    graph: GraphClient, tmp_path: Path, service: FakeAreaService
) -> None:
    await ingest_people(graph, tmp_path, PEOPLE)
    app = _command(pipeline_cmd.run)
    result = await asyncio.to_thread(CliRunner().invoke, app, ["--deterministic-only"])
    assert result.exit_code == 0, result.stdout
    assert service.violations == []
    asked = [r.json()["areas"] for r in service.calls("POST", LOOKUP_PATH)]
    assert sorted(a["postcode"] for batch in asked for a in batch) == ["2000", "9999"]
    sarah = await demographics(graph, "crm:1")
    assert sarah["demo_provider"] == "areas-test"
    assert (sarah["demo_income_band"], sarah["demo_lifestyle"]) == ("Middle", "Young Renters")
    assert sarah["demo_fetched_at"].endswith("Z")
    assert all(v is None for v in (await demographics(graph, "crm:2")).values())


async def test_enrich_asks_the_configured_service(
    graph: GraphClient, tmp_path: Path, service: FakeAreaService
) -> None:
    await ingest_people(graph, tmp_path, PEOPLE[:1])
    await pipeline_cmd.run_cycle(
        graph, model_dir=None, provider=None, activation=ActivationSettings()
    )
    assert (await demographics(graph, "crm:1")).get("demo_provider") is None
    app = _command(enrich_cmd.enrich)
    result = await asyncio.to_thread(CliRunner().invoke, app, ["--all"])
    assert result.exit_code == 0, result.stdout
    assert len(service.calls("POST", LOOKUP_PATH)) == 1
    assert (await demographics(graph, "crm:1"))["demo_urbanity"] == "inner"


async def test_a_refused_key_fails_the_command(
    graph: GraphClient, tmp_path: Path, service: FakeAreaService, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ingest_people(graph, tmp_path, PEOPLE[:1])
    await pipeline_cmd.run_cycle(
        graph, model_dir=None, provider=None, activation=ActivationSettings()
    )
    monkeypatch.setenv("ENRICH_AREA_API_KEY", "sk_wrong")
    runtime.settings.cache_clear()
    app = _command(enrich_cmd.enrich)
    result = await asyncio.to_thread(CliRunner().invoke, app, ["--all"])
    assert result.exit_code == 1
    assert "401" in result.stdout and "sk_wrong" not in result.stdout
