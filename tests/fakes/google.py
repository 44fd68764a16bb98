"""Fake Google Data Manager API: `POST /v1/audienceMembers:ingest` and `:remove`, and
`GET /v1/requestStatus:retrieve?requestId=...`, answering as the REST reference documents:
`{"requestId"}` for an accepted request; its status per destination (PROCESSING for
`processing_polls` reads, then SUCCESS, or what `outcomes` says); 400 INVALID_ARGUMENT
with `fieldViolations`; 401 UNAUTHENTICATED; 429 RESOURCE_EXHAUSTED with a
`google.rpc.RetryInfo` (`exhaust`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.fakes.server import FakeApi, Reply, Request, Violation

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CONSENT = {"CONSENT_GRANTED", "CONSENT_DENIED", "CONSENT_STATUS_UNSPECIFIED"}
UNAUTHENTICATED = {
    "error": {
        "code": 401,
        "message": "Request had invalid authentication credentials. Expected OAuth 2 access "
        "token, login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        "status": "UNAUTHENTICATED",
    }
}


class FakeGoogle(FakeApi):
    def __init__(self, token: str | Callable[[str], bool], operating_account_id: str) -> None:
        """`token`: the one bearer token accepted, or a check of each (a fake token
        endpoint's `valid`, so that tokens expire)."""
        super().__init__()
        self.token = token
        self.operating_account_id = operating_account_id
        self.audiences: dict[str, set[str]] = {}
        """audience id -> hashed emails"""
        self.rejected_emails: set[str] = set()
        """Hashed emails answered with a field violation (the whole request fails)."""
        self.consents: dict[str, dict[str, str]] = {}
        """hashed email -> the consent last ingested with it (per member, else the request's)."""
        self.known_audiences: set[str] | None = None
        """When set, other productDestinationIds are refused (400, the destination)."""
        self.processing_polls = 1
        """Status reads answered PROCESSING before the outcome."""
        self.outcomes: dict[int, dict[str, Any]] = {}
        """Accepted request number (from 1) -> `{"requestStatus", "errorCounts"}`."""
        self.statuses: dict[str, dict[str, Any]] = {}
        """requestId -> {destination, action, records, polls, outcome}."""

    def violation_reply(self, violation: Violation) -> Reply:
        status = "INVALID_ARGUMENT" if violation.status == 400 else "UNAUTHENTICATED"
        return Reply(
            violation.status,
            {"error": {"code": violation.status, "message": str(violation), "status": status}},
        )

    def exhaust(self, times: int = 1, retry_delay: str = "30s") -> None:
        """Answer as a quota does: 429 RESOURCE_EXHAUSTED with RetryInfo."""
        body = {
            "error": {
                "code": 429,
                "message": "Quota exceeded for quota metric 'Requests' of service "
                "'datamanager.googleapis.com'.",
                "status": "RESOURCE_EXHAUSTED",
                "details": [
                    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}
                ],
            }
        }
        self.inject(429, times=times, body=body, when=lambda r: r.method == "POST")

    def route(self, request: Request) -> Reply:
        if request.method == "GET" and request.path == "/v1/requestStatus:retrieve":
            return self._status(request)
        self.require(request.method == "POST", "method", 405)
        action = {
            "/v1/audienceMembers:ingest": "ingest",
            "/v1/audienceMembers:remove": "remove",
        }.get(request.path)
        self.require(action is not None, f"no route {request.path}", 404)
        if not self._authorized(request.headers.get("authorization", "")):
            return Reply(401, UNAUTHENTICATED)
        body = request.json()
        destinations = body.get("destinations")
        self.require(isinstance(destinations, list) and len(destinations) == 1, "destinations")
        destination = destinations[0]
        operating = destination.get("operatingAccount") or {}
        self.require(operating.get("accountType") == "GOOGLE_ADS", "operatingAccount.accountType")
        self.require(
            operating.get("accountId") == self.operating_account_id, "operatingAccount.accountId"
        )
        audience = destination.get("productDestinationId")
        self.require(isinstance(audience, str) and bool(audience), "productDestinationId")
        if self.known_audiences is not None and audience not in self.known_audiences:
            return self._bad_request(
                [
                    {
                        "field": "destinations[0].product_destination_id",
                        "description": "The destination was not found.",
                    }
                ]
            )
        self.require(body.get("encoding") == "HEX", "encoding must be HEX")
        if action == "ingest":
            if "consent" in body:
                self._check_consent(body["consent"])
            terms = (body.get("termsOfService") or {}).get("customerMatchTermsOfServiceStatus")
            self.require(terms == "ACCEPTED", "termsOfService")
        else:
            self.require(
                "consent" not in body and "termsOfService" not in body, "remove takes no consent"
            )
        members = body.get("audienceMembers")
        self.require(isinstance(members, list) and bool(members), "audienceMembers")
        self.require(len(members) <= 10_000, "more than 10,000 audience members")
        emails: list[str] = []
        consents: dict[str, dict[str, str]] = {}
        violations: list[dict[str, Any]] = []
        for index, member in enumerate(members):
            if "consent" in member:
                self.require(action == "ingest", "remove takes no consent")
                self._check_consent(member["consent"])
            consent = member.get("consent") or body.get("consent") or {}
            identifiers = ((member.get("userData") or {}).get("userIdentifiers")) or []
            self.require(bool(identifiers), "userIdentifiers")
            for identifier in identifiers:
                self._check_identifier(identifier)
                email = identifier.get("emailAddress")
                if email in self.rejected_emails:
                    violations.append(
                        {
                            "field": f"audience_members[{index}].user_data.user_identifiers",
                            "description": "The email address is not allowed.",
                        }
                    )
                elif email:
                    emails.append(email)
                    consents[email] = consent
        if violations:
            return self._bad_request(violations)
        stored = self.audiences.setdefault(audience, set())
        if action == "ingest":
            stored.update(emails)
            self.consents.update(consents)
        else:
            stored.difference_update(emails)
        number = len(self.statuses) + 1
        request_id = f"req-{number}"
        self.statuses[request_id] = {
            "destination": destination,
            "action": action,
            "records": len(members),
            "polls": 0,
            "outcome": self.outcomes.get(number, {"requestStatus": "SUCCESS"}),
        }
        return Reply(200, {"requestId": request_id})

    def _bad_request(self, violations: list[dict[str, Any]]) -> Reply:
        detail = {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": violations,
        }
        error = {
            "code": 400,
            "message": "Request contains an invalid argument.",
            "status": "INVALID_ARGUMENT",
            "details": [detail],
        }
        return Reply(400, {"error": error})

    def _status(self, request: Request) -> Reply:
        if not self._authorized(request.headers.get("authorization", "")):
            return Reply(401, UNAUTHENTICATED)
        request_id = request.param("requestId")
        self.require(bool(request_id), "requestId is required")
        status = self.statuses.get(request_id or "")
        if status is None:
            return Reply(
                404,
                {"error": {"code": 404, "message": "Request not found.", "status": "NOT_FOUND"}},
            )
        status["polls"] += 1
        outcome = status["outcome"]
        state = (
            outcome["requestStatus"] if status["polls"] > self.processing_polls else "PROCESSING"
        )
        per_destination: dict[str, Any] = {
            "destination": status["destination"],
            "requestStatus": state,
        }
        if state != "PROCESSING" and outcome.get("errorCounts"):
            per_destination["errorInfo"] = {"errorCounts": outcome["errorCounts"]}
        key = (
            "audienceMembersIngestionStatus"
            if status["action"] == "ingest"
            else "audienceMembersRemovalStatus"
        )
        inner = (
            "userDataIngestionStatus" if status["action"] == "ingest" else "userDataRemovalStatus"
        )
        per_destination[key] = {inner: {"recordCount": str(status["records"])}}
        return Reply(200, {"requestStatusPerDestination": [per_destination]})

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token:
            return False
        return self.token(token) if callable(self.token) else token == self.token

    def _check_consent(self, consent: Any) -> None:
        self.require(isinstance(consent, dict), "consent must be an object")
        self.require(set(consent) <= {"adUserData", "adPersonalization"}, "consent keys")
        self.require(all(v in _CONSENT for v in consent.values()), "consent status")

    def _check_identifier(self, identifier: dict[str, Any]) -> None:
        self.require(len(identifier) == 1, "one attribute per userIdentifier")
        key, value = next(iter(identifier.items()))
        if key in ("emailAddress", "phoneNumber"):
            self.require(
                isinstance(value, str) and bool(_HEX64.match(value)), f"{key} must be hex SHA-256"
            )
            return
        self.require(key == "address", f"unknown identifier {key}")
        self.require(
            set(value) == {"givenName", "familyName", "regionCode", "postalCode"}, "address keys"
        )
        self.require(bool(_HEX64.match(value["givenName"])), "givenName must be hashed")
        self.require(bool(_HEX64.match(value["familyName"])), "familyName must be hashed")
        self.require(re.fullmatch(r"[A-Z]{2}", value["regionCode"]) is not None, "regionCode")
        self.require(not _HEX64.match(value["postalCode"]), "postalCode is sent in clear")
