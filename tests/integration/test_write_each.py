"""`GraphClient.write_each`: batches of a write phase in their own transactions, a bounded
number at once, against the real server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from neo4j import RoutingControl
from neo4j.exceptions import ConstraintError

from graph.client import GraphClient

CREATE = "UNWIND $pids AS pid CREATE (:Profile {pid: pid, probe: true})"
COUNT = "MATCH (p:Profile {probe: true}) RETURN count(p) AS n"


class Watched(GraphClient):
    """The real client, counting the transactions it has open at once."""

    def __init__(self, graph: GraphClient) -> None:
        super().__init__(graph.driver, graph.database, graph.uri)
        self.open = self.most = 0

    async def _records(self, name: str, query: str, params: Any, routing: RoutingControl) -> Any:
        self.open += 1
        self.most = max(self.most, self.open)
        try:
            await asyncio.sleep(0.01)  # let the others start if they may
            return await super()._records(name, query, params, routing)
        finally:
            self.open -= 1


async def _count(graph: GraphClient) -> int:
    return int((await graph.read_text("t", COUNT))[0]["n"])


class Batches:
    """Parameter sets taken lazily, each taking recorded, and the commits reported."""

    def __init__(self, pids: list[list[str]]) -> None:
        self.pids, self.taken, self.commits = pids, 0, 0

    def __iter__(self) -> Any:
        for pids in self.pids:
            self.taken += 1
            yield {"pids": pids}

    def committed(self) -> None:
        self.commits += 1


@pytest.mark.parametrize("in_flight", [1, 3])
async def test_every_batch_commits_and_no_more_than_in_flight_run_at_once(
    graph: GraphClient, in_flight: int
) -> None:
    watched = Watched(graph)
    batches = Batches([[f"probe-{i}-{j}" for j in range(100)] for i in range(10)])
    await watched.write_each(
        "t", CREATE, batches, in_flight=in_flight, after_each=batches.committed
    )
    assert await _count(graph) == 1_000
    assert batches.commits == 10
    assert watched.most == in_flight


@pytest.mark.parametrize("in_flight", [1, 2])
async def test_a_failing_batch_is_raised_once_the_others_in_flight_end(
    graph: GraphClient, in_flight: int
) -> None:
    watched = Watched(graph)
    # The third batch repeats a node key the first one holds.
    batches = Batches([["probe-0" if i == 2 else f"probe-{i}"] for i in range(6)])
    with pytest.raises(ConstraintError):
        await watched.write_each(
            "t", CREATE, batches, in_flight=in_flight, after_each=batches.committed
        )
    # Whatever committed was reported, nothing is left running, and the failure stopped
    # the phase: one at a time, the batches after it were never even taken.
    assert await _count(graph) == batches.commits
    assert watched.open == 0
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    if in_flight == 1:
        assert batches.taken == 3 and batches.commits == 2
