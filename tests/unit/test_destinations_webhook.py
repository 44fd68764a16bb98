"""Webhook destination against a local receiver that checks signatures and idempotency."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from activate.destinations.base import SegmentRef
from activate.destinations.delivery import RetryPolicy
from activate.destinations.webhook import (
    WebhookConfig,
    WebhookDestination,
    idempotency_key,
    sign,
    verify,
)
from tests.fakes import FakeSleep, FakeWebhook, make_member, make_members

pytestmark = pytest.mark.unit

SECRET = "whsec_5b1f0c6e9d"
SEGMENT = SegmentRef(id="seg-2", name="VIP", external_id=None)
POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, jitter=0.0)
NOW = 1_700_000_000.0


@pytest.fixture
def fake() -> Iterator[FakeWebhook]:
    with FakeWebhook(SECRET) as api:
        yield api


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


def make(fake: FakeWebhook, sleep: FakeSleep, **overrides: object) -> WebhookDestination:
    values: dict[str, object] = {
        "url": f"{fake.url}/hooks/cdp",
        "secret": SecretStr(SECRET),
        "batch_size": 10,
        **overrides,
    }
    config = WebhookConfig.model_validate(values)
    return WebhookDestination(config, policy=POLICY, sleep=sleep, clock=lambda: NOW)


@pytest.fixture
async def webhook(fake: FakeWebhook, sleep: FakeSleep) -> AsyncIterator[WebhookDestination]:
    destination = make(fake, sleep)
    yield destination
    await destination.aclose()


def test_signature_is_hmac_sha256_of_the_body() -> None:
    # RFC 4231 test case 2
    assert sign("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    assert verify(
        "Jefe", b"what do ya want for nothing?", sign("Jefe", b"what do ya want for nothing?")
    )
    assert not verify("Jefe", b"tampered", sign("Jefe", b"what do ya want for nothing?"))


async def test_batches_are_signed_sequenced_and_keyed(
    webhook: WebhookDestination, fake: FakeWebhook
) -> None:
    await webhook.begin(SEGMENT, "run-42")
    result = await webhook.add(SEGMENT, make_members(25))
    await webhook.finish(SEGMENT, "run-42")

    assert fake.violations == []
    assert result.sent == 25
    assert fake.sequences == [1, 2, 3]
    documents = [r.json() for r in fake.requests]
    assert [len(d["members"]) for d in documents] == [10, 10, 5]
    assert documents[0]["segment"] == {"id": "seg-2", "name": "VIP", "external_id": None}
    assert documents[0]["action"] == "add" and documents[0]["run_id"] == "run-42"
    assert documents[0]["members"][0]["email"] == "User.0@Example.com"
    assert documents[0]["members"][0]["attributes"] == {"clv_12m": 120.5, "churn_risk": "low"}
    keys = [r.headers["idempotency-key"] for r in fake.requests]
    assert keys == [idempotency_key("run-42", "seg-2", "add", n) for n in (1, 2, 3)]
    assert fake.requests[0].headers["x-cdp-timestamp"] == str(int(NOW))
    assert fake.members["seg-2"] == {m.pid for m in make_members(25)}


async def test_batches_split_by_body_size(fake: FakeWebhook, sleep: FakeSleep) -> None:
    destination = make(fake, sleep, batch_size=1000, max_body_bytes=5_000)
    try:
        result = await destination.add(SEGMENT, make_members(60))
    finally:
        await destination.aclose()
    assert result.sent == 60
    assert len(fake.requests) > 1
    assert all(len(r.body) <= 5_000 for r in fake.requests)


async def test_remove_sends_pids_only_and_continues_the_sequence(
    webhook: WebhookDestination, fake: FakeWebhook
) -> None:
    await webhook.begin(SEGMENT, "run-1")
    await webhook.add(SEGMENT, make_members(3))
    result = await webhook.remove(SEGMENT, make_members(2))
    assert result.sent == 2
    document = fake.requests[-1].json()
    assert document["action"] == "remove" and document["sequence"] == 2
    assert document["members"] == [{"pid": "p000000"}, {"pid": "p000001"}]
    assert fake.members["seg-2"] == {"p000002"}


async def test_retry_after_500_reuses_key_and_signature(
    webhook: WebhookDestination, fake: FakeWebhook, sleep: FakeSleep
) -> None:
    fake.inject(500)
    await webhook.begin(SEGMENT, "run-7")
    result = await webhook.add(SEGMENT, make_members(3))

    assert result.sent == 3 and sleep.delays == [0.5]
    first, retry = fake.requests
    assert first.headers["idempotency-key"] == retry.headers["idempotency-key"]
    assert first.headers["x-cdp-signature"] == retry.headers["x-cdp-signature"]
    assert first.body == retry.body


async def test_rerun_of_the_same_run_reuses_keys_and_the_receiver_dedupes(
    fake: FakeWebhook, sleep: FakeSleep
) -> None:
    for _ in range(2):
        destination = make(fake, sleep)
        await destination.begin(SEGMENT, "run-9")
        result = await destination.add(SEGMENT, make_members(12))
        await destination.aclose()
        assert result.sent == 12
    keys = [r.headers["idempotency-key"] for r in fake.requests]
    assert keys[:2] == keys[2:]
    assert fake.sequences == [1, 2]  # the second delivery was recognised


async def test_429_honours_retry_after(
    webhook: WebhookDestination, fake: FakeWebhook, sleep: FakeSleep
) -> None:
    fake.inject(429, retry_after="6")
    assert (await webhook.add(SEGMENT, make_members(2))).sent == 2
    assert sleep.delays == [6.0]


async def test_permanent_400_and_refused_rows_are_reported(
    webhook: WebhookDestination, fake: FakeWebhook
) -> None:
    fake.inject(400, body={"error": "schema"})
    fake.refuse = {"p000011"}
    result = await webhook.add(SEGMENT, make_members(12))
    assert result.sent == 1
    assert len(result.failed) == 11
    refused = result.failed[-1]
    assert refused.pid == "p000011" and "example.com" not in refused.reason


async def test_no_secret_or_personal_data_in_logs(
    webhook: WebhookDestination, fake: FakeWebhook, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.inject(429, retry_after="1")
    fake.inject(503)
    fake.inject(400, body={"error": f"bad signature for secret {SECRET}"})
    result = await webhook.add(SEGMENT, make_members(12))
    assert "retrying" in caplog.text
    assert SECRET not in json.dumps([e.reason for e in result.failed])
    for secret in (SECRET, "example.com", "7700900"):
        assert secret not in caplog.text


async def test_invalid_members_without_pid(webhook: WebhookDestination) -> None:
    result = await webhook.add(SEGMENT, [make_member(1), make_member(2, pid="")])
    assert result.sent == 1 and [e.reason for e in result.invalid] == ["missing pid"]
