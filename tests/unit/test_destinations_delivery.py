"""Shared HTTP delivery: retries, Retry-After, error translation, batching helpers."""

from __future__ import annotations

import email.utils
import socket
from collections.abc import AsyncIterator, Iterator, Sequence

import pytest

from activate.destinations.base import (
    DeliveryResult,
    DestinationAuthError,
    DestinationHTTPError,
    DestinationTransportError,
    RateLimited,
)
from activate.destinations.delivery import (
    HttpDelivery,
    RetryPolicy,
    chunk_by_size,
    chunked,
    json_size,
    redact,
    send_batches,
)
from core.http_retry import parse_retry_after
from tests.fakes import FakeApi, FakeSleep, Reply, Request

pytestmark = pytest.mark.unit

NOW = 1_700_000_000.0
POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, jitter=0.0, max_retry_after=60)


class Echo(FakeApi):
    def route(self, request: Request) -> Reply:
        return Reply(200, {"ok": True, "path": request.path})


@pytest.fixture
def echo() -> Iterator[Echo]:
    with Echo() as api:
        yield api


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
async def http(echo: Echo, sleep: FakeSleep) -> AsyncIterator[HttpDelivery]:
    delivery = HttpDelivery(
        destination="test", base_url=echo.url, policy=POLICY, sleep=sleep, clock=lambda: NOW
    )
    yield delivery
    await delivery.aclose()


def test_parse_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7", NOW) == 7.0
    assert parse_retry_after(" 1.5 ", NOW) == 1.5
    date = email.utils.formatdate(NOW + 30, usegmt=True)
    assert parse_retry_after(date, NOW) == pytest.approx(30.0)
    past = email.utils.formatdate(NOW - 30, usegmt=True)
    assert parse_retry_after(past, NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_backoff_is_exponential_capped_and_jittered_down() -> None:
    import random

    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.5)
    rng = random.Random(7)
    for retry, cap in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)):
        delay = policy.backoff(retry, rng)
        assert cap * 0.5 <= delay <= cap


def test_chunked_and_chunk_by_size() -> None:
    assert [list(c) for c in chunked(list(range(5)), 2)] == [[0, 1], [2, 3], [4]]
    items = ["a" * 10, "b" * 10, "c" * 10, "d" * 100, "e"]
    # each item costs json_size + 1 separator: 13 bytes for the 10-char strings
    chunks = list(chunk_by_size(items, max_count=10, max_bytes=30))
    assert chunks == [["a" * 10, "b" * 10], ["c" * 10], ["d" * 100], ["e"]]
    assert all(sum(json_size(i) + 1 for i in c) <= 30 for c in chunks if len(c) > 1)
    assert list(chunk_by_size(list(range(5)), max_count=2)) == [[0, 1], [2, 3], [4]]


def test_redact_masks_personal_data_and_tokens() -> None:
    text = (
        "Invalid email jane.doe@example.com, phone +44 7700 900123, "
        "hash 973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b "
        "url ?access_token=EAAB123&x=1"
    )
    out = redact(text)
    for secret in ("jane.doe", "7700", "973dfe46", "EAAB123"):
        assert secret not in out
    assert len(redact("x" * 1000, limit=50)) == 53


async def test_success_passes_through(http: HttpDelivery, echo: Echo) -> None:
    response = await http.request("GET", "/ping", op="ping")
    assert response.json()["path"] == "/ping"
    assert len(echo.requests) == 1


async def test_429_honours_retry_after_seconds(
    http: HttpDelivery, echo: Echo, sleep: FakeSleep
) -> None:
    echo.inject(429, times=2, retry_after="3")
    await http.request("POST", "/x", op="x", json_body={"a": 1})
    assert sleep.delays == [3.0, 3.0]
    assert len(echo.requests) == 3
    assert echo.requests[0].body == echo.requests[2].body


async def test_429_honours_retry_after_http_date(
    http: HttpDelivery, echo: Echo, sleep: FakeSleep
) -> None:
    echo.inject(429, retry_after=email.utils.formatdate(NOW + 12, usegmt=True))
    await http.request("GET", "/x", op="x")
    assert sleep.delays == [pytest.approx(12.0)]


async def test_429_without_header_uses_x_ratelimit_reset_then_backoff(
    http: HttpDelivery, echo: Echo, sleep: FakeSleep
) -> None:
    echo.inject(429, body={"message": "slow down"})
    await http.request("GET", "/x", op="x")
    assert sleep.delays == [0.5]  # no header at all: exponential backoff


