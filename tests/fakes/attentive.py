"""Fake Attentive REST API v1: subscribe, unsubscribe, custom attributes.

As documented (docs.attentive.com, Subscribers and Custom Attributes, API rate limits):
- every call carries `Authorization: Bearer <API key>`; a wrong key is a 401;
- `POST /v1/subscriptions` takes `{user: {phone?, email?}, signUpSourceId}` or, instead of
  the sign-up source, both `subscriptionType` and `locale` naming exactly one API sign-up
  unit (else 400); phones in E.164; answers 202 with the subscriptions that already
  existed and those to be created. Subscribing an already subscribed phone again texts the
  person "already subscribed": counted in `repeat_texts`;
- `GET /v1/subscriptions?phone=` lists the subscriptions a user has as
  `subscriptionEligibilities: [{subscription: {type, channel}, eligibility: {isEligible}}]`,
  a 404 when there are none;
- `POST /v1/subscriptions/unsubscribe` takes `{user, subscriptions?: [{type, channel}]}`;
- `POST /v1/attributes/custom` takes `{user, properties}`; an array (or object) value is
  a 400, as is a name over 200 characters; a property keeps the type of its first value;
- over `subscribe_limit` (10) / `unsubscribe_limit` (5) / `default_limit` (150)
  requests in one second, a 429 with `x-ratelimit-limit` and `x-ratelimit-remaining`
  (no Retry-After is documented) when `enforce_rate` is on.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from tests.fakes.server import FakeApi, Reply, Request, Violation

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_TYPES = frozenset({"MARKETING", "TRANSACTIONAL"})
_CHANNELS = frozenset({"TEXT", "EMAIL"})


class FakeAttentive(FakeApi):
    def __init__(
        self,
        api_key: str,
        *,
        sign_up_sources: frozenset[str] = frozenset({"12345"}),
        api_units: frozenset[tuple[str, str, str]] = frozenset({("MARKETING", "en", "US")}),
        enforce_rate: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.sign_up_sources = sign_up_sources
        self.api_units = api_units
        """(subscriptionType, language, country) of the API sign-up units."""
        self.enforce_rate = enforce_rate
        self.clock = clock
        self.subscribed: dict[str, set[str]] = {}
        """phone -> subscription types (TEXT channel)."""
        self.unsubscribed: set[str] = set()
        self.attributes: dict[str, dict[str, Any]] = {}
        """phone -> properties."""
        self.types: dict[str, type] = {}
        self.repeat_texts = 0
        self.throttled = 0
        """Requests answered 429 for going over a limit."""
        self._windows: dict[str, tuple[int, int]] = {}
        self.limits = {"subscribe": 10, "unsubscribe": 5, "default": 150}

    def violation_reply(self, violation: Violation) -> Reply:
        return Reply(violation.status, {"message": str(violation)})

    def members_of(self, attribute: str) -> set[str]:
        return {phone for phone, props in self.attributes.items() if props.get(attribute) is True}

    def _rate(self, bucket: str) -> Reply | None:
        second = int(self.clock())
        start, count = self._windows.get(bucket, (second, 0))
        if start != second:
            start, count = second, 0
        count += 1
        self._windows[bucket] = (start, count)
        limit = self.limits[bucket]
        if count > limit:
            self.throttled += 1
            headers = {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": "0"}
            return Reply(429, {"message": "Too Many Requests"}, headers)
        return None

    def _user(self, body: Any) -> str | None:
        self.require(isinstance(body, dict), "body must be an object")
        user = body.get("user")
        self.require(isinstance(user, dict) and bool(user), "user is required")
        assert isinstance(user, dict)
        self.require(set(user) <= {"phone", "email", "externalIdentifiers"}, "unknown user field")
        phone = user.get("phone")
        if phone is not None:
            self.require(isinstance(phone, str) and bool(_E164.match(phone)), "phone: e164")
        self.require(phone is not None or "email" in user, "phone or email is required")
        return phone if isinstance(phone, str) else None

    def route(self, request: Request) -> Reply:
        self.require(request.headers.get("authorization") == f"Bearer {self.api_key}", "auth", 401)
        if request.method == "GET" and request.path == "/v1/subscriptions":
            if self.enforce_rate and (limited := self._rate("default")) is not None:
                return limited
            return self._eligibility(request)
        self.require(request.method == "POST", "unknown endpoint", 404)
        self.require("application/json" in request.headers.get("content-type", ""), "content-type")
        bucket = {
            "/v1/subscriptions": "subscribe",
            "/v1/subscriptions/unsubscribe": "unsubscribe",
        }.get(request.path, "default")
        if self.enforce_rate:
            limited = self._rate(bucket)
            if limited is not None:
                return limited
        if request.path == "/v1/subscriptions":
            return self._subscribe(request.json())
        if request.path == "/v1/subscriptions/unsubscribe":
            return self._unsubscribe(request.json())
        if request.path == "/v1/attributes/custom":
            return self._custom(request.json())
        raise Violation("The specified resource was not found", 404)

    def _subscribe(self, body: Any) -> Reply:
        phone = self._user(body)
        self.require(
            set(body)
            <= {"user", "signUpSourceId", "subscriptionType", "locale", "externalIdentifiers"},
            "unknown field",
        )
        source = body.get("signUpSourceId")
        if source is not None:
            self.require(source in self.sign_up_sources, "unknown signUpSourceId")
            kind = "MARKETING"
        else:
            kind, locale = body.get("subscriptionType"), body.get("locale")
            self.require(
                kind in _TYPES and isinstance(locale, dict),
                "signUpSourceId, or both subscriptionType and locale",
            )
            assert isinstance(locale, dict)
            unit = (kind, locale.get("language"), locale.get("country"))
            self.require(unit in self.api_units, "no API sign-up unit matches")
        assert isinstance(kind, str)
        self.require(phone is not None, "a TEXT sign-up unit needs a phone")
        assert phone is not None
        held = self.subscribed.setdefault(phone, set())
        existing = kind in held
        if existing:
            self.repeat_texts += 1  # Attentive texts "you are already subscribed"
        held.add(kind)
        self.unsubscribed.discard(phone)
        response = {"type": kind, "channel": "TEXT"}
        return Reply(
            202,
            {
                "user": body["user"],
                "subscriptionResponses": [
                    {"subscription": response, "subscriptionStatus": "ALREADY_SUBSCRIBED"}
                    if existing
                    else {"subscription": response, "subscriptionStatus": "SUBSCRIBED"}
                ],
            },
        )

    def _eligibility(self, request: Request) -> Reply:
        phone, email = request.param("phone"), request.param("email")
        self.require(phone is not None or email is not None, "phone or email is required")
        held = self.subscribed.get(phone or "", set())
        if not held:
            return Reply(404, {"message": "Subscriptions not found"})
        return Reply(
            200,
            {
                "subscriptionEligibilities": [
                    {
                        "subscription": {"type": kind, "channel": "TEXT"},
                        "eligibility": {"isEligible": True},
                    }
                    for kind in sorted(held)
                ]
            },
        )

    def _unsubscribe(self, body: Any) -> Reply:
        phone = self._user(body)
        subscriptions = body.get("subscriptions")
        if subscriptions is not None:
            self.require(isinstance(subscriptions, list), "subscriptions must be a list")
            for item in subscriptions:
                self.require(
                    isinstance(item, dict)
                    and item.get("type") in _TYPES
                    and item.get("channel") in _CHANNELS,
                    "subscriptions items: type and channel",
                )
        if phone is not None:
            self.subscribed.pop(phone, None)
            self.unsubscribed.add(phone)
        return Reply(200, {})

    def _custom(self, body: Any) -> Reply:
        phone = self._user(body)
        properties = body.get("properties")
        self.require(isinstance(properties, dict) and bool(properties), "properties required")
        assert isinstance(properties, dict)
        for name, value in properties.items():
            self.require(len(name) <= 200, "attribute name longer than 200 characters")
            self.require(not isinstance(value, list | dict), f"{name}: arrays not supported")
            seen = self.types.setdefault(name, type(value))
            self.require(seen is type(value), f"{name}: expected {seen.__name__}")
        if phone is not None:
            self.attributes.setdefault(phone, {}).update(properties)
        return Reply(200, {})
