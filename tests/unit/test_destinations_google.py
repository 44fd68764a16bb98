"""Google Data Manager destination against a local fake of audienceMembers:ingest/remove."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from activate.destinations.base import DestinationConfigError, SegmentRef
from activate.destinations.delivery import RetryPolicy
from activate.destinations.google import GoogleConfig, GoogleDestination, user_identifiers
from activate.hashing import sha256_hex
from tests.fakes import FakeGoogle, FakeSleep, make_member, make_members

pytestmark = pytest.mark.unit

TOKEN = "ya29.a0AfB_test-oauth-token"
ACCOUNT = "1234567890"
AUDIENCE = "5550001"
SEGMENT = SegmentRef(id="seg-9", name="Win-back", external_id=AUDIENCE)
POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, jitter=0.0)


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle(TOKEN, ACCOUNT) as api:
        yield api


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


def config(fake: FakeGoogle, **overrides: object) -> GoogleConfig:
    values: dict[str, object] = {
        "operating_account_id": ACCOUNT,
        "credentials": SecretStr(TOKEN),
        "base_url": fake.url,
        "customer_match_terms_accepted": True,
        "status_timeout_s": 0,  # request outcomes: test_request_status_*
        **overrides,
    }
    return GoogleConfig.model_validate(values)


@pytest.fixture
async def google(fake: FakeGoogle, sleep: FakeSleep) -> AsyncIterator[GoogleDestination]:
    destination = GoogleDestination(config(fake), policy=POLICY, sleep=sleep)
    yield destination
    await destination.aclose()


def test_identifiers_follow_the_formatting_guide() -> None:
    member = make_member(0, email="Cloudy.SanFrancisco+shop@gmail.com")
    assert user_identifiers(member) == [
        {"emailAddress": sha256_hex("cloudysanfrancisco@gmail.com")},
        {"phoneNumber": sha256_hex("+447700900000")},
        {
            "address": {
                "givenName": sha256_hex("zoë"),
                "familyName": sha256_hex("obrien"),
                "regionCode": "GB",
                "postalCode": "SW1A 1AA",
            }
        },
    ]
    # an address goes only whole
    assert user_identifiers(make_member(0, postcode=None))[2:] == []
    # titles and suffixes come off the names
    titled = user_identifiers(make_member(0, first_name="Mrs. Zoë", last_name="O'Brien Jr"))
    assert titled[2]["address"]["givenName"] == sha256_hex("zoë")
    assert titled[2]["address"]["familyName"] == sha256_hex("obrien")


async def test_10001_members_take_two_requests(google: GoogleDestination, fake: FakeGoogle) -> None:
    result = await google.add(SEGMENT, make_members(10_001))

    assert fake.violations == []
    assert result.sent == 10_001 and result.failed == [] and result.invalid == []
    assert [len(r.json()["audienceMembers"]) for r in fake.requests] == [10_000, 1]
    body = fake.requests[0].json()
    assert body["destinations"] == [
        {
            "operatingAccount": {"accountType": "GOOGLE_ADS", "accountId": ACCOUNT},
            "productDestinationId": AUDIENCE,
        }
    ]
    assert body["encoding"] == "HEX"
    assert "consent" not in body  # nothing is claimed for a whole request
    assert body["termsOfService"] == {"customerMatchTermsOfServiceStatus": "ACCEPTED"}
    assert len(fake.audiences[AUDIENCE]) == 10_001


NOT_GRANTED = {"adUserData": "CONSENT_DENIED", "adPersonalization": "CONSENT_DENIED"}


async def test_consent_nobody_recorded_is_sent_as_not_granted(
    google: GoogleDestination, fake: FakeGoogle
) -> None:
    # Email opt-in (what lets the member into a paid-media sync) is not ad consent.
    unrecorded = make_member(0, consents={"email": True})
    refused = make_member(1, consents={"ad_user_data": False, "ad_personalization": True})
    granted = make_member(2, consents={"ad_user_data": True, "ad_personalization": True})

    result = await google.add(SEGMENT, [unrecorded, refused, granted])

    assert fake.violations == [] and result.sent == 3
    sent = [m["consent"] for m in fake.requests[0].json()["audienceMembers"]]
    assert sent == [
        NOT_GRANTED,
        {"adUserData": "CONSENT_DENIED", "adPersonalization": "CONSENT_GRANTED"},
        {"adUserData": "CONSENT_GRANTED", "adPersonalization": "CONSENT_GRANTED"},
    ]
    assert fake.consents[sha256_hex("user.0@example.com")] == NOT_GRANTED


async def test_customer_match_terms_must_be_confirmed_by_the_operator(
    fake: FakeGoogle, sleep: FakeSleep
) -> None:
    assert GoogleConfig(operating_account_id=ACCOUNT).customer_match_terms_accepted is False
    destination = GoogleDestination(
        config(fake, customer_match_terms_accepted=False), policy=POLICY, sleep=sleep
    )
    try:
        with pytest.raises(DestinationConfigError, match="customer_match_terms_accepted"):
            await destination.begin(SEGMENT, "run-1")
        with pytest.raises(DestinationConfigError, match="terms of service"):
            await destination.add(SEGMENT, make_members(1))
        assert fake.requests == []
        # Taking people out of an audience needs no terms.
        assert (await destination.remove(SEGMENT, make_members(1))).sent == 1
    finally:
        await destination.aclose()


async def test_remove_posts_to_remove_without_consent(
    google: GoogleDestination, fake: FakeGoogle
) -> None:
    members = make_members(3)
    await google.add(SEGMENT, members)
    result = await google.remove(SEGMENT, members[:2])

    assert fake.violations == []
    assert result.sent == 2
    assert fake.requests[-1].path == "/v1/audienceMembers:remove"
    assert fake.audiences[AUDIENCE] == {sha256_hex("user.2@example.com")}


async def test_login_account_is_sent_when_configured(fake: FakeGoogle, sleep: FakeSleep) -> None:
    destination = GoogleDestination(config(fake, login_account_id="999"), sleep=sleep)
    try:
        await destination.add(SEGMENT, make_members(1))
    finally:
        await destination.aclose()
    login = fake.requests[0].json()["destinations"][0]["loginAccount"]
    assert login == {"accountType": "GOOGLE_ADS", "accountId": "999"}


def test_credentials_are_required(fake: FakeGoogle) -> None:
    with pytest.raises(DestinationConfigError, match="no credentials"):
        GoogleDestination(config(fake, credentials=None))
    with pytest.raises(DestinationConfigError, match="not JSON"):
        GoogleDestination(config(fake, credentials=SecretStr("{not json")))
    with pytest.raises(DestinationConfigError, match="'service_account' could not be loaded"):
        GoogleDestination(config(fake, credentials=SecretStr('{"type": "service_account"}')))
    external = '{"type": "external_account", "credential_source": {"executable": {}}}'
    with pytest.raises(DestinationConfigError, match="'external_account' are not taken"):
        GoogleDestination(config(fake, credentials=SecretStr(external)))


async def test_members_without_identifiers_are_invalid(google: GoogleDestination) -> None:
    member = make_member(2, email=None, phone=None, postcode=None)
    result = await google.add(SEGMENT, [make_member(1), member])
    assert result.sent == 1
    assert [(e.pid, e.reason) for e in result.invalid] == [
        ("p000002", "no usable email, phone or full address")
    ]


async def test_field_violations_fail_their_rows_and_the_rest_is_resent(
    google: GoogleDestination, fake: FakeGoogle
) -> None:
    fake.rejected_emails = {sha256_hex("user.1@example.com")}
    result = await google.add(SEGMENT, make_members(3))

    assert result.sent == 2
    assert [(e.pid, e.reason) for e in result.failed] == [
        ("p000001", "The email address is not allowed.")
    ]
    assert [len(r.json()["audienceMembers"]) for r in fake.requests] == [3, 2]
    assert fake.audiences[AUDIENCE] == {
        sha256_hex("user.0@example.com"),
        sha256_hex("user.2@example.com"),
    }


async def test_429_honours_retry_after(
    google: GoogleDestination, fake: FakeGoogle, sleep: FakeSleep
) -> None:
    fake.inject(429, retry_after="5")
    assert (await google.add(SEGMENT, make_members(2))).sent == 2
    assert sleep.delays == [5.0]


async def test_500_then_success(
    google: GoogleDestination, fake: FakeGoogle, sleep: FakeSleep
) -> None:
    fake.inject(500, times=3)
    assert (await google.add(SEGMENT, make_members(2))).sent == 2
    assert sleep.delays == [0.5, 1.0, 2.0]


async def test_a_400_naming_no_member_fails_the_run_once(
    google: GoogleDestination, fake: FakeGoogle
) -> None:
    """An unknown destination is the configuration's fault: one error, not one per batch."""
    fake.known_audiences = {"other"}
    with pytest.raises(DestinationConfigError, match="audience id") as raised:
        await google.add(SEGMENT, make_members(3))
    assert "INVALID_ARGUMENT" in str(raised.value)
    assert "The destination was not found" in str(raised.value)
    assert len(fake.requests) == 1


