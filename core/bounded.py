"""Work over a sequence of items, a bounded number at once, in one event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


async def each_bounded(
    items: Iterable[T] | AsyncIterable[T], work: Callable[[T], Awaitable[None]], limit: int
) -> None:
    """Run `work(item)` for every item, at most `limit` at once; return when all are done.

    Items are taken lazily, only when there is room: at most `limit` are held at a time.
    The first failure is raised once the others running beside it have ended (none is left
    running unowned, and every failure is read); no item is taken once it is seen.
    """
    room = max(1, limit)
    pending: set[asyncio.Task[None]] = set()
    source: AsyncIterator[T] = aiter(items) if isinstance(items, AsyncIterable) else _aiter(items)
    try:
        while True:
            while len(pending) >= room:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                _raise_first(done)
            try:
                item = await anext(source)
            except StopAsyncIteration:
                break
            pending.add(asyncio.create_task(_run(work, item)))
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            _raise_first(done)
    finally:
        if pending:
            await asyncio.wait(pending)
            for task in pending:
                if not task.cancelled():
                    task.exception()
        # A generator left early is closed here, not by the garbage collector.
        close = getattr(source, "aclose", None)
        if close is not None:
            await close()


async def _run(work: Callable[[T], Awaitable[None]], item: T) -> None:
    await work(item)


async def _aiter(items: Iterable[T]) -> AsyncIterator[T]:
    for item in items:
        yield item


def _raise_first(done: Iterable[asyncio.Task[None]]) -> None:
    """Raise the first failure among finished tasks, having read every one's."""
    failures = [t.exception() for t in done if not t.cancelled()]
    for failure in failures:
        if failure is not None:
            raise failure
