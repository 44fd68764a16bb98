"""Braze: segment membership as an array custom attribute, through `/users/track`.

Docs followed (braze.com/docs/api/endpoints/user_data/post_user_track and the
"Array of strings" section of the custom attributes docs):
- `POST /users/track` with `Authorization: Bearer <REST API key>` and a JSON body
  `{"attributes": [...]}`; up to 75 attribute objects per request.
- Each attribute object names the user by `external_id` (our pid) and may carry the
  standard fields (email, phone, first_name, last_name, country, home_city) and custom
  attributes at the top level.
- Array custom attributes are changed in place with `{"add": [...]}` / `{"remove": [...]}`.
- A 201 answer may still list per-object errors as `errors: [{type, input_array, index}]`;
  those are mapped back to rows. `_update_existing_only: true` on removal keeps Braze
  from creating a user only to take a segment off it.
The REST endpoint is per Braze instance (rest.iad-01.braze.com, ...), hence `base_url`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
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
    HttpDelivery,
    RetryPolicy,
    SleepFn,
    chunked,
    jsonable,
    send_batches,
)
from activate.hashing import google_phone, looks_like_email

logger = logging.getLogger(__name__)

MAX_ATTRIBUTE_OBJECTS = 75
_STANDARD = frozenset(
    {"external_id", "email", "phone", "first_name", "last_name", "country", "home_city"}
)


class BrazeConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    api_key: SecretStr
    base_url: str
    """The instance's REST endpoint, e.g. https://rest.iad-01.braze.com."""
    segments_attribute: str = "cdp_segments"
    channel: Literal["email", "sms"] = "email"
    batch_size: int = Field(MAX_ATTRIBUTE_OBJECTS, ge=1, le=MAX_ATTRIBUTE_OBJECTS)
    send_attributes: bool = True
    """Also sync the members' attributes (clv_12m, ...) as custom attributes."""


def segment_label(segment: SegmentRef) -> str:
    return segment.external_id or segment.id


class BrazeDestination(Destination):
    name = "braze"
    max_batch = MAX_ATTRIBUTE_OBJECTS

    def __init__(
        self,
        config: BrazeConfig,
        *,
        client: httpx.AsyncClient | None = None,
        policy: RetryPolicy | None = None,
        sleep: SleepFn | None = None,
    ) -> None:
        self.config = config
        self.max_batch = config.batch_size
        self.channel: Channel = config.channel
        self._http = HttpDelivery(
            destination=self.name,
            base_url=config.base_url,
            headers={"Authorization": f"Bearer {config.api_key.get_secret_value()}"},
            client=client,
            policy=policy,
            sleep=sleep,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def validate(self, member: Member) -> str | None:
        if not member.pid:
            return "missing pid"
        if self.channel == "email":
            if not member.email:
                return "no email"
            if not looks_like_email(member.email):
                return "malformed email"
        if self.channel == "sms" and google_phone(member.phone) is None:
            return "no E.164 phone"
        return None

    def add_object(self, member: Member, label: str) -> dict[str, Any]:
        obj: dict[str, Any] = {"external_id": member.pid}
        if self.config.send_attributes:
            # Custom attributes first, so a colliding name cannot override a standard field.
            obj.update({k: jsonable(v) for k, v in member.attributes.items() if k not in _STANDARD})
        if member.email:
            obj["email"] = member.email.strip()
        phone = google_phone(member.phone)
        if phone:
            obj["phone"] = phone
        for key, value in (
            ("first_name", member.first_name),
            ("last_name", member.last_name),
            ("country", member.country),
            ("home_city", member.city),
        ):
            if value and value.strip():
                obj[key] = value.strip()
        obj[self.config.segments_attribute] = {"add": [label]}
        return obj

    def remove_object(self, member: Member, label: str) -> dict[str, Any]:
        return {
            "external_id": member.pid,
            "_update_existing_only": True,
            self.config.segments_attribute: {"remove": [label]},
        }

    async def add(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        valid, invalid = self.split_valid(members)
        label = segment_label(segment)
        rows = [(m, self.add_object(m, label)) for m in valid]
        result = await send_batches(
            self.name, list(chunked(rows, self.max_batch)), self._track, lambda row: row[0].pid
        )
        result.invalid.extend(invalid)
        return result

    async def remove(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        label = segment_label(segment)
        rows = [(m, self.remove_object(m, label)) for m in members if m.pid]
        result = await send_batches(
            self.name, list(chunked(rows, self.max_batch)), self._track, lambda row: row[0].pid
        )
        result.invalid.extend(RowError(m.pid, "missing pid") for m in members if not m.pid)
        return result

    async def _track(self, batch: Sequence[tuple[Member, dict[str, Any]]]) -> DeliveryResult:
        response = await self._http.request(
            "POST",
            "/users/track",
            op="users/track",
            json_body={"attributes": [o for _, o in batch]},
        )
        result = DeliveryResult()
        body = response.json() if response.content else {}
        for error in body.get("errors") or []:
            index = error.get("index")
            in_batch = isinstance(index, int) and 0 <= index < len(batch)
            if error.get("input_array") == "attributes" and in_batch:
                result.failed.append(RowError(batch[index][0].pid, str(error.get("type", "error"))))
        result.sent = len(batch) - len(result.failed)
        return result
