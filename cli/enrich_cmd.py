"""`cdp enrich`: step 3, descriptive, predictive and demographic attributes on profiles."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.runtime import console, new_table, settings, with_graph

if TYPE_CHECKING:
    from core.settings import Settings
    from enrich.enricher import EnrichReport
    from enrich.providers.base import AreaProvider
    from graph.client import GraphClient

GENERATED_POSTCODES = Path("generated") / "reference" / "postcodes.csv"
"""Where `cdp generate` writes the postcode reference, under the data directory."""


def _as_of(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO date or time: {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def area_provider(postcodes: Path | None, demographics: bool) -> AreaProvider | None:
    """The area provider of this run (`configured_provider` with the process's settings)."""
    return configured_provider(settings(), postcodes, demographics)


def configured_provider(
    config: Settings, postcodes: Path | None, demographics: bool
) -> AreaProvider | None:
    """The area provider: the file `postcodes` when given, else the HTTP service the
    settings configure (`ENRICH_AREA_URL`), else the generated reference file when it
    exists; None without demographics."""
    from enrich.providers.http import HttpAreaProvider, HttpProviderSettings
    from enrich.providers.postcode_file import PostcodeFileProvider

    if not demographics:
        return None
    if postcodes is not None:
        if not postcodes.is_file():
            raise typer.BadParameter(f"no such file: {postcodes}")
        return PostcodeFileProvider(postcodes)
    service = HttpProviderSettings.from_settings(config)
    if service is not None:
        return HttpAreaProvider(service)
    default = config.data_dir / GENERATED_POSTCODES
    return PostcodeFileProvider(default) if default.is_file() else None


def enrich(
    all_profiles: bool = typer.Option(
        False, "--all", help="Recompute every profile, not only those changed."
    ),
    fit: bool = typer.Option(
        False, "--fit", help="Fit and store the CLV models, then recompute every profile."
    ),
    postcodes: Path | None = typer.Option(
        None,
        "--postcodes",
        help="Postcode demographics CSV (default: the ENRICH_AREA_URL service when set, else "
        "DATA_DIR/generated/reference/postcodes.csv when it exists).",
    ),
    demographics: bool = typer.Option(
        True, "--demographics/--no-demographics", help="Join area demographics by postcode."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Compute as of this ISO date or time (default: now)."
    ),
) -> None:
    """Enrich golden profiles: RFM, channels, affinity, engagement, consent, CLV, demographics.

    Plain `cdp enrich` recomputes the profiles resolution marked and those with new activity;
    `--all` recomputes every profile; `--fit` refits the CLV models first.
    """
    from enrich.enricher import Enricher
    from enrich.errors import EnrichError

    moment = _as_of(as_of)
    provider = area_provider(postcodes, demographics)

    async def work(g: GraphClient) -> EnrichReport:
        try:
            return await Enricher(g, provider=provider).run(
                full=all_profiles, fit=fit, as_of=moment
            )
        finally:
            if provider is not None:
                await provider.aclose()

    try:
        with console.status("enriching profiles..."):
            rep = with_graph(work)
    except EnrichError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    print_enrich_report(rep, provider)


def print_enrich_report(rep: EnrichReport, provider: AreaProvider | None) -> None:
    t = new_table("enrichment", rep.mode)
    rows: list[tuple[str, object]] = [
        ("profiles written", rep.profiles),
        ("with purchases", rep.with_purchases),
        ("with a CLV", rep.predicted),
        ("marked dirty by resolution", rep.dirty),
        ("with new activity", rep.active),
        ("CLV model", rep.model_version or "none (run `cdp enrich --fit`)"),
        ("model fitted now", "yes" if rep.fitted else "no"),
        (
            "demographics matched",
            rep.demographics_matched if provider is not None else "no provider",
        ),
    ]
    if rep.full_reason:
        rows.append(("full run because", rep.full_reason))
    for phase, seconds in rep.seconds.items():
        rows.append((f"seconds: {phase}", f"{seconds:.1f}"))
    rows.append(("seconds: total", f"{rep.total_seconds:.1f}"))
    for name, value in rows:
        t.add_row(name, f"{value:,}" if isinstance(value, int) else str(value))
    console.print(t)
