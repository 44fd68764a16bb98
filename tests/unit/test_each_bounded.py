"""`core.bounded.each_bounded`: work over items a bounded number at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from core.bounded import each_bounded


class Probe:
    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.running = self.most = 0
        self.taken: list[int] = []
        self.done: list[int] = []

    async def work(self, item: int) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            # Later items finish first: completion order is not taking order.
            await asyncio.sleep(0.001 * (10 - item))
            if item == 4:
                raise ValueError("item 4")
            self.done.append(item)
        finally:
            self.running -= 1

    def items(self, n: int):  # type: ignore[no-untyped-def]
        for i in range(n):
            # Taken only when there is room: never more than the limit ahead of the work.
            assert self.running < self.limit
            self.taken.append(i)
            yield i


@pytest.mark.parametrize("limit", [1, 3])
async def test_every_item_is_worked_on_and_at_most_limit_at_once(limit: int) -> None:
    probe = Probe(limit)
    await each_bounded(probe.items(4), probe.work, limit)
    assert sorted(probe.done) == [0, 1, 2, 3]
    assert probe.most == limit
    if limit > 1:
        assert probe.done != sorted(probe.done)  # they overlapped


async def test_the_first_failure_is_raised_after_the_others_end_and_nothing_more_is_taken() -> None:
    probe = Probe(3)
    with pytest.raises(ValueError, match="item 4"):
        await each_bounded(probe.items(10), probe.work, 3)
    assert probe.running == 0
    assert len(probe.taken) < 10
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_an_async_source_left_early_is_closed() -> None:
    closed: list[bool] = []

    async def source() -> AsyncIterator[int]:
        try:
            for i in range(10):
                yield i
        finally:
            closed.append(True)

    async def work(item: int) -> None:
        if item == 2:
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        await each_bounded(source(), work, 2)
    assert closed == [True]


async def test_a_limit_below_one_works_one_at_a_time() -> None:
    probe = Probe(0)
    await each_bounded(probe.items(3), probe.work, 0)
    assert probe.most == 1 and probe.done == [0, 1, 2]
