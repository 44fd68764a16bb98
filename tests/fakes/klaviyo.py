"""Fake Klaviyo API: bulk import jobs, job errors and profiles, profile lookup, list removal,
bulk unsubscribe (validated against the OpenAPI schema's `SubscriptionDeleteJobCreateQuery`:
at most 100 profiles, `subscriptions` required, consent `UNSUBSCRIBED` only, an email or a
phone number for the email and SMS channels)."""

from __future__ import annotations

import json
import math
import re
from collections import deque
from collections.abc import Callable
from itertools import count
from typing import Any

from activate.destinations.versions import KLAVIYO_REVISION
from tests.fakes.server import FakeApi, Reply, Request, Violation

JOBS = "/api/profile-bulk-import-jobs"
_JOB_PATH = re.compile(rf"^{JOBS}/(?P<id>[^/]+)(?:/(?P<sub>import-errors|profiles))?$")
_LIST_PROFILES = re.compile(r"^/api/lists/(?P<id>[^/]+)/relationships/profiles$")
_ANY_EXTERNAL_ID = re.compile(r"^any\(external_id,(\[.*\])\)$")
# Pagination links point at the real host on purpose: a client must not follow them.
PUBLIC_HOST = "https://a.klaviyo.com"

RATE_LIMITS: dict[str, tuple[int, int]] = {
    "jobs": (10, 150),
    "profiles": (75, 700),
    "lists": (10, 150),
    "unsubscribe": (75, 750),
}
"""(burst per second, steady per minute) per endpoint group, as the API reference lists
them: bulk import jobs and their status, profiles and errors; Get Profiles; Remove Profiles
from List; Bulk Unsubscribe Profiles."""


def rate_group(request: Request) -> str:
    if request.path.startswith(JOBS):
        return "jobs"
    if request.path == "/api/profiles":
        return "profiles"
    if request.path.startswith("/api/lists/"):
        return "lists"
    return "unsubscribe"


