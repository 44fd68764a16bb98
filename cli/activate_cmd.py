"""`cdp segment ...`, `cdp destination ...`, `cdp sync`: step 4, activate.

Register in `cli/main.py`:

    app.add_typer(activate_cmd.segment_app, name="segment")
    app.add_typer(activate_cmd.destination_app, name="destination")
    app.command("sync")(activate_cmd.sync)
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from cli.runtime import command_group, console, new_table, with_graph

if TYPE_CHECKING:
    from activate.segments import service
    from activate.settings import ActivationSettings
    from activate.sync import destinations as dest
    from activate.sync.engine import SyncReport
    from graph.client import GraphClient

T = TypeVar("T")

segment_app = command_group(help="Segments: define, preview, refresh.", no_args_is_help=True)
destination_app = command_group(
    help="Destinations, links of segments to them, sync history.", no_args_is_help=True
)


@cache
def activation_settings() -> ActivationSettings:
    """Read once per process (CDP_DEST_*)."""
    from activate.settings import ActivationSettings

    return ActivationSettings()


def _run(work: Callable[[GraphClient], Awaitable[T]]) -> T:
    from activate.errors import ActivationError

    try:
        return with_graph(work)
    except ActivationError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


def _today(value: str | None) -> date:
    if value is None:
        from core.clock import utc_today

        return utc_today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("--today takes YYYY-MM-DD") from None


def _json_arg(value: str) -> Any:
    """JSON text, or `@path` to a JSON file."""
    text = Path(value[1:]).read_text(encoding="utf-8") if value.startswith("@") else value
    try:
        return json.loads(text)
    except ValueError:
        raise typer.BadParameter("not valid JSON") from None


TODAY = typer.Option(None, "--today", help="Day relative conditions count from (YYYY-MM-DD).")


# segments ----------------------------------------------------------------------------------


@segment_app.command("create")
def segment_create(
    segment_id: str = typer.Argument(..., help="Id: lower-case letters, digits, '-', '_'."),
    definition: str = typer.Option(..., "--definition", "-d", help="Filter tree JSON or @file."),
    name: str = typer.Option(None, "--name", help="Display name (default: the id)."),
    description: str = typer.Option("", "--description"),
    refresh: bool = typer.Option(True, "--refresh/--no-refresh", help="Compute membership now."),
    today: str | None = TODAY,
) -> None:
    """Save a segment."""
    from activate.segments import service

    raw = _json_arg(definition)

    async def work(g: GraphClient) -> service.Segment:
        await service.create_segment(
            g, segment_id, name or segment_id, raw, description=description
        )
        if refresh:
            await service.refresh_segment(g, segment_id, today=_today(today))
        return await service.get_segment(g, segment_id)

    seg = _run(work)
    console.print(f"segment {seg.id} saved: {seg.member_count:,} members")


@segment_app.command("list")
def segment_list() -> None:
    """Saved segments with their member counts."""
    from activate.segments import service

    segments = _run(service.list_segments)
    t = new_table("id", "name", "members", "refreshed", "relative to today")
    for s in segments:
        t.add_row(
            s.id, s.name, f"{s.member_count:,}", s.refreshed_at or "never", str(s.time_relative)
        )
    console.print(t)


@segment_app.command("preview")
def segment_preview(
    segment_id: str = typer.Argument(None, help="A saved segment (or give --definition)."),
    definition: str = typer.Option(None, "--definition", "-d", help="Filter tree JSON or @file."),
    sample: int = typer.Option(10, "--sample", min=0, max=100),
    today: str | None = TODAY,
) -> None:
    """Count the profiles a definition selects now, and show a sample (no personal data)."""
    from activate.segments import service

    if (segment_id is None) == (definition is None):
        raise typer.BadParameter("give a segment id or --definition")

    async def work(g: GraphClient) -> service.Preview:
        raw: Any = (
            _json_arg(definition)
            if definition is not None
            else (await service.get_segment(g, segment_id)).definition
        )
        return await service.preview(g, raw, today=_today(today), sample_size=sample)

    prev = _run(work)
    console.print(f"{prev.count:,} profiles")
    t = new_table("pid", "city", "loyalty tier", "clv percentile", "last purchase")
    for m in prev.sample:
        clv = m.get("clv_percentile")
        t.add_row(
            m["pid"],
            str(m.get("city") or ""),
            str(m.get("loyalty_tier") or ""),
            "" if clv is None else f"{clv:.2f}",
            str(m.get("last_purchase_at") or ""),
        )
    if prev.sample:
        console.print(t)


@segment_app.command("refresh")
def segment_refresh(
    segment_id: str = typer.Argument(None, help="One segment (default: every one)."),
    full: bool = typer.Option(False, "--full", help="Evaluate every profile."),
    today: str | None = TODAY,
) -> None:
    """Bring materialised membership up to date (incremental unless --full)."""
    from activate.segments import service

    async def work(g: GraphClient) -> list[service.RefreshReport]:
        day = _today(today)
        if segment_id is None:
            return await service.refresh_all(g, today=day, full=full)
        return [await service.refresh_segment(g, segment_id, today=day, full=full)]

    t = new_table("segment", "mode", "evaluated", "joined", "left", "members", "seconds")
    for r in _run(work):
        t.add_row(
            r.segment_id,
            r.mode,
            "all" if r.candidates is None else f"{r.candidates:,}",
            f"{r.joined:,}",
            f"{r.left:,}",
            f"{r.members:,}",
            f"{r.seconds:.2f}",
        )
    console.print(t)


@segment_app.command("delete")
def segment_delete(
    segment_id: str,
    force: bool = typer.Option(False, "--force", help="Also forget what destinations hold."),
) -> None:
    """Delete a segment and its membership."""
    from activate.segments import service

    async def work(g: GraphClient) -> None:
        await service.delete_segment(g, segment_id, force=force)

    _run(work)
    console.print(f"segment {segment_id} deleted")


@segment_app.command("examples")
def segment_examples(today: str | None = TODAY) -> None:
    """Create the two worked examples and refresh them."""
    from activate.segments import service
    from activate.segments.examples import create_examples

    async def work(g: GraphClient) -> list[service.Segment]:
        made = await create_examples(g)
        for s in made:
            await service.refresh_segment(g, s.id, today=_today(today))
        return [await service.get_segment(g, s.id) for s in made]

    for s in _run(work):
        console.print(f"{s.id}: {s.name} ({s.member_count:,} members)")


# destinations ------------------------------------------------------------------------------


@destination_app.command("add")
def destination_add(
    destination_id: str,
    kind: str = typer.Option(
        ..., "--kind", help="file, webhook, klaviyo, braze, meta, google, attentive"
    ),
    config: str = typer.Option(
        "{}", "--config", help="JSON or @file; name secrets with secret_ref, never inline."
    ),
    name: str = typer.Option(None, "--name"),
) -> None:
    """Add a destination."""
    from activate.sync import destinations as dest

    raw = _json_arg(config)

    async def work(g: GraphClient) -> dest.DestinationInfo:
        return await dest.create_destination(g, destination_id, kind, raw, name=name)

    made = _run(work)
    console.print(f"destination {made.id} ({made.kind}) added")


@destination_app.command("list")
def destination_list() -> None:
    """Destinations and the segments linked to them."""
    from activate.sync import destinations as dest

    async def work(g: GraphClient) -> tuple[list[dest.DestinationInfo], list[dest.Link]]:
        return await dest.list_destinations(g), await dest.list_links(g)

    destinations, links = _run(work)
    t = new_table("id", "kind", "config (no secrets)")
    for d in destinations:
        t.add_row(d.id, d.kind, json.dumps(d.config, sort_keys=True))
    console.print(t)
    if links:
        lt = new_table("segment", "destination", "every (s)", "holds", "last run", "status")
        for link in links:
            lt.add_row(
                link.segment,
                link.destination,
                str(link.interval_seconds or "-"),
                f"{link.members:,}",
                link.last_started_at or "never",
                link.last_status or "",
            )
        console.print(lt)


@destination_app.command("check")
def destination_check(
    today: str = typer.Option(None, "--today", help="YYYY-MM-DD (default: today, UTC)."),
    within: int | None = typer.Option(
        None, "--within-days", min=0, help="Days ahead to warn about (default: 90)."
    ),
) -> None:
    """Warn about vendor API versions that reach their end of life within N days (exit 1)."""
    from activate.destinations.versions import WARN_DAYS, check_version

    within = WARN_DAYS if within is None else within
    from activate.sync import destinations as dest

    async def work(g: GraphClient) -> list[dest.DestinationInfo]:
        return await dest.list_destinations(g)

    day = _today(today)
    t = new_table("id", "kind", "version", "end of life", "")
    warned = False
    for d in _run(work):
        check = check_version(d.kind, d.config, day, warn_days=within)
        if check is None:
            continue
        warned = warned or check.warn
        eol = check.end_of_life.isoformat() if check.end_of_life else "not published"
        style = "red" if check.warn else "green"
        t.add_row(d.id, d.kind, check.version, eol, f"[{style}]{check.message}[/{style}]")
    console.print(t)
    if warned:
        raise typer.Exit(1)


@destination_app.command("link")
def destination_link(
    segment_id: str,
    destination_id: str,
    external_id: str = typer.Option(None, "--external-id", help="List or audience id there."),
    every: int = typer.Option(None, "--every", help="Sync every this many seconds."),
    no_schedule: bool = typer.Option(False, "--no-schedule", help="Remove the schedule."),
    enabled: bool = typer.Option(None, "--enable/--pause", help="Resume or pause the schedule."),
) -> None:
    """Link a segment to a destination (where, and how often)."""
    from activate.sync import destinations as dest

    kwargs: dict[str, Any] = {"enabled": enabled}
    if external_id is not None:
        kwargs["external_id"] = external_id
    if every is not None or no_schedule:
        kwargs["interval_seconds"] = None if no_schedule else every

    async def work(g: GraphClient) -> dest.Link:
        return await dest.link(g, segment_id, destination_id, **kwargs)

    link = _run(work)
    schedule = f"every {link.interval_seconds} s" if link.interval_seconds else "unscheduled"
    console.print(f"{link.segment} -> {link.destination}: {schedule}")


@destination_app.command("runs")
def destination_runs(
    segment_id: str = typer.Option(None, "--segment"),
    destination_id: str = typer.Option(None, "--destination"),
    limit: int = typer.Option(20, "--limit", min=1, max=500),
) -> None:
    """Sync run history, newest first."""
    from activate.sync import destinations as dest

    async def work(g: GraphClient) -> list[dict[str, Any]]:
        return await dest.list_runs(g, segment=segment_id, destination=destination_id, limit=limit)

    t = new_table(
        "run",
        "segment",
        "destination",
        "status",
        "adds",
        "updates",
        "removes",
        "failed",
        "invalid",
        "no consent",
        "seconds",
    )
    for r in _run(work):
        t.add_row(
            r["id"],
            r["segment"],
            r["destination"],
            r.get("status", ""),
            *(
                str(r.get(k) if r.get(k) is not None else "")
                for k in (
                    "adds",
                    "updates",
                    "removes",
                    "failed",
                    "invalid",
                    "no_consent",
                    "seconds",
                )
            ),
        )
    console.print(t)


@destination_app.command("errors")
def destination_errors(run_id: str, limit: int = typer.Option(50, "--limit", min=1)) -> None:
    """A run's per-row error log (pids and reasons only)."""
    from activate.sync import destinations as dest

    async def work(g: GraphClient) -> list[dict[str, Any]]:
        return await dest.run_errors(g, run_id, limit)

    t = new_table("pid", "action", "reason", "retried next run")
    for e in _run(work):
        t.add_row(e["pid"], e["action"], e["reason"], "yes" if e.get("retryable") else "no")
    console.print(t)