async def test_5xx_retried_with_exponential_backoff(
    http: HttpDelivery, echo: Echo, sleep: FakeSleep
) -> None:
    echo.inject(500, times=2)
    echo.inject(503, times=1)
    response = await http.request("GET", "/x", op="x")
    assert response.status_code == 200
    assert sleep.delays == [0.5, 1.0, 2.0]


async def test_exhausted_429_raises_rate_limited(
    http: HttpDelivery, echo: Echo, sleep: FakeSleep
) -> None:
    echo.inject(429, times=10, retry_after="2")
    with pytest.raises(RateLimited) as info:
        await http.request("GET", "/x", op="x")
    assert info.value.retry_after == 2.0
    assert len(echo.requests) == POLICY.max_attempts
    assert sleep.delays == [2.0, 2.0, 2.0]


async def test_retry_after_beyond_limit_is_not_slept(
    http: HttpDelivery, echo: Echo, sleep: FakeSleep
) -> None:
    echo.inject(429, retry_after="3600")
    with pytest.raises(RateLimited) as info:
        await http.request("GET", "/x", op="x")
    assert info.value.retry_after == 3600.0
    assert sleep.delays == []


async def test_exhausted_5xx_raises_http_error(http: HttpDelivery, echo: Echo) -> None:
    echo.inject(502, times=10)
    with pytest.raises(DestinationHTTPError) as info:
        await http.request("GET", "/x", op="x")
    assert info.value.status == 502 and info.value.retryable


async def test_400_is_permanent_and_redacted(
    http: HttpDelivery, echo: Echo, sleep: FakeSleep
) -> None:
    echo.inject(400, body={"error": "bad email jane@example.com"})
    with pytest.raises(DestinationHTTPError) as info:
        await http.request("GET", "/x", op="x")
    assert info.value.status == 400 and not info.value.retryable
    assert "jane@example.com" not in str(info.value)
    assert sleep.delays == [] and len(echo.requests) == 1


async def test_400_pass_through_returns_the_response(http: HttpDelivery, echo: Echo) -> None:
    echo.inject(400, body={"error": "row 3"})
    response = await http.request("GET", "/x", op="x", pass_through=(400,))
    assert response.status_code == 400


async def test_401_raises_auth_error(http: HttpDelivery, echo: Echo) -> None:
    echo.inject(401)
    with pytest.raises(DestinationAuthError):
        await http.request("GET", "/x", op="x")


async def test_transport_errors_retried_then_raised(sleep: FakeSleep) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delivery = HttpDelivery(
        destination="test", base_url=f"http://127.0.0.1:{port}", policy=POLICY, sleep=sleep
    )
    try:
        with pytest.raises(DestinationTransportError):
            await delivery.request("GET", "/x", op="x")
    finally:
        await delivery.aclose()
    assert sleep.delays == [0.5, 1.0, 2.0]


async def test_absolute_urls_are_refused(http: HttpDelivery) -> None:
    with pytest.raises(ValueError):
        await http.request("GET", "https://elsewhere.example/x", op="x")


async def test_send_batches_keeps_going_after_a_permanent_rejection() -> None:
    async def send(batch: Sequence[str]) -> DeliveryResult:
        if batch[0] == "a":
            raise DestinationHTTPError("test", "op", 400, "bad")
        return DeliveryResult(sent=len(batch))

    result = await send_batches("test", [["a", "b"], ["c"]], send, lambda pid: pid)
    assert result.sent == 1
    assert [(e.pid, e.retryable) for e in result.failed] == [("a", False), ("b", False)]


async def test_send_batches_stops_on_outage_and_marks_the_rest_retryable() -> None:
    calls: list[Sequence[str]] = []

    async def send(batch: Sequence[str]) -> DeliveryResult:
        calls.append(batch)
        if batch[0] == "b":
            raise RateLimited("test", 30.0)
        return DeliveryResult(sent=len(batch))

    result = await send_batches("test", [["a"], ["b"], ["c"], ["d"]], send, lambda pid: pid)
    assert len(calls) == 2
    assert result.sent == 1
    assert [e.pid for e in result.failed] == ["b", "c", "d"]
    assert all(e.retryable for e in result.failed)
    assert result.failed[1].reason.startswith("not sent")


async def test_send_batches_raises_auth_errors() -> None:
    async def send(batch: Sequence[str]) -> DeliveryResult:
        raise DestinationAuthError("test", "op", 401, "nope")

    with pytest.raises(DestinationAuthError):
        await send_batches("test", [["a"]], send, lambda pid: pid)
