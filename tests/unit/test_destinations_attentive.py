"""Attentive destination against a local fake of its REST API v1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from activate.destinations.attentive import (
    AttentiveConfig,
    AttentiveDestination,
    membership_attribute,
)
from activate.destinations.base import DestinationAuthError, Member, SegmentRef
from activate.destinations.delivery import RetryPolicy
from activate.destinations.limits import Pacing
from tests.fakes import (
    FakeAttentive,
    FakeSleep,
    Request,
    VirtualClock,
    make_member,
    make_members,
)

pytestmark = pytest.mark.unit

API_KEY = "attentive-key-5c2f9e"
SEGMENT = SegmentRef(id="seg-7", name="Churn risk", external_id="churn_risk_high")
ATTRIBUTE = "cdp_segment_churn_risk_high"
POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, jitter=0.0)
OPTED_IN = {"sms": True}


@pytest.fixture
def fake() -> Iterator[FakeAttentive]:
    with FakeAttentive(API_KEY) as api:
        yield api


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


def config(url: str, **overrides: object) -> AttentiveConfig:
    fields: dict[str, object] = {
        "api_key": SecretStr(API_KEY),
        "base_url": url,
        "sign_up_source_id": "12345",
    }
    fields.update(overrides)
    return AttentiveConfig.model_validate(fields)


@pytest.fixture
async def attentive(fake: FakeAttentive, sleep: FakeSleep) -> AsyncIterator[AttentiveDestination]:
    destination = AttentiveDestination(config(fake.url), policy=POLICY, sleep=sleep)
    yield destination
    await destination.aclose()


def opted_in(n: int, start: int = 0) -> list[Member]:
    return make_members(n, start, consents=OPTED_IN)


def bodies(fake: FakeAttentive, path: str) -> list[dict[str, Any]]:
    """The JSON bodies POSTed to `path`, in order."""
    return [r.json() for r in fake.requests if r.method == "POST" and r.path == path]


def calls(fake: FakeAttentive, since: int = 0) -> list[str]:
    return [f"{r.method} {r.path}" for r in fake.requests[since:]]


def phones_sent(fake: FakeAttentive) -> set[str]:
    """Every phone any request named, in a body or a query."""
    found: set[str] = set()
    for r in fake.requests:
        found.update(r.query.get("phone", []))
        if r.body:
            found.add(r.json()["user"]["phone"])
    return found


def is_subscribe(r: Request) -> bool:
    return r.method == "POST" and r.path == "/v1/subscriptions"


async def test_a_member_without_a_recorded_sms_opt_in_is_never_sent(
    attentive: AttentiveDestination, fake: FakeAttentive
) -> None:
    members = [
        make_member(0, consents={"sms": True}),
        make_member(1),  # nothing recorded
        make_member(2, consents={"sms": False}),  # refused
        make_member(3, consents={"email": True}),  # another channel's opt-in
    ]
    result = await attentive.add(SEGMENT, members)
    update = await attentive.update(SEGMENT, members)

    assert result.sent == 1 and update.sent == 1
    reasons = {e.pid: e.reason for e in result.invalid}
    assert reasons == {pid: "no recorded SMS opt-in" for pid in ("p000001", "p000002", "p000003")}
    assert phones_sent(fake) == {"+447700900000"}
    assert set(fake.subscribed) == {"+447700900000"}
    assert fake.violations == []


async def test_add_subscribes_through_the_sign_up_source_then_sets_membership(
    attentive: AttentiveDestination, fake: FakeAttentive
) -> None:
    result = await attentive.add(SEGMENT, opted_in(2))

    assert result.sent == 2 and result.failed == [] and result.invalid == []
    assert (
        calls(fake)
        == [
            "GET /v1/subscriptions",
            "POST /v1/subscriptions",
            "POST /v1/attributes/custom",
        ]
        * 2
    )
    assert fake.requests[0].query == {"phone": ["+447700900000"]}
    assert {r.headers["authorization"] for r in fake.requests} == {f"Bearer {API_KEY}"}
    # Only the phone: a sign-up unit that also collects email must not subscribe it.
    assert bodies(fake, "/v1/subscriptions")[0] == {
        "user": {"phone": "+447700900000"},
        "signUpSourceId": "12345",
    }
    assert bodies(fake, "/v1/attributes/custom")[0] == {
        "user": {"phone": "+447700900000"},
        "properties": {"clv_12m": 120.5, "churn_risk": "low", ATTRIBUTE: True},
    }
    assert fake.members_of(ATTRIBUTE) == {"+447700900000", "+447700900001"}
    assert fake.violations == []


async def test_subscription_type_and_locale_instead_of_a_sign_up_source(
    fake: FakeAttentive, sleep: FakeSleep
) -> None:
    cfg = config(
        fake.url,
        sign_up_source_id=None,
        subscription_type="MARKETING",
        locale={"language": "en", "country": "US"},
    )
    destination = AttentiveDestination(cfg, sleep=sleep)
    result = await destination.add(SEGMENT, opted_in(1))
    await destination.aclose()

    assert result.sent == 1 and fake.violations == []
    assert bodies(fake, "/v1/subscriptions") == [
        {
            "user": {"phone": "+447700900000"},
            "subscriptionType": "MARKETING",
            "locale": {"language": "en", "country": "US"},
        }
    ]


def test_the_config_names_one_way_to_subscribe() -> None:
    with pytest.raises(ValidationError, match="sign_up_source_id, or both"):
        AttentiveConfig(api_key=SecretStr(API_KEY))
    with pytest.raises(ValidationError, match="sign_up_source_id, or both"):
        config("http://x", sign_up_source_id=None, subscription_type="MARKETING")
    with pytest.raises(ValidationError, match="not both"):
        config(
            "http://x", subscription_type="MARKETING", locale={"language": "en", "country": "US"}
        )


async def test_update_never_subscribes_again(
    attentive: AttentiveDestination, fake: FakeAttentive
) -> None:
    await attentive.add(SEGMENT, opted_in(1))
    sent = len(fake.requests)
    result = await attentive.update(SEGMENT, opted_in(1))

    assert result.sent == 1
    assert calls(fake, sent) == ["POST /v1/attributes/custom"]
    assert fake.repeat_texts == 0


async def test_a_member_already_subscribed_is_not_subscribed_again(
    attentive: AttentiveDestination, fake: FakeAttentive
) -> None:
    await attentive.add(SEGMENT, opted_in(1))
    other = SegmentRef(id="seg-8", name="VIP", external_id="vip")
    sent = len(fake.requests)
    # A second segment, or the same one rejoined: the lookup finds the subscription.
    result = await attentive.add(other, opted_in(1))

    assert result.sent == 1 and fake.violations == []
    assert calls(fake, sent) == ["GET /v1/subscriptions", "POST /v1/attributes/custom"]
    assert fake.repeat_texts == 0
    assert fake.members_of("cdp_segment_vip") == {"+447700900000"}


async def test_without_the_lookup_every_add_subscribes(
    fake: FakeAttentive, sleep: FakeSleep
) -> None:
    destination = AttentiveDestination(config(fake.url, check_existing=False), sleep=sleep)
    await destination.add(SEGMENT, opted_in(1))
    await destination.add(SEGMENT, opted_in(1))
    await destination.aclose()

    assert "GET /v1/subscriptions" not in calls(fake)
    assert fake.repeat_texts == 1  # what check_existing is there to prevent


async def test_removal_sets_the_attribute_false_and_keeps_the_subscription(
    attentive: AttentiveDestination, fake: FakeAttentive
) -> None:
    await attentive.add(SEGMENT, opted_in(2))
    sent = len(fake.requests)
    # Left the segment; nothing recorded about SMS any more is not an opt-out.
    result = await attentive.remove(SEGMENT, [make_member(0), make_member(1, phone=None)])

    assert result.sent == 1
    assert [(e.pid, e.reason) for e in result.invalid] == [("p000001", "no E.164 phone")]
    assert calls(fake, sent) == ["POST /v1/attributes/custom"]
    assert fake.requests[sent].json() == {
        "user": {"phone": "+447700900000"},
        "properties": {ATTRIBUTE: False},
    }
    assert fake.members_of(ATTRIBUTE) == {"+447700900001"}
    assert "+447700900000" in fake.subscribed


async def test_a_recorded_opt_out_unsubscribes_from_marketing_texts(
    attentive: AttentiveDestination, fake: FakeAttentive
) -> None:
    await attentive.add(SEGMENT, opted_in(1))
    sent = len(fake.requests)
    result = await attentive.remove(SEGMENT, [make_member(0, consents={"sms": False})])

    assert result.sent == 1 and fake.violations == []
    assert calls(fake, sent) == [
        "POST /v1/subscriptions/unsubscribe",
        "POST /v1/attributes/custom",
    ]
    assert fake.requests[sent].json() == {
        "user": {"phone": "+447700900000"},
        "subscriptions": [{"type": "MARKETING", "channel": "TEXT"}],
    }
    assert fake.unsubscribed == {"+447700900000"}
    assert fake.members_of(ATTRIBUTE) == set()


async def test_auth_failure_fails_the_run_at_once(fake: FakeAttentive, sleep: FakeSleep) -> None:
    destination = AttentiveDestination(
        config(fake.url, api_key=SecretStr("wrong-key-000000")), policy=POLICY, sleep=sleep
    )
    with pytest.raises(DestinationAuthError) as raised:
        await destination.add(SEGMENT, opted_in(3))
    await destination.aclose()

    assert raised.value.status == 401
    assert len(fake.requests) == 1  # no retry, no further member
    assert "wrong-key-000000" not in str(raised.value)


async def test_a_403_fails_the_run_too(
    attentive: AttentiveDestination, fake: FakeAttentive
) -> None:
    fake.inject(403, body={"message": "Access Denied"})
    with pytest.raises(DestinationAuthError):
        await attentive.add(SEGMENT, opted_in(2))
    assert len(fake.requests) == 1


async def test_429_is_retried_with_backoff(
    attentive: AttentiveDestination, fake: FakeAttentive, sleep: FakeSleep
) -> None:
    fake.inject(
        429,
        times=2,
        body={"message": "Too Many Requests"},
        headers={"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0"},
        when=is_subscribe,
    )
    result = await attentive.add(SEGMENT, opted_in(1))

    assert result.sent == 1 and result.failed == []
    assert calls(fake) == [
        "GET /v1/subscriptions",
        *["POST /v1/subscriptions"] * 3,
        "POST /v1/attributes/custom",
    ]
    assert [d for d in sleep.delays if d >= 0.5] == [0.5, 1.0]  # exponential, no Retry-After


async def test_429_that_outlives_the_retries_fails_the_rest_as_retryable(
    attentive: AttentiveDestination, fake: FakeAttentive
) -> None:
    fake.inject(429, times=POLICY.max_attempts, body={"message": "Too Many Requests"})
    result = await attentive.add(SEGMENT, opted_in(3))

    assert result.sent == 0
    assert [e.pid for e in result.failed] == ["p000000", "p000001", "p000002"]
    assert all(e.retryable for e in result.failed)
    assert len(fake.requests) == POLICY.max_attempts


async def test_a_400_fails_that_member_only(
    attentive: AttentiveDestination, fake: FakeAttentive
) -> None:
    fake.inject(
        400,
        body={"message": "Invalid parameter in request query or body: +447700900001"},
        when=lambda r: is_subscribe(r) and r.json()["user"]["phone"] == "+447700900001",
    )
    result = await attentive.add(SEGMENT, opted_in(3))

    assert result.sent == 2
    assert [(e.pid, e.retryable) for e in result.failed] == [("p000001", False)]
    assert "HTTP 400" in result.failed[0].reason
    assert "+447700900001" not in result.failed[0].reason
    assert fake.members_of(ATTRIBUTE) == {"+447700900000", "+447700900002"}


async def test_requests_are_paced_below_the_documented_limits(fake: FakeAttentive) -> None:
    clock = VirtualClock()
    destination = AttentiveDestination(
        config(fake.url),
        sleep=clock.sleep,
        pacing=Pacing(clock=clock.now, sleep=clock.sleep),
    )
    fake.enforce_rate = True
    fake.clock = clock.now
    result = await destination.add(SEGMENT, opted_in(25))
    await destination.aclose()

    assert result.sent == 25 and result.failed == []
    assert fake.faults_served == 0 and fake.violations == []
    assert clock.now() - 1_000.0 >= 2.0  # 25 subscribes at 10 a second take two seconds


async def test_unpaced_requests_are_throttled_then_retried(fake: FakeAttentive) -> None:
    clock = VirtualClock()
    destination = AttentiveDestination(
        config(fake.url, proactive_rate_limits=False),
        policy=POLICY,
        sleep=clock.sleep,
        pacing=Pacing(clock=clock.now, sleep=clock.sleep),
    )
    fake.enforce_rate = True
    fake.clock = clock.now
    result = await destination.add(SEGMENT, opted_in(25))
    await destination.aclose()

    assert result.sent == 25 and result.failed == []
    assert fake.throttled > 0  # 429s, retried with backoff (Attentive sends no Retry-After)
    assert len(fake.subscribed) == 25


async def test_arrays_are_not_sent_as_attributes(
    attentive: AttentiveDestination, fake: FakeAttentive
) -> None:
    member = make_member(0, consents=OPTED_IN, attributes={"tags": ["a", "b"], "clv_12m": 3.5})
    result = await attentive.add(SEGMENT, [member])

    assert result.sent == 1 and fake.violations == []
    assert bodies(fake, "/v1/attributes/custom")[0]["properties"] == {
        "clv_12m": 3.5,
        ATTRIBUTE: True,
    }


def test_membership_attribute_is_a_safe_name() -> None:
    assert membership_attribute("cdp_segment", "vip list!") == "cdp_segment_vip_list"
    assert len(membership_attribute("cdp_segment", "x" * 500)) == 200
