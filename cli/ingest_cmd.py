"""`cdp generate`, `cdp ingest`, `cdp quarantine`: step 1 of the pipeline."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import typer

from cli.runtime import command_group, console, new_table, with_graph
from ingest.builtin import builtin_sources

if TYPE_CHECKING:
    from rich.progress import Progress

    from graph.client import GraphClient
    from ingest.mapping import SourceMapping
    from ingest.pipeline import BatchReport

quarantine_app = command_group(help="Rows that could not be records, with reasons.")


def _progress() -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def generate(
    out: Path = typer.Option(Path("var/data/generated"), "--out", help="Output folder."),
    customers: int = typer.Option(10_000, help="How many true people."),
    seed: int = typer.Option(42, help="Same seed, same data."),
) -> None:
    """Write a realistic retailer's six source systems, with the ground truth."""
    from generator import generate as run_generator

    with _progress() as bar:
        task = bar.add_task("generating people", total=customers)
        summary = run_generator(
            out, customers=customers, seed=seed, progress=lambda n: bar.advance(task, n)
        )
    table = new_table("file", "rows")
    for name, n in sorted(summary.rows.items()):
        table.add_row(name, f"{n:,}")
    console.print(table)
    console.print(f"written to {out}")


def mapping_for(source: str, mapping_file: Path | None) -> SourceMapping:
    from ingest.errors import IngestError
    from ingest.mapping import builtin_mapping, load_mapping

    if mapping_file is not None:
        m = load_mapping(mapping_file)
        if m.source != source:
            raise IngestError(f"mapping {mapping_file} is for source {m.source!r}, not {source!r}")
        return m
    return builtin_mapping(source)


def print_reports(reports: list[BatchReport]) -> None:
    table = new_table(
        "file",
        "read",
        "accepted",
        "quarantined",
        "suppressed",
        "records changed",
        "orders",
        "events",
        "bad values",
    )
    for r in reports:
        table.add_row(
            r.file,
            f"{r.rows_read:,}",
            f"{r.rows_accepted:,}",
            f"{r.rows_quarantined:,}",
            f"{r.rows_suppressed:,}",
            f"{r.records_changed:,}",
            f"{r.orders:,}",
            f"{r.events:,}",
            f"{r.value_issues:,}",
        )
    console.print(table)


def ingest(
    path: Path = typer.Argument(..., help="A source's folder or file (or the generator's output)."),
    source: str = typer.Option(
        ..., "--source", help=f"Source name; built-in: {', '.join(builtin_sources())}"
    ),
    mapping: Path | None = typer.Option(None, "--mapping", help="Your own mapping YAML."),
) -> None:
    """Ingest a source's files into the graph: validate, normalise, quarantine, record lineage."""
    from ingest.errors import IngestError
    from ingest.pipeline import Ingestor

    try:
        m = mapping_for(source, mapping)
    except IngestError as exc:
        console.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(2) from exc

    async def work(g: GraphClient) -> list[BatchReport]:
        with _progress() as bar:
            task = bar.add_task(f"ingesting {source}", total=None)
            ing = Ingestor(g, m, progress=lambda n: bar.advance(task, n))
            return await ing.ingest_path(path)

    try:
        reports = with_graph(work)
    except IngestError as exc:
        console.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(1) from exc
    print_reports(reports)


@quarantine_app.command("list")
def quarantine_list(
    source: str | None = typer.Option(None, help="Only this source."),
    limit: int = typer.Option(50, help="At most this many rows."),
) -> None:
    """Show quarantined rows and their reasons (raw content not shown: it is personal data)."""
    from graph import ingest_repo

    async def work(g: GraphClient) -> list[dict[str, object]]:
        return await ingest_repo.quarantined(g, source, limit, 0)

    rows = with_graph(work)
    table = new_table("source", "file", "row", "kind", "reason")
    for r in rows:
        table.add_row(
            str(r["source"]), str(r["file"]), str(r["row"]), str(r["kind"]), str(r["reason"])
        )
    console.print(table)


@quarantine_app.command("export")
def quarantine_export(
    out: Path | None = typer.Option(None, "--out", help="CSV file (default: stdout)."),
    source: str | None = typer.Option(None, help="Only this source."),
) -> None:
    """Export every quarantined row with its raw content, to fix and re-ingest."""
    from graph import ingest_repo

    async def work(g: GraphClient) -> list[dict[str, object]]:
        return await ingest_repo.quarantined(g, source, 10_000_000, 0)

    rows = with_graph(work)

    def write(fh: TextIO) -> None:
        w = csv.writer(fh)
        w.writerow(["source", "file", "row", "kind", "reason", "raw"])
        for r in rows:
            w.writerow([r["source"], r["file"], r["row"], r["kind"], r["reason"], r["raw"]])

    if out is None:
        write(sys.stdout)
        return
    with open(out, "w", newline="", encoding="utf-8") as fh:
        write(fh)
    console.print(f"{len(rows)} rows written to {out}")
