"""`cdp run`: a cycle takes new data through resolution, enrichment and due syncs, touching
only what changed since the previous cycle."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from activate.settings import ActivationSettings
from cli import pipeline_cmd
from cli.pipeline_cmd import run_cycle
from graph.client import GraphClient
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from tests.factories.records import ingest_people

pytestmark = pytest.mark.integration

PEOPLE = [
    {"id": "1", "first": "Sarah", "last": "Johnson", "email": "s.johnson@email.com"},
    {"id": "2", "first": "Tom", "last": "Brown", "email": "tom@x.com"},
]
CUSTOMER = {
    "id": "e1",
    "first_name": "Sarah",
    "last_name": "Johnson",
    "email": "s.johnson@email.com",
}


def order(oid: str, at: str, total: str) -> dict[str, Any]:
    return {
        "id": oid,
        "customer": {"id": "e1"},
        "created_at": at,
        "total_price": total,
        "currency": "AUD",
        "line_items": [{"sku": oid, "product_type": "shoes", "quantity": 1, "price": total}],
    }


async def profile_of(graph: GraphClient, rid: str) -> dict[str, Any]:
    rows = await graph.read_text(
        "t",
        "MATCH (:Record {rid: $rid})-[:IN_PROFILE]->(p:Profile) RETURN properties(p) AS p",
        {"rid": rid},
    )
    return dict(rows[0]["p"])


async def cycle(graph: GraphClient) -> pipeline_cmd.CycleReport:
    return await run_cycle(graph, model_dir=None, provider=None, activation=ActivationSettings())


async def test_a_cycle_resolves_and_enriches_only_what_changed(
    graph: GraphClient, tmp_path: Path
) -> None:
    await ingest_people(graph, tmp_path, PEOPLE)
    shop = Ingestor(graph, builtin_mapping("ecommerce"))
    await shop.ingest_rows("customers.jsonl", [CUSTOMER])
    await shop.ingest_rows("orders.jsonl", [order("o1", "2026-01-05T10:00:00Z", "120.00")])

    first = await cycle(graph)
    assert first.resolution.records == 3 and first.resolution.created == 2
    assert first.enrichment.profiles == 2 and first.syncs == []
    sarah = await profile_of(graph, "crm:1")
    assert sarah["pid"] == (await profile_of(graph, "ecommerce:e1"))["pid"]
    assert (sarah["orders_count"], sarah["total_spend"]) == (1, 120.0)
    assert sarah["enriched_at"] is not None and sarah.get("enrich_dirty") is None

    idle = await cycle(graph)
    assert idle.resolution.records == 0 and idle.enrichment.profiles == 0

    # A new order for Sarah: nothing to resolve, her profile alone is recomputed.
    await shop.ingest_rows("orders.jsonl", [order("o2", "2026-02-05T10:00:00Z", "80.00")])
    tom_before = await profile_of(graph, "crm:2")
    again = await cycle(graph)
    assert again.enrichment.profiles == 1
    sarah = await profile_of(graph, "crm:1")
    assert (sarah["orders_count"], sarah["total_spend"]) == (2, 200.0)
    assert await profile_of(graph, "crm:2") == tom_before


async def test_run_command_prints_one_cycle(graph: GraphClient, tmp_path: Path) -> None:
    await ingest_people(graph, tmp_path, PEOPLE)
    app = typer.Typer()
    app.command()(pipeline_cmd.run)
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, app, ["--deterministic-only"])
    assert result.exit_code == 0, result.stdout
    # The table's text without its borders, one space between words.
    out = " ".join(re.sub(r"[\u2500-\u257f]", " ", result.stdout).split())
    assert "records resolved 2" in out and "profiles enriched 2" in out
    bad = await asyncio.to_thread(runner.invoke, app, ["--watch", "0"])
    assert bad.exit_code == 2
    assert (await profile_of(graph, "crm:1"))["enriched_at"] is not None
