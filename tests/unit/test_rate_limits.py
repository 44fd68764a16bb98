"""Proactive rate limits: a sync is paced below the vendor's documented limits.

Everything runs on a virtual clock shared by the fake vendor (which enforces the limits
and answers 429 with the vendor's documented body) and the client (whose sleeps advance
it), so no assertion depends on how fast this machine is.
"""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from activate.destinations.base import SegmentRef
from activate.destinations.braze import BrazeConfig
from activate.destinations.delivery import HttpDelivery, RetryPolicy
from activate.destinations.klaviyo import KlaviyoConfig, KlaviyoDestination
from activate.destinations.limits import Pacing, RateLimit
from activate.errors import InvalidDestinationConfig
from activate.sync.registry import parse_spec
from core.rate_limit import Window, WindowLimiter
from tests.fakes import FakeApi, FakeKlaviyo, Reply, Request, VirtualClock, make_members
from tests.fakes.klaviyo import RATE_LIMITS, rate_group

pytestmark = pytest.mark.unit

API_KEY = "pk_test_4f9a1c0ffee"
SEGMENT = SegmentRef(id="seg-1", name="High CLV", external_id="Xy12Ab")
POLICY = RetryPolicy(max_attempts=6, base_delay=0.5, jitter=0.0)


def klaviyo_config(url: str, **overrides: object) -> KlaviyoConfig:
    values: dict[str, object] = {
        "api_key": SecretStr(API_KEY),
        "base_url": url,
        "poll_interval": 0.5,
        "max_profiles_per_job": 10,  # many small jobs: 50 for 500 members
        **overrides,
    }
    return KlaviyoConfig.model_validate(values)


async def sync_many_batches(**overrides: object) -> tuple[FakeKlaviyo, int]:
    """500 members in 50 import jobs (each created, polled, its profiles read: well over
    Klaviyo's 150 job requests a minute) against a fake enforcing Klaviyo's limits."""
    clock = VirtualClock()
    with FakeKlaviyo(API_KEY, now=clock.now) as fake:
        destination = KlaviyoDestination(
            klaviyo_config(fake.url, **overrides),
            policy=POLICY,
            sleep=clock.sleep,
            pacing=Pacing(clock=clock.now, sleep=clock.sleep),
        )
        try:
            result = await destination.add(SEGMENT, make_members(500))
        finally:
            await destination.aclose()
    assert result.failed == [] and result.invalid == []
    assert fake.violations == []
    assert len(fake.members("Xy12Ab")) == 500
    return fake, result.sent


async def test_a_paced_sync_is_never_throttled() -> None:
    fake, sent = await sync_many_batches()
    jobs = [r for r in fake.requests if rate_group(r) == "jobs"]
    assert sent == 500 and len(jobs) > RATE_LIMITS["jobs"][1]  # over one minute's budget
    assert fake.throttled == 0


async def test_without_pacing_the_fake_throttles_and_retries_still_deliver() -> None:
    fake, sent = await sync_many_batches(proactive_rate_limits=False)
    assert sent == 500
    assert fake.throttled > 0  # 429 "throttled" answers, each retried after Retry-After


async def test_a_configured_limit_replaces_the_documented_one() -> None:
    # Half the documented burst: still no 429 from the fake.
    fake, sent = await sync_many_batches(
        rate_limits={
            "jobs": [{"requests": 5, "per_seconds": 1}, {"requests": 150, "per_seconds": 60}]
        }
    )
    assert sent == 500 and fake.throttled == 0


def test_rate_limit_overrides_are_validated() -> None:
    with pytest.raises(ValidationError, match="unknown group 'job'"):
        klaviyo_config("http://x.invalid", rate_limits={"job": []})
    with pytest.raises(ValidationError):
        klaviyo_config(
            "http://x.invalid", rate_limits={"jobs": [{"requests": 0, "per_seconds": 1}]}
        )
    with pytest.raises(InvalidDestinationConfig, match="unknown group"):
        parse_spec(
            "k1",
            "klaviyo",
            {"secret_ref": "k", "base_url": "http://x.invalid", "rate_limits": {"nope": []}},
        )
    lifted = BrazeConfig.model_validate(
        {"api_key": "k", "base_url": "http://x.invalid", "rate_limits": {"users_track": []}}
    )
    assert lifted.effective_rate_limits() == {}
    documented = BrazeConfig.model_validate({"api_key": "k", "base_url": "http://x.invalid"})
    assert documented.effective_rate_limits() == {
        "users_track": (RateLimit(requests=3000, per_seconds=3),)
    }


async def test_window_limiter_keeps_every_window_and_counts_requests_in_flight() -> None:
    clock = VirtualClock(start=0.0)
    limiter = WindowLimiter([Window(3, 1.0), Window(5, 10.0)], clock=clock.now, sleep=clock.sleep)
    starts: list[float] = []
    for _ in range(11):
        async with limiter.slot():
            starts.append(clock.now())
    for i, t in enumerate(starts):
        assert sum(1 for u in starts[: i + 1] if u > t - 1.0) <= 3
        assert sum(1 for u in starts[: i + 1] if u > t - 10.0) <= 5
    # A slot held open blocks the window as a finished request would.
    one = WindowLimiter([Window(1, 1.0)], clock=clock.now, sleep=clock.sleep)
    await one.acquire()
    assert one.wait_needed(clock.now()) > 0
    one.release()
    assert one.wait_needed(clock.now() + 1.01) == 0


class Counting(FakeApi):
    def route(self, request: Request) -> Reply:
        return Reply(200, {"ok": True})


async def test_destinations_of_one_account_share_a_budget() -> None:
    clock = VirtualClock(start=0.0)
    pacing = Pacing(clock=clock.now, sleep=clock.sleep)
    limits = {"default": (RateLimit(requests=2, per_seconds=1),)}
    with Counting() as api:
        channels = [
            HttpDelivery(
                destination="braze",
                base_url=api.url,
                headers={"Authorization": "Bearer same-key"},
                rate_limits=limits,
                pacing=pacing,
                sleep=clock.sleep,
            )
            for _ in range(2)
        ]
        other = HttpDelivery(
            destination="braze",
            base_url=api.url,
            headers={"Authorization": "Bearer other-key"},
            rate_limits=limits,
            pacing=pacing,
            sleep=clock.sleep,
        )
        for channel in channels:
            for _ in range(2):
                await channel.request("GET", "/x", op="x")
        assert clock.now() >= 1.0  # the second channel waited for the first one's budget
        before = clock.now()
        await other.request("GET", "/x", op="x")
        assert clock.now() == before  # another account's budget is its own
        for channel in (*channels, other):
            await channel.aclose()
