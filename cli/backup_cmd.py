"""`cdp backup create|restore`: a consistent copy of the graph, the trained model and the
match index, and the way back from it (the local Neo4j; with Docker, see the README)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.runtime import command_group, console, settings

if TYPE_CHECKING:
    from graph.backup import BackupReport

app = command_group(
    help="Back up and restore the graph and DATA_DIR's state.", no_args_is_help=True
)


def _print(verb: str, report: BackupReport) -> None:
    console.print(
        f"{verb} {report.folder}: {report.files} files, {report.bytes / 1e6:,.1f} MB, graph at "
        f"transaction {report.last_tx_id:,}; the graph was offline {report.offline_s:g} s"
    )


@app.command()
def create(folder: Path = typer.Argument(..., help="A new folder for the backup.")) -> None:
    """Stop the local Neo4j, dump its database, copy DATA_DIR's state, start it again."""
    from graph.backup import BackupError, create_backup

    try:
        with console.status("backing up (the graph is offline meanwhile)..."):
            report = create_backup(settings(), folder)
    except BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    _print("backed up into", report)


@app.command()
def restore(
    folder: Path = typer.Argument(..., help="A folder written by `cdp backup create`."),
    force: bool = typer.Option(False, "--force", help="Replace a graph newer than the backup."),
) -> None:
    """Check the backup, then replace the graph and DATA_DIR's state with it."""
    from graph.backup import BackupError, restore_backup

    try:
        with console.status("restoring (the graph is offline meanwhile)..."):
            report = restore_backup(settings(), folder, force=force)
    except BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    _print("restored from", report)
