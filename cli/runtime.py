"""What every command shares: the settings, read once, and the graph client's lifetime.

Imports stay light here and in every `cli/*_cmd.py` module: `cdp --help` and each command
load only what they use (the driver, Splink, pandas, pymc are imported by the commands that
need them, inside their bodies), so the command line starts in a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import TYPE_CHECKING, TypeVar

from rich.console import Console

if TYPE_CHECKING:
    from core.settings import Settings
    from graph.client import GraphClient

T = TypeVar("T")
console = Console()


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
