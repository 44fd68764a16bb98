"""Webhook: JSON batches POSTed to a customer's endpoint, signed per Standard Webhooks.

Each request body is
`{"segment": {id, name, external_id}, "run_id", "action": "add"|"remove",
"sequence": n, "members": [...]}`; `sequence` counts the run's batches from 1 across
both actions so the receiver can order them. Added members carry their identifiers and
attributes; removed members carry only their pid (the receiver already has the rest).

Signing follows the Standard Webhooks specification (standardwebhooks.com, v1.0.0,
"Signature scheme" and "Webhook headers"), with the `standardwebhooks` package:
- `webhook-id: msg_<key>`, derived from run id, segment, action and sequence, so it is
  the same for every retry of a batch and for a re-run of the same run id: the
  receiver's idempotency key (also sent as `Idempotency-Key`).
- `webhook-timestamp`: unix seconds of the attempt, renewed on every retry, so a retry
  after a long back-off still falls inside the receiver's replay window.
- `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, one per
  active secret, space-delimited: during a rotation both the new and the old secret
  sign, and the receiver accepts either.
Secrets are `whsec_` + base64 of 24 to 64 random bytes (the spec's bounds); several
active ones are given space-separated in the one secret the destination names, the
newest first. The endpoint must be HTTPS; `allow_http: true` admits plain HTTP to a
receiver on this machine (loopback) only.

A 2xx answer may list `{"failed": [{"pid", "reason"}]}` for rows the receiver refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from pydantic import ConfigDict, Field, SecretStr, model_validator
from standardwebhooks.webhooks import Webhook

from activate.destinations.base import (
    Channel,
    DeliveryResult,
    Destination,
    DestinationConfigError,
    Member,
    RowError,
    SegmentRef,
)
from activate.destinations.delivery import (
    ClockFn,
    HttpDelivery,
    RetryPolicy,
    SleepFn,
    chunk_by_size,
    json_bytes,
    json_size,
    jsonable,
    redact,
    send_batches,
)
from activate.destinations.limits import Pacing, RateLimitOptions

Action = Literal["add", "remove"]


SECRET_PREFIX = "whsec_"
MIN_SECRET_BYTES = 24
"""The specification's minimum for a symmetric secret (192 bits); 64 bytes at most."""
MAX_SECRET_BYTES = 64


class WebhookConfig(RateLimitOptions):
    """A receiver of ours has no documented limit: paced only when `rate_limits` sets
    `default`."""

    model_config = ConfigDict(frozen=True)

    url: str
    secret: SecretStr
    """One or more `whsec_` secrets, space-separated, the newest first: all sign."""
    allow_http: bool = False
    """Admit `http://` for a receiver on this machine (127.0.0.0/8, ::1, localhost)."""
    batch_size: int = Field(500, ge=1, le=100_000)
    max_body_bytes: int | None = Field(1_000_000, ge=1_000)

    @model_validator(mode="after")
    def _https_unless_local(self) -> WebhookConfig:
        url = httpx.URL(self.url)
        if url.scheme == "https" and url.host:
            return self
        if url.scheme != "http" or not url.host:
            raise ValueError("url must be an https:// URL")
        if not self.allow_http:
            raise ValueError(
                "url must be https://; plain http is allowed only for a receiver on this "
                "machine, with allow_http: true"
            )
        if not is_loopback(url.host):
            raise ValueError(
                "allow_http admits only a url of a receiver on this machine (loopback)"
            )
        return self


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class InvalidSecret(ValueError):
    """A signing secret that is not `whsec_` + base64 of 24-64 bytes; never holds it."""


def signing_keys(secrets: str) -> list[bytes]:
    """The keys of space-separated `whsec_` secrets, in the order given.

    Raises:
        InvalidSecret: None given, or one is malformed, too short or too long (the
            message names its position, never its value).
    """
    keys: list[bytes] = []
    for position, secret in enumerate(secrets.split(), start=1):
        if not secret.startswith(SECRET_PREFIX):
            raise InvalidSecret(f"secret {position} does not start with {SECRET_PREFIX}")
        try:
            key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidSecret(f"secret {position} is not base64 after {SECRET_PREFIX}") from None
        if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
            raise InvalidSecret(
                f"secret {position} is {len(key)} bytes; Standard Webhooks wants "
                f"{MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} random bytes"
            )
        keys.append(key)
    if not keys:
        raise InvalidSecret("no signing secret given")
    return keys


def new_secret(nbytes: int = 32) -> str:
    """A fresh `whsec_` secret."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode("ascii")


def sign(keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: `v1,<base64>` per key, space-delimited."""
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    return " ".join(Webhook(key).sign(msg_id=msg_id, timestamp=when, data=body) for key in keys)


