"""`cdp neo4j start|stop|status|wipe`: the local Neo4j."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cli.runtime import command_group, console, settings
from graph.errors import LocalServerError

if TYPE_CHECKING:
    from graph.localserver import LocalNeo4j

app = command_group(
    help="Run the local Neo4j 5.26 Community (no Docker needed).", no_args_is_help=True
)


def _server() -> LocalNeo4j:
    from graph.localserver import LocalNeo4j

    return LocalNeo4j(settings())


BROWSER_WARNING = (
    "Neo4j Browser runs queries as the neo4j user, who can read and change everything "
    "(Community edition has no read-only roles): for local development only, never on a "
    "server holding real customers' data."
)


@app.command()
def start(
    browser: bool = typer.Option(
        False, "--browser", help="Also serve Neo4j Browser over HTTP (local development only)."
    ),
    browser_port: int = typer.Option(7474, help="HTTP port of Neo4j Browser."),
) -> None:
    """Start Neo4j (or reuse the one running) and wait until Bolt answers."""
    from graph.localserver import LocalNeo4j

    s = settings()
    if browser and s.environment == "production":
        console.print("[red]--browser is for local development; refused in production[/red]")
        raise typer.Exit(2)
    srv = LocalNeo4j(s, browser_port=browser_port if browser else None)
    try:
        with console.status("starting Neo4j (first run resolves jars with Maven)..."):
            st = srv.start()
    except LocalServerError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    how = "already running, reused" if st.reused else f"started in {st.started_in_s} s"
    console.print(f"Neo4j at {st.uri}: {how} (pid {st.pid}, data {st.home}, log {st.log_file})")
    if browser:
        if st.reused:
            console.print("[yellow]reused a running server: stop it first for the Browser[/yellow]")
        else:
            url = f"http://{s.neo4j_local_host}:{browser_port}/browser/"
            console.print(f"Neo4j Browser at {url} (connect to {st.uri})")
        console.print(f"[yellow]{BROWSER_WARNING}[/yellow]")


@app.command()
def stop() -> None:
    """Stop the local Neo4j cleanly."""
    stopped = _server().stop()
    console.print("Neo4j stopped" if stopped else "no local Neo4j was running")


@app.command()
def status() -> None:
    """Show whether the local Neo4j runs and answers."""
    try:
        st = _server().status()
    except LocalServerError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    state = "answering" if st.answering else ("starting" if st.running else "stopped")
    console.print(f"Neo4j at {st.uri}: {state} (pid {st.pid}, data {st.home})")
    if not st.running:
        raise typer.Exit(3)


@app.command()
def wipe(yes: bool = typer.Option(False, "--yes", help="Do not ask.")) -> None:
    """Delete the local Neo4j's data directory (server must be stopped), and the trained
    matching model and match index, which describe the graph's records."""
    srv = _server()
    models = settings().data_dir / "models"
    if not yes:
        typer.confirm(f"Delete {srv.home} and the matching model in {models}?", abort=True)
    try:
        srv.wipe()
    except LocalServerError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"deleted {srv.home}")
    from matching.model_store import wipe_matching_state

    gone = wipe_matching_state(models)
    if gone:
        console.print(f"deleted the matching model and match index ({len(gone)} files in {models})")
