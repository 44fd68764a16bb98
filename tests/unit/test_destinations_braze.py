"""Braze destination against a local fake of `/users/track`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest
from pydantic import SecretStr

from activate.destinations.base import SegmentRef
from activate.destinations.braze import BrazeConfig, BrazeDestination
from activate.destinations.delivery import RetryPolicy
from activate.sync.members import last_sent, snapshot
from tests.fakes import FakeBraze, FakeSleep, make_member, make_members

pytestmark = pytest.mark.unit

API_KEY = "braze-rest-key-8d1e"
SEGMENT = SegmentRef(id="seg-7", name="Churn risk", external_id="churn_risk_high")
POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, jitter=0.0)


@pytest.fixture
def fake() -> Iterator[FakeBraze]:
    with FakeBraze(API_KEY) as api:
        yield api


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
async def braze(fake: FakeBraze, sleep: FakeSleep) -> AsyncIterator[BrazeDestination]:
    config = BrazeConfig(api_key=SecretStr(API_KEY), base_url=fake.url)
    destination = BrazeDestination(config, policy=POLICY, sleep=sleep)
    yield destination
    await destination.aclose()


async def test_batches_follow_the_contract_50_by_default(
    braze: BrazeDestination, fake: FakeBraze
) -> None:
    members = make_members(76)
    result = await braze.add(SEGMENT, members)

    assert fake.violations == []
    assert [len(r.json()["attributes"]) for r in fake.requests] == [50, 26]
    assert result.sent == 76 and result.failed == [] and result.invalid == []
    assert fake.segment_members("churn_risk_high") == {m.pid for m in members}
    first = fake.requests[0].json()["attributes"][0]
    assert first == {
        "external_id": "p000000",
        "clv_12m": 120.5,
        "churn_risk": "low",
        "email": "User.0@Example.com",
        "phone": "+447700900000",
        "first_name": "Zoë",
        "last_name": "O'Brien",
        "country": "GB",
        "home_city": "London",
        "cdp_segments_churn_risk_high": True,
    }


async def test_75_per_request_when_the_contract_allows(fake: FakeBraze, sleep: FakeSleep) -> None:
    config = BrazeConfig(api_key=SecretStr(API_KEY), base_url=fake.url, batch_size=75)
    destination = BrazeDestination(config, sleep=sleep)
    try:
        assert (await destination.add(SEGMENT, make_members(76))).sent == 76
    finally:
        await destination.aclose()
    assert [len(r.json()["attributes"]) for r in fake.requests] == [75, 1]
    with pytest.raises(ValueError):
        BrazeConfig(api_key=SecretStr(API_KEY), base_url=fake.url, batch_size=76)


async def test_remove_unsets_the_segment_and_updates_existing_users_only(
    braze: BrazeDestination, fake: FakeBraze
) -> None:
    members = make_members(3)
    await braze.add(SEGMENT, members)
    result = await braze.remove(SEGMENT, [members[0], make_member(1, email=None), make_member(50)])

    assert result.sent == 3
    assert fake.segment_members("churn_risk_high") == {"p000002"}
    assert "p000050" not in fake.users  # not created just to be removed
    sent = fake.requests[-1].json()["attributes"][0]
    assert sent == {
        "external_id": "p000000",
        "_update_existing_only": True,
        "cdp_segments_churn_risk_high": None,
    }


async def test_membership_of_many_segments_is_not_cut_at_the_array_limit(
    fake: FakeBraze, sleep: FakeSleep
) -> None:
    segments = [SegmentRef(id=f"s{i}", name=f"S{i}", external_id=f"seg{i}") for i in range(30)]
    for membership in ("boolean", "array"):
        config = BrazeConfig(
            api_key=SecretStr(API_KEY),
            base_url=fake.url,
            membership=membership,
            segments_attribute=f"cdp_{membership}",
        )
        fake.segments_attribute = config.segments_attribute
        destination = BrazeDestination(config, sleep=sleep)
        try:
            for segment in segments:
                await destination.add(segment, [make_member(1)])
        finally:
            await destination.aclose()
        held = sum("p000001" in fake.segment_members(f"seg{i}") for i in range(30))
        # Braze keeps at most 25 values in an array attribute and says nothing.
        assert held == (30 if membership == "boolean" else 25)


async def test_users_named_by_alias(fake: FakeBraze, sleep: FakeSleep) -> None:
    config = BrazeConfig(
        api_key=SecretStr(API_KEY), base_url=fake.url, identifier="user_alias", alias_label="crm"
    )
    destination = BrazeDestination(config, sleep=sleep)
    try:
        assert (await destination.add(SEGMENT, make_members(2))).sent == 2
        assert (await destination.remove(SEGMENT, [make_member(0), make_member(9)])).sent == 2
    finally:
        await destination.aclose()
    assert fake.violations == []
    added = fake.requests[0].json()["attributes"][0]
    assert added["user_alias"] == {"alias_name": "p000000", "alias_label": "crm"}
    assert added["_update_existing_only"] is False and "external_id" not in added
    assert set(fake.users) == {"alias:crm:p000000", "alias:crm:p000001"}
    assert fake.segment_members("churn_risk_high") == {"alias:crm:p000001"}


async def test_subscription_groups_follow_recorded_consent(
    fake: FakeBraze, sleep: FakeSleep
) -> None:
    config = BrazeConfig(
        api_key=SecretStr(API_KEY),
        base_url=fake.url,
        email_subscription_group_id="grp-email",
        sms_subscription_group_id="grp-sms",
    )
    destination = BrazeDestination(config, sleep=sleep)
    members = [
        make_member(0, consents={"email": True, "sms": True}),
        make_member(1, consents={"email": True, "sms": False}),
        make_member(2, consents={"email": True}),
    ]
    try:
        assert (await destination.add(SEGMENT, members)).sent == 3
    finally:
        await destination.aclose()
    assert fake.violations == []
    assert fake.subscriptions == {
        "p000000": {"grp-email": "subscribed", "grp-sms": "subscribed"},
        "p000001": {"grp-email": "subscribed", "grp-sms": "unsubscribed"},
        "p000002": {"grp-email": "subscribed"},  # no SMS consent recorded: left alone
    }


async def test_updates_send_only_what_changed(fake: FakeBraze, sleep: FakeSleep) -> None:
    config = BrazeConfig(api_key=SecretStr(API_KEY), base_url=fake.url)
    destination = BrazeDestination(config, sleep=sleep)
    before, other = make_member(0), make_member(1)
    # As the sync state keeps them: the snapshot of the last delivery.
    changed = replace(
        before,
        attributes={**before.attributes, "clv_12m": 999.0},
        last_sent=last_sent(snapshot(before)),
    )
    same = replace(other, last_sent=last_sent(snapshot(other)))
    unknown = make_member(2)  # nothing recorded of the last delivery: everything goes
    try:
        await destination.add(SEGMENT, [before, other, make_member(2)])
        points = fake.data_points
        result = await destination.update(SEGMENT, [changed, same, unknown])
    finally:
        await destination.aclose()
    assert result.sent == 3 and fake.violations == []
    objects = fake.requests[-1].json()["attributes"]
    assert objects[0] == {"clv_12m": 999.0, "external_id": "p000000", "_update_existing_only": True}
    assert [o["external_id"] for o in objects] == ["p000000", "p000002"]  # p000001: unchanged
    assert fake.data_points - points == 1 + 8  # one changed value; the unknown one in full


async def test_invalid_members_reported(braze: BrazeDestination, fake: FakeBraze) -> None:
    result = await braze.add(SEGMENT, [make_member(1), make_member(2, email=None)])
    assert result.sent == 1
    assert [(e.pid, e.reason) for e in result.invalid] == [("p000002", "no email")]


async def test_sms_channel_needs_a_phone(fake: FakeBraze, sleep: FakeSleep) -> None:
    config = BrazeConfig(api_key=SecretStr(API_KEY), base_url=fake.url, channel="sms")
    destination = BrazeDestination(config, sleep=sleep)
    try:
        result = await destination.add(
            SEGMENT, [make_member(1, email=None), make_member(2, phone=None)]
        )
    finally:
        await destination.aclose()
    assert destination.channel == "sms"
    assert result.sent == 1 and [e.pid for e in result.invalid] == ["p000002"]


async def test_per_object_errors_map_to_rows(braze: BrazeDestination, fake: FakeBraze) -> None:
    members = make_members(2) + [make_member(5, email="oops@invalid.test")]
    result = await braze.add(SEGMENT, members)
    assert result.sent == 2
    assert [(e.pid, e.reason) for e in result.failed] == [
        ("p000005", "'email' is not a valid email")
    ]


async def test_429_honours_retry_after(
    braze: BrazeDestination, fake: FakeBraze, sleep: FakeSleep
) -> None:
    fake.inject(429, retry_after="4")
    result = await braze.add(SEGMENT, make_members(76))
    assert result.sent == 76
    assert sleep.delays == [4.0]
    assert len(fake.requests) == 3


async def test_500_then_success(braze: BrazeDestination, fake: FakeBraze, sleep: FakeSleep) -> None:
    fake.inject(500, times=2)
    result = await braze.add(SEGMENT, make_members(3))
    assert result.sent == 3
    assert sleep.delays == [0.5, 1.0]


async def test_permanent_400_fails_rows_not_raised(
    braze: BrazeDestination, fake: FakeBraze
) -> None:
    fake.inject(400, body={"message": "Invalid attribute for user@example.com"})
    result = await braze.add(SEGMENT, make_members(80))
    assert result.sent == 30
    assert len(result.failed) == 50 and not result.failed[0].retryable
    assert "user@example.com" not in result.failed[0].reason


async def test_outage_fails_remaining_batches_as_retryable(
    braze: BrazeDestination, fake: FakeBraze
) -> None:
    fake.inject(503, times=100)
    result = await braze.add(SEGMENT, make_members(150))
    assert result.sent == 0
    assert len(result.failed) == 150 and all(e.retryable for e in result.failed)
    assert len(fake.requests) == POLICY.max_attempts  # the second batch was not attempted


async def test_no_secrets_or_personal_data_in_logs(
    braze: BrazeDestination, fake: FakeBraze, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.inject(429, retry_after="1")
    fake.inject(500)
    fake.inject(400, body={"message": "bad email user.3@example.com"})
    await braze.add(SEGMENT, make_members(200))
    assert "retrying" in caplog.text
    for secret in (API_KEY, "example.com", "7700900", "O'Brien"):
        assert secret.lower() not in caplog.text.lower()


async def test_users_are_named_by_the_brands_own_key_and_keep_it(
    fake: FakeBraze, sleep: FakeSleep
) -> None:
    config = BrazeConfig(
        api_key=SecretStr(API_KEY), base_url=fake.url, external_id_source="ecommerce"
    )
    destination = BrazeDestination(config, sleep=sleep)
    assert destination.key_source == "ecommerce"
    keyed = make_member(0, source_key="SHOP-1000")
    unkeyed = make_member(1)  # no ecommerce record: our profile id, as a fallback
    try:
        added = await destination.add(SEGMENT, [keyed, unkeyed])
        # Later the key changed (a re-keyed shop account): the user keeps the id it has.
        moved = replace(keyed, source_key="SHOP-2000", vendor_id=added.vendor_ids["p000000"])
        removed = await destination.remove(SEGMENT, [moved])
    finally:
        await destination.aclose()
    assert added.vendor_ids == {"p000000": "SHOP-1000", "p000001": "p000001"}
    assert removed.sent == 1 and fake.violations == []
    assert set(fake.users) == {"SHOP-1000", "p000001"}
    assert fake.segment_members("churn_risk_high") == {"p000001"}


async def test_alias_naming_ignores_the_key_source(fake: FakeBraze, sleep: FakeSleep) -> None:
    config = BrazeConfig(
        api_key=SecretStr(API_KEY),
        base_url=fake.url,
        identifier="user_alias",
        external_id_source="ecommerce",
    )
    destination = BrazeDestination(config, sleep=sleep)
    try:
        result = await destination.add(SEGMENT, [make_member(0, source_key="SHOP-1")])
    finally:
        await destination.aclose()
    assert destination.key_source is None and result.vendor_ids == {}
    assert set(fake.users) == {"alias:cdp_pid:p000000"}


async def test_a_removal_for_a_recorded_opt_out_unsubscribes(
    fake: FakeBraze, sleep: FakeSleep
) -> None:
    config = BrazeConfig(
        api_key=SecretStr(API_KEY),
        base_url=fake.url,
        email_subscription_group_id="grp-email",
        sms_subscription_group_id="grp-sms",
    )
    destination = BrazeDestination(config, sleep=sleep)
    opted_in = {"email": True, "sms": True}
    try:
        await destination.add(SEGMENT, make_members(2, consents=opted_in))
        await destination.remove(
            SEGMENT,
            [
                make_member(0, consents={"email": False, "sms": True}),
                make_member(1, consents={"email": True}),  # only left the segment
            ],
        )
    finally:
        await destination.aclose()
    assert fake.violations == []
    assert fake.users["p000000"]["email_subscribe"] == "unsubscribed"
    assert "email_subscribe" not in fake.users["p000001"]
    assert fake.subscriptions["p000000"] == {"grp-email": "unsubscribed", "grp-sms": "subscribed"}
    assert fake.subscriptions["p000001"] == {"grp-email": "subscribed", "grp-sms": "subscribed"}
