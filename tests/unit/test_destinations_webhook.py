"""Webhook destination against a local receiver that verifies Standard Webhooks
signatures (written from the specification, independently of the `standardwebhooks`
package the destination signs with) and dedupes on webhook-id."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr, ValidationError

from activate.destinations.base import DestinationAuthError, DestinationConfigError, SegmentRef
from activate.destinations.delivery import RetryPolicy
from activate.destinations.webhook import (
    InvalidSecret,
    WebhookConfig,
    WebhookDestination,
    idempotency_key,
    new_secret,
    sign,
    signing_keys,
    verify,
)
from activate.errors import InvalidDestinationConfig
from activate.receiver import LocalReceiver
from activate.sync.registry import parse_spec
from tests.fakes import FakeSleep, FakeWebhook, make_member, make_members
from tests.fakes.webhook import spec_signature

pytestmark = pytest.mark.unit

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"an older secret, still accepted").decode()
SEGMENT = SegmentRef(id="seg-2", name="VIP", external_id=None)
POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, jitter=0.0)
NOW = 1_700_000_000.0

# The specification's published example (standard-webhooks, libraries' test suites).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.fixture
def fake() -> Iterator[FakeWebhook]:
    with FakeWebhook(SECRET, now=lambda: NOW) as api:
        yield api


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


def make(fake: FakeWebhook, sleep: FakeSleep, **overrides: object) -> WebhookDestination:
    values: dict[str, object] = {
        "url": f"{fake.url}/hooks/cdp",
        "allow_http": True,
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


def test_signature_matches_the_specification_example() -> None:
    keys = signing_keys(SPEC_SECRET)
    assert sign(keys, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    assert verify(keys, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY, SPEC_SIGNATURE)
    assert verify(keys, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY, f"v1a,xyz v2,abc {SPEC_SIGNATURE}")
    assert not verify(keys, SPEC_ID, SPEC_TIMESTAMP, b'{"test": 2432232315}', SPEC_SIGNATURE)
    assert not verify(keys, SPEC_ID, SPEC_TIMESTAMP + 1, SPEC_BODY, SPEC_SIGNATURE)
    assert not verify(keys, "msg_other", SPEC_TIMESTAMP, SPEC_BODY, SPEC_SIGNATURE)
    # The independent implementation of the fake agrees.
    assert spec_signature(SPEC_SECRET, SPEC_ID, str(SPEC_TIMESTAMP), SPEC_BODY) == (
        SPEC_SIGNATURE.removeprefix("v1,")
    )


def test_every_active_secret_signs_newest_first() -> None:
    keys = signing_keys(f"{SECRET}  {OLD_SECRET}")
    header = sign(keys, "msg_1", 1, b"{}")
    new, old = header.split(" ")
    assert new == sign(signing_keys(SECRET), "msg_1", 1, b"{}")
    assert old == sign(signing_keys(OLD_SECRET), "msg_1", 1, b"{}")
    assert verify(signing_keys(OLD_SECRET), "msg_1", 1, b"{}", header)


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("", "no signing secret"),
        ("s3cret-for-test-but-long-enough-to-pass", "does not start with whsec_"),
        ("whsec_not*base64", "not base64"),
        ("whsec_" + base64.b64encode(b"23 bytes is not enough.").decode(), "23 bytes"),
        ("whsec_" + base64.b64encode(bytes(65)).decode(), "65 bytes"),
        (f"{SECRET} whsec_c2hvcnQ=", "secret 2 is 5 bytes"),
    ],
)
def test_secrets_below_the_minimum_are_refused(secret: str, problem: str) -> None:
    with pytest.raises(InvalidSecret, match=problem) as caught:
        signing_keys(secret)
    if secret:
        assert secret.split()[-1] not in str(caught.value)
    with pytest.raises(DestinationConfigError, match=problem):
        WebhookDestination(
            WebhookConfig(url="https://hooks.example.com/x", secret=SecretStr(secret))
        )


def test_new_secret_is_accepted() -> None:
    assert len(signing_keys(new_secret())[0]) == 32


@pytest.mark.parametrize(
    ("url", "allow_http", "ok"),
    [
        ("https://hooks.example.com/cdp", False, True),
        ("http://hooks.example.com/cdp", False, False),
        ("http://hooks.example.com/cdp", True, False),
        ("http://10.0.0.5:8080/cdp", True, False),
        ("http://127.0.0.1:8080/cdp", False, False),
        ("http://127.0.0.1:8080/cdp", True, True),
        ("http://localhost:8080/cdp", True, True),
        ("http://[::1]:8080/cdp", True, True),
        ("ftp://127.0.0.1/cdp", True, False),
        ("hooks.example.com/cdp", False, False),
    ],
)
def test_https_is_required_unless_http_is_allowed_for_a_local_receiver(
    url: str, allow_http: bool, ok: bool
) -> None:
    values = {"url": url, "secret": SecretStr(SECRET), "allow_http": allow_http}
    config = {"url": url, "secret_ref": "hook", "allow_http": allow_http}
    if ok:
        WebhookConfig.model_validate(values)
        parse_spec("h", "webhook", config)
    else:
        with pytest.raises(ValidationError):
            WebhookConfig.model_validate(values)
        with pytest.raises(InvalidDestinationConfig, match="url"):
            parse_spec("h", "webhook", config)


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
    keys = [idempotency_key("run-42", "seg-2", "add", n) for n in (1, 2, 3)]
    assert [r.headers["idempotency-key"] for r in fake.requests] == keys
    assert [r.headers["webhook-id"] for r in fake.requests] == [f"msg_{k}" for k in keys]
    first = fake.requests[0]
    assert first.headers["webhook-timestamp"] == str(int(NOW))
    assert first.headers["webhook-signature"] == sign(
        signing_keys(SECRET), f"msg_{keys[0]}", int(NOW), first.body
    )
    assert "x-cdp-signature" not in first.headers
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


async def test_retry_keeps_the_id_and_body_and_signs_its_own_time(
    fake: FakeWebhook, sleep: FakeSleep
) -> None:
    """A retry after a long wait would fall outside the receiver's five-minute window
    if it carried the first attempt's timestamp."""

    def now() -> float:
        return NOW + sum(sleep.delays)

    fake.now = now
    fake.inject(503, retry_after="400")
    policy = RetryPolicy(max_attempts=4, base_delay=0.5, jitter=0.0, max_retry_after=600)
    destination = WebhookDestination(
        WebhookConfig(url=f"{fake.url}/hooks/cdp", secret=SecretStr(SECRET), allow_http=True),
        policy=policy,
        sleep=sleep,
        clock=now,
    )
    await destination.begin(SEGMENT, "run-7")
    result = await destination.add(SEGMENT, make_members(3))
    await destination.aclose()

    assert result.sent == 3 and sleep.delays == [400.0]
    assert fake.violations == []
    first, retry = fake.requests
    assert first.headers["webhook-id"] == retry.headers["webhook-id"]
    assert first.headers["idempotency-key"] == retry.headers["idempotency-key"]
    assert first.body == retry.body
    assert int(retry.headers["webhook-timestamp"]) == int(first.headers["webhook-timestamp"]) + 400
    assert first.headers["webhook-signature"] != retry.headers["webhook-signature"]


