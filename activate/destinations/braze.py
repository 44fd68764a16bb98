"""Braze: segment membership as custom attributes, through `/users/track`.

Docs followed (braze.com/docs/api/endpoints/user_data/post_user_track, the user
attributes object, "Custom attributes" and "Subscription groups"):
- `POST /users/track` with `Authorization: Bearer <REST API key>` (permission
  `users.track`) and a JSON body `{"attributes": [...]}`. A request takes up to 75
  objects under the current rate limits and 50 under the Monthly Active Users CY 24-25
  contracts: `batch_size` (default 50) follows the contract.
- Each attribute object names the user by `external_id` or by `user_alias: {alias_name,
  alias_label}` (`identifier`); an alias-only user is created only with
  `_update_existing_only: false`. The `external_id` is the brand's own: the member's
  customer key in `external_id_source` (the engine hands it over as `Member.source_key`),
  our profile id only where the member has no record of that source. The id a member was
  added under is kept in the sync state (`vendor_ids`) and names it on every later update
  and removal, even after its key or profile changed.
- Membership: by default one boolean custom attribute per segment
  (`<segments_attribute>_<label>`: `true` on add, `null` on removal, which unsets it), so
  no limit applies to how many segments a member is in. An array attribute
  (`membership: "array"`, `{"add": [...]}` / `{"remove": [...]}`) is cut silently by
  Braze at its maximum length (25 unless raised in the dashboard): choose it only when
  fewer segments than that are synced to the workspace.
- `subscription_groups: [{subscription_group_id, subscription_state}]` puts members with a
  recorded email or SMS consent in (`subscribed`) or out of (`unsubscribed`) the
  configured groups; members with nothing recorded are left as they are. A member removed
  because the sources recorded an email opt-out also gets `email_subscribe:
  "unsubscribed"` (Braze's global email state), and recorded opt-outs take them out of
  the configured groups.
- Braze bills a data point per attribute written and asks for deltas: an update sends only
  the identifiers and attributes that changed since the last delivery (`Member.last_sent`,
  from the sync state), and nothing at all when none did.
- A 201 answer may still list per-object errors as `errors: [{type, input_array, index}]`;
  those are mapped back to rows. `_update_existing_only: true` on removal keeps Braze
  from creating a user only to take a segment off it.
The REST endpoint is per Braze instance (rest.iad-01.braze.com, ...), hence `base_url`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import httpx
from pydantic import ConfigDict, Field, SecretStr

from activate.destinations.base import (
    Channel,
    DeliveryResult,
    Destination,
    Member,
    Purpose,
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
from activate.destinations.limits import Pacing, RateLimit, RateLimitOptions, limits
from activate.hashing import google_phone, looks_like_email

logger = logging.getLogger(__name__)

MAX_ATTRIBUTE_OBJECTS = 75
DEFAULT_BATCH = 50
_STANDARD = frozenset(
    {"external_id", "email", "phone", "first_name", "last_name", "country", "home_city"}
)
_RESERVED = frozenset({"user_alias", "braze_id", "_update_existing_only", "subscription_groups"})
_LABEL = re.compile(r"[^A-Za-z0-9_]+")
_STANDARD_FIELDS = (
    ("email", "email"),
    ("phone", "phone"),
    ("first_name", "first_name"),
    ("last_name", "last_name"),
    ("country", "country"),
    ("home_city", "city"),
)
"""(Braze standard attribute, Member field)."""


class BrazeConfig(RateLimitOptions):
    model_config = ConfigDict(frozen=True)

    DEFAULT_RATE_LIMITS: ClassVar[Mapping[str, tuple[RateLimit, ...]]] = {
        "users_track": limits((3000, 3)),
    }
    """`/users/track`: 3,000 requests every three seconds per workspace (Braze's API
    limits page; raised on request to the customer success manager)."""

    api_key: SecretStr
    base_url: str
    """The instance's REST endpoint, e.g. https://rest.iad-01.braze.com."""
    identifier: Literal["external_id", "user_alias"] = "external_id"
    """How users are named: our profile id as `external_id`, or a user alias."""
    alias_label: str = Field("cdp_pid", min_length=1, max_length=100)
    """With `identifier: user_alias`: the alias label; the alias name is the pid."""
    external_id_source: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{0,62}$")
    """The source whose customer keys are the brand's Braze external ids (e.g. `ecommerce`);
    unset: our profile ids."""
    membership: Literal["boolean", "array"] = "boolean"
    segments_attribute: str = "cdp_segments"
    """The array attribute, or the prefix of the per-segment booleans."""
    channel: Literal["email", "sms"] = "email"
    email_subscription_group_id: str | None = None
    sms_subscription_group_id: str | None = None
    batch_size: int = Field(DEFAULT_BATCH, ge=1, le=MAX_ATTRIBUTE_OBJECTS)
    send_attributes: bool = True
    """Also sync the members' attributes (clv_12m, ...) as custom attributes."""


def segment_label(segment: SegmentRef) -> str:
    return segment.external_id or segment.id


def membership_attribute(prefix: str, label: str) -> str:
    """The boolean attribute of one segment: letters, digits and '_' only."""
    return f"{prefix}_{_LABEL.sub('_', label).strip('_')}"


