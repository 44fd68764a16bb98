"""Cypher that only the tests run (fixtures and checks), one query per `.cypher` file here,
loaded by name; the service's own queries stay in `cypher/`."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from graph.client import GraphClient

_HERE = Path(__file__).parent


@cache
def query(name: str) -> str:
    """The text of `tests/cypher/<name>.cypher`."""
    return (_HERE / f"{name}.cypher").read_text(encoding="utf-8").strip()


async def read(graph: GraphClient, name: str, params: dict[str, Any] | None = None) -> list[Any]:
    """Run a test query as a read; its rows as dicts."""
    return await graph.read_text(f"test:{name}", query(name), params)


async def wipe(graph: GraphClient) -> None:
    """Empty the graph (in batches, in auto-commit transactions: `CALL ... IN TRANSACTIONS`)."""
    async with graph.driver.session(database=graph.database) as session:
        result = await session.run(query("wipe_graph"))
        await result.consume()
