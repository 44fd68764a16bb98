"""A client-side rate limiter that never lets more than N requests into any window of T
seconds, for several (N, T) at once (Klaviyo's 10 a second and 150 a minute).

Why not a leaky or token bucket (aiolimiter's `AsyncLimiter`): a bucket of N that drains N
per T admits its full N at once and then keeps draining, so a window of T can see nearly
2N requests; vendors that count in fixed or sliding windows (Klaviyo: fixed 1 s and 1 min
windows) answer the second half with 429s. Here every request's completion time is kept
(a sliding-window log), and a request starts only when, for each limit, fewer than N
requests finished within the last T seconds or are still in flight. Stamping completion
rather than start keeps the limit even when the network delays one request more than the
next: the server saw each request before we stamped it.

The clock and the sleep are handed in, so tests run on virtual time.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

ClockFn = Callable[[], float]
SleepFn = Callable[[float], Awaitable[None]]

MARGIN_S = 0.001
"""Waited past a window's edge, so float rounding cannot land a request on the edge."""
POLL_S = 0.05
"""How often to look again when every slot of a window is in flight."""


@dataclass(frozen=True)
class Window:
    requests: int
    seconds: float

    def __post_init__(self) -> None:
        if self.requests < 1 or self.seconds <= 0:
            raise ValueError("a window allows at least 1 request in a positive time")


class WindowLimiter:
    """At most `requests` per `seconds` for each window, counting requests in flight."""

    def __init__(
        self,
        windows: Sequence[Window],
        *,
        clock: ClockFn = time.monotonic,
        sleep: SleepFn = asyncio.sleep,
    ) -> None:
        if not windows:
            raise ValueError("a limiter needs at least one window")
        self.windows = tuple(windows)
        self._clock = clock
        self._sleep = sleep
        self._longest = max(w.seconds for w in self.windows)
        self._stamps: list[float] = []
        """Completion times, non-decreasing."""
        self._in_flight = 0
        self.waited = 0.0
        """Seconds spent waiting for a slot, in total."""

    def wait_needed(self, now: float) -> float:
        """Seconds until a request may start; 0 when it may start now."""
        self._trim(now)
        worst = 0.0
        for window in self.windows:
            first = bisect.bisect_right(self._stamps, now - window.seconds)
            recent = len(self._stamps) - first
            excess = recent + self._in_flight - window.requests + 1
            if excess <= 0:
                continue
            if excess > recent:  # the window is full of requests still in flight
                worst = max(worst, min(POLL_S, window.seconds))
                continue
            expires = self._stamps[first + excess - 1] + window.seconds
            worst = max(worst, expires - now + MARGIN_S)
        return worst

    async def acquire(self) -> float:
        """Wait for a slot and take it; the seconds waited."""
        waited = 0.0
        while True:
            wait = self.wait_needed(self._clock())
            if wait <= 0:
                self._in_flight += 1
                self.waited += waited
                return waited
            waited += wait
            await self._sleep(wait)

    def release(self) -> None:
        """The request taken by `acquire` has finished (answered or failed)."""
        self._in_flight = max(0, self._in_flight - 1)
        now = self._clock()
        if self._stamps and now < self._stamps[-1]:
            now = self._stamps[-1]
        self._stamps.append(now)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        """`async with limiter.slot() as waited:` around one request."""
        waited = await self.acquire()
        try:
            yield waited
        finally:
            self.release()

    def _trim(self, now: float) -> None:
        cut = bisect.bisect_right(self._stamps, now - self._longest)
        if cut > 256 or cut == len(self._stamps):
            del self._stamps[:cut]