async def test_rotation_both_secrets_sign_so_either_receiver_accepts(
    sleep: FakeSleep,
) -> None:
    for accepted in (SECRET, OLD_SECRET):
        with FakeWebhook(accepted, now=lambda: NOW) as receiver:
            destination = make(receiver, sleep, secret=SecretStr(f"{SECRET} {OLD_SECRET}"))
            result = await destination.add(SEGMENT, make_members(2))
            await destination.aclose()
            assert result.sent == 2 and receiver.violations == []
            assert len(receiver.requests[0].headers["webhook-signature"].split(" ")) == 2
    with FakeWebhook(new_secret(), now=lambda: NOW) as stranger:
        destination = make(stranger, sleep)
        with pytest.raises(DestinationAuthError, match="401"):
            await destination.add(SEGMENT, make_members(2))
        await destination.aclose()
        assert stranger.violations == ["POST /hooks/cdp: bad signature"]


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


# The receiver (ours, for the demo and for whoever copies it) ------------------------


def signed_request(
    body: bytes, *, msg_id: str = "msg_1", at: float = NOW, secret: str = SECRET
) -> dict[str, str]:
    stamp = int(at)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(signing_keys(secret), msg_id, stamp, body),
    }


BODY = json.dumps({"segment": {"id": "s"}, "action": "add", "members": [{"pid": "a"}]}).encode()


def test_receiver_verifies_signatures_and_refuses_replays_outside_its_window() -> None:
    clock = [NOW]
    receiver = LocalReceiver([SECRET, OLD_SECRET], clock=lambda: clock[0])
    path = receiver.path
    headers = signed_request(BODY)
    assert receiver.accept(path, headers, BODY) == 200
    assert receiver.members["s"] == {"a"} and receiver.batches == 1

    # The same request again within the window: acknowledged, not applied twice.
    receiver.members["s"].clear()
    assert receiver.accept(path, headers, BODY) == 200
    assert receiver.members["s"] == set() and receiver.duplicates == 1

    # Captured and replayed later: outside the window, refused.
    clock[0] = NOW + 301
    assert receiver.accept(path, headers, BODY) == 401
    # A replay with a fresh timestamp but the old signature: refused.
    replay = {**headers, "webhook-timestamp": str(int(clock[0]))}
    assert receiver.accept(path, replay, BODY) == 401
    # From the future, beyond the tolerance: refused.
    future = signed_request(BODY, msg_id="msg_2", at=clock[0] + 301)
    assert receiver.accept(path, future, BODY) == 401
    # Signed with the older secret still active: accepted.
    older = signed_request(BODY, msg_id="msg_3", at=clock[0], secret=OLD_SECRET)
    assert receiver.accept(path, older, BODY) == 200
    # Tampered body, unknown secret, missing headers.
    assert receiver.accept(path, signed_request(BODY, msg_id="msg_4", at=clock[0]), b"{}") == 401
    stranger = signed_request(BODY, msg_id="msg_5", at=clock[0], secret=new_secret())
    assert receiver.accept(path, stranger, BODY) == 401
    assert receiver.accept(path, {"webhook-id": "msg_6"}, BODY) == 400
    assert receiver.rejected == 6


def test_receiver_takes_what_the_specification_signs() -> None:
    receiver = LocalReceiver(SPEC_SECRET, path="/h", clock=lambda: SPEC_TIMESTAMP + 10)
    body = b'{"segment": {"id": "s"}, "action": "add", "members": []}'
    signature = spec_signature(SPEC_SECRET, SPEC_ID, str(SPEC_TIMESTAMP), body)
    headers = {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": f"v1,{signature}",
    }
    assert receiver.accept("/h", headers, body) == 200
