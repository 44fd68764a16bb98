"""Klaviyo: list membership through bulk profile import jobs.

Docs followed (Klaviyo API reference, revision 2026-10-15 (see versions.py), and the OpenAPI spec in
github.com/klaviyo/openapi):
- Bulk Import Profiles, `POST /api/profile-bulk-import-jobs`: JSON:API body with
  `data.type = "profile-bulk-import-job"`, `attributes.profiles.data` a list of profile
  objects and `relationships.lists.data = [{"type": "list", "id": ...}]` to add the
  profiles to a list; at most 10,000 profiles and 5 MB per job; answers 202 with the job.
- Get Bulk Import Profiles Job, `GET /api/profile-bulk-import-jobs/{id}`: status
  queued | processing | complete | cancelled, with `failed_count`; rate limits burst
  10/s, steady 150/min (as for the job's profiles and errors).
- Get Errors for Bulk Import Profiles Job, `GET .../{id}/import-errors`: each error has
  code, title, detail and `original_payload` (the profile we sent, so its external_id).
- Get Profiles for Bulk Import Profiles Job, `GET .../{id}/profiles`: the created or
  updated profiles with their Klaviyo ids and external_id.
- Get Profiles, `GET /api/profiles?filter=any(external_id,[...])`.
- Remove Profiles from List, `DELETE /api/lists/{id}/relationships/profiles`: at most
  1,000 profile ids per call.
- Bulk Unsubscribe Profiles, `POST /api/profile-subscription-bulk-delete-jobs`: at most
  100 profiles per call, each `{email, phone_number, subscriptions: {email: {marketing:
  {consent: "UNSUBSCRIBED"}}, sms: {...}}}`; without a list it unsubscribes globally
  (scopes `subscriptions:write`, `profiles:write`, `lists:write`). A member removed
  because the sources recorded an opt-out (email refused or unsubscribed; SMS refused) is
  unsubscribed from that channel before leaving the list, so Klaviyo stops marketing to
  them everywhere, not only from this list.
Every call sends `Authorization: Klaviyo-API-Key <key>` and the `revision` header.

Removal needs Klaviyo profile ids. We send the pid as `external_id` on import and, for
a job that imported members whose id we do not know yet, read the job's profiles back
after it completes: the ids are returned in `DeliveryResult.vendor_ids`, the sync engine
keeps them in the sync state and hands them back as `Member.vendor_id` on later updates
and removals. So an id is read once per member, not on every run (the job-profiles and
profile look-up endpoints allow 150 requests a minute: re-reading a million members took
over an hour). Pids with no known id are looked up by external_id before the DELETE;
pids Klaviyo does not know either are reported as invalid (there is nothing to remove).

A job is polled with a growing interval (`poll_interval` doubling up to
`max_poll_interval`) for up to `job_timeout_s`. Klaviyo accepted the job with its 202:
a job still queued or processing then, or one whose status cannot be read (a 429 storm,
an outage), is not a failed import. Its rows count as sent, with a warning naming the job;
only a `cancelled` job fails its rows (retryable, for the next run).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar, Protocol

import httpx
from pydantic import ConfigDict, Field, SecretStr

from activate.destinations.base import (
    Channel,
    DeliveryResult,
    Destination,
    DestinationAuthError,
    DestinationConfigError,
    DestinationError,
    JobFailed,
    Member,
    RowError,
    SegmentRef,
)
from activate.destinations.delivery import (
    HttpDelivery,
    RetryPolicy,
    SleepFn,
    chunk_by_size,
    chunked,
    json_size,
    jsonable,
    next_cursor,
    send_batches,
)
from activate.destinations.limits import Pacing, RateLimit, RateLimitOptions, limits
from activate.destinations.versions import KLAVIYO_REVISION
from activate.hashing import google_phone, looks_like_email

logger = logging.getLogger(__name__)

JSONAPI = "application/vnd.api+json"
JOBS_PATH = "/api/profile-bulk-import-jobs"
MAX_PROFILES_PER_JOB = 10_000
MAX_JOB_BYTES = 5_000_000
MAX_REMOVE_PER_CALL = 1_000
MAX_UNSUBSCRIBE_PER_CALL = 100
UNSUBSCRIBE_PATH = "/api/profile-subscription-bulk-delete-jobs"
LOOKUP_CHUNK = 100


class KlaviyoConfig(RateLimitOptions):
    model_config = ConfigDict(frozen=True)

    DEFAULT_RATE_LIMITS: ClassVar[Mapping[str, tuple[RateLimit, ...]]] = {
        "jobs": limits((10, 1), (150, 60)),
        "profiles": limits((75, 1), (700, 60)),
        "lists": limits((10, 1), (150, 60)),
        "unsubscribe": limits((75, 1), (750, 60)),
    }
    """Burst per second and steady per minute, as each endpoint's reference page lists
    them (fixed windows, per account): import jobs, their status, errors and profiles
    share the first (we count them as one budget, which is never more than Klaviyo allows);
    Get Profiles; Remove Profiles from List; Bulk Unsubscribe Profiles."""

    api_key: SecretStr
    base_url: str = "https://a.klaviyo.com"
    revision: str = KLAVIYO_REVISION
    """The `revision` header; `activate.destinations.versions` says until when it is served."""
    max_profiles_per_job: int = Field(MAX_PROFILES_PER_JOB, ge=1, le=MAX_PROFILES_PER_JOB)
    max_job_bytes: int = Field(MAX_JOB_BYTES, ge=10_000, le=MAX_JOB_BYTES)
    poll_interval: float = Field(2.0, ge=0)
    """Seconds before the first status poll; doubled after each, up to `max_poll_interval`."""
    max_poll_interval: float = Field(30.0, ge=0)
    job_timeout_s: float = Field(3600.0, gt=0)
    """How long a job's outcome is waited for before its rows count as sent unconfirmed."""
    page_size: int = Field(100, ge=1, le=100)


