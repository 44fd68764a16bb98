"""Meta: Customer File Custom Audiences, hashed multi-key rows.

Docs followed (developers.facebook.com/docs/marketing-api/reference/custom-audience/users
and the Customer File Custom Audiences guide):
- Add: `POST /{api_version}/{custom_audience_id}/users`; remove: `DELETE` on the same
  edge. Parameters `payload = {"schema": [...], "data": [[...], ...]}`, `session` and
  `access_token`; at most 10,000 rows per request.
- Multi-key schema `["EMAIL", "PHONE", "FN", "LN", "ZIP", "CT", "COUNTRY"]`, every value
  normalised then SHA-256 hex (see activate.hashing: names without titles and suffixes,
  UK postcodes as Area/District/Sector, the city as a-z), an empty string where unknown.
- `session = {session_id, batch_seq, last_batch_flag, estimated_num_total}` ties the
  batches of one upload together; `batch_seq` starts at 1.
- The answer carries `num_received`, `num_invalid_entries`, `invalid_entry_samples`.
- Errors (docs/graph-api/guides/error-handling) come back, mostly as HTTP 400, with the
  body `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`:
  - 190 (access token expired, revoked or invalid; subcodes 458-467), 102 (API session)
    and 10 or 200-299 (a permission is missing) make every row fail: the run is failed at
    once with a `DestinationAuthError` that says what to fix, never "bad rows".
  - Throttling, codes 4, 17, 32, 613 and 80003 (or `is_transient`), is retried like a
    429, after `estimated_time_to_regain_access` (minutes) of the
    `X-Business-Use-Case-Usage` header (docs/graph-api/overview/rate-limiting) when it
    says so; a wait longer than the retry policy's `max_retry_after` is not waited out
    (RateLimited: the rows are retried by the next run).

The parameters go in a form-encoded body, never the query string, so the access token
cannot end up in an access log or in httpx's request log line. When the app's secret is
configured, every call carries `appsecret_proof`, the hex HMAC-SHA256 of the access token
keyed by the app secret (docs/graph-api/guides/secure-requests): with "Require App
Secret" on in the app's settings, Graph refuses calls without it (code 100, "API calls
from the server require an appsecret_proof argument"), and a stolen token alone is of no
use. Such an answer fails the run like a token error.

Sessions: after `begin()`, one upload session per action spans the whole run, and
`finish()` closes it. The end of a run is only known in `finish()`, which re-sends the
last row with `last_batch_flag: true`; adding (or removing) a row twice is a no-op at
Meta, and every `add()` result stays complete when it returns. Without `begin()`, each
call is its own session, closed by its last batch.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import httpx
from pydantic import ConfigDict, Field, SecretStr

from activate.destinations.base import (
    Channel,
    DeliveryResult,
    Destination,
    DestinationAuthError,
    DestinationConfigError,
    DestinationError,
    Member,
    SegmentRef,
)
from activate.destinations.delivery import HttpDelivery, RetryPolicy, SleepFn, chunked, send_batches
from activate.destinations.limits import Pacing, RateLimit, RateLimitOptions, limits
from activate.destinations.versions import META_GRAPH_VERSION
from activate.hashing import (
    meta_hashed_city,
    meta_hashed_country,
    meta_hashed_email,
    meta_hashed_family_name,
    meta_hashed_given_name,
    meta_hashed_phone,
    meta_hashed_zip,
)

logger = logging.getLogger(__name__)

MAX_ROWS = 10_000
SCHEMA = ("EMAIL", "PHONE", "FN", "LN", "ZIP", "CT", "COUNTRY")
_THROTTLING_CODES = frozenset({4, 17, 32, 613, 80003})
_TOKEN_CODES = frozenset({190, 102})
_PERMISSION_CODES = frozenset({10, *range(200, 300)})
_PARAMETER_CODE = 100

Action = Literal["add", "remove"]


class MetaConfig(RateLimitOptions):
    model_config = ConfigDict(frozen=True)

    DEFAULT_RATE_LIMITS: ClassVar[Mapping[str, tuple[RateLimit, ...]]] = {
        "audience_users": limits((5000, 3600)),
    }
    """The `custom_audience` business use case allows, per ad account and hour, 5,000 calls
    plus 40 per active custom audience to an app in the development tier, 190,000 plus 40
    per audience (at most 700,000) in the standard tier (Marketing API rate limiting):
    the development tier's floor unless configured. Throttling beyond it is still read
    from `X-Business-Use-Case-Usage`."""

    access_token: SecretStr
    """A system user's long-lived token (Business Manager), which does not expire."""
    app_secret: SecretStr | None = None
    """The app's secret, for `appsecret_proof` on every call; named by `app_secret_ref`."""
    base_url: str = "https://graph.facebook.com"
    api_version: str = META_GRAPH_VERSION
    """Graph API version; `activate.destinations.versions` says until when it is served."""
    batch_size: int = Field(MAX_ROWS, ge=1, le=MAX_ROWS)


