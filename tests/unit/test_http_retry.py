"""The one retry policy shared by destinations and the enrichment HTTP provider."""

from __future__ import annotations

import random

import pytest

from core.http_retry import RetryPolicy, asked_wait, is_transient, rate_limit_reset
from enrich.providers import http as provider_http
from enrich.providers.http import HttpProviderSettings

pytestmark = pytest.mark.unit

NOW = 1_700_000_000.0


def test_delay_obeys_the_server_else_backs_off() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, jitter=0.0)
    rng = random.Random(1)
    assert policy.delay(1, 7.0, rng) == 7.0
    assert [policy.delay(n, None, rng) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 4.0, 4.0]


def test_asked_wait_reads_retry_after_then_rate_limit_reset_on_429_only() -> None:
    assert asked_wait(503, {"Retry-After": "4"}, NOW) == 4.0
    assert asked_wait(429, {"X-RateLimit-Reset": str(NOW + 12)}, NOW) == 12.0
    assert asked_wait(503, {"X-RateLimit-Reset": str(NOW + 12)}, NOW) is None
    assert rate_limit_reset("5", NOW) == 5.0
    assert is_transient(429) and is_transient(502) and not is_transient(400)


def test_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=1.5)


def test_enrichment_provider_uses_the_shared_policy() -> None:
    settings = HttpProviderSettings.model_validate(
        {"base_url": "http://x.invalid", "api_key": "k", "max_retries": 2, "backoff_s": 0.25}
    )
    policy = settings.retry_policy()
    assert isinstance(policy, RetryPolicy)
    assert policy.max_attempts == 3 and policy.jitter == 0.0
    assert policy.max_retry_after == provider_http.MAX_BACKOFF_S
    # The provider module keeps no backoff arithmetic of its own.
    assert not hasattr(provider_http.HttpAreaProvider, "_backoff")
