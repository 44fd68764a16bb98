"""`cdp run`: the continuous pipeline after ingestion, one cycle or on a loop.

A cycle takes what ingestion (files, `cdp ingest`, the HTTP endpoints) has added since the
last cycle through the three later steps, each incrementally:

1. resolution of the records marked dirty (probabilistic matching when a model is trained);
2. enrichment of the profiles resolution touched and those with new activity (with the
   stored CLV model: fitting stays `cdp enrich --fit`, run on its own schedule);
3. the syncs whose interval has elapsed (each refreshes its segment first).

Each step is the function its own command runs, so a cycle does what running `cdp resolve`,
`cdp enrich` and `cdp sync --due` in turn would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.enrich_cmd import area_provider
from cli.resolve_cmd import model_dir
from cli.runtime import console, new_table, with_graph

if TYPE_CHECKING:
    from activate.settings import ActivationSettings
    from activate.sync.engine import SyncReport
    from enrich.enricher import EnrichReport
    from enrich.providers.base import AreaProvider
    from graph.client import GraphClient
    from matching.resolve import ResolveReport


@dataclass
class CycleReport:
    """What one cycle did: counts and times only."""

    resolution: ResolveReport
    enrichment: EnrichReport
    syncs: list[SyncReport] = field(default_factory=list)


async def run_cycle(
    graph: GraphClient,
    *,
    model_dir: Path | None,
    provider: AreaProvider | None,
    activation: ActivationSettings,
    today: Callable[[], date] | None = None,
) -> CycleReport:
    """Resolve, enrich and sync what changed since the last cycle.

    Args:
        graph: The graph client.
        model_dir: Where the trained matching model is; None for deterministic links only.
        provider: The area provider for demographics, or None.
        activation: Destination settings for the syncs.
        today: The day relative segment conditions are evaluated for (default: today, UTC).
    """
    from activate.sync.engine import SyncEngine
    from activate.sync.scheduler import run_due
    from enrich.enricher import Enricher
    from matching.linking import ProbabilisticLinker
    from matching.resolve import Resolver

    linker = ProbabilisticLinker(graph, model_dir) if model_dir is not None else None
    resolution = await Resolver(graph, linker=linker).resolve()
    enrichment = await Enricher(graph, provider=provider).run()
    syncs = await run_due(SyncEngine(graph, activation), today=today)
    return CycleReport(resolution, enrichment, syncs)


def run(
    watch: float = typer.Option(
        None, "--watch", help="Run a cycle every this many seconds, until stopped."
    ),
    probabilistic: bool = typer.Option(
        True, "--probabilistic/--deterministic-only", help="Use the trained matching model."
    ),
    demographics: bool = typer.Option(
        True, "--demographics/--no-demographics", help="Join area demographics by postcode."
    ),
) -> None:
    """Take new data through resolution, enrichment and due syncs (incrementally)."""
    import asyncio

    from activate.settings import ActivationSettings
    from core.clock import utc_today

    if watch is not None and watch <= 0:
        raise typer.BadParameter("--watch takes a number of seconds above 0")
    models = model_dir() if probabilistic else None

    async def cycle(g: GraphClient) -> CycleReport:
        provider = area_provider(None, demographics)
        try:
            return await run_cycle(
                g,
                model_dir=models,
                provider=provider,
                activation=ActivationSettings(),
                today=utc_today,
            )
        finally:
            if provider is not None:
                await provider.aclose()

    async def forever(g: GraphClient) -> None:
        while True:
            print_cycle(await cycle(g))
            await asyncio.sleep(watch)

    if watch is None:
        print_cycle(with_graph(cycle))
        return
    try:
        with_graph(forever)
    except KeyboardInterrupt:
        console.print("stopped")


def print_cycle(rep: CycleReport) -> None:
    t = new_table("cycle", "")
    res, enr = rep.resolution, rep.enrichment
    t.add_row("records resolved", f"{res.records:,}")
    t.add_row("profiles created / merged / split", f"{res.created} / {res.merged} / {res.split}")
    t.add_row("profiles enriched", f"{enr.profiles:,} ({enr.mode})")
    t.add_row("syncs run", f"{len(rep.syncs)}")
    for s in rep.syncs:
        t.add_row(f"  {s.segment} -> {s.destination}", f"{s.status}: +{s.adds:,} -{s.removes:,}")
    seconds = res.seconds + enr.total_seconds + sum(s.seconds for s in rep.syncs)
    t.add_row("seconds", f"{seconds:.1f}")
    console.print(t)
