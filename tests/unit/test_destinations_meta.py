"""Meta destination against a local fake of the Custom Audience users edge."""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from pydantic import SecretStr

from activate.destinations.base import DestinationAuthError, DestinationConfigError, SegmentRef
from activate.destinations.delivery import RetryPolicy
from activate.destinations.meta import MetaConfig, MetaDestination, appsecret_proof, hashed_row
from activate.destinations.versions import META_GRAPH_VERSION
from activate.hashing import sha256_hex
from tests.fakes import FakeMeta, FakeSleep, make_member, make_members
from tests.fakes.server import Request

pytestmark = pytest.mark.unit

TOKEN = "EAAGm0PX4ZCpsBA-meta-token"
AUDIENCE = "23851234567890"
SEGMENT = SegmentRef(id="seg-3", name="Lookalike seed", external_id=AUDIENCE)
POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, jitter=0.0)


@pytest.fixture
def fake() -> Iterator[FakeMeta]:
    with FakeMeta(TOKEN) as api:
        yield api


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
async def meta(fake: FakeMeta, sleep: FakeSleep) -> AsyncIterator[MetaDestination]:
    config = MetaConfig(access_token=SecretStr(TOKEN), base_url=fake.url)
    destination = MetaDestination(config, policy=POLICY, sleep=sleep, rng=random.Random(1))
    yield destination
    await destination.aclose()


def session_of(request: Request) -> dict[str, object]:
    session: dict[str, object] = json.loads(request.form()["session"])
    return session


def rows_of(request: Request) -> list[list[str]]:
    rows: list[list[str]] = json.loads(request.form()["payload"])["data"]
    return rows


def test_rows_are_normalised_then_hashed() -> None:
    row = hashed_row(make_member(0))
    assert row == [
        sha256_hex("user.0@example.com"),
        sha256_hex("447700900000"),
        sha256_hex("zoë"),
        sha256_hex("obrien"),
        sha256_hex("sw1a1"),
        sha256_hex("london"),
        sha256_hex("gb"),
    ]
    assert hashed_row(make_member(0, phone=None, postcode=None))[1::3] == ["", ""]
    assert hashed_row(make_member(0, city=None))[5] == ""
    titled = hashed_row(make_member(0, first_name="Dr Zoë", last_name="O'Brien III"))
    assert titled[2:4] == [sha256_hex("zoë"), sha256_hex("obrien")]


async def test_10001_rows_take_two_requests_in_one_session(
    meta: MetaDestination, fake: FakeMeta
) -> None:
    result = await meta.add(SEGMENT, make_members(10_001))

    assert fake.violations == []
    assert result.sent == 10_001 and result.failed == [] and result.invalid == []
    assert [len(rows_of(r)) for r in fake.requests] == [10_000, 1]
    first, second = (session_of(r) for r in fake.requests)
    assert first["session_id"] == second["session_id"]
    assert (first["batch_seq"], first["last_batch_flag"]) == (1, False)
    assert (second["batch_seq"], second["last_batch_flag"]) == (2, True)
    assert first["estimated_num_total"] == 10_001
    assert len(fake.audiences[AUDIENCE]) == 10_001


async def test_session_spans_the_run_and_finish_closes_it(
    meta: MetaDestination, fake: FakeMeta
) -> None:
    await meta.begin(SEGMENT, "run-1")
    await meta.add(SEGMENT, make_members(3))
    await meta.add(SEGMENT, make_members(2, start=3))
    await meta.finish(SEGMENT, "run-1")

    assert fake.violations == []
    sessions = [session_of(r) for r in fake.requests]
    assert len({s["session_id"] for s in sessions}) == 1
    assert [(s["batch_seq"], s["last_batch_flag"]) for s in sessions] == [
        (1, False),
        (2, False),
        (3, True),
    ]
    assert rows_of(fake.requests[-1]) == [hashed_row(make_member(4))]  # a no-op re-add
    assert len(fake.audiences[AUDIENCE]) == 5


