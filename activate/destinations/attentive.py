"""Attentive: SMS subscribers, and segment membership as custom attributes.

Docs followed (docs.attentive.com, REST API `v1`, read 2026-12-05; see versions.py):
- Subscribe user, `POST /v1/subscriptions` (scope `subscriptions:write`): `{user: {phone,
  email}, signUpSourceId}`, or, without a sign-up source, both `subscriptionType` and
  `locale`, which must match exactly one API sign-up unit (else 400). Phones in E.164.
  Answers 202. A legal disclosure is required for a programmatic opt-in, and subscribing a
  user who already has the subscription "records the attempt again": for TEXT that texts
  the person that they are already subscribed. So a member is subscribed once, when added;
  updates and removals never call it.
- Unsubscribe, `POST /v1/subscriptions/unsubscribe` (`subscriptions:write`): `{user,
  subscriptions: [{type, channel}]}`; the phone locates text subscriptions only. Used only
  for a member removed because the sources recorded an SMS opt-out (`consents["sms"] is
  False`), for `MARKETING` / `TEXT`.
- Custom Attributes, `POST /v1/attributes/custom` (scope `attributes:write`): `{user,
  properties}`; no arrays (an array value is a 400), names up to 200 characters, a
  property's type is fixed by the first value it sees. Membership is one boolean property
  per segment (`<segments_attribute>_<label>`), `true` on add, `false` on removal, so
  Attentive segments can filter on it.
- Authentication: `Authorization: Bearer <API key>`. Rate limits: 150 requests a second
  per endpoint, but subscribe 10/s and unsubscribe 5/s; over them a 429 (the docs name no
  `Retry-After`, and ask for exponential backoff with jitter, which `HttpDelivery` does).
  Requests are paced below those limits (`limits.py`; groups `subscribe`,
  `unsubscribe`, `attributes`, `subscriptions_lookup`). The docs list 400, 401, 403, 404, 429, 500
  without a body schema: a body is kept only as a redacted excerpt.

- Get subscription eligibility, `GET /v1/subscriptions?phone=` (`subscriptions:read`):
  `{subscriptionEligibilities: [{subscription: {type, channel}, eligibility: {isEligible}}]}`
  for the subscriptions the user has; a 404 when they have none. With `check_existing`
  (default) a member whose phone already holds an eligible TEXT subscription of the
  configured type is not subscribed again, so joining a second segment, or rejoining
  one, does not text them "already subscribed".

Every request names one user, so every row is its own batch: a 400 fails that member
only, a 401/403 fails the run at once, a 429 that outlives its retries fails the rest of
the run as retryable.

Consent: a member is sent only with a recorded SMS opt-in (`consents["sms"] is True`),
checked here as well as by the sync engine (the `sms` channel's default consent), so a
member the engine let through by mistake is still never texted. Only the phone is sent to
the subscribe call, so a sign-up unit that also collects email does not subscribe the
member to email on our say-so.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

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
    jsonable,
    send_batches,
)
from activate.destinations.limits import Pacing, RateLimit, RateLimitOptions, limits
from activate.destinations.versions import ATTENTIVE_API_VERSION
from activate.hashing import google_phone

logger = logging.getLogger(__name__)

MAX_ATTRIBUTE_NAME = 200
_LABEL = re.compile(r"[^A-Za-z0-9_]+")
_NO_CONSENT = "no recorded SMS opt-in"


class AttentiveLocale(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    language: str = Field(min_length=2, max_length=8)
    country: str = Field(min_length=2, max_length=2)


class AttentiveConfig(RateLimitOptions):
    model_config = ConfigDict(frozen=True)

    DEFAULT_RATE_LIMITS: ClassVar[Mapping[str, tuple[RateLimit, ...]]] = {
        "subscribe": limits((10, 1)),
        "unsubscribe": limits((5, 1)),
        "attributes": limits((150, 1)),
        "subscriptions_lookup": limits((150, 1)),
    }
    """Attentive's API rate limits: 150 requests a second per endpoint, subscribe 10 and
    unsubscribe 5."""

    api_key: SecretStr
    base_url: str = "https://api.attentivemobile.com"
    sign_up_source_id: str | None = Field(None, min_length=1)
    """The API sign-up unit members are subscribed through (Sign-up Units tab, ID column)."""
    subscription_type: Literal["MARKETING", "TRANSACTIONAL"] | None = None
    """Without a sign-up source: with `locale`, names the one matching API sign-up unit."""
    locale: AttentiveLocale | None = None
    segments_attribute: str = Field("cdp_segment", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,99}$")
    """Prefix of the per-segment boolean custom attribute."""
    send_attributes: bool = True
    """Also sync the members' attributes (clv_12m, ...) as custom attributes."""
    check_existing: bool = True
    """Look the phone's subscriptions up first and subscribe only those without one."""

    @model_validator(mode="after")
    def _one_way_to_subscribe(self) -> AttentiveConfig:
        by_type = self.subscription_type is not None or self.locale is not None
        if self.sign_up_source_id is None and not (
            self.subscription_type is not None and self.locale is not None
        ):
            raise ValueError("set sign_up_source_id, or both subscription_type and locale")
        if self.sign_up_source_id is not None and by_type:
            raise ValueError("set sign_up_source_id or subscription_type and locale, not both")
        return self


