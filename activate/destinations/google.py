"""Google: Customer Match audiences through the Data Manager API.

Docs followed (developers.google.com/data-manager/api):
- `POST https://datamanager.googleapis.com/v1/audienceMembers:ingest` and
  `...:remove` (reference/rest/v1/audienceMembers/ingest, /remove), OAuth bearer token
  with the `https://www.googleapis.com/auth/datamanager` scope, minted and refreshed
  before it expires by `google_auth.TokenSource` (service account, refresh token or
  application default credentials); a 401 refreshes once and retries.
- Body: `destinations: [{operatingAccount: {accountType, accountId}, loginAccount?,
  productDestinationId}]`, `audienceMembers: [{userData: {userIdentifiers: [...]}}]`
  (at most 10,000 per request), `encoding: "HEX"`; ingest also takes, for Customer
  Match, `termsOfService: {customerMatchTermsOfServiceStatus: "ACCEPTED"}` (devguides
  "Upload members to an audience"); remove takes neither.
- Consent (reference/rest/v1/Consent): `{adUserData, adPersonalization}`, each
  `CONSENT_GRANTED`, `CONSENT_DENIED` or `CONSENT_STATUS_UNSPECIFIED`, per audience member
  (`AudienceMember.consent`) or for the whole request. We send it per member, from what
  the sources recorded for that member: granted only where a source recorded `true`,
  denied otherwise. Nothing is claimed for a whole request.
- The Customer Match terms are accepted by the advertiser in Google Ads; we state that
  only when the operator set `customer_match_terms_accepted: true`; until then a run is
  refused in `begin()` and `add()` is refused (a bare `remove()` is allowed).
- User identifiers (devguides/concepts/formatting): `emailAddress` and `phoneNumber`
  hashed; `address: {givenName, familyName, regionCode, postalCode}` with the names
  (titles and suffixes taken off, lower-case, no punctuation) hashed and region/postal
  code in clear; an address is sent only when all four exist. `AddressInfo.city` is used
  by Google Analytics only, not by Customer Match, so the city is not sent.
- A 400 INVALID_ARGUMENT lists `fieldViolations` such as `audience_members[3]...`; the
  request is then rejected whole, so the named rows are failed and the rest re-sent once.
  A 400 that names no audience member (an unknown destination, a bad account) is the
  configuration's fault: the run fails at once, not batch after batch.
- 429 RESOURCE_EXHAUSTED (a quota) is retried after the `google.rpc.RetryInfo`
  `retryDelay` of its details, or with back-off.
- The answer's `requestId` is kept and its outcome read with
  `GET /v1/requestStatus:retrieve?requestId=...` (reference/rest/v1/requestStatus):
  `requestStatusPerDestination[].requestStatus` is PROCESSING, SUCCESS, PARTIAL_SUCCESS or
  FAILED, with `errorInfo.errorCounts[] {recordCount, reason}`. Within a run the requests
  are sent first and their statuses read together at its end (`outcomes()`), so Google's
  processing overlaps the sending; outside a run, each after its request. Polled with a
  growing interval for up to `status_timeout_s`: FAILED fails the request's rows with the
  reasons (retryable when the reason is Google's internal error; the engine forgets they
  were delivered, so the next run sends them again); PARTIAL_SUCCESS keeps the rows
  (Google does not say which were refused) and logs the counts; still PROCESSING, the
  rows count as sent. A removal that failed is logged. `status_timeout_s: 0` does not poll.
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
    DestinationAuthError,
    DestinationConfigError,
    DestinationError,
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
    redact,
    send_batches,
)
from activate.destinations.google_auth import TokenSource, load_credentials
from activate.destinations.limits import Pacing, RateLimit, RateLimitOptions, limits
from activate.hashing import (
    google_hashed_email,
    google_hashed_family_name,
    google_hashed_given_name,
    google_hashed_phone,
    google_postal_code,
    google_region_code,
)

logger = logging.getLogger(__name__)

MAX_MEMBERS = 10_000
_RETRY_DELAY = re.compile(r"^(\d+(?:\.\d+)?)s$")
_FINAL = frozenset({"SUCCESS", "PARTIAL_SUCCESS", "FAILED"})
ConsentStatus = Literal["CONSENT_GRANTED", "CONSENT_DENIED", "CONSENT_STATUS_UNSPECIFIED"]
_VIOLATION_INDEX = re.compile(r"audience_?[mM]embers\[(\d+)\]")


class GoogleConfig(RateLimitOptions):
    model_config = ConfigDict(frozen=True)

    DEFAULT_RATE_LIMITS: ClassVar[Mapping[str, tuple[RateLimit, ...]]] = {
        "ingestion": limits((300, 60), (100_000, 86_400)),
        "request_status": limits((300, 60), (50_000, 86_400)),
    }
    """Per Google Cloud project (Data Manager API limits and quotas): IngestionService 300
    requests a minute and 100,000 a day; all other services together (request status)
    300 a minute and 50,000 a day; over them a 429 `RESOURCE_EXHAUSTED`."""

    operating_account_id: str
    operating_account_type: str = "GOOGLE_ADS"
    login_account_id: str | None = None
    login_account_type: str | None = None
    credentials: SecretStr | None = None
    """From `secret_ref`: a service-account JSON key, an authorized-user JSON (OAuth
    client and refresh token), or a bare access token (not refreshed: an hour at most)."""
    application_default_credentials: bool = False
    """Without a secret: google-auth's application default credentials."""
    token_uri: str | None = None
    """Another OAuth token endpoint than Google's (a private endpoint)."""
    base_url: str = "https://datamanager.googleapis.com"
    customer_match_terms_accepted: bool = False
    """Set by the operator once the advertiser accepted Google's Customer Match terms;
    members are not added before."""
    batch_size: int = Field(MAX_MEMBERS, ge=1, le=MAX_MEMBERS)
    status_timeout_s: float = Field(120.0, ge=0)
    """How long each request's outcome is polled for (`requestStatus:retrieve`)."""
    status_poll_s: float = Field(2.0, gt=0)
    """The first wait before polling; doubled after each poll, up to 30 s."""


