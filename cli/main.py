"""The `cdp` command line: the operator's entry to every step of the pipeline."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import typer

from cli import (
    activate_cmd,
    apikey_cmd,
    audit_cmd,
    backup_cmd,
    enrich_cmd,
    explain_cmd,
    forget_cmd,
    ingest_cmd,
    neo4j_cmd,
    pipeline_cmd,
    resolve_cmd,
    schema_cmd,
)
from cli.demo import demo
from cli.runtime import command_group, console, settings, with_graph

if TYPE_CHECKING:
    from graph.client import GraphClient

app = command_group(help="graph-cdp: a graph-native customer data platform.", no_args_is_help=True)
app.add_typer(neo4j_cmd.app, name="neo4j")
app.add_typer(backup_cmd.app, name="backup")
app.add_typer(apikey_cmd.app, name="apikey")
app.add_typer(ingest_cmd.quarantine_app, name="quarantine")
app.command()(demo)
app.command()(ingest_cmd.generate)
app.command()(ingest_cmd.ingest)
app.command()(resolve_cmd.resolve)
app.command()(resolve_cmd.train)
app.command("evaluate")(resolve_cmd.evaluate_cmd)
app.add_typer(resolve_cmd.export_app, name="export")
app.command()(enrich_cmd.enrich)
app.command("run")(pipeline_cmd.run)
app.command()(explain_cmd.explain)
app.command()(audit_cmd.audit)
app.add_typer(activate_cmd.segment_app, name="segment")
app.add_typer(activate_cmd.destination_app, name="destination")
app.command("sync")(activate_cmd.sync)
app.add_typer(schema_cmd.app, name="schema")
app.add_typer(explain_cmd.override_app, name="override")
app.command()(forget_cmd.forget)


def user_errors() -> tuple[type[Exception], ...]:
    """The project's root errors and pydantic's: what the user can fix, told in one line.

    Imported when an error is being handled, not at start-up: a command that raised one has
    loaded its module already, and `cdp --help` loads none of them.
    """
    from pydantic import ValidationError

    from activate.destinations.errors import DestinationError
    from activate.errors import ActivationError
    from enrich.errors import EnrichError
    from graph.errors import GraphError
    from ingest.errors import IngestError
    from matching.errors import MatchingError

    return (
        IngestError,
        GraphError,
        MatchingError,
        ActivationError,
        DestinationError,
        EnrichError,
        ValidationError,
    )


_verbose = False


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    global _verbose
    _verbose = verbose
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)
    if not verbose:
        # The driver's retry warnings repeat for a minute when the server goes away; the
        # outcome is told once, below.
        logging.getLogger("neo4j").setLevel(logging.ERROR)


def one_line(exc: Exception) -> str:
    """A user error as one line: what is wrong and where, never a traceback."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        problems = []
        for e in exc.errors(include_url=False):
            where = ".".join(str(p) for p in e["loc"])
            message = e["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        return f"invalid {exc.title}: " + "; ".join(problems)
    return " ".join(str(exc).split()) or type(exc).__name__


def main() -> None:
    """The `cdp` entry: a user error is one line on stderr and exit code 2 (`-v` shows the
    traceback as well)."""
    try:
        app()
    except Exception as exc:
        if _verbose:
            raise
        if isinstance(exc, user_errors()):
            print(f"error: {one_line(exc)}", file=sys.stderr)
            sys.exit(2)
        from graph.errors import lost_server

        if lost_server(exc):
            print(
                f"error: Neo4j became unavailable ({one_line(exc)}). What was written is kept;"
                " run the same command again once the server is back and it completes the"
                " work.",
                file=sys.stderr,
            )
            sys.exit(3)
        raise


@app.command()
def migrate() -> None:
    """Create the constraints and indexes (idempotent)."""
    from graph.schema import migrate as run_migration

    async def work(g: GraphClient) -> int:
        return await run_migration(g)

    n = with_graph(work)
    console.print(f"schema up to date ({n} constraints and indexes checked)")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Bind address (API_HOST)."),
    port: int | None = typer.Option(None, help="Port (API_PORT)."),
) -> None:
    """Serve the API (GraphQL at /graphql, /health, /ready) with uvicorn."""
    import uvicorn

    from api.app import create_app

    s = settings()
    uvicorn.run(create_app(s), host=host or s.api_host, port=port or s.api_port)


if __name__ == "__main__":
    main()
