"""When and how long to wait before trying an HTTP request again: one policy for every
client that calls a third party (activation's destinations, enrichment's HTTP provider).

Transient answers (429, 5xx, transport errors) are retried with exponential backoff and
jitter; a server that says how long to wait is obeyed: `Retry-After` (delta-seconds or an
HTTP date) and, for a 429 without it, `X-RateLimit-Reset` (Braze's epoch seconds). The
random source is handed in, so delays can be asserted exactly with `jitter=0`.
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    """Total tries per request, the first included."""
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5
    """Backoff delays are drawn from [(1 - jitter) * d, d]; 0 makes them exact."""
    max_retry_after: float = 300.0
    """A server asking us to wait longer than this is not waited out: the caller gives up
    on the request (a destination raises `RateLimited`, a provider caps the wait)."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be within [0, 1]")

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Delay before retry number `retry` (1-based), with jitter."""
        delay: float = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return delay * (1.0 - self.jitter * rng.random())

    def delay(self, retry: int, asked: float | None, rng: random.Random) -> float:
        """What to wait before retry number `retry`: what the server asked, else backoff."""
        return asked if asked is not None else self.backoff(retry, rng)


def is_transient(status: int) -> bool:
    """An HTTP status worth trying again: throttled or a server-side failure."""
    return status == 429 or status >= 500


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def rate_limit_reset(value: str | None, now: float) -> float | None:
    """Seconds until `X-RateLimit-Reset` (as Braze sends it: a UNIX timestamp in seconds)."""
    if value is None:
        return None
    try:
        reset = float(value)
    except ValueError:
        return None
    # Small values are a delta in seconds (some APIs send that), large ones an epoch.
    return max(0.0, reset - now) if reset > 1e9 else max(0.0, reset)


def asked_wait(status: int, headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the server asked us to wait by its headers; None when it did not say.

    Args:
        status: The answer's status (`X-RateLimit-Reset` counts on a 429 only).
        headers: The answer's headers (case-insensitive lookup expected, as httpx's).
        now: The wall clock, in epoch seconds, for HTTP dates and epoch resets.
    """
    asked = parse_retry_after(headers.get("Retry-After"), now)
    if asked is None and status == 429:
        asked = rate_limit_reset(headers.get("X-RateLimit-Reset"), now)
    return asked
