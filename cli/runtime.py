"""What every command shares: the settings, read once, and the graph client's lifetime.

Imports stay light here and in every `cli/*_cmd.py` module: `cdp --help` and each command
load only what they use (the driver, Splink, pandas, pymc are imported by the commands that
need them, inside their bodies), so the command line starts in a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.table import Table

    from core.settings import Settings
    from graph.client import GraphClient

T = TypeVar("T")
console = Console()


def command_group(**options: object) -> typer.Typer:
    """A group of commands. Help is click's plain text: rich's help formatter imports a
    Markdown parser that alone took a quarter of `cdp --help`'s time."""
    return typer.Typer(rich_markup_mode=None, **options)  # type: ignore[arg-type]


def new_table(*headers: str, **options: Any) -> Table:
    """A rich table, its module imported by the commands that print one."""
    from rich.table import Table

    return Table(*headers, **options)


@cache
def settings() -> Settings:
    from core.settings import Settings

    return Settings()


def with_graph(work: Callable[[GraphClient], Awaitable[T]]) -> T:
    """Run `work` with the process's one graph client, closed afterwards."""
    import asyncio

    from graph.client import GraphClient

    async def main() -> T:
        client = GraphClient.from_settings(settings())
        try:
            await client.verify()
            return await work(client)
        finally:
            await client.close()

    return asyncio.run(main())
