"""`cdp apikey create | list | revoke`: the API keys and their roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console

from api.roles import Role
from cli.runtime import command_group, console, new_table, with_graph

if TYPE_CHECKING:
    from graph.apikey_repo import StoredKey
    from graph.client import GraphClient

app = command_group(
    help="API keys: clienteling (masked look-ups), analyst (reads all), ingest, admin.",
    no_args_is_help=True,
)
_err = Console(stderr=True)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="A label for the key's holder, e.g. store-042-ipad."),
    role: Role = typer.Option(..., "--role", help="What the key may do."),
) -> None:
    """Create a key and print it once: only its hash is stored, so store it now."""
    from api.auth import InvalidKeyName, issue_key
    from graph.apikey_repo import ApiKeyNameTaken

    async def work(g: GraphClient) -> str:
        return await issue_key(g, name, role)

    try:
        key = with_graph(work)
    except (InvalidKeyName, ApiKeyNameTaken) as exc:
        _err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    # The key alone on stdout (for `KEY=$(cdp apikey create ...)`), the note on stderr.
    _err.print(f"API key {name!r} (role {role.value}); it is shown only now:")
    typer.echo(key)


@app.command("list")
def list_keys() -> None:
    """Every key's name, role, creation and revocation (never the key or its hash)."""
    from graph import apikey_repo

    async def work(g: GraphClient) -> list[StoredKey]:
        return await apikey_repo.list_keys(g)

    table = new_table("name", "role", "created", "status")
    for k in with_graph(work):
        state = f"revoked {k.revoked_at or ''}".strip() if k.revoked else "valid"
        table.add_row(k.name, k.role, k.created_at or "", state)
    console.print(table)


@app.command("revoke")
def revoke(name: str = typer.Argument(..., help="The key's name.")) -> None:
    """Revoke a key. Running APIs stop accepting it within API_KEY_CACHE_TTL_S (30 s)."""
    from api.auth import revoke_key

    async def work(g: GraphClient) -> int:
        return await revoke_key(g, name)

    if with_graph(work) == 0:
        _err.print(f"[red]no valid key named {name!r}[/red]")
        raise typer.Exit(1)
    console.print(f"revoked {name!r}")
