"""`cdp destination check`: an operator learns a configured API version is ending."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from activate.sync import destinations as dest
from cli.activate_cmd import destination_app
from graph.client import GraphClient

pytestmark = pytest.mark.integration


async def test_check_warns_about_a_version_ending_within_90_days(graph: GraphClient) -> None:
    await dest.create_destination(
        graph, "fb-old", "meta", {"api_version": "v20.0", "secret_ref": "fb"}
    )
    await dest.create_destination(graph, "kl", "klaviyo", {"secret_ref": "kl"})
    runner = CliRunner()

    ending = await asyncio.to_thread(
        runner.invoke, destination_app, ["check", "--today", "2026-08-01"]
    )
    assert ending.exit_code == 1, ending.output
    assert "2026-09-24" in ending.output and "in 54 days" in ending.output

    await dest.delete_destination(graph, "fb-old")
    await dest.create_destination(graph, "fb", "meta", {"secret_ref": "fb"})
    fine = await asyncio.to_thread(
        runner.invoke, destination_app, ["check", "--today", "2026-08-01"]
    )
    assert fine.exit_code == 0, fine.output