async def test_remove_sends_delete_with_the_same_rows(
    meta: MetaDestination, fake: FakeMeta
) -> None:
    members = make_members(4)
    await meta.add(SEGMENT, members)
    result = await meta.remove(SEGMENT, members[:3])

    assert result.sent == 3
    assert fake.requests[-1].method == "DELETE"
    assert fake.emails(AUDIENCE) == {sha256_hex("user.3@example.com")}


async def test_token_goes_in_the_body_not_the_url(meta: MetaDestination, fake: FakeMeta) -> None:
    await meta.add(SEGMENT, make_members(1))
    request = fake.requests[0]
    assert request.query == {}
    assert request.form()["access_token"] == TOKEN
    assert request.path == f"/{META_GRAPH_VERSION}/{AUDIENCE}/users"


async def test_members_without_email_or_phone_are_invalid(meta: MetaDestination) -> None:
    members = [make_member(1), make_member(2, email=None), make_member(3, email=None, phone=None)]
    result = await meta.add(SEGMENT, members)
    assert result.sent == 2
    assert [(e.pid, e.reason) for e in result.invalid] == [("p000003", "no usable email or phone")]


async def test_429_honours_retry_after(
    meta: MetaDestination, fake: FakeMeta, sleep: FakeSleep
) -> None:
    fake.inject(429, retry_after="9")
    result = await meta.add(SEGMENT, make_members(2))
    assert result.sent == 2 and sleep.delays == [9.0]
    assert fake.violations == []  # the retry reused batch_seq 1


async def test_meta_throttling_code_is_retried(
    meta: MetaDestination, fake: FakeMeta, sleep: FakeSleep
) -> None:
    fake.throttle(times=2)
    result = await meta.add(SEGMENT, make_members(2))
    assert result.sent == 2 and sleep.delays == [0.5, 1.0]


async def test_throttling_waits_as_long_as_meta_estimates(
    meta: MetaDestination, fake: FakeMeta, sleep: FakeSleep
) -> None:
    fake.throttle(regain_minutes=2)
    result = await meta.add(SEGMENT, make_members(2))
    assert result.sent == 2 and sleep.delays == [120.0]
    assert fake.violations == []


async def test_throttling_longer_than_the_policy_allows_is_not_waited_out(
    meta: MetaDestination, fake: FakeMeta, sleep: FakeSleep
) -> None:
    fake.throttle(regain_minutes=60)  # POLICY.max_retry_after is 300 s
    result = await meta.add(SEGMENT, make_members(2))
    assert result.sent == 0 and sleep.delays == []
    assert all(e.retryable for e in result.failed) and len(result.failed) == 2
    assert "rate limited, retry after 3600.0s" in result.failed[0].reason


@pytest.mark.parametrize(
    ("inject", "says"),
    [
        (FakeMeta.expire_token, "expired, revoked or invalid (code 190, subcode 463)"),
        (FakeMeta.revoke_permission, "lacks a permission (code 200)"),
    ],
)
async def test_token_and_permission_errors_fail_the_run_at_once(
    meta: MetaDestination,
    fake: FakeMeta,
    sleep: FakeSleep,
    inject: Callable[[FakeMeta], None],
    says: str,
) -> None:
    inject(fake)
    with pytest.raises(DestinationAuthError, match=re.escape(says)) as raised:
        await meta.add(SEGMENT, make_members(3))
    assert len(fake.requests) == 1 and sleep.delays == []  # no retry, no second batch
    assert TOKEN not in str(raised.value)


async def test_a_wrong_token_is_an_auth_error_not_bad_rows(
    fake: FakeMeta, sleep: FakeSleep
) -> None:
    config = MetaConfig(access_token=SecretStr("EAAG-wrong-token"), base_url=fake.url)
    destination = MetaDestination(config, policy=POLICY, sleep=sleep)
    try:
        with pytest.raises(DestinationAuthError, match="code 190"):
            await destination.add(SEGMENT, make_members(1))
    finally:
        await destination.aclose()


APP_SECRET = "3c1b8f0e6d2a4b7c9e0f1a2b3c4d5e6f"


def test_appsecret_proof_is_the_hex_hmac_sha256_of_the_token_keyed_by_the_app_secret() -> None:
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    assert appsecret_proof("what do ya want for nothing?", "Jefe") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