# sync --------------------------------------------------------------------------------------


def print_report(r: SyncReport) -> None:
    t = new_table(
        f"sync {r.segment} -> {r.destination}", r.status + (" (dry run)" if r.dry_run else "")
    )
    for k, v in [
        ("run", r.run_id),
        ("segment members", r.members),
        ("adds", r.adds),
        ("updates", r.updates),
        ("removes", r.removes),
        ("unchanged", r.unchanged),
        ("failed (retried next run)", r.failed),
        ("invalid for the destination", r.invalid),
        ("without consent", r.no_consent),
        ("diff seconds", f"{r.diff_seconds:.2f}"),
        ("send seconds", f"{r.send_seconds:.2f}"),
        ("total seconds", f"{r.seconds:.2f}"),
    ]:
        t.add_row(k, f"{v:,}" if isinstance(v, int) else str(v))
    if r.error:
        t.add_row("error", r.error)
    console.print(t)


def sync(
    segment_id: str = typer.Argument(None, help="The segment."),
    destination_id: str = typer.Argument(None, help="The destination."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Count adds, removes, invalid; send nothing."
    ),
    due: bool = typer.Option(False, "--due", help="Run every link whose interval has elapsed."),
    watch: float = typer.Option(
        None, "--watch", help="With --due: check again every this many seconds, until stopped."
    ),
    refresh: bool = typer.Option(True, "--refresh/--no-refresh", help="Refresh the segment first."),
    unlock: bool = typer.Option(
        False,
        "--unlock",
        help="Free the link's lease (a run that died holding it) and exit; the next sync "
        "resumes where it stopped.",
    ),
    metrics_file: Path = typer.Option(
        None,
        "--metrics-file",
        help="Write the sync metrics (Prometheus text format) to this file after each run, "
        "for node-exporter's textfile collector.",
        dir_okay=False,
    ),
    show_progress: bool = typer.Option(
        True, "--progress/--no-progress", help="Show members and batches done as it goes."
    ),
    today: str | None = TODAY,
) -> None:
    """Sync a segment to a destination: only the changes since what it last received."""
    if metrics_file is not None and not metrics_file.resolve().parent.is_dir():
        # Checked before syncing: a run's work must not end in a traceback over its metrics.
        raise typer.BadParameter(
            f"no directory {str(metrics_file.parent)!r} to write it in", param_hint="--metrics-file"
        )
    import asyncio

    from activate.metrics import write_textfile
    from activate.sync.engine import SyncEngine
    from activate.sync.engine import unlock as unlock_link
    from activate.sync.scheduler import run_due
    from cli.progress import SyncProgressView

    if unlock:
        if segment_id is None or destination_id is None or due:
            raise typer.BadParameter("--unlock takes SEGMENT DESTINATION")

        async def free(g: GraphClient) -> str | None:
            return await unlock_link(g, segment_id, destination_id)

        held = _run(free)
        console.print(f"lease freed (held by run {held})" if held else "no run held the lease")
        return
    if due == (segment_id is not None):
        raise typer.BadParameter("give SEGMENT DESTINATION, or --due")
    if segment_id is not None and destination_id is None:
        raise typer.BadParameter("give the DESTINATION too")
    activation = activation_settings()
    view = SyncProgressView(console)

    async def once(g: GraphClient) -> list[SyncReport]:
        engine = SyncEngine(g, activation, on_progress=view if show_progress else None)
        if due:
            return await run_due(engine, today=lambda: _today(today))
        return [
            await engine.sync(
                segment_id, destination_id, today=_today(today), dry_run=dry_run, refresh=refresh
            )
        ]

    def publish() -> None:
        if metrics_file is not None:
            write_textfile(metrics_file)

    async def forever(g: GraphClient) -> list[SyncReport]:
        while True:
            with view:
                reports = await once(g)
            publish()
            for r in reports:
                print_report(r)
            await asyncio.sleep(watch)

    if watch is not None and due:
        try:
            _run(forever)
        except KeyboardInterrupt:
            console.print("stopped")
        return
    try:
        with view:
            reports = _run(once)
    finally:
        publish()
    for r in reports:
        print_report(r)
    if due and not reports:
        console.print("nothing due")
    if any(r.status == "failed" for r in reports):
        raise typer.Exit(2)
