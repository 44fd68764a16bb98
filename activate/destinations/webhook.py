"""Webhook: signed JSON batches POSTed to a customer's endpoint.

Each request body is
`{"segment": {id, name, external_id}, "run_id", "action": "add"|"remove",
"sequence": n, "members": [...]}`; `sequence` counts the run's batches from 1 across
both actions so the receiver can order them. Added members carry their identifiers and
attributes; removed members carry only their pid (the receiver already has the rest).

Headers:
- `X-CDP-Signature: sha256=<hex HMAC-SHA256 of the raw body with the shared secret>`
- `X-CDP-Timestamp: <unix seconds>` when the batch was first built
- `Idempotency-Key`: derived from run id, segment, action and sequence, so it is the
  same for every retry of a batch and for a re-run of the same run id.
A 2xx answer may list `{"failed": [{"pid", "reason"}]}` for rows the receiver refused.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from activate.destinations.base import (
    Channel,
    DeliveryResult,
    Destination,
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

Action = Literal["add", "remove"]


class WebhookConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str
    secret: SecretStr
    batch_size: int = Field(500, ge=1, le=100_000)
    max_body_bytes: int | None = Field(1_000_000, ge=1_000)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)


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
    ) -> None:
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
            secrets=[config.secret.get_secret_value()],
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
        headers = {
            "Content-Type": "application/json",
            "X-CDP-Timestamp": str(int(self._clock())),
            "X-CDP-Signature": sign(self.config.secret.get_secret_value(), body),
            "Idempotency-Key": idempotency_key(run_id, segment.id, action, sequence),
        }
        response = await self._http.request(
            "POST", self._path, op=f"{action} batch {sequence}", content=body, headers=headers
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