async def test_every_call_carries_appsecret_proof_when_the_app_requires_it(
    sleep: FakeSleep,
) -> None:
    with FakeMeta(TOKEN, app_secret=APP_SECRET) as fake:
        config = MetaConfig(
            access_token=SecretStr(TOKEN),
            app_secret=SecretStr(APP_SECRET),
            base_url=fake.url,
            batch_size=2,
        )
        destination = MetaDestination(config, policy=POLICY, sleep=sleep)
        try:
            await destination.begin(SEGMENT, "run-1")
            assert (await destination.add(SEGMENT, make_members(5))).sent == 5
            assert (await destination.remove(SEGMENT, make_members(1))).sent == 1
            await destination.finish(SEGMENT, "run-1")
        finally:
            await destination.aclose()
        assert fake.violations == [] and len(fake.requests) == 6
        proofs = {r.form()["appsecret_proof"] for r in fake.requests}
        assert proofs == {appsecret_proof(TOKEN, APP_SECRET)}
        assert all(APP_SECRET not in r.body.decode() for r in fake.requests)


@pytest.mark.parametrize(
    ("app_secret", "says"),
    [
        (None, "require an appsecret_proof argument"),
        ("not-the-app-secret-0123456789abcd", "Invalid appsecret_proof"),
    ],
)
async def test_a_missing_or_wrong_proof_fails_the_run_with_what_to_set(
    sleep: FakeSleep, app_secret: str | None, says: str
) -> None:
    with FakeMeta(TOKEN, app_secret=APP_SECRET) as fake:
        config = MetaConfig(
            access_token=SecretStr(TOKEN),
            app_secret=SecretStr(app_secret) if app_secret else None,
            base_url=fake.url,
        )
        destination = MetaDestination(config, policy=POLICY, sleep=sleep)
        try:
            with pytest.raises(DestinationAuthError, match="app_secret_ref") as raised:
                await destination.add(SEGMENT, make_members(3))
        finally:
            await destination.aclose()
        assert says in str(raised.value) and len(fake.requests) == 1
        assert app_secret is None or app_secret not in str(raised.value)


async def test_500_then_success(meta: MetaDestination, fake: FakeMeta, sleep: FakeSleep) -> None:
    fake.inject(500)
    result = await meta.add(SEGMENT, make_members(2))
    assert result.sent == 2 and sleep.delays == [0.5]


async def test_permanent_400_fails_rows_and_keeps_the_session_consistent(
    fake: FakeMeta, sleep: FakeSleep
) -> None:
    config = MetaConfig(access_token=SecretStr(TOKEN), base_url=fake.url, batch_size=2)
    destination = MetaDestination(config, sleep=sleep)
    fake.inject(400, body={"error": {"message": "Invalid parameter", "code": 100}})
    try:
        result = await destination.add(SEGMENT, make_members(5))
    finally:
        await destination.aclose()
    assert result.sent == 3
    assert [e.pid for e in result.failed] == ["p000000", "p000001"]
    assert fake.violations == []
    assert [session_of(r)["batch_seq"] for r in fake.requests] == [1, 1, 2]


async def test_missing_audience_id_is_a_config_error(meta: MetaDestination) -> None:
    with pytest.raises(DestinationConfigError):
        await meta.add(SegmentRef(id="s", name="x"), make_members(1))


async def test_no_secrets_or_personal_data_in_logs(
    meta: MetaDestination, fake: FakeMeta, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.inject(429, retry_after="1")
    fake.throttle()
    fake.inject(400, body={"error": {"message": f"bad value {TOKEN}", "code": 100}})
    failed = await meta.add(SEGMENT, make_members(3))  # 429, throttled, then a 400
    await meta.add(SEGMENT, make_members(3))
    assert "retrying" in caplog.text
    assert len(failed.failed) == 3 and TOKEN not in failed.failed[0].reason
    assert "[secret]" in failed.failed[0].reason
    for secret in (TOKEN, "example.com", sha256_hex("user.0@example.com")):
        assert secret not in caplog.text