def appsecret_proof(access_token: str, app_secret: str) -> str:
    """Hex HMAC-SHA256 of the access token, keyed by the app secret."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def hashed_row(member: Member) -> list[str]:
    """One payload row in SCHEMA order; '' for what the member lacks."""
    values = (
        meta_hashed_email(member.email),
        meta_hashed_phone(member.phone),
        meta_hashed_given_name(member.first_name),
        meta_hashed_family_name(member.last_name),
        meta_hashed_zip(member.postcode, member.country),
        meta_hashed_city(member.city),
        meta_hashed_country(member.country),
    )
    return [value or "" for value in values]


def graph_error(response: httpx.Response) -> dict[str, Any]:
    """The `error` object of a Graph answer; empty when there is none."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def is_throttled(response: httpx.Response) -> bool:
    error = graph_error(response)
    return bool(error.get("is_transient")) or error.get("code") in _THROTTLING_CODES


def regain_access_after(response: httpx.Response) -> float | None:
    """Seconds until Meta lets the app call again, from `X-Business-Use-Case-Usage`:
    `{"<business id>": [{"type", "call_count", ..., "estimated_time_to_regain_access"}]}`
    with the time in minutes. The longest of the entries; None when no entry says."""
    raw = response.headers.get("X-Business-Use-Case-Usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    minutes = [
        float(entry["estimated_time_to_regain_access"])
        for entries in (usage.values() if isinstance(usage, dict) else ())
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
        and isinstance(entry.get("estimated_time_to_regain_access"), int | float)
    ]
    longest = max(minutes, default=0.0)
    return longest * 60.0 if longest > 0 else None  # 0: back off as usual, not at once


def auth_error(op: str, response: httpx.Response, excerpt: str) -> DestinationAuthError | None:
    """The run-failing error for a token or permission answer; None for anything else."""
    error = graph_error(response)
    code = error.get("code")
    if not isinstance(code, int) or isinstance(code, bool):
        return None
    subcode = error.get("error_subcode")
    which = f"code {code}" + (f", subcode {subcode}" if subcode is not None else "")
    if code == _PARAMETER_CODE and "appsecret_proof" in str(error.get("message", "")):
        advice = (
            f"Graph refused the call's appsecret_proof ({which}): the app requires one; "
            "set app_secret_ref to the secret of the app that issued the token"
        )
    elif code in _TOKEN_CODES:
        advice = (
            f"the access token is expired, revoked or invalid ({which}): issue a new "
            "system-user token and set it as the destination's secret"
        )
    elif code in _PERMISSION_CODES:
        advice = (
            f"the access token lacks a permission ({which}): it needs ads_management and "
            "access to the ad account that owns the custom audience"
        )
    else:
        return None
    return DestinationAuthError("meta", op, response.status_code, f"{advice}. Meta said: {excerpt}")


@dataclass
class _Session:
    session_id: int
    batch_seq: int = 0
    estimated_total: int = 0
    last_row: list[str] | None = None