class BrazeDestination(Destination):
    name = "braze"
    max_batch = DEFAULT_BATCH

    def __init__(
        self,
        config: BrazeConfig,
        *,
        client: httpx.AsyncClient | None = None,
        policy: RetryPolicy | None = None,
        sleep: SleepFn | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        self.config = config
        self.max_batch = config.batch_size
        self.channel: Channel = config.channel
        if config.identifier == "external_id":
            self.key_source = config.external_id_source
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
        if self.channel == "email":
            if not member.email:
                return "no email"
            if not looks_like_email(member.email):
                return "malformed email"
        if self.channel == "sms" and google_phone(member.phone) is None:
            return "no E.164 phone"
        return None

    # objects -----------------------------------------------------------------------

    def user(self, member: Member, *, create: bool) -> dict[str, Any]:
        """The object's identifying part."""
        if self.config.identifier == "user_alias":
            alias = {"alias_name": member.pid, "alias_label": self.config.alias_label}
            return {"user_alias": alias, "_update_existing_only": not create}
        obj: dict[str, Any] = {"external_id": self.external_id(member)}
        if not create:
            obj["_update_existing_only"] = True
        return obj

    def external_id(self, member: Member) -> str:
        """The id the member was added under, else the brand's key, else our pid."""
        if self.key_source is None:
            return member.pid
        return member.vendor_id or member.source_key or member.pid

    def fields(self, member: Member) -> dict[str, Any]:
        """Standard and custom attributes as they are now."""
        obj: dict[str, Any] = {}
        if self.config.send_attributes:
            # Custom attributes first, so a colliding name cannot override a standard field.
            obj.update(
                {
                    k: jsonable(v)
                    for k, v in member.attributes.items()
                    if k not in _STANDARD and k not in _RESERVED
                }
            )
        for key, name in _STANDARD_FIELDS:
            value = getattr(member, name)
            if key == "phone":
                value = google_phone(value)
            elif key == "email" and value:
                value = value.strip()
            if value and value.strip():
                obj[key] = value.strip()
        return obj

    def changed_fields(self, member: Member) -> dict[str, Any]:
        """Only what differs from the last delivery (all of it when that is unknown)."""
        now = self.fields(member)
        before = member.last_sent
        if before is None:
            return now

        def text(name: str) -> str | None:
            value = before.get(name)
            return value if isinstance(value, str) else None

        previous = self.fields(
            Member(
                pid=member.pid,
                email=text("email"),
                phone=text("phone"),
                first_name=text("first_name"),
                last_name=text("last_name"),
                country=text("country"),
                city=text("city"),
                attributes=dict(before.get("attributes") or {}),
            )
        )
        return {k: v for k, v in now.items() if previous.get(k, object()) != v}

    def subscriptions(self, member: Member) -> list[dict[str, str]]:
        groups: list[dict[str, str]] = []
        choices: tuple[tuple[Purpose, str | None], ...] = (
            ("email", self.config.email_subscription_group_id),
            ("sms", self.config.sms_subscription_group_id),
        )
        for purpose, group in choices:
            recorded = member.consents.get(purpose)
            if group and isinstance(recorded, bool):
                state = "subscribed" if recorded else "unsubscribed"
                groups.append({"subscription_group_id": group, "subscription_state": state})
        return groups

    def membership(self, label: str, *, member_of: bool) -> dict[str, Any]:
        attribute = self.config.segments_attribute
        if self.config.membership == "array":
            return {attribute: {"add" if member_of else "remove": [label]}}
        return {membership_attribute(attribute, label): True if member_of else None}

    def add_object(self, member: Member, label: str) -> dict[str, Any]:
        obj = {**self.fields(member), **self.user(member, create=True)}
        groups = self.subscriptions(member)
        if groups:
            obj["subscription_groups"] = groups
        obj.update(self.membership(label, member_of=True))
        return obj

    def update_object(self, member: Member) -> dict[str, Any] | None:
        """The changes of a member already in the segment; None when nothing changed."""
        changes = self.changed_fields(member)
        groups = self.subscriptions(member)
        if groups:
            changes["subscription_groups"] = groups
        if not changes:
            return None
        return {**changes, **self.user(member, create=False)}

    def remove_object(self, member: Member, label: str) -> dict[str, Any]:
        obj = {**self.user(member, create=False), **self.membership(label, member_of=False)}
        # A removal because the sources recorded an opt-out tells Braze so.
        if member.consents.get("email") is False:
            obj["email_subscribe"] = "unsubscribed"
        groups = [g for g in self.subscriptions(member) if g["subscription_state"] != "subscribed"]
        if groups:
            obj["subscription_groups"] = groups
        return obj

    # delivery ----------------------------------------------------------------------

    async def add(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        valid, invalid = self.split_valid(members)
        label = segment_label(segment)
        rows = [(m, self.add_object(m, label)) for m in valid]
        result = await self._send(rows)
        result.invalid.extend(invalid)
        if self.key_source is not None:
            failed = {e.pid for e in result.failed}
            result.vendor_ids = {m.pid: self.external_id(m) for m, _ in rows if m.pid not in failed}
        return result

    async def update(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        valid, invalid = self.split_valid(members)
        rows: list[tuple[Member, dict[str, Any]]] = []
        unchanged = 0
        for member in valid:
            obj = self.update_object(member)
            if obj is None:
                unchanged += 1  # nothing Braze would bill for: nothing sent
            else:
                rows.append((member, obj))
        result = await self._send(rows)
        result.sent += unchanged
        result.invalid.extend(invalid)
        return result

    async def remove(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        label = segment_label(segment)
        rows = [(m, self.remove_object(m, label)) for m in members if m.pid]
        result = await self._send(rows)
        result.invalid.extend(RowError(m.pid, "missing pid") for m in members if not m.pid)
        return result

    async def _send(self, rows: Sequence[tuple[Member, dict[str, Any]]]) -> DeliveryResult:
        return await send_batches(
            self.name, list(chunked(rows, self.max_batch)), self._track, lambda row: row[0].pid
        )

    async def _track(self, batch: Sequence[tuple[Member, dict[str, Any]]]) -> DeliveryResult:
        response = await self._http.request(
            "POST",
            "/users/track",
            op="users/track",
            limit="users_track",
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
