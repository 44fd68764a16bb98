"""Write counters: summed per unit of work, per query, only for the context that counts."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from graph import write_counts


def counters(**found: int) -> SimpleNamespace:
    return SimpleNamespace(**{c: found.get(c, 0) for c in write_counts.COUNTERS})


def test_counts_sum_per_query_and_skip_queries_that_wrote_nothing() -> None:
    with write_counts.counting() as counts:
        write_counts.record("a", counters(properties_set=2, nodes_created=1))
        write_counts.record("a", counters(properties_set=3))
        write_counts.record("b", counters())
    assert counts.total == {"properties_set": 5, "nodes_created": 1}
    assert counts.by_query == {"a": {"properties_set": 5, "nodes_created": 1}}
    assert counts.updates == 6
    assert counts.describe(per_query=False) == "nodes_created 1, properties_set 5"
    assert (
        counts.describe()
        == "nodes_created 1, properties_set 5 (a: nodes_created 1, properties_set 5)"
    )


def test_nothing_counted_outside_a_block_and_blocks_nest() -> None:
    write_counts.record("before", counters(nodes_deleted=1))
    with write_counts.counting() as outer:
        with write_counts.counting() as inner:
            write_counts.record("x", counters(labels_added=1))
        write_counts.record("y", counters(labels_removed=1))
    write_counts.record("after", counters(nodes_deleted=1))
    assert inner.total == {"labels_added": 1}
    assert outer.total == {"labels_added": 1, "labels_removed": 1}
    assert write_counts.WriteCounts().describe() == "nothing written"


async def test_tasks_started_inside_count_and_other_tasks_do_not() -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def elsewhere() -> None:
        # Another request of the same process, running while the block is open.
        started.set()
        await release.wait()
        write_counts.record("other", counters(properties_set=7))

    other = asyncio.create_task(elsewhere())
    await started.wait()
    with write_counts.counting() as counts:

        async def child() -> None:
            write_counts.record("child", counters(relationships_created=1))

        await asyncio.gather(child(), child())
        release.set()
        await other
    assert counts.by_query == {"child": {"relationships_created": 2}}
