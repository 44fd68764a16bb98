"""Proactive rate limits per destination: requests are paced below the vendor's documented
limits instead of waiting for its 429s.

Each vendor's configuration model declares its documented limits per *group* of endpoints
(`DEFAULT_RATE_LIMITS`: Klaviyo's import jobs, profile look-ups, list removals...); every
request names its group and waits in `HttpDelivery` for a slot. An operator overrides a
group's limits in the destination's configuration (a raised Braze limit, Meta's standard
tier) or turns pacing off (`proactive_rate_limits: false`, retries on 429 still apply):

    {"rate_limits": {"jobs": [{"requests": 5, "per_seconds": 1}]}}

Limiters live in a `Pacing`, keyed by vendor, base URL, credential and group: every run
of this process that uses the same account shares one budget (the scheduler's runs to
one Klaviyo account, one after another, do not each start with a fresh allowance).
Processes do not share theirs: two workers syncing to one account split its limit by
configuration (halve it in each).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Mapping, Sequence
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.rate_limit import ClockFn, SleepFn, Window, WindowLimiter

DEFAULT_GROUP = "default"


class RateLimit(BaseModel):
    """At most `requests` in any `per_seconds`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requests: int = Field(ge=1)
    per_seconds: float = Field(gt=0)

    def window(self) -> Window:
        return Window(self.requests, self.per_seconds)


def limits(*pairs: tuple[int, float]) -> tuple[RateLimit, ...]:
    """`limits((10, 1), (150, 60))`: 10 a second and 150 a minute."""
    return tuple(RateLimit(requests=n, per_seconds=s) for n, s in pairs)


class RateLimitOptions(BaseModel):
    """Mixed into a vendor's configuration model."""

    DEFAULT_RATE_LIMITS: ClassVar[Mapping[str, tuple[RateLimit, ...]]] = {DEFAULT_GROUP: ()}
    """The vendor's documented limits per group; an empty tuple paces nothing."""

    proactive_rate_limits: bool = True
    rate_limits: dict[str, list[RateLimit]] = Field(default_factory=dict)
    """Overrides per group; an empty list lifts the group's limits."""

    @model_validator(mode="after")
    def _known_groups(self) -> Self:
        unknown = sorted(set(self.rate_limits) - set(self.DEFAULT_RATE_LIMITS))
        if unknown:
            known = ", ".join(sorted(self.DEFAULT_RATE_LIMITS))
            raise ValueError(f"rate_limits: unknown group {unknown[0]!r} (groups: {known})")
        return self

    def effective_rate_limits(self) -> dict[str, tuple[RateLimit, ...]]:
        """The limits to pace by, per group: the documented ones with the overrides."""
        if not self.proactive_rate_limits:
            return {}
        merged = {**self.DEFAULT_RATE_LIMITS, **{k: tuple(v) for k, v in self.rate_limits.items()}}
        return {group: found for group, found in merged.items() if found}


class Pacing:
    """The limiters of a process (or of a test, on its virtual clock)."""

    def __init__(self, *, clock: ClockFn = time.monotonic, sleep: SleepFn = asyncio.sleep) -> None:
        self.clock = clock
        self.sleep = sleep
        self._limiters: dict[tuple[str, ...], tuple[tuple[RateLimit, ...], WindowLimiter]] = {}

    def limiter(
        self, key: Sequence[str], group: str, found: tuple[RateLimit, ...]
    ) -> WindowLimiter:
        """The limiter of (`key`, `group`); a new one when its limits changed."""
        full = (*key, group)
        held = self._limiters.get(full)
        if held is None or held[0] != found:
            made = WindowLimiter(
                [limit.window() for limit in found], clock=self.clock, sleep=self.sleep
            )
            held = (found, made)
            self._limiters[full] = held
        return held[1]


PROCESS_PACING = Pacing()
"""Real time, shared by every destination of this process unless one is handed in."""


def account_key(destination: str, base_url: str, credentials: Sequence[str]) -> tuple[str, ...]:
    """Names the vendor account without holding its credential."""
    digest = hashlib.sha256("\x00".join(sorted(credentials)).encode()).hexdigest()[:16]
    return (destination, base_url, digest)
