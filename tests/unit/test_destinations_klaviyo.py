"""Klaviyo destination against a local fake of the bulk import and lists APIs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest
from pydantic import SecretStr

from activate.destinations.base import DestinationConfigError, SegmentRef
from activate.destinations.delivery import RetryPolicy
from activate.destinations.klaviyo import KlaviyoConfig, KlaviyoDestination, external_id_filter
from tests.fakes import FakeKlaviyo, FakeSleep, make_member, make_members

pytestmark = pytest.mark.unit

API_KEY = "pk_test_4f9a1c0ffee"
LIST = "Xy12Ab"
SEGMENT = SegmentRef(id="seg-1", name="High CLV", external_id=LIST)
POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, jitter=0.0)


@pytest.fixture
def fake() -> Iterator[FakeKlaviyo]:
    with FakeKlaviyo(API_KEY) as api:
        yield api


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


def config(fake: FakeKlaviyo, **overrides: object) -> KlaviyoConfig:
    values: dict[str, object] = {
        "api_key": SecretStr(API_KEY),
        "base_url": fake.url,
        "poll_interval": 1.5,
        # Pacing runs on real time; these tests count fake sleeps (test_rate_limits.py
        # paces on a virtual clock).
        "proactive_rate_limits": False,
        **overrides,
    }
    return KlaviyoConfig.model_validate(values)


@pytest.fixture
async def klaviyo(fake: FakeKlaviyo, sleep: FakeSleep) -> AsyncIterator[KlaviyoDestination]:
    destination = KlaviyoDestination(config(fake), policy=POLICY, sleep=sleep)
    yield destination
    await destination.aclose()


async def test_add_imports_profiles_into_the_list(
    klaviyo: KlaviyoDestination, fake: FakeKlaviyo, sleep: FakeSleep
) -> None:
    members = make_members(5)
    result = await klaviyo.add(SEGMENT, members)

    assert fake.violations == []
    assert (result.sent, result.failed, result.invalid) == (5, [], [])
    assert fake.members(LIST) == {m.pid for m in members}
    job = fake.calls("POST", "/api/profile-bulk-import-jobs")[0].json()["data"]
    assert job["relationships"]["lists"]["data"] == [{"type": "list", "id": LIST}]
    profile = job["attributes"]["profiles"]["data"][0]["attributes"]
    assert profile["external_id"] == "p000000"
    assert profile["phone_number"] == "+447700900000"
    assert profile["location"] == {"city": "London", "country": "GB", "zip": "SW1A 1AA"}
    assert profile["properties"] == {"clv_12m": 120.5, "churn_risk": "low"}
    # polled once while processing, then complete
    assert sleep.delays == [1.5]


async def test_add_splits_at_10000_profiles_per_job(
    klaviyo: KlaviyoDestination, fake: FakeKlaviyo
) -> None:
    result = await klaviyo.add(SEGMENT, make_members(10_001))

    assert fake.violations == []
    jobs = fake.calls("POST", "/api/profile-bulk-import-jobs")
    sizes = [len(r.json()["data"]["attributes"]["profiles"]["data"]) for r in jobs]
    assert sizes == [10_000, 1]
    assert result.sent == 10_001
    assert len(fake.members(LIST)) == 10_001


async def test_add_splits_by_payload_bytes(fake: FakeKlaviyo, sleep: FakeSleep) -> None:
    destination = KlaviyoDestination(config(fake, max_job_bytes=20_000), sleep=sleep)
    try:
        result = await destination.add(SEGMENT, make_members(100))
    finally:
        await destination.aclose()
    jobs = fake.calls("POST", "/api/profile-bulk-import-jobs")
    assert len(jobs) > 1
    assert all(len(r.body) <= 20_000 for r in jobs)
    assert result.sent == 100


async def test_invalid_members_are_reported_not_sent(
    klaviyo: KlaviyoDestination, fake: FakeKlaviyo
) -> None:
    members = [make_member(1), make_member(2, email=None), make_member(3, email="nope")]
    result = await klaviyo.add(SEGMENT, members)

    assert result.sent == 1
    assert [(e.pid, e.reason) for e in result.invalid] == [
        ("p000002", "no email"),
        ("p000003", "malformed email"),
    ]
    sent = fake.calls("POST", "/api/profile-bulk-import-jobs")[0].json()
    assert len(sent["data"]["attributes"]["profiles"]["data"]) == 1


async def test_import_errors_become_row_failures_without_personal_data(
    klaviyo: KlaviyoDestination, fake: FakeKlaviyo
) -> None:
    members = make_members(3) + [make_member(9, email="bad@invalid.test")]
    result = await klaviyo.add(SEGMENT, members)

    assert result.sent == 3
    assert [(e.pid, e.reason) for e in result.failed] == [("p000009", "invalid: Invalid email")]
    assert "bad@invalid.test" not in repr(result)


async def test_paging_uses_the_cursor_against_our_base_url(
    fake: FakeKlaviyo, sleep: FakeSleep
) -> None:
    fake.max_page = 2  # the fake's next links name the public host; we must not follow them
    destination = KlaviyoDestination(config(fake), sleep=sleep)
    try:
        await destination.add(SEGMENT, make_members(5))
        assert await destination.ids.get_many(["p000004"]) == {"p000004": fake.profiles["p000004"]}
    finally:
        await destination.aclose()
    pages = fake.calls("GET", "/api/profile-bulk-import-jobs/job1/profiles")
    assert [r.param("page[cursor]") for r in pages] == [None, "2", "4"]


async def test_remove_uses_profile_ids_kept_from_the_import(
    klaviyo: KlaviyoDestination, fake: FakeKlaviyo
) -> None:
    members = make_members(4)
    await klaviyo.add(SEGMENT, members)
    # the member lost their email since: removal must still work
    gone = [members[0], make_member(1, email=None)]
    result = await klaviyo.remove(SEGMENT, gone)

    assert fake.violations == []
    assert (result.sent, result.failed, result.invalid) == (2, [], [])
    assert fake.members(LIST) == {"p000002", "p000003"}
    assert fake.calls("GET", "/api/profiles") == []  # no lookup needed
    body = fake.calls("DELETE", f"/api/lists/{LIST}/relationships/profiles")[0].json()
    assert body == {"data": [{"type": "profile", "id": fake.profiles[m.pid]} for m in gone]}


async def test_remove_looks_up_unknown_pids_by_external_id(
    fake: FakeKlaviyo, sleep: FakeSleep
) -> None:
    first = KlaviyoDestination(config(fake), sleep=sleep)
    await first.add(SEGMENT, make_members(3))
    await first.aclose()
    fresh = KlaviyoDestination(config(fake), sleep=sleep)  # empty id store
    try:
        result = await fresh.remove(SEGMENT, [make_member(0), make_member(77)])
    finally:
        await fresh.aclose()

    assert result.sent == 1
    assert [(e.pid, e.reason) for e in result.invalid] == [
        ("p000077", "no Klaviyo profile for this pid")
    ]
    lookup = fake.calls("GET", "/api/profiles")[0]
    assert lookup.param("filter") == external_id_filter(["p000000", "p000077"])
    assert fake.members(LIST) == {"p000001", "p000002"}


async def test_remove_splits_at_1000_profiles_per_call(
    klaviyo: KlaviyoDestination, fake: FakeKlaviyo
) -> None:
    members = make_members(1_001)
    await klaviyo.add(SEGMENT, members)
    result = await klaviyo.remove(SEGMENT, members)

    deletes = fake.calls("DELETE")
    assert [len(r.json()["data"]) for r in deletes] == [1_000, 1]
    assert result.sent == 1_001
    assert fake.members(LIST) == set()


async def test_429_on_job_creation_honours_retry_after(
    klaviyo: KlaviyoDestination, fake: FakeKlaviyo, sleep: FakeSleep
) -> None:
    fake.inject(429, retry_after="7", when=lambda r: r.method == "POST")
    result = await klaviyo.add(SEGMENT, make_members(2))

    assert result.sent == 2
    assert sleep.delays == [7.0, 1.5]  # the Retry-After, then one poll interval
    assert len(fake.jobs) == 1


async def test_500_while_polling_is_retried(
    klaviyo: KlaviyoDestination, fake: FakeKlaviyo, sleep: FakeSleep
) -> None:
    fake.inject(500, times=2, when=lambda r: r.method == "GET")
    result = await klaviyo.add(SEGMENT, make_members(2))

    assert result.sent == 2
    assert sleep.delays == [0.5, 1.0, 1.5]


async def test_permanent_400_fails_the_batch_rows_and_continues(
    fake: FakeKlaviyo, sleep: FakeSleep
) -> None:
    destination = KlaviyoDestination(config(fake, max_profiles_per_job=2), sleep=sleep)
    fake.inject(
        400, body={"errors": [{"detail": "bad a@b.example"}]}, when=lambda r: r.method == "POST"
    )
    try:
        result = await destination.add(SEGMENT, make_members(4))
    finally:
        await destination.aclose()

    assert result.sent == 2
    assert [e.pid for e in result.failed] == ["p000000", "p000001"]
    assert not any(e.retryable for e in result.failed)
    assert "a@b.example" not in result.failed[0].reason


async def test_revision_header_is_configurable(sleep: FakeSleep) -> None:
    with FakeKlaviyo(API_KEY, revision="2025-01-15") as fake:
        destination = KlaviyoDestination(config(fake, revision="2025-01-15"), sleep=sleep)
        try:
            result = await destination.add(SEGMENT, make_members(1))
        finally:
            await destination.aclose()
    assert result.sent == 1 and fake.violations == []


async def test_segment_without_list_id_is_a_config_error(klaviyo: KlaviyoDestination) -> None:
    with pytest.raises(DestinationConfigError):
        await klaviyo.add(SegmentRef(id="s", name="no list"), make_members(1))


async def test_no_secrets_or_personal_data_in_logs(
    klaviyo: KlaviyoDestination, fake: FakeKlaviyo, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.inject(429, retry_after="1")
    fake.inject(500, when=lambda r: r.method == "GET")
    members = make_members(3) + [make_member(8, email="bad@invalid.test")]
    await klaviyo.add(SEGMENT, members)
    await klaviyo.remove(SEGMENT, members[:1])

    assert "retrying" in caplog.text
    for secret in (API_KEY, "invalid.test", "example.com", "7700900"):
        assert secret.lower() not in caplog.text.lower()


THROTTLED = {
    "errors": [
        {
            "id": "e1",
            "status": 429,
            "code": "throttled",
            "title": "Request was throttled.",
            "detail": "Request was throttled. Expected available in 10 seconds.",
            "source": {"pointer": "/data/"},
        }
    ]
}


async def test_a_slow_job_is_polled_ever_less_often_until_it_completes(
    fake: FakeKlaviyo, sleep: FakeSleep
) -> None:
    fake.polls_before_complete = 400  # 10 minutes of 1.5 s polls and more
    destination = KlaviyoDestination(config(fake, job_timeout_s=36_000), sleep=sleep)
    try:
        result = await destination.add(SEGMENT, make_members(2))
    finally:
        await destination.aclose()
    assert result.sent == 2 and result.failed == []
    assert sleep.delays[:6] == [1.5, 3.0, 6.0, 12.0, 24.0, 30.0]
    assert max(sleep.delays) == 30.0 and len(sleep.delays) == 400
    assert set(result.vendor_ids) == {"p000000", "p000001"}


async def test_a_job_still_processing_at_the_deadline_is_not_a_failure(
    fake: FakeKlaviyo, sleep: FakeSleep
) -> None:
    fake.polls_before_complete = 10_000
    destination = KlaviyoDestination(config(fake, job_timeout_s=600), sleep=sleep)
    try:
        result = await destination.add(SEGMENT, make_members(2))
    finally:
        await destination.aclose()
    assert result.sent == 2 and result.failed == [] and result.vendor_ids == {}
    assert sum(sleep.delays) >= 600
    # Klaviyo goes on with the job: the members are on the list.
    assert fake.members(LIST) == {"p000000", "p000001"}


async def test_throttled_job_polls_do_not_fail_an_accepted_import(
    fake: FakeKlaviyo, sleep: FakeSleep
) -> None:
    fake.inject(
        429,
        times=10,
        retry_after="10",
        body=THROTTLED,
        when=lambda r: r.method == "GET" and r.path.endswith("/job1"),
    )
    destination = KlaviyoDestination(config(fake), policy=POLICY, sleep=sleep)
    try:
        result = await destination.add(SEGMENT, make_members(2))
    finally:
        await destination.aclose()
    assert result.sent == 2 and result.failed == []


async def test_a_cancelled_job_fails_its_rows_as_retryable(
    fake: FakeKlaviyo, sleep: FakeSleep
) -> None:
    fake.cancel_jobs = True
    destination = KlaviyoDestination(config(fake), sleep=sleep)
    try:
        result = await destination.add(SEGMENT, make_members(2))
    finally:
        await destination.aclose()
    assert result.sent == 0
    assert all(e.retryable and "was cancelled" in e.reason for e in result.failed)


async def test_ids_are_learnt_once_and_handed_back_by_the_sync_state(
    fake: FakeKlaviyo, sleep: FakeSleep
) -> None:
    members = make_members(3)
    first = KlaviyoDestination(config(fake), sleep=sleep)
    try:
        added = await first.add(SEGMENT, members)
    finally:
        await first.aclose()
    assert added.vendor_ids == {m.pid: fake.profiles[m.pid] for m in members}
    assert len(fake.calls("GET", "/api/profile-bulk-import-jobs/job1/profiles")) == 1

    # A later run, a new client: the engine hands the ids back with the members.
    known = [replace(m, vendor_id=added.vendor_ids[m.pid]) for m in members]
    later = KlaviyoDestination(config(fake), sleep=sleep)
    try:
        updated = await later.update(SEGMENT, known[:2])
        removed = await later.remove(SEGMENT, known[2:])
    finally:
        await later.aclose()
    assert updated.sent == 2 and updated.vendor_ids == {}
    assert removed.sent == 1
    job_profile_reads = [
        r
        for r in fake.calls("GET", "/api/profile-bulk-import-jobs/")
        if r.path.endswith("/profiles")
    ]
    assert len(job_profile_reads) == 1  # the first import's only
    assert fake.calls("GET", "/api/profiles") == []  # no look-up by external_id
    assert fake.members(LIST) == {"p000000", "p000001"}


async def test_unreadable_job_profiles_do_not_fail_an_import(
    klaviyo: KlaviyoDestination, fake: FakeKlaviyo
) -> None:
    fake.inject(404, when=lambda r: r.path.endswith("/profiles"))
    members = make_members(2)
    result = await klaviyo.add(SEGMENT, members)
    assert result.sent == 2 and result.failed == []
    # the ids were not kept, so removal finds them by external_id
    removed = await klaviyo.remove(SEGMENT, members)
    assert removed.sent == 2
    assert len(fake.calls("GET", "/api/profiles")) == 1


async def test_recorded_opt_outs_are_unsubscribed_before_leaving_the_list(
    klaviyo: KlaviyoDestination, fake: FakeKlaviyo
) -> None:
    members = make_members(3)
    await klaviyo.add(SEGMENT, members)
    leaving = [
        replace(members[0], consents={"email": False, "sms": False}),
        replace(members[1], consents={"email": True}),  # left the segment, still opted in
        replace(members[2], consents={}),  # nothing recorded: not claimed either way
    ]
    result = await klaviyo.remove(SEGMENT, leaving)

    assert result.sent == 3 and fake.violations == []
    assert fake.unsubscribed == {
        "User.0@Example.com": {"email"},
        "+447700900000": {"sms"},
    }
    job = fake.calls("POST", "/api/profile-subscription-bulk-delete-jobs")[0].json()
    assert "relationships" not in job["data"]  # global, not only from this list
    [profile] = job["data"]["attributes"]["profiles"]["data"]
    assert profile["attributes"]["subscriptions"] == {
        "email": {"marketing": {"consent": "UNSUBSCRIBED"}},
        "sms": {"marketing": {"consent": "UNSUBSCRIBED"}},
    }
    assert fake.members(LIST) == set()


async def test_an_unsubscribe_klaviyo_refuses_keeps_the_rows_for_the_next_run(
    klaviyo: KlaviyoDestination, fake: FakeKlaviyo
) -> None:
    members = make_members(2)
    await klaviyo.add(SEGMENT, members)
    fake.inject(400, when=lambda r: "subscription-bulk-delete" in r.path)
    result = await klaviyo.remove(SEGMENT, [replace(m, consents={"email": False}) for m in members])
    assert result.sent == 0 and len(result.failed) == 2
    assert fake.members(LIST) == {"p000000", "p000001"}  # not removed without the opt-out


async def test_kept_ids_spare_the_rate_limited_reads_on_every_later_run() -> None:
    """With Klaviyo's documented limits enforced (job reads: 10/s, 150/min), learning the
    ids of 16,000 members takes over a minute; a later run that is handed
    them back takes seconds and reads none."""
    sleep = FakeSleep()

    def now() -> float:
        return sum(sleep.delays)

    members = make_members(16_000)
    with FakeKlaviyo(API_KEY, now=now) as fake:
        destination = KlaviyoDestination(config(fake, poll_interval=1), policy=POLICY, sleep=sleep)
        try:
            start = now()
            added = await destination.add(SEGMENT, members)
            first = now() - start
            assert added.sent == 16_000 and len(added.vendor_ids) == 16_000
            reads = len(fake.calls("GET"))

            known = [replace(m, vendor_id=added.vendor_ids[m.pid]) for m in members]
            later = KlaviyoDestination(config(fake, poll_interval=1), policy=POLICY, sleep=sleep)
            start = now()
            updated = await later.update(SEGMENT, known)
            removed = await later.remove(SEGMENT, known[:4_000])
            second = now() - start
            await later.aclose()
        finally:
            await destination.aclose()
    assert updated.sent == 16_000 and removed.sent == 4_000 and fake.violations == []
    assert first > 60 and fake.throttled > 0  # 160 pages of job profiles at 150/min
    job_profile_reads = [r for r in fake.calls("GET")[reads:] if r.path.endswith("/profiles")]
    assert job_profile_reads == [] and fake.calls("GET", "/api/profiles") == []
    assert second < 10