async def test_resource_exhausted_waits_for_the_retry_info(
    google: GoogleDestination, fake: FakeGoogle, sleep: FakeSleep
) -> None:
    fake.exhaust(times=2, retry_delay="17s")
    result = await google.add(SEGMENT, make_members(2))
    assert result.sent == 2 and sleep.delays == [17.0, 17.0]


def status_config(fake: FakeGoogle) -> GoogleConfig:
    return config(fake, status_timeout_s=120, status_poll_s=2, batch_size=2)


async def test_request_status_is_polled_until_final(fake: FakeGoogle, sleep: FakeSleep) -> None:
    fake.processing_polls = 3
    destination = GoogleDestination(status_config(fake), policy=POLICY, sleep=sleep)
    try:
        result = await destination.add(SEGMENT, make_members(3))
    finally:
        await destination.aclose()
    assert result.sent == 3 and result.failed == [] and fake.violations == []
    polls = fake.calls("GET", "/v1/requestStatus:retrieve")
    assert [r.param("requestId") for r in polls] == ["req-1"] * 4 + ["req-2"] * 4
    assert sleep.delays == [2.0, 4.0, 8.0, 16.0] * 2


async def test_request_status_failed_fails_its_rows_with_the_reasons(
    fake: FakeGoogle, sleep: FakeSleep
) -> None:
    fake.outcomes = {
        1: {
            "requestStatus": "FAILED",
            "errorCounts": [{"recordCount": "2", "reason": "PROCESSING_ERROR_REASON_NO_CONSENT"}],
        },
        2: {
            "requestStatus": "PARTIAL_SUCCESS",
            "errorCounts": [
                {"recordCount": "1", "reason": "PROCESSING_ERROR_REASON_INVALID_FORMAT"}
            ],
        },
        3: {
            "requestStatus": "FAILED",
            "errorCounts": [
                {"recordCount": "1", "reason": "PROCESSING_ERROR_REASON_INTERNAL_ERROR"}
            ],
        },
    }
    destination = GoogleDestination(status_config(fake), policy=POLICY, sleep=sleep)
    try:
        result = await destination.add(SEGMENT, make_members(5))
    finally:
        await destination.aclose()
    assert result.sent == 2  # the partly refused request: Google does not say who
    failed = {e.pid: e for e in result.failed}
    assert set(failed) == {"p000000", "p000001", "p000004"}
    assert "req-1" in failed["p000000"].reason
    assert "PROCESSING_ERROR_REASON_NO_CONSENT x2" in failed["p000000"].reason
    assert not failed["p000000"].retryable and failed["p000004"].retryable