class FakeKlaviyo(FakeApi):
    def __init__(
        self,
        api_key: str,
        revision: str = KLAVIYO_REVISION,
        *,
        polls_before_complete: int = 1,
        max_page: int = 100,
        invalid_domain: str = "invalid.test",
        now: Callable[[], float] | None = None,
    ) -> None:
        """`now`: a clock; given, the documented rate limits are enforced against it
        (429 `throttled` with Retry-After, as Klaviyo answers)."""
        super().__init__()
        self.now = now
        self.throttled = 0
        self._seen: dict[str, deque[float]] = {}
        self.api_key = api_key
        self.revision = revision
        self.polls_before_complete = polls_before_complete
        self.max_page = max_page
        self.invalid_domain = invalid_domain
        self.profiles: dict[str, str] = {}
        """external_id -> Klaviyo profile id"""
        self.lists: dict[str, set[str]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.unsubscribed: dict[str, set[str]] = {}
        """email or phone -> channels unsubscribed from marketing (globally: no list given)."""
        self.cancel_jobs = False
        """Jobs are `cancelled` instead of completing."""
        self._ids = count(1)

    def violation_reply(self, violation: Violation) -> Reply:
        return Reply(
            violation.status,
            {
                "errors": [
                    {"id": "x", "code": "invalid", "title": "Invalid", "detail": str(violation)}
                ]
            },
        )

    def members(self, list_id: str) -> set[str]:
        """External ids (pids) currently on a list."""
        by_id = {kid: ext for ext, kid in self.profiles.items()}
        return {by_id[kid] for kid in self.lists.get(list_id, set())}

    def _throttle(self, request: Request) -> Reply | None:
        if self.now is None:
            return None
        group = rate_group(request)
        burst, steady = RATE_LIMITS[group]
        now = self.now()
        seen = self._seen.setdefault(group, deque())
        while seen and seen[0] <= now - 60:
            seen.popleft()
        in_second = [t for t in seen if t > now - 1]
        if len(in_second) >= burst:
            wait = in_second[0] + 1 - now
        elif len(seen) >= steady:
            wait = seen[0] + 60 - now
        else:
            seen.append(now)
            return None
        self.throttled += 1
        seconds = max(1, math.ceil(wait))
        detail = f"Request was throttled. Expected available in {seconds} second(s)."
        body = {
            "errors": [
                {
                    "id": "throttled",
                    "status": 429,
                    "code": "throttled",
                    "title": "Request was throttled.",
                    "detail": detail,
                    "source": {"pointer": "/data/"},
                }
            ]
        }
        return Reply(429, body, {"Retry-After": str(seconds)})

    def route(self, request: Request) -> Reply:
        throttled = self._throttle(request)
        if throttled is not None:
            return throttled
        headers = request.headers
        self.require(
            headers.get("authorization") == f"Klaviyo-API-Key {self.api_key}", "bad auth", 401
        )
        self.require(headers.get("revision") == self.revision, "missing or wrong revision header")
        if request.method == "POST" and request.path == JOBS:
            return self._create_job(request)
        if (
            request.method == "POST"
            and request.path == "/api/profile-subscription-bulk-delete-jobs"
        ):
            return self._unsubscribe(request)
        job = _JOB_PATH.match(request.path)
        if request.method == "GET" and job:
            return self._job(request, job["id"], job["sub"])
        if request.method == "GET" and request.path == "/api/profiles":
            return self._find_profiles(request)
        listed = _LIST_PROFILES.match(request.path)
        if request.method == "DELETE" and listed:
            return self._remove_from_list(request, listed["id"])
        raise Violation(f"no route for {request.method} {request.path}", 404)

    def _create_job(self, request: Request) -> Reply:
        self.require("json" in request.headers.get("content-type", ""), "content-type must be JSON")
        self.require(len(request.body) <= 5_000_000, "payload over 5 MB", 413)
        data = request.json().get("data") or {}
        self.require(data.get("type") == "profile-bulk-import-job", "data.type")
        profiles = (((data.get("attributes") or {}).get("profiles")) or {}).get("data")
        if not isinstance(profiles, list) or not profiles:
            raise Violation("attributes.profiles.data")
        self.require(len(profiles) <= 10_000, "more than 10,000 profiles")
        lists = ((data.get("relationships") or {}).get("lists") or {}).get("data") or []
        self.require(all(item.get("type") == "list" for item in lists), "relationships.lists type")
        job_id = f"job{next(self._ids)}"
        errors, items = [], []
        for index, profile in enumerate(profiles):
            self.require(profile.get("type") == "profile", "profile type")
            attributes = profile.get("attributes") or {}
            self.require(bool(attributes.get("external_id")), "external_id missing")
            phone = attributes.get("phone_number")
            self.require(phone is None or re.fullmatch(r"\+\d{7,15}", phone) is not None, "phone")
            email = str(attributes.get("email", ""))
            if email.endswith("@" + self.invalid_domain):
                errors.append((index, profile, email))
                continue
            external_id = attributes["external_id"]
            kid = self.profiles.setdefault(external_id, f"01K{next(self._ids):08d}")
            items.append({"type": "profile", "id": kid, "attributes": {"external_id": external_id}})
            for item in lists:
                self.lists.setdefault(item["id"], set()).add(kid)
        self.jobs[job_id] = {"polls": 0, "errors": errors, "items": items, "total": len(profiles)}
        return Reply(202, {"data": self._job_resource(job_id, "queued")})

    def _unsubscribe(self, request: Request) -> Reply:
        self.require("json" in request.headers.get("content-type", ""), "content-type must be JSON")
        data = request.json().get("data") or {}
        self.require(data.get("type") == "profile-subscription-bulk-delete-job", "data.type")
        profiles: Any = (((data.get("attributes") or {}).get("profiles")) or {}).get("data")
        self.require(isinstance(profiles, list) and bool(profiles), "attributes.profiles.data")
        self.require(len(profiles) <= 100, "more than 100 profiles per call")
        has_list = bool((data.get("relationships") or {}).get("list"))
        for profile in profiles:
            self.require(profile.get("type") == "profile", "profile type")
            attributes = profile.get("attributes") or {}
            channels: Any = attributes.get("subscriptions")
            self.require(isinstance(channels, dict) and bool(channels), "subscriptions required")
            self.require(set(channels) <= {"email", "sms", "whatsapp", "push"}, "channels")
            for name, params in channels.items():
                consents = [v for k, v in params.items() if k != "tokens"]
                self.require(
                    all(c == {"consent": "UNSUBSCRIBED"} for c in consents),
                    f"{name}: consent must be UNSUBSCRIBED",
                )
            email, phone = attributes.get("email"), attributes.get("phone_number")
            self.require("email" not in channels or bool(email), "email channel needs email")
            self.require("sms" not in channels or bool(phone), "sms channel needs phone_number")
            self.require(
                phone is None or re.fullmatch(r"\+\d{7,15}", phone) is not None, "phone E.164"
            )
            if not has_list:
                for key, channel in ((email, "email"), (phone, "sms")):
                    if key and channel in channels:
                        self.unsubscribed.setdefault(key, set()).add(channel)
        return Reply(202)

    def _job_resource(self, job_id: str, status: str) -> dict[str, Any]:
        job = self.jobs[job_id]
        done = status == "complete"
        return {
            "type": "profile-bulk-import-job",
            "id": job_id,
            "attributes": {
                "status": status,
                "total_count": job["total"],
                "completed_count": job["total"] - len(job["errors"]) if done else 0,
                "failed_count": len(job["errors"]) if done else 0,
            },
        }

    def _job(self, request: Request, job_id: str, sub: str | None) -> Reply:
        self.require(job_id in self.jobs, "unknown job", 404)
        job = self.jobs[job_id]
        if sub is None:
            job["polls"] += 1
            done = job["polls"] > self.polls_before_complete
            status = "complete" if done else "processing"
            if done and self.cancel_jobs:
                status = "cancelled"
            return Reply(200, {"data": self._job_resource(job_id, status)})
        if sub == "import-errors":
            items = [
                {
                    "type": "import-error",
                    "id": f"err{index}",
                    "attributes": {
                        "code": "invalid",
                        "title": "Invalid email",
                        "detail": f"The email {email} is not valid",
                        "source": {"pointer": f"/data/attributes/profiles/data/{index}"},
                        "original_payload": profile,
                    },
                }
                for index, profile, email in job["errors"]
            ]
            return self._page(request, items)
        self.require(request.param("fields[profile]") == "external_id", "sparse fieldset expected")
        return self._page(request, job["items"])

    def _page(self, request: Request, items: list[dict[str, Any]]) -> Reply:
        size = int(request.param("page[size]") or 20)
        self.require(1 <= size <= 100, "page[size] must be 1..100")
        size = min(size, self.max_page)
        start = int(request.param("page[cursor]") or 0)
        body: dict[str, Any] = {"data": items[start : start + size], "links": {"self": "x"}}
        if start + size < len(items):
            body["links"]["next"] = (
                f"{PUBLIC_HOST}{request.path}?page%5Bcursor%5D={start + size}&page%5Bsize%5D={size}"
            )
        return Reply(200, body)

    def _find_profiles(self, request: Request) -> Reply:
        match = _ANY_EXTERNAL_ID.match(request.param("filter") or "")
        self.require(match is not None, "filter must be any(external_id,[...])")
        assert match is not None
        wanted = json.loads(match.group(1))
        self.require(len(wanted) <= 100, "too many values in filter")
        items = [
            {"type": "profile", "id": self.profiles[ext], "attributes": {"external_id": ext}}
            for ext in wanted
            if ext in self.profiles
        ]
        return self._page(request, items)

    def _remove_from_list(self, request: Request, list_id: str) -> Reply:
        data = request.json().get("data")
        if not isinstance(data, list) or not data:
            raise Violation("data must list profiles")
        self.require(len(data) <= 1000, "more than 1,000 profiles per call")
        self.require(all(item.get("type") == "profile" and item.get("id") for item in data), "ids")
        for item in data:
            self.lists.get(list_id, set()).discard(item["id"])
        return Reply(204)