def user_identifiers(member: Member) -> list[dict[str, Any]]:
    identifiers: list[dict[str, Any]] = []
    email = google_hashed_email(member.email)
    if email:
        identifiers.append({"emailAddress": email})
    phone = google_hashed_phone(member.phone)
    if phone:
        identifiers.append({"phoneNumber": phone})
    address = {
        "givenName": google_hashed_given_name(member.first_name),
        "familyName": google_hashed_family_name(member.last_name),
        "regionCode": google_region_code(member.country),
        "postalCode": google_postal_code(member.postcode),
    }
    if all(address.values()):
        identifiers.append({"address": address})
    return identifiers


def consent_status(member: Member, purpose: Purpose) -> ConsentStatus:
    """Granted only when a source recorded the member's consent to `purpose`."""
    return "CONSENT_GRANTED" if member.consents.get(purpose) is True else "CONSENT_DENIED"


def member_consent(member: Member) -> dict[str, ConsentStatus]:
    return {
        "adUserData": consent_status(member, "ad_user_data"),
        "adPersonalization": consent_status(member, "ad_personalization"),
    }


def audience_member(member: Member, action: Literal["ingest", "remove"]) -> dict[str, Any]:
    row: dict[str, Any] = {"userData": {"userIdentifiers": user_identifiers(member)}}
    if action == "ingest":
        row["consent"] = member_consent(member)
    return row