class ProfileIdStore(Protocol):
    """Where pid -> Klaviyo profile id is kept between the add and the later remove."""

    async def get_many(self, pids: Sequence[str]) -> dict[str, str]: ...

    async def put_many(self, ids: Mapping[str, str]) -> None: ...


class InMemoryProfileIds:
    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    async def get_many(self, pids: Sequence[str]) -> dict[str, str]:
        return {pid: self._ids[pid] for pid in pids if pid in self._ids}

    async def put_many(self, ids: Mapping[str, str]) -> None:
        self._ids.update(ids)


def profile_object(member: Member) -> dict[str, Any]:
    """The profile resource for one member; pid travels as `external_id`."""
    attributes: dict[str, Any] = {"external_id": member.pid}
    if member.email:
        attributes["email"] = member.email.strip()
    phone = google_phone(member.phone)  # Klaviyo wants E.164 with the '+'
    if phone:
        attributes["phone_number"] = phone
    if member.first_name:
        attributes["first_name"] = member.first_name.strip()
    if member.last_name:
        attributes["last_name"] = member.last_name.strip()
    location = {
        key: value.strip()
        for key, value in (
            ("city", member.city),
            ("country", member.country),
            ("zip", member.postcode),
        )
        if value and value.strip()
    }
    if location:
        attributes["location"] = location
    if member.attributes:
        attributes["properties"] = jsonable(member.attributes)
    return {"type": "profile", "attributes": attributes}


def unsubscription(member: Member) -> dict[str, Any] | None:
    """The profile to unsubscribe for a member whose sources recorded an opt-out; None
    when none is recorded, or there is nothing to name them by."""
    channels: dict[str, Any] = {}
    email = member.email.strip() if member.email else None
    phone = google_phone(member.phone)
    if member.consents.get("email") is False and email:
        channels["email"] = {"marketing": {"consent": "UNSUBSCRIBED"}}
    if member.consents.get("sms") is False and phone:
        channels["sms"] = {"marketing": {"consent": "UNSUBSCRIBED"}}
    if not channels:
        return None
    attributes: dict[str, Any] = {"subscriptions": channels}
    if email:
        attributes["email"] = email
    if phone:
        attributes["phone_number"] = phone
    return {"type": "profile", "attributes": attributes}


def import_job_body(profiles: Sequence[dict[str, Any]], list_id: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "profile-bulk-import-job",
        "attributes": {"profiles": {"data": list(profiles)}},
    }
    if list_id:
        data["relationships"] = {"lists": {"data": [{"type": "list", "id": list_id}]}}
    return {"data": data}


def external_id_filter(pids: Sequence[str]) -> str:
    quoted = ",".join(json.dumps(pid) for pid in pids)
    return f"any(external_id,[{quoted}])"