def verify(keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """Whether any `v1` signature of `header` is one of `keys`' (constant-time)."""
    signed = sign(keys, msg_id, timestamp, body)
    expected = [base64.b64decode(sig.partition(",")[2]) for sig in signed.split()]
    matched = False
    for versioned in header.split():
        version, _, signature = versioned.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            continue
        for candidate in expected:
            matched |= hmac.compare_digest(candidate, given)
    return matched


def idempotency_key(run_id: str, segment_id: str, action: str, sequence: int) -> str:
    return hashlib.sha256(
        f"{run_id}\x1f{segment_id}\x1f{action}\x1f{sequence}".encode()
    ).hexdigest()[:40]


def member_payload(member: Member) -> dict[str, Any]:
    return {
        "pid": member.pid,
        "email": member.email,
        "phone": member.phone,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "postcode": member.postcode,
        "country": member.country,
        "city": member.city,
        "attributes": jsonable(member.attributes),
    }


@dataclass
class _Run:
    run_id: str
    sequence: int = 0
    """Of the last batch sent; counts both actions."""


class WebhookDestination(Destination):
    name = "webhook"
    max_batch = 500
    channel: Channel = "webhook"

    def __init__(
        self,
        config: WebhookConfig,
        *,
        client: httpx.AsyncClient | None = None,
        policy: RetryPolicy | None = None,
        sleep: SleepFn | None = None,
        clock: ClockFn = time.time,
        pacing: Pacing | None = None,
    ) -> None:
        try:
            self._keys = signing_keys(config.secret.get_secret_value())
        except InvalidSecret as exc:
            raise DestinationConfigError(self.name, str(exc)) from None
        self.config = config
        self.max_batch = config.batch_size
        url = httpx.URL(config.url)
        self._path = url.raw_path.decode("ascii") or "/"
        self._clock = clock
        self._http = HttpDelivery(
            destination=self.name,
            base_url=f"{url.scheme}://{url.netloc.decode('ascii')}",
            client=client,
            policy=policy,
            sleep=sleep,
            clock=clock,
            rate_limits=config.effective_rate_limits(),
            pacing=pacing,
            secrets=config.secret.get_secret_value().split(),
        )
        self._runs: dict[str, _Run] = {}
        """Open runs by segment id."""

    async def aclose(self) -> None:
        await self._http.aclose()

    async def begin(self, segment: SegmentRef, run_id: str) -> None:
        self._runs[segment.id] = _Run(run_id)

    async def finish(self, segment: SegmentRef, run_id: str) -> None:
        self._runs.pop(segment.id, None)

    async def add(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        valid, invalid = self.split_valid(members)
        result = await self._deliver(segment, "add", [(m, member_payload(m)) for m in valid])
        result.invalid.extend(invalid)
        return result

    async def remove(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        valid, invalid = self.split_valid(members)
        result = await self._deliver(segment, "remove", [(m, {"pid": m.pid}) for m in valid])
        result.invalid.extend(invalid)
        return result

    async def _deliver(
        self, segment: SegmentRef, action: Action, rows: list[tuple[Member, dict[str, Any]]]
    ) -> DeliveryResult:
        # Called outside begin()/finish(): one ad-hoc run per call.
        run = self._runs.get(segment.id) or _Run(f"adhoc-{uuid.uuid4()}")
        batches = list(
            chunk_by_size(
                rows,
                max_count=self.max_batch,
                max_bytes=None
                if self.config.max_body_bytes is None
                else self.config.max_body_bytes - 512,
                size_of=lambda row: json_size(row[1]),
            )
        )

        async def send(batch: Sequence[tuple[Member, dict[str, Any]]]) -> DeliveryResult:
            run.sequence += 1
            return await self._post(segment, run.run_id, action, run.sequence, batch)

        return await send_batches(self.name, batches, send, lambda row: row[0].pid)

    async def _post(
        self,
        segment: SegmentRef,
        run_id: str,
        action: Action,
        sequence: int,
        batch: Sequence[tuple[Member, dict[str, Any]]],
    ) -> DeliveryResult:
        document = {
            "segment": {"id": segment.id, "name": segment.name, "external_id": segment.external_id},
            "run_id": run_id,
            "action": action,
            "sequence": sequence,
            "members": [payload for _, payload in batch],
        }
        body = json_bytes(document)
        key = idempotency_key(run_id, segment.id, action, sequence)
        msg_id = f"msg_{key}"

        async def signed() -> dict[str, str]:
            # Per attempt: a retry carries its own time, inside the receiver's window.
            timestamp = int(self._clock())
            return {
                "webhook-id": msg_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(self._keys, msg_id, timestamp, body),
            }

        response = await self._http.request(
            "POST",
            self._path,
            op=f"{action} batch {sequence}",
            content=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
            per_attempt=signed,
        )
        result = DeliveryResult()
        pids = {member.pid for member, _ in batch}
        try:
            answer = response.json() if response.content else {}
        except ValueError:
            answer = {}
        for item in (answer.get("failed") if isinstance(answer, dict) else None) or []:
            if isinstance(item, dict) and item.get("pid") in pids:
                result.failed.append(
                    RowError(str(item["pid"]), redact(str(item.get("reason", "")), 120))
                )
        result.sent = len(batch) - len(result.failed)
        return result
