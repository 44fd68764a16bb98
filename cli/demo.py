"""`cdp demo`: the whole pipeline end to end on generated data.

Each step is the same function the operator's commands call; the demo grows as steps land.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.enrich_cmd import print_enrich_report
from cli.ingest_cmd import print_reports
from cli.resolve_cmd import model_dir, print_quality, print_resolve_report
from cli.runtime import console, new_table, settings, with_graph

if TYPE_CHECKING:
    from activate.demo import DemoActivation
    from enrich.enricher import EnrichReport
    from enrich.providers.postcode_file import PostcodeFileProvider
    from graph.client import GraphClient
    from ingest.pipeline import BatchReport
    from matching.evaluate import Quality
    from matching.resolve import ResolveReport


def _truth(path: Path) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {f"{r['source']}:{r['source_id']}": r["person_id"] for r in csv.DictReader(fh)}


@dataclass
class _DemoRun:
    reports: list[BatchReport]
    resolved: ResolveReport
    quality: Quality
    enriched: EnrichReport
    provider: PostcodeFileProvider
    counts: dict[str, int]
    activation: DemoActivation


def demo(
    customers: int = typer.Option(5_000, help="How many true people to generate."),
    seed: int = typer.Option(42, help="Generator seed."),
    out: Path | None = typer.Option(None, help="Where to write the generated data."),
    fresh: bool = typer.Option(True, "--fresh/--keep", help="Empty the graph first."),
) -> None:
    """Run the pipeline end to end on generated data and print what it built."""
    from rich.rule import Rule

    from activate.demo import run_demo_activation
    from activate.settings import ActivationSettings
    from core.clock import utc_today
    from enrich.enricher import Enricher
    from enrich.providers.postcode_file import PostcodeFileProvider
    from generator import GENERATED_SOURCES, generate
    from graph import health, resolve_repo
    from graph.schema import migrate, wipe
    from ingest.mapping import builtin_mapping
    from ingest.pipeline import Ingestor
    from matching.evaluate import evaluate, graph_evidence
    from matching.linking import ProbabilisticLinker
    from matching.resolve import Resolver

    data = out or settings().data_dir / f"demo-{customers}-{seed}"
    console.print(Rule(f"1. generate {customers:,} customers (seed {seed})"))
    if not (data / "manifest.json").exists():
        summary = generate(data, customers=customers, seed=seed)
        console.print(f"{sum(summary.rows.values()):,} rows written to {data}")
    else:
        console.print(f"reusing {data}")

    async def work(g: GraphClient) -> _DemoRun:
        if fresh:
            await wipe(g)
        await migrate(g)
        reports: list[BatchReport] = []
        for source in GENERATED_SOURCES:
            reports += await Ingestor(g, builtin_mapping(source)).ingest_path(data)
        await Resolver(g).resolve()
        # With deterministic profiles in place, train the probabilistic model on the
        # records and rebuild with it: pairs with no shared key now link too.
        linker = ProbabilisticLinker(g, model_dir())
        await linker.train()
        resolved = await Resolver(g, linker=linker).resolve(full=True)
        predicted = {rid: pid for _, _, rid, pid in await resolve_repo.clusters(g) if pid}
        truth = _truth(data / "truth" / "ground_truth.csv")
        quality = evaluate(predicted, truth, await graph_evidence(g))
        # Enrich every profile: fit the CLV models on the whole base, then descriptive,
        # predictive and postcode-demographic attributes.
        provider = PostcodeFileProvider(data / "reference" / "postcodes.csv")
        try:
            enriched = await Enricher(g, provider=provider).run(fit=True)
        finally:
            await provider.aclose()
        today = utc_today()
        activation = await run_demo_activation(g, ActivationSettings(), today=today)
        return _DemoRun(
            reports, resolved, quality, enriched, provider, await health.counts(g), activation
        )

    run = with_graph(work)
    console.print(Rule("2. ingest the six sources"))
    print_reports(run.reports)
    console.print(Rule("3. resolve identities (deterministic + Splink) into golden profiles"))
    print_resolve_report(run.resolved)
    console.print(Rule("4. quality against the generator's ground truth"))
    print_quality(run.quality)
    console.print(Rule("5. enrich profiles: RFM, channels, affinity, CLV, demographics"))
    print_enrich_report(run.enriched, run.provider)
    console.print(Rule("6. segments synced to a file destination and a webhook receiver"))
    table = new_table(
        "segment", "destination", "members", "adds", "removes", "no consent", "status"
    )
    for r in run.activation.reports:
        table.add_row(
            r.segment,
            r.destination,
            f"{r.members:,}",
            f"{r.adds:,}",
            f"{r.removes:,}",
            f"{r.no_consent:,}",
            r.status,
        )
    console.print(table)
    console.print(f"webhook receiver holds: {run.activation.received}")
    console.print(Rule("graph"))
    console.print(run.counts)
