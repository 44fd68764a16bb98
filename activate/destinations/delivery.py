"""Shared HTTP delivery for destinations: batching, retries, error translation.

`HttpDelivery` wraps one `httpx.AsyncClient` (handed in, or created and owned) and a
base URL, so tests point a destination at a local fake server. Requests are retried
with exponential backoff and jitter on 429, 5xx and transport errors, honouring
`Retry-After` (seconds or HTTP date) and, failing that, `X-RateLimit-Reset`. The sleep
function, the clock and the random source are injectable: with a fake sleep, retries
are instant and every delay can be asserted.

Logs carry the operation name, status, attempt and delay only: never URLs (query
strings may hold tokens), headers, or bodies (they hold personal data).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import random
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from activate import metrics, progress
from activate.destinations.base import DeliveryResult, RowError
from activate.destinations.errors import (
    DestinationAuthError,
    DestinationConfigError,
    DestinationError,
    DestinationHTTPError,
    DestinationTransportError,
    RateLimited,
)
from activate.destinations.limits import (
    DEFAULT_GROUP,
    PROCESS_PACING,
    Pacing,
    RateLimit,
    account_key,
)
from core.http_retry import RetryPolicy as RetryPolicy  # re-exported for destinations
from core.http_retry import asked_wait, is_transient
from core.rate_limit import WindowLimiter

logger = logging.getLogger(__name__)

T = TypeVar("T")
SleepFn = Callable[[float], Awaitable[None]]
ClockFn = Callable[[], float]
RetryPredicate = Callable[[httpx.Response], bool]
WaitHint = Callable[[httpx.Response], float | None]
"""Seconds a vendor asked to wait, from its own headers or body; None when it did not."""
ErrorTranslator = Callable[[str, httpx.Response, str], DestinationHTTPError | None]
"""(op, response, redacted body excerpt) -> the vendor-specific error, or None."""

_EMAIL = re.compile(r"[^\s\"'<>@,;:]+@[^\s\"'<>@,;:]+")
_LONG_DIGITS = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_HEX64 = re.compile(r"\b[0-9a-fA-F]{64}\b")
_SECRETISH = re.compile(r"(?i)(access_token|api[_-]?key|token|secret|password)=[^&\s\"']+")


def redact(text: str, limit: int = 300, secrets: Sequence[str] = ()) -> str:
    """A short excerpt of a response body with emails, phone-like numbers, hashes,
    token-like parameters and the given secrets masked, safe to keep or log."""
    for secret in secrets:
        if len(secret) >= 6:
            text = text.replace(secret, "[secret]")
    text = _SECRETISH.sub(lambda m: f"{m.group(1)}=[redacted]", text)
    text = _EMAIL.sub("[email]", text)
    text = _HEX64.sub("[hash]", text)
    text = _LONG_DIGITS.sub("[number]", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    for start in range(0, len(items), size):
        yield items[start : start + size]


def json_bytes(value: Any) -> bytes:
    """`value` as a compact UTF-8 JSON body."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_size(value: Any) -> int:
    """Bytes `value` takes in a compact JSON body."""
    return len(json_bytes(value))


def chunk_by_size(
    items: Sequence[T],
    *,
    max_count: int,
    max_bytes: int | None = None,
    size_of: Callable[[T], int] = json_size,
    separator_bytes: int = 1,
) -> Iterator[list[T]]:
    """Split `items` so no chunk has more than `max_count` items nor, when `max_bytes`
    is given, more than `max_bytes` of serialised items (plus a separator each).

    An item bigger than `max_bytes` on its own goes alone; the destination answers for it.
    """
    if max_count < 1:
        raise ValueError("max_count must be at least 1")
    chunk: list[T] = []
    used = 0
    for item in items:
        size = size_of(item) + separator_bytes if max_bytes is not None else 0
        too_big = max_bytes is not None and chunk and used + size > max_bytes
        if len(chunk) >= max_count or too_big:
            yield chunk
            chunk, used = [], 0
        chunk.append(item)
        used += size
    if chunk:
        yield chunk


