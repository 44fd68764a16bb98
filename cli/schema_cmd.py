"""`cdp schema export [--check]`: the GraphQL schema as SDL in `schema.graphql`, for
clients, code generators and review; `--check` (CI) fails when the file is stale."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from cli.runtime import command_group
from core.paths import PROJECT_ROOT

app = command_group(help="The GraphQL schema.", no_args_is_help=True)
_err = Console(stderr=True)
DEFAULT_PATH = PROJECT_ROOT / "schema.graphql"


@app.callback()
def _group() -> None:
    """The GraphQL schema."""


def schema_sdl() -> str:
    """The schema the API serves, as SDL text ending in one newline."""
    from strawberry.printer import print_schema

    from api.schema import schema

    return print_schema(schema).rstrip("\n") + "\n"


@app.command("export")
def export(
    path: Path = typer.Option(DEFAULT_PATH, "--path", help="Where to write the SDL."),
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 when the file differs from the schema."
    ),
) -> None:
    """Write the GraphQL schema (SDL) to schema.graphql, or check that it is current."""
    sdl = schema_sdl()
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    if check:
        if current != sdl:
            _err.print(f"[red]{path} is stale: run `cdp schema export`[/red]")
            raise typer.Exit(1)
        _err.print(f"{path} is current")
        return
    if current == sdl:
        _err.print(f"{path} is current")
        return
    path.write_text(sdl, encoding="utf-8")
    _err.print(f"wrote {path} ({sdl.count(chr(10))} lines)")
