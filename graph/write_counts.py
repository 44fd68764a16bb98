"""What a unit of work wrote: the server's update counters of its queries, summed.

A caller opens `counting()` around the work (a resolution, say); every query the graph
client runs in that context (and in the tasks it starts: they inherit the context) adds
its result summary's counters, per query name. Queries of other requests running in the
same process at the same time are not counted: they run in their own contexts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

COUNTERS = (
    "nodes_created",
    "nodes_deleted",
    "relationships_created",
    "relationships_deleted",
    "properties_set",
    "labels_added",
    "labels_removed",
    "indexes_added",
    "indexes_removed",
    "constraints_added",
    "constraints_removed",
)
"""The update counters of a Neo4j result summary (`neo4j.SummaryCounters`)."""


@dataclass
class WriteCounts:
    """Update counters summed over the queries of a unit of work.

    Attributes:
        total: Counter name (`COUNTERS`) -> sum over every query.
        by_query: Query name -> its counters, for the queries that changed something.
    """

    total: Counter[str] = field(default_factory=Counter)
    by_query: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, query: str, counters: Any) -> None:
        """Add a result summary's counters (`neo4j.SummaryCounters`) under `query`."""
        found = Counter({c: n for c in COUNTERS if (n := int(getattr(counters, c, 0) or 0))})
        if not found:
            return
        self.total.update(found)
        self.by_query.setdefault(query, Counter()).update(found)

    @property
    def updates(self) -> int:
        """Every change counted, of every kind: 0 when the work wrote nothing."""
        return sum(self.total.values())

    def describe(self, *, per_query: bool = True) -> str:
        """One line for logs and benchmarks: the totals, then (`per_query`) the queries
        that wrote."""
        if not self.updates:
            return "nothing written"
        totals = ", ".join(f"{k} {v:,}" for k, v in sorted(self.total.items()))
        if not per_query:
            return totals
        queries = "; ".join(
            f"{q}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(c.items()))
            for q, c in sorted(self.by_query.items())
        )
        return f"{totals} ({queries})"


_active: ContextVar[tuple[WriteCounts, ...]] = ContextVar("graph_write_counts", default=())


@contextmanager
def counting() -> Iterator[WriteCounts]:
    """Count the writes of the queries run in this context until the block ends. Blocks
    may nest: each counts what ran inside it."""
    counts = WriteCounts()
    token = _active.set((*_active.get(), counts))
    try:
        yield counts
    finally:
        _active.reset(token)


def record(query: str, counters: Any) -> None:
    """Add a query's counters to every count open in this context (none: nothing to do)."""
    for counts in _active.get():
        counts.add(query, counters)