def retry_delay(response: httpx.Response) -> float | None:
    """Seconds from the `google.rpc.RetryInfo` of an error's details ("30s")."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    details = error.get("details") if isinstance(error, dict) else None
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            match = _RETRY_DELAY.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def error_status(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("status", "")) if isinstance(error, dict) else ""


def violated_rows(body: Any) -> dict[int, str]:
    """Row index -> description, from a google.rpc.BadRequest in an error body."""
    rows: dict[int, str] = {}
    error = body.get("error") if isinstance(body, dict) else None
    for detail in (error or {}).get("details") or []:
        for violation in detail.get("fieldViolations") or []:
            match = _VIOLATION_INDEX.search(str(violation.get("field", "")))
            if match:
                rows[int(match.group(1))] = redact(
                    str(violation.get("description", "invalid")), 120
                )
    return rows


class GoogleDestination(Destination):
    name = "google"
    max_batch = MAX_MEMBERS
    channel: Channel = "paid_media"

    def __init__(
        self,
        config: GoogleConfig,
        *,
        tokens: TokenSource | None = None,
        client: httpx.AsyncClient | None = None,
        policy: RetryPolicy | None = None,
        sleep: SleepFn | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        """Args:
        config: The destination's configuration, its credentials included.
        tokens: Where access tokens come from; by default, from `config`'s credentials.
        client, policy, sleep, pacing: For `HttpDelivery`.

        Raises:
            DestinationConfigError: No usable credentials.
        """
        self.config = config
        self.max_batch = config.batch_size
        secret = config.credentials.get_secret_value() if config.credentials else None
        self._pending: dict[str, list[tuple[str, str, list[tuple[Member, dict[str, Any]]]]]] = {}
        """Open runs by segment id: (requestId, action, rows) of each accepted request."""
        self._tokens = tokens or TokenSource(
            load_credentials(
                secret,
                application_default=config.application_default_credentials,
                token_uri=config.token_uri,
            )
        )
        self._http = HttpDelivery(
            destination=self.name,
            base_url=config.base_url,
            client=client,
            policy=policy,
            sleep=sleep,
            wait_hint=retry_delay,
            rate_limits=config.effective_rate_limits(),
            pacing=pacing,
            account=[secret or "application-default"],
            secrets=[secret] if secret else [],
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def validate(self, member: Member) -> str | None:
        if not member.pid:
            return "missing pid"
        if not user_identifiers(member):
            return "no usable email, phone or full address"
        return None

    def destination(self, segment: SegmentRef) -> dict[str, Any]:
        if not segment.external_id:
            raise DestinationConfigError(self.name, f"segment {segment.id} has no audience id")
        config = self.config
        destination: dict[str, Any] = {
            "operatingAccount": {
                "accountType": config.operating_account_type,
                "accountId": config.operating_account_id,
            },
            "productDestinationId": segment.external_id,
        }
        if config.login_account_id:
            destination["loginAccount"] = {
                "accountType": config.login_account_type or config.operating_account_type,
                "accountId": config.login_account_id,
            }
        return destination

    def request_body(
        self,
        segment: SegmentRef,
        members: Sequence[dict[str, Any]],
        action: Literal["ingest", "remove"],
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "destinations": [self.destination(segment)],
            "audienceMembers": list(members),
            "encoding": "HEX",
        }
        if action == "ingest":
            self._require_terms()
            body["termsOfService"] = {"customerMatchTermsOfServiceStatus": "ACCEPTED"}
        return body

    def _require_terms(self) -> None:
        if not self.config.customer_match_terms_accepted:
            raise DestinationConfigError(
                self.name,
                "Customer Match terms of service not confirmed: accept them in the Google "
                "Ads account, then set customer_match_terms_accepted: true on the destination",
            )

    async def begin(self, segment: SegmentRef, run_id: str) -> None:
        # Refuse the run before its first batch, not after its removals went out.
        self._require_terms()
        self._pending[segment.id] = []

    async def outcomes(self, segment: SegmentRef, run_id: str) -> DeliveryResult:
        """The run's requests Google failed, read from their statuses together."""
        pending = self._pending.pop(segment.id, [])
        result = DeliveryResult()
        if not pending or self.config.status_timeout_s <= 0:
            return result
        statuses = await self._poll_statuses([request_id for request_id, _, _ in pending])
        for request_id, action, batch in pending:
            outcome = self._judge(request_id, statuses.get(request_id), batch)
            if action == "ingest":
                result.failed.extend(outcome.failed)
            elif outcome.failed:
                logger.warning("google: removal request %s failed at Google", request_id)
        return result

    async def add(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        return await self._send(segment, members, "ingest")

    async def remove(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        return await self._send(segment, members, "remove")

    async def _send(
        self, segment: SegmentRef, members: Sequence[Member], action: Literal["ingest", "remove"]
    ) -> DeliveryResult:
        self.destination(segment)  # fail fast on a missing audience id
        if action == "ingest":
            self._require_terms()
        valid, invalid = self.split_valid(members)
        rows = [(m, audience_member(m, action)) for m in valid]

        async def send(batch: Sequence[tuple[Member, dict[str, Any]]]) -> DeliveryResult:
            return await self._send_batch(segment, batch, action)

        result = await send_batches(
            self.name, list(chunked(rows, self.max_batch)), send, lambda r: r[0].pid
        )
        result.invalid.extend(invalid)
        return result

    async def _send_batch(
        self,
        segment: SegmentRef,
        batch: Sequence[tuple[Member, dict[str, Any]]],
        action: Literal["ingest", "remove"],
    ) -> DeliveryResult:
        result = DeliveryResult()
        pending = list(batch)

        refreshed = False
        tries = 0
        while tries < 2:  # the batch, then once more without the rows it named
            body = self.request_body(segment, [member for _, member in pending], action)
            response = await self._http.request(
                "POST",
                f"/v1/audienceMembers:{action}",
                op=f"audienceMembers:{action}",
                limit="ingestion",
                json_body=body,
                per_attempt=self._authorization,
                pass_through=(400, 401) if not refreshed else (400,),
            )
            if response.status_code == 401:
                # Revoked or expired before its time: one forced refresh, then as usual.
                refreshed = True
                await self._tokens.token(force=True)
                continue
            tries += 1
            if response.status_code < 400:
                answer = response.json() if response.content else {}
                request_id = answer.get("requestId") if isinstance(answer, dict) else None
                run = self._pending.get(segment.id)
                if run is not None and isinstance(request_id, str) and request_id:
                    run.append((request_id, action, list(pending)))  # read in outcomes()
                    result.sent += len(pending)
                    return result
                return result.merge(await self._outcome(request_id, pending))
            body = response.json() if response.content else {}
            rows = violated_rows(body)
            if not rows:
                error = self._http.error_for(f"audienceMembers:{action}", response)
                raise DestinationConfigError(
                    self.name,
                    f"Google refused the request itself ({error_status(body) or 400}), not "
                    f"its members: check the destination's accounts and audience id. "
                    f"{error.body_excerpt}",
                )
            result.failed.extend(
                RowError(pending[i][0].pid, reason)
                for i, reason in rows.items()
                if i < len(pending)
            )
            pending = [row for i, row in enumerate(pending) if i not in rows]
            if not pending:
                return result
        result.failed.extend(
            RowError(member.pid, "rejected with the rest of its request") for member, _ in pending
        )
        return result

    async def _outcome(
        self, request_id: Any, batch: Sequence[tuple[Member, dict[str, Any]]]
    ) -> DeliveryResult:
        """What Google made of an accepted request, read from its status."""
        if not isinstance(request_id, str) or not request_id or self.config.status_timeout_s <= 0:
            return DeliveryResult(sent=len(batch))
        statuses = await self._poll_statuses([request_id])
        return self._judge(request_id, statuses.get(request_id), batch)

    def _judge(
        self,
        request_id: str,
        status: dict[str, Any] | None,
        batch: Sequence[tuple[Member, dict[str, Any]]],
    ) -> DeliveryResult:
        sent = DeliveryResult(sent=len(batch))
        if status is None:
            return sent
        state = status.get("requestStatus")
        counts = ((status.get("errorInfo") or {}).get("errorCounts")) or []
        reasons = ", ".join(
            f"{c.get('reason', 'UNKNOWN')} x{c.get('recordCount', '?')}"
            for c in counts
            if isinstance(c, dict)
        )
        if state == "FAILED":
            transient = any(
                isinstance(c, dict) and str(c.get("reason", "")).endswith("INTERNAL_ERROR")
                for c in counts
            )
            reason = f"Google failed request {request_id}: {reasons or 'no reason given'}"
            return DeliveryResult(
                failed=[RowError(m.pid, reason, retryable=transient) for m, _ in batch]
            )
        if state == "PARTIAL_SUCCESS":
            logger.warning(
                "google: request %s partly refused (%s); Google does not say which members",
                request_id,
                reasons or "no reason given",
            )
        return sent

    async def _poll_statuses(self, request_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The final status (for our one destination) of each request that reached one
        within `status_timeout_s`; requests still processing then, or whose status cannot
        be read, are left out."""
        final: dict[str, dict[str, Any]] = {}
        open_ids = list(request_ids)
        waited, interval = 0.0, self.config.status_poll_s
        while open_ids and waited < self.config.status_timeout_s:
            await self._http.sleep(interval)
            waited += interval
            interval = min(interval * 2, 30.0)
            for request_id in list(open_ids):
                status = await self._read_status(request_id)
                if status is None or status.get("requestStatus") in _FINAL:
                    open_ids.remove(request_id)
                    if status is not None:
                        final[request_id] = status
        for request_id in open_ids:
            logger.warning("google: request %s still processing: counted as sent", request_id)
        return final

    async def _read_status(self, request_id: str) -> dict[str, Any] | None:
        """The request's status for our destination; None when it cannot be read."""
        try:
            response = await self._http.request(
                "GET",
                "/v1/requestStatus:retrieve",
                op="requestStatus:retrieve",
                limit="request_status",
                params={"requestId": request_id},
                per_attempt=self._authorization,
            )
        except (DestinationAuthError, DestinationConfigError):
            raise
        except DestinationError as exc:
            logger.warning("google: status of %s unreadable: %s", request_id, type(exc).__name__)
            return None
        statuses = (response.json() or {}).get("requestStatusPerDestination") or []
        status = statuses[0] if statuses and isinstance(statuses[0], dict) else {}
        return status if isinstance(status, dict) else {}

    async def _authorization(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self._tokens.token()}"}