class MetaDestination(Destination):
    name = "meta"
    max_batch = MAX_ROWS
    channel: Channel = "paid_media"

    def __init__(
        self,
        config: MetaConfig,
        *,
        client: httpx.AsyncClient | None = None,
        policy: RetryPolicy | None = None,
        sleep: SleepFn | None = None,
        rng: random.Random | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        self.config = config
        self.max_batch = config.batch_size
        self._rng = rng if rng is not None else random.SystemRandom()
        self._http = HttpDelivery(
            destination=self.name,
            base_url=config.base_url,
            client=client,
            policy=policy,
            sleep=sleep,
            retry_if=is_throttled,
            rate_limits=config.effective_rate_limits(),
            pacing=pacing,
            account=[config.access_token.get_secret_value()],
            wait_hint=regain_access_after,
            translate_error=auth_error,
            secrets=[
                config.access_token.get_secret_value(),
                *([config.app_secret.get_secret_value()] if config.app_secret else []),
            ],
        )
        self._runs: dict[str, dict[Action, _Session]] = {}
        """Open runs by segment id: the upload session of each action."""

    async def aclose(self) -> None:
        await self._http.aclose()

    def validate(self, member: Member) -> str | None:
        if not member.pid:
            return "missing pid"
        if meta_hashed_email(member.email) is None and meta_hashed_phone(member.phone) is None:
            return "no usable email or phone"
        return None

    async def begin(self, segment: SegmentRef, run_id: str) -> None:
        self._runs[segment.id] = {}

    async def finish(self, segment: SegmentRef, run_id: str) -> None:
        run = self._runs.pop(segment.id, {})
        for action, session in run.items():
            if session.last_row is None or not segment.external_id:
                continue
            audience_id = segment.external_id
            try:
                await self._post(audience_id, action, [session.last_row], session, last=True)
            except DestinationError as exc:  # the rows are in; an unclosed session times out
                logger.warning("meta: could not close %s session: %s", action, type(exc).__name__)

    async def add(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        return await self._upload(segment, members, "add")

    async def remove(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        return await self._upload(segment, members, "remove")

    async def _upload(
        self, segment: SegmentRef, members: Sequence[Member], action: Action
    ) -> DeliveryResult:
        if not segment.external_id:
            raise DestinationConfigError(self.name, f"segment {segment.id} has no audience id")
        audience_id = segment.external_id
        valid, invalid = self.split_valid(members)
        rows = [(m, hashed_row(m)) for m in valid]
        batches = list(chunked(rows, self.max_batch))
        session, spans_run = self._session(segment, action)
        session.estimated_total += len(rows)
        done = 0

        async def send(batch: Sequence[tuple[Member, list[str]]]) -> DeliveryResult:
            nonlocal done
            done += 1
            is_last = not spans_run and done == len(batches)
            await self._post(audience_id, action, [row for _, row in batch], session, last=is_last)
            session.last_row = batch[-1][1]
            return DeliveryResult(sent=len(batch))

        result = await send_batches(self.name, batches, send, lambda row: row[0].pid)
        result.invalid.extend(invalid)
        return result

    def _session(self, segment: SegmentRef, action: Action) -> tuple[_Session, bool]:
        run = self._runs.get(segment.id)
        if run is None:
            return _Session(self._new_session_id()), False
        if action not in run:
            run[action] = _Session(self._new_session_id())
        return run[action], True

    def _new_session_id(self) -> int:
        return self._rng.randrange(1, 2**63)

    async def _post(
        self,
        audience_id: str,
        action: Action,
        rows: list[list[str]],
        session: _Session,
        *,
        last: bool,
    ) -> None:
        # A batch Meta refused did not enter the session, so its number is reused.
        batch_seq = session.batch_seq + 1
        form = {
            "payload": json.dumps({"schema": list(SCHEMA), "data": rows}, separators=(",", ":")),
            "session": json.dumps(
                {
                    "session_id": session.session_id,
                    "batch_seq": batch_seq,
                    "last_batch_flag": last,
                    "estimated_num_total": session.estimated_total,
                }
            ),
            "access_token": self.config.access_token.get_secret_value(),
        }
        if self.config.app_secret is not None:
            form["appsecret_proof"] = appsecret_proof(
                form["access_token"], self.config.app_secret.get_secret_value()
            )
        response = await self._http.request(
            "POST" if action == "add" else "DELETE",
            f"/{self.config.api_version}/{audience_id}/users",
            op=f"{action} audience users",
            limit="audience_users",
            data=form,
        )
        session.batch_seq = batch_seq
        body: dict[str, Any] = response.json()
        invalid = int(body.get("num_invalid_entries") or 0)
        if invalid:
            logger.warning("meta: %s batch %d had %d invalid entries", action, batch_seq, invalid)
