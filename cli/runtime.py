"""What every command shares: the settings, read once, and the graph client's lifetime."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import cache
from typing import TypeVar

from rich.console import Console

from core.settings import Settings
from graph.client import GraphClient

T = TypeVar("T")
console = Console()


@cache
def settings() -> Settings:
    return Settings()


def with_graph(work: Callable[[GraphClient], Awaitable[T]]) -> T:
    """Run `work` with the process's one graph client, closed afterwards."""

    async def main() -> T:
        client = GraphClient.from_settings(settings())
        try:
            await client.verify()
            return await work(client)
        finally:
            await client.close()

    return asyncio.run(main())
