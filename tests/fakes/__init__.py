"""Local fakes for unit tests: HTTP servers playing vendor APIs, a fake sleep, factories."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from activate.destinations.base import Member
from tests.fakes.attentive import FakeAttentive
from tests.fakes.braze import FakeBraze
from tests.fakes.google import FakeGoogle
from tests.fakes.klaviyo import FakeKlaviyo
from tests.fakes.meta import FakeMeta
from tests.fakes.server import FakeApi, Reply, Request, Violation
from tests.fakes.webhook import FakeWebhook

__all__ = [
    "FakeApi",
    "FakeAttentive",
    "FakeBraze",
    "FakeGoogle",
    "FakeKlaviyo",
    "FakeMeta",
    "FakeSleep",
    "FakeWebhook",
    "Reply",
    "VirtualClock",
    "Request",
    "Violation",
    "make_member",
    "make_members",
]


class FakeSleep:
    """Stands in for asyncio.sleep: records each delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


class VirtualClock:
    """Time that passes only when slept: a sleep advances it and returns at once. Hand
    `now` to a fake that enforces rate limits and `sleep` to the client, and a sync that
    would take minutes runs in milliseconds, with every wait accounted for."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.time = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += max(0.0, seconds)
        await asyncio.sleep(0)


def make_member(i: int, **overrides: Any) -> Member:
    member = Member(
        pid=f"p{i:06d}",
        email=f"User.{i}@Example.com",
        phone=f"+4477009{i:05d}",
        first_name="Zoë",
        last_name="O'Brien",
        postcode="SW1A 1AA",
        country="GB",
        city="London",
        attributes={"clv_12m": 120.5 + i, "churn_risk": "low"},
    )
    return replace(member, **overrides)


def make_members(n: int, start: int = 0, **overrides: Any) -> list[Member]:
    return [make_member(i, **overrides) for i in range(start, start + n)]