def _payload_external_id(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    attributes = payload.get("attributes")
    source = attributes if isinstance(attributes, dict) else payload
    value = source.get("external_id")
    return value if isinstance(value, str) else None


class KlaviyoDestination(Destination):
    name = "klaviyo"
    max_batch = MAX_PROFILES_PER_JOB
    channel: Channel = "email"

    def __init__(
        self,
        config: KlaviyoConfig,
        *,
        client: httpx.AsyncClient | None = None,
        id_store: ProfileIdStore | None = None,
        policy: RetryPolicy | None = None,
        sleep: SleepFn | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        self.config = config
        self.max_batch = config.max_profiles_per_job
        self.ids: ProfileIdStore = id_store if id_store is not None else InMemoryProfileIds()
        self._http = HttpDelivery(
            destination=self.name,
            base_url=config.base_url,
            headers={
                "Authorization": f"Klaviyo-API-Key {config.api_key.get_secret_value()}",
                "revision": config.revision,
                "Accept": JSONAPI,
            },
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
        if not member.email:
            return "no email"
        if not looks_like_email(member.email):
            return "malformed email"
        return None

    # add -----------------------------------------------------------------------

    async def add(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        list_id = self._list_id(segment)
        valid, invalid = self.split_valid(members)
        rows = [(m, profile_object(m)) for m in valid]
        envelope = json_size(import_job_body([], list_id))
        batches = list(
            chunk_by_size(
                rows,
                max_count=self.max_batch,
                max_bytes=self.config.max_job_bytes - envelope,
                size_of=lambda row: json_size(row[1]),
            )
        )
        result = await send_batches(
            self.name, batches, lambda batch: self._import(batch, list_id), lambda row: row[0].pid
        )
        result.invalid.extend(invalid)
        return result

    async def _import(
        self, batch: Sequence[tuple[Member, dict[str, Any]]], list_id: str
    ) -> DeliveryResult:
        body = import_job_body([profile for _, profile in batch], list_id)
        response = await self._http.request(
            "POST",
            JOBS_PATH,
            op="create import job",
            limit="jobs",
            json_body=body,
            headers={"Content-Type": JSONAPI},
        )
        job_id = str(response.json()["data"]["id"])
        pids = [member.pid for member, _ in batch]
        result = DeliveryResult()
        try:
            failed_count = await self._wait_for_job(job_id)
        except JobFailed as exc:
            result.failed.extend(RowError(pid, str(exc), retryable=True) for pid in pids)
            return result
        except (DestinationAuthError, DestinationConfigError):
            raise
        except DestinationError as exc:
            # Accepted with a 202, outcome unreadable for now: not a failed import.
            logger.warning(
                "klaviyo: job %s accepted, its status unreadable (%s): rows counted as sent",
                job_id,
                type(exc).__name__,
            )
            failed_count = None
        if failed_count is None:
            result.sent = len(pids)
            return result
        errors = await self._import_errors(job_id) if failed_count else {}
        unknown = failed_count - len(errors)
        if unknown > 0:
            logger.warning(
                "klaviyo: job %s reported %d errors we could not tie to a row", job_id, unknown
            )
        known = await self.ids.get_many(pids)
        known.update({m.pid: m.vendor_id for m, _ in batch if m.vendor_id})
        if any(pid not in known for pid in pids if pid not in errors):
            result.vendor_ids = await self._remember_profile_ids(job_id)
        result.failed.extend(RowError(pid, errors[pid]) for pid in pids if pid in errors)
        result.sent = len(pids) - len(result.failed)
        logger.info(
            "klaviyo: job %s imported %d profiles, %d failed", job_id, result.sent, len(errors)
        )
        return result

    async def _wait_for_job(self, job_id: str) -> int | None:
        """The job's `failed_count` once complete; None when it is still queued or
        processing after `job_timeout_s` (accepted, not failed).

        Raises:
            JobFailed: Klaviyo cancelled the job.
        """
        waited = 0.0
        interval = self.config.poll_interval
        while True:
            response = await self._http.request(
                "GET", f"{JOBS_PATH}/{job_id}", op="get import job", limit="jobs"
            )
            attributes = response.json()["data"]["attributes"]
            status = attributes.get("status")
            if status == "complete":
                return int(attributes.get("failed_count") or 0)
            if status == "cancelled":
                raise JobFailed(self.name, job_id, "was cancelled")
            if waited >= self.config.job_timeout_s:
                logger.warning(
                    "klaviyo: job %s still %s after %.0f s: rows counted as sent",
                    job_id,
                    status,
                    waited,
                )
                return None
            await self._http.sleep(interval)
            waited += interval
            interval = min(max(interval * 2, 0.5), self.config.max_poll_interval)

    async def _import_errors(self, job_id: str) -> dict[str, str]:
        """pid -> reason. The reason is code and title only: `detail` may quote the value."""
        errors: dict[str, str] = {}
        async for item in self._pages(f"{JOBS_PATH}/{job_id}/import-errors", "get import errors"):
            attributes = item.get("attributes") or {}
            pid = _payload_external_id(attributes.get("original_payload"))
            if pid is not None:
                errors[pid] = (
                    f"{attributes.get('code', 'error')}: {attributes.get('title', '')}".strip()
                )
        return errors

    async def _remember_profile_ids(self, job_id: str) -> dict[str, str]:
        ids: dict[str, str] = {}
        params = {"fields[profile]": "external_id"}
        path = f"{JOBS_PATH}/{job_id}/profiles"
        try:
            async for item in self._pages(path, "get job profiles", params):
                external_id = (item.get("attributes") or {}).get("external_id")
                if isinstance(external_id, str) and item.get("id"):
                    ids[external_id] = str(item["id"])
        except DestinationError as exc:
            # The import itself succeeded; a later remove looks the ids up by external_id.
            logger.warning("klaviyo: could not read profiles of job %s: %s", job_id, exc)
        await self.ids.put_many(ids)
        return ids

    async def _pages(
        self, path: str, op: str, params: Mapping[str, str] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        query = {**(params or {}), "page[size]": str(self.config.page_size)}
        while True:
            group = "profiles" if path == "/api/profiles" else "jobs"
            response = await self._http.request("GET", path, op=op, params=query, limit=group)
            document = response.json()
            for item in document.get("data") or []:
                yield item
            cursor = next_cursor(document.get("links"))
            if cursor is None:
                return
            query = {**query, "page[cursor]": cursor}

    # remove --------------------------------------------------------------------

    async def remove(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        # Removal is by profile id: a member who lost their email must still leave the list.
        list_id = self._list_id(segment)
        valid = [m for m in members if m.pid]
        result = DeliveryResult(
            invalid=[RowError(m.pid, "missing pid") for m in members if not m.pid]
        )
        batches = list(chunked(valid, MAX_REMOVE_PER_CALL))
        return result.merge(
            await send_batches(
                self.name, batches, lambda b: self._remove(b, list_id), lambda m: m.pid
            )
        )

    async def _remove(self, batch: Sequence[Member], list_id: str) -> DeliveryResult:
        # Opt-outs first: if Klaviyo does not take them, the rows stay for the next run.
        opt_outs = [u for m in batch if (u := unsubscription(m)) is not None]
        for chunk in chunked(opt_outs, MAX_UNSUBSCRIBE_PER_CALL):
            await self._http.request(
                "POST",
                UNSUBSCRIBE_PATH,
                op="unsubscribe profiles",
                limit="unsubscribe",
                json_body={
                    "data": {
                        "type": "profile-subscription-bulk-delete-job",
                        "attributes": {"profiles": {"data": list(chunk)}},
                    }
                },
                headers={"Content-Type": JSONAPI},
            )
        pids = [m.pid for m in batch]
        ids = await self.ids.get_many(pids)
        ids.update({m.pid: m.vendor_id for m in batch if m.vendor_id})
        missing = [pid for pid in pids if pid not in ids]
        if missing:
            found = await self._lookup(missing)
            await self.ids.put_many(found)
            ids.update(found)
        result = DeliveryResult(
            invalid=[
                RowError(pid, "no Klaviyo profile for this pid") for pid in pids if pid not in ids
            ]
        )
        data = [{"type": "profile", "id": ids[pid]} for pid in pids if pid in ids]
        if data:
            await self._http.request(
                "DELETE",
                f"/api/lists/{list_id}/relationships/profiles",
                op="remove profiles from list",
                limit="lists",
                json_body={"data": data},
                headers={"Content-Type": JSONAPI},
            )
        result.sent = len(data)
        return result

    async def _lookup(self, pids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in chunked(pids, LOOKUP_CHUNK):
            params = {"filter": external_id_filter(chunk), "fields[profile]": "external_id"}
            async for item in self._pages("/api/profiles", "find profiles", params):
                external_id = (item.get("attributes") or {}).get("external_id")
                if isinstance(external_id, str) and item.get("id"):
                    found[external_id] = str(item["id"])
        return found

    def _list_id(self, segment: SegmentRef) -> str:
        if not segment.external_id:
            raise DestinationConfigError(self.name, f"segment {segment.id} has no Klaviyo list id")
        return segment.external_id