async def test_within_a_run_statuses_are_read_together_at_its_end(
    fake: FakeGoogle, sleep: FakeSleep
) -> None:
    fake.processing_polls = 2
    fake.outcomes = {
        2: {
            "requestStatus": "FAILED",
            "errorCounts": [{"recordCount": "2", "reason": "PROCESSING_ERROR_REASON_NO_CONSENT"}],
        }
    }
    destination = GoogleDestination(status_config(fake), policy=POLICY, sleep=sleep)
    try:
        await destination.begin(SEGMENT, "run-1")
        result = await destination.add(SEGMENT, make_members(6))
        assert result.sent == 6 and fake.calls("GET") == []  # nothing waited for yet
        await destination.finish(SEGMENT, "run-1")
        late = await destination.outcomes(SEGMENT, "run-1")
    finally:
        await destination.aclose()
    assert sorted(e.pid for e in late.failed) == ["p000002", "p000003"]
    polls = [r.param("requestId") for r in fake.calls("GET", "/v1/requestStatus:retrieve")]
    assert polls == ["req-1", "req-2", "req-3"] * 3  # round-robin, not one after another
    assert sleep.delays == [2.0, 4.0, 8.0]


async def test_a_request_still_processing_at_the_deadline_counts_as_sent(
    fake: FakeGoogle, sleep: FakeSleep
) -> None:
    fake.processing_polls = 1_000
    destination = GoogleDestination(status_config(fake), policy=POLICY, sleep=sleep)
    try:
        result = await destination.add(SEGMENT, make_members(2))
    finally:
        await destination.aclose()
    assert result.sent == 2 and result.failed == []
    assert sum(sleep.delays) >= 120 and max(sleep.delays) == 30.0


async def test_no_secrets_or_personal_data_in_logs(
    google: GoogleDestination, fake: FakeGoogle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.inject(429, retry_after="1")
    fake.inject(500)
    fake.inject(400, body={"error": {"message": f"token {TOKEN} rejected for user.0@example.com"}})
    with pytest.raises(DestinationConfigError) as raised:
        await google.add(SEGMENT, make_members(2))
    assert "retrying" in caplog.text
    assert TOKEN not in str(raised.value) and "user.0@" not in str(raised.value)
    for secret in (TOKEN, "example.com", sha256_hex("user.0@example.com")):
        assert secret not in caplog.text
