"""Paid-media syncs through the engine: consent Google is told, Meta's token failures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr

from activate.destinations.base import Destination
from activate.destinations.delivery import RetryPolicy
from activate.hashing import sha256_hex
from activate.segments import service
from activate.segments.definition import attr
from activate.settings import ActivationSettings
from activate.sync import destinations as dest
from activate.sync.engine import SyncEngine
from activate.sync.registry import DestinationSpec, build_destination
from graph.client import GraphClient
from tests.fakes import FakeGoogle, FakeMeta, FakeSleep
from tests.integration.test_segments_support import add_profiles, profile

pytestmark = pytest.mark.integration

TODAY = date(2026, 12, 5)
GOOGLE_TOKEN = "ya29.sync-test-token"
META_TOKEN = "EAAG-sync-test-token"
ACCOUNT = "1234567890"


@pytest.fixture
def engine(graph: GraphClient, tmp_path: Path) -> SyncEngine:
    activation = ActivationSettings(
        file_root=tmp_path,
        secrets={"google": SecretStr(GOOGLE_TOKEN), "meta": SecretStr(META_TOKEN)},
    )
    sleep = FakeSleep()

    def factory(spec: DestinationSpec) -> Destination:
        policy = RetryPolicy(max_attempts=2, base_delay=0.01, jitter=0.0)
        return build_destination(spec, activation, policy=policy, sleep=sleep)

    return SyncEngine(graph, activation, factory=factory)


async def opted_in_customers(graph: GraphClient) -> None:
    # Email opt-in recorded, advertising consent recorded by no source.
    await add_profiles(
        graph,
        [profile(f"p-{i}", email=f"c{i}@shop.test", consent_email=True) for i in range(3)],
    )
    await service.create_segment(graph, "all", "All", attr("sources", "contains", "ecommerce"))


async def test_google_is_told_consent_was_not_granted_when_no_source_recorded_it(
    graph: GraphClient, engine: SyncEngine
) -> None:
    await opted_in_customers(graph)
    with FakeGoogle(GOOGLE_TOKEN, ACCOUNT) as google:
        config = {"base_url": google.url, "secret_ref": "google", "operating_account_id": ACCOUNT}
        await dest.create_destination(graph, "ads-unconfirmed", "google", config)
        await dest.link(graph, "all", "ads-unconfirmed", external_id="AUD0")
        refused = await engine.sync("all", "ads-unconfirmed", today=TODAY)
        assert refused.status == "failed" and "customer_match_terms_accepted" in str(refused.error)
        assert google.requests == []

        await dest.create_destination(
            graph, "ads", "google", {**config, "customer_match_terms_accepted": True}
        )
        await dest.link(graph, "all", "ads", external_id="AUD1")
        report = await engine.sync("all", "ads", today=TODAY)

        assert (report.status, report.adds) == ("succeeded", 3), report
        assert google.violations == []
        sent = google.consents[sha256_hex("c0@shop.test")]
        assert sent == {"adUserData": "CONSENT_DENIED", "adPersonalization": "CONSENT_DENIED"}
        assert "consent" not in google.requests[0].json()


async def test_an_expired_meta_token_fails_the_run_with_what_to_fix(
    graph: GraphClient, engine: SyncEngine
) -> None:
    await opted_in_customers(graph)
    with FakeMeta(META_TOKEN) as meta:
        await dest.create_destination(
            graph, "fb", "meta", {"base_url": meta.url, "secret_ref": "meta"}
        )
        await dest.link(graph, "all", "fb", external_id="23850000000")
        meta.expire_token()
        report = await engine.sync("all", "fb", today=TODAY)

    error = str(report.error)
    assert report.status == "failed"
    assert "access token is expired" in error and "code 190" in error
    assert META_TOKEN not in error
    assert (report.adds, report.failed) == (0, 3)  # nothing recorded as sent
    assert len(meta.requests) == 1


async def test_a_request_google_fails_later_is_sent_again_by_the_next_run(
    graph: GraphClient, engine: SyncEngine
) -> None:
    await opted_in_customers(graph)
    with FakeGoogle(GOOGLE_TOKEN, ACCOUNT) as google:
        google.outcomes = {
            1: {
                "requestStatus": "FAILED",
                "errorCounts": [
                    {"recordCount": "3", "reason": "PROCESSING_ERROR_REASON_INTERNAL_ERROR"}
                ],
            }
        }
        config = {
            "base_url": google.url,
            "secret_ref": "google",
            "operating_account_id": ACCOUNT,
            "customer_match_terms_accepted": True,
        }
        await dest.create_destination(graph, "ads", "google", config)
        await dest.link(graph, "all", "ads", external_id="AUD1")
        first = await engine.sync("all", "ads", today=TODAY)
        assert (first.status, first.adds, first.failed) == ("partial", 0, 3), first
        errors = await dest.run_errors(graph, first.run_id)
        assert {e["pid"] for e in errors} == {"p-0", "p-1", "p-2"}
        assert all("PROCESSING_ERROR_REASON_INTERNAL_ERROR x3" in e["reason"] for e in errors)
        assert (await dest.get_link(graph, "all", "ads")).members == 0

        second = await engine.sync("all", "ads", today=TODAY)  # request 2: SUCCESS
        assert (second.status, second.adds) == ("succeeded", 3)
        assert (await dest.get_link(graph, "all", "ads")).members == 3
        assert google.violations == []