def segment_label(segment: SegmentRef) -> str:
    return segment.external_id or segment.id


def membership_attribute(prefix: str, label: str) -> str:
    """The segment's boolean property: letters, digits and '_', at most 200 characters."""
    return f"{prefix}_{_LABEL.sub('_', label).strip('_')}"[:MAX_ATTRIBUTE_NAME]


class AttentiveDestination(Destination):
    name = "attentive"
    max_batch = 1
    channel: Channel = "sms"

    def __init__(
        self,
        config: AttentiveConfig,
        *,
        client: httpx.AsyncClient | None = None,
        policy: RetryPolicy | None = None,
        sleep: SleepFn | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        self.config = config
        self._http = HttpDelivery(
            destination=self.name,
            base_url=config.base_url,
            headers={"Authorization": f"Bearer {config.api_key.get_secret_value()}"},
            client=client,
            policy=policy,
            sleep=sleep,
            rate_limits=config.effective_rate_limits(),
            pacing=pacing,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def validate(self, member: Member) -> str | None:
        if not member.pid:
            return "missing pid"
        if member.consents.get("sms") is not True:
            return _NO_CONSENT
        if google_phone(member.phone) is None:
            return "no E.164 phone"
        return None

    # bodies ------------------------------------------------------------------------

    def user(self, member: Member) -> dict[str, Any]:
        phone = google_phone(member.phone)
        assert phone is not None, "validated before"
        return {"phone": phone}

    def subscribe_body(self, member: Member) -> dict[str, Any]:
        body: dict[str, Any] = {"user": self.user(member)}
        if self.config.sign_up_source_id is not None:
            body["signUpSourceId"] = self.config.sign_up_source_id
        else:
            assert self.config.locale is not None
            body["subscriptionType"] = self.config.subscription_type
            body["locale"] = self.config.locale.model_dump()
        return body

    def attributes_body(self, member: Member, label: str, *, member_of: bool) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        if member_of and self.config.send_attributes:
            for key, value in member.attributes.items():
                value = jsonable(value)
                # Attentive refuses arrays and objects with a 400 for the whole call.
                if value is not None and not isinstance(value, list | dict):
                    properties[str(key)[:MAX_ATTRIBUTE_NAME]] = value
        properties[membership_attribute(self.config.segments_attribute, label)] = member_of
        return {"user": self.user(member), "properties": properties}

    @property
    def subscription_type(self) -> str:
        """The type subscribed to; a sign-up unit's is taken to be marketing."""
        return self.config.subscription_type or "MARKETING"

    def already_subscribed(self, body: Any) -> bool:
        """Whether a `GET /v1/subscriptions` answer holds an eligible TEXT subscription of
        our type. The answer's shape is Attentive's `GetSubscriptionsResponseDto`
        (`subscriptionEligibilities[].subscription.{type,channel}` and
        `.eligibility.isEligible`, as the SDK generated from its OpenAPI document has it)."""
        entries = body.get("subscriptionEligibilities") if isinstance(body, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            subscription = entry.get("subscription") or {}
            eligibility = entry.get("eligibility") or {}
            if (
                subscription.get("channel") == "TEXT"
                and subscription.get("type") == self.subscription_type
                and eligibility.get("isEligible") is True
            ):
                return True
        return False

    @staticmethod
    def unsubscribe_body(user: dict[str, Any]) -> dict[str, Any]:
        return {"user": user, "subscriptions": [{"type": "MARKETING", "channel": "TEXT"}]}

    # delivery ----------------------------------------------------------------------

    async def add(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        return await self._deliver(segment, members, subscribe=True)

    async def update(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        # No subscribe call: a repeated one texts the member "already subscribed".
        return await self._deliver(segment, members, subscribe=False)

    async def remove(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        label = segment_label(segment)
        rows: list[Member] = []
        invalid: list[RowError] = []
        for member in members:
            if not member.pid:
                invalid.append(RowError(member.pid, "missing pid"))
            elif google_phone(member.phone) is None:
                invalid.append(RowError(member.pid, "no E.164 phone"))
            else:
                rows.append(member)

        async def send(batch: Sequence[Member]) -> DeliveryResult:
            member = batch[0]
            if member.consents.get("sms") is False:
                # The sources recorded an SMS opt-out: Attentive stops texting them too.
                await self._http.request(
                    "POST",
                    f"/{ATTENTIVE_API_VERSION}/subscriptions/unsubscribe",
                    op="subscriptions/unsubscribe",
                    limit="unsubscribe",
                    json_body=self.unsubscribe_body(self.user(member)),
                )
            await self._set_attributes(self.attributes_body(member, label, member_of=False))
            return DeliveryResult(sent=1)

        result = await send_batches(self.name, [[m] for m in rows], send, lambda m: m.pid)
        result.invalid.extend(invalid)
        return result

    async def _deliver(
        self, segment: SegmentRef, members: Sequence[Member], *, subscribe: bool
    ) -> DeliveryResult:
        valid, invalid = self.split_valid(members)
        label = segment_label(segment)

        async def send(batch: Sequence[Member]) -> DeliveryResult:
            member = batch[0]
            if subscribe and not await self._subscribed(member):
                await self._http.request(
                    "POST",
                    f"/{ATTENTIVE_API_VERSION}/subscriptions",
                    op="subscriptions",
                    limit="subscribe",
                    json_body=self.subscribe_body(member),
                )
            await self._set_attributes(self.attributes_body(member, label, member_of=True))
            return DeliveryResult(sent=1)

        result = await send_batches(self.name, [[m] for m in valid], send, lambda m: m.pid)
        result.invalid.extend(invalid)
        if invalid:
            logger.info("%s: %d members not sent (no SMS opt-in or phone)", self.name, len(invalid))
        return result

    async def _subscribed(self, member: Member) -> bool:
        if not self.config.check_existing:
            return False
        response = await self._http.request(
            "GET",
            f"/{ATTENTIVE_API_VERSION}/subscriptions",
            op="subscriptions lookup",
            limit="subscriptions_lookup",
            params=self.user(member),
            pass_through=(404,),  # no subscription at all
        )
        if response.status_code == 404 or not response.content:
            return False
        return self.already_subscribed(response.json())

    async def _set_attributes(self, body: dict[str, Any]) -> None:
        await self._http.request(
            "POST",
            f"/{ATTENTIVE_API_VERSION}/attributes/custom",
            op="attributes/custom",
            limit="attributes",
            json_body=body,
        )