class HttpDelivery:
    """One destination's HTTP channel: base URL, fixed headers, retry policy."""

    def __init__(
        self,
        *,
        destination: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        rate_limits: Mapping[str, tuple[RateLimit, ...]] | None = None,
        pacing: Pacing | None = None,
        account: Sequence[str] = (),
        client: httpx.AsyncClient | None = None,
        policy: RetryPolicy | None = None,
        sleep: SleepFn | None = None,
        clock: ClockFn = time.time,
        rng: random.Random | None = None,
        timeout: float = 60.0,
        retry_if: RetryPredicate | None = None,
        wait_hint: WaitHint | None = None,
        translate_error: ErrorTranslator | None = None,
        secrets: Sequence[str] = (),
    ) -> None:
        self.destination = destination
        self.base_url = base_url.rstrip("/")
        self._headers = dict(headers or {})
        self._owns_client = client is None
        if client is None:
            client = httpx.AsyncClient(timeout=timeout, verify=_ssl_context())
        self._client = client
        self.policy = policy or RetryPolicy()
        self._sleep: SleepFn = sleep if sleep is not None else asyncio.sleep
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._retry_if = retry_if
        self._wait_hint = wait_hint
        self._translate_error = translate_error
        # Credentials to scrub from error excerpts, should a server echo one back.
        self._secrets = [*secrets, *_credentials(self._headers)]
        self._rate_limits = dict(rate_limits or {})
        self._pacing = pacing if pacing is not None else PROCESS_PACING
        # The budget is the vendor account's: keyed by the credentials, never holding them.
        self._account = account_key(
            destination, self.base_url, [*account, *_credentials(self._headers)]
        )

    def limiter(self, group: str) -> WindowLimiter | None:
        """The limiter a request of `group` waits on; None when the group is not paced."""
        found = self._rate_limits.get(group) or self._rate_limits.get(DEFAULT_GROUP)
        if not found:
            return None
        return self._pacing.limiter(self._account, group, found)

    async def sleep(self, seconds: float) -> None:
        """The injected sleep, for destinations that poll."""
        await self._sleep(seconds)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            raise ValueError("pass a path; the base URL is fixed per destination")
        return f"{self.base_url}/{path.lstrip('/')}"

    async def request(
        self,
        method: str,
        path: str,
        *,
        op: str,
        json_body: Any = None,
        content: bytes | None = None,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        pass_through: Collection[int] = (),
        per_attempt: Callable[[], Awaitable[Mapping[str, str]]] | None = None,
        limit: str = DEFAULT_GROUP,
    ) -> httpx.Response:
        """Send one request, retrying transient failures; return a 2xx/3xx response,
        or a response whose status is in `pass_through` (for the caller to read).
        `per_attempt` gives headers made anew for each try (a signature over its time, a
        token refreshed when it is about to expire). `limit` names the endpoint group
        whose rate limits each attempt waits for.

        Raises:
            RateLimited: still 429 after the last attempt, or asked to wait too long.
            DestinationAuthError: 401 or 403.
            DestinationHTTPError: any other non-success status (after retries for 5xx).
            DestinationTransportError: no answer after the last attempt.
        """
        merged = {**self._headers, **(headers or {})}
        if json_body is not None:
            content = json_bytes(json_body)
            merged.setdefault("Content-Type", "application/json")
        url = self.url(path)
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self.policy.max_attempts
            sent = merged if per_attempt is None else {**merged, **await per_attempt()}
            try:
                response = await self._send(
                    limit, method, url, content=content, data=data, params=params, headers=sent
                )
            except httpx.TransportError as exc:
                if last:
                    raise DestinationTransportError(
                        self.destination,
                        f"{op} failed after {attempt} attempts: {type(exc).__name__}",
                    ) from None
                metrics.observe_retry(self.destination, "transport", throttled=False)
                await self._wait(
                    op, attempt, type(exc).__name__, self.policy.backoff(attempt, self._rng)
                )
                continue

            status = response.status_code
            if status < 400 or status in pass_through:
                return response
            transient = is_transient(status) or self._vendor_transient(response)
            if not transient or self._translated(op, response) is not None:
                raise self.error_for(op, response)

            asked = self._asked_wait(response)
            throttled = status == 429 or self._vendor_transient(response)
            if asked is not None and asked > self.policy.max_retry_after:
                if throttled:
                    metrics.observe_throttled(self.destination)
                raise RateLimited(self.destination, asked)
            if last:
                if throttled:
                    metrics.observe_throttled(self.destination)
                if status == 429:
                    raise RateLimited(self.destination, asked)
                raise self.error_for(op, response)
            reason = "429" if status == 429 else "5xx" if status >= 500 else "vendor"
            metrics.observe_retry(self.destination, reason, throttled=throttled)
            delay = self.policy.delay(attempt, asked, self._rng)
            await self._wait(op, attempt, str(status), delay)

    async def _send(
        self,
        group: str,
        method: str,
        url: str,
        **kwargs: Any,
    ) -> httpx.Response:
        """One attempt: a slot below the rate limits, the request, its metrics."""
        limiter = self.limiter(group)
        slot = limiter.slot() if limiter is not None else contextlib.nullcontext(0.0)
        async with slot as waited:
            metrics.observe_paced(self.destination, waited)
            started = time.perf_counter()
            try:
                response = await self._client.request(method, url, **kwargs)
            except httpx.TransportError:
                metrics.observe_request(self.destination, None, time.perf_counter() - started)
                raise
        metrics.observe_request(
            self.destination, response.status_code, time.perf_counter() - started
        )
        return response

    async def _wait(self, op: str, attempt: int, what: str, delay: float) -> None:
        logger.warning(
            "%s: %s got %s on attempt %d/%d, retrying in %.2fs",
            self.destination,
            op,
            what,
            attempt,
            self.policy.max_attempts,
            delay,
        )
        await self._sleep(delay)

    def _vendor_transient(self, response: httpx.Response) -> bool:
        return self._retry_if is not None and self._retry_if(response)

    def _asked_wait(self, response: httpx.Response) -> float | None:
        asked = asked_wait(response.status_code, response.headers, self._clock())
        if asked is None and self._wait_hint is not None:
            asked = self._wait_hint(response)
        return asked

    def _translated(self, op: str, response: httpx.Response) -> DestinationHTTPError | None:
        if self._translate_error is None:
            return None
        return self._translate_error(op, response, self._excerpt(response))

    def _excerpt(self, response: httpx.Response) -> str:
        secrets = [*self._secrets, *_credentials(response.request.headers)]
        return redact(response.text, secrets=secrets)

    def error_for(self, op: str, response: httpx.Response) -> DestinationHTTPError:
        """The error for a failed response, its body excerpt redacted."""
        excerpt = self._excerpt(response)
        if self._translate_error is not None:
            translated = self._translate_error(op, response, excerpt)
            if translated is not None:
                return translated
        cls = DestinationAuthError if response.status_code in (401, 403) else DestinationHTTPError
        return cls(self.destination, op, response.status_code, excerpt)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verified TLS context per process: building one loads the CA bundle (~40 ms)."""
    return httpx.create_ssl_context()


def _credentials(headers: Mapping[str, str]) -> list[str]:
    found: list[str] = []
    for name, value in headers.items():
        if name.lower() in ("authorization", "x-api-key"):
            found.append(value)
            found.extend(part for part in value.split() if len(part) >= 6)
    return found


def next_cursor(links: Any, param: str = "page[cursor]") -> str | None:
    """The cursor of a JSON:API `links.next` URL, to call our own base URL with it.

    Following the absolute `next` link would send our credentials wherever it points.
    """
    if not isinstance(links, dict):
        return None
    nxt = links.get("next")
    if not isinstance(nxt, str) or not nxt:
        return None
    values = httpx.URL(nxt).params.get_list(param)
    return values[0] if values else None


async def send_batches(
    destination: str,
    batches: Sequence[Sequence[T]],
    send: Callable[[Sequence[T]], Awaitable[DeliveryResult]],
    pid_of: Callable[[T], str],
) -> DeliveryResult:
    """Send batches one after another and keep the per-row log.

    A permanent rejection of one batch (a 400) fails that batch's rows and moves on.
    A transient failure that outlived its retries (rate limit, outage) fails this batch
    and every later one as retryable, without sending them: the destination is not
    taking traffic now. Credentials and configuration errors are raised, since no row
    can succeed.
    """
    result = DeliveryResult()
    for index, batch in enumerate(batches):
        try:
            result.merge(await send(batch))
        except (DestinationAuthError, DestinationConfigError):
            raise
        except DestinationHTTPError as exc:
            if not exc.retryable:
                result.failed.extend(RowError(pid_of(row), str(exc)) for row in batch)
                progress.batch_done(len(batch))
                continue
            _fail_rest(result, batches[index:], str(exc), pid_of)
            break
        except DestinationError as exc:
            _fail_rest(result, batches[index:], str(exc), pid_of)
            break
        progress.batch_done(len(batch))
    if result.failed:
        logger.warning(
            "%s: %d rows sent, %d failed in %d batches",
            destination,
            result.sent,
            len(result.failed),
            len(batches),
        )
    return result


def _fail_rest(
    result: DeliveryResult,
    batches: Sequence[Sequence[T]],
    reason: str,
    pid_of: Callable[[T], str],
) -> None:
    first, *rest = batches
    result.failed.extend(RowError(pid_of(row), reason, retryable=True) for row in first)
    for batch in rest:
        result.failed.extend(
            RowError(pid_of(row), f"not sent: {reason}", retryable=True) for row in batch
        )


def jsonable(value: Any) -> Any:
    """`value` made JSON-serialisable: dates to ISO strings, Decimals to floats, sets to
    lists, anything else unknown to its string form."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)
