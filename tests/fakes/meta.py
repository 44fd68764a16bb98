"""Fake Meta Graph API: Custom Audience `/{version}/{audience_id}/users`, POST and DELETE."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

from activate.destinations.versions import META_GRAPH_VERSION
from tests.fakes.server import FakeApi, Reply, Request, Violation

SCHEMA_KEYS = frozenset(
    {"EMAIL", "PHONE", "GEN", "DOBY", "DOBM", "DOBD", "LN", "FN", "FI", "CT", "ST", "ZIP"}
    | {"MADID", "COUNTRY", "EXTERN_ID", "PAGEUID", "LOOKALIKE_VALUE"}
)
"""The multi-key schema's documented keys (Customer File Custom Audiences)."""
_USERS = re.compile(r"^/(?P<version>v\d+\.\d+)/(?P<audience>\d+)/users$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def graph_error(
    message: str,
    code: int,
    *,
    subcode: int | None = None,
    is_transient: bool = False,
    violation: Violation | None = None,
    type_: str = "OAuthException",
) -> dict[str, Any]:
    """Graph's documented error body (docs/graph-api/guides/error-handling)."""
    error: dict[str, Any] = {
        "message": f"{message}: {violation}" if violation else message,
        "type": type_,
        "code": code,
        "fbtrace_id": "AbCdEfGhIjKlMnOp",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if is_transient:
        error["is_transient"] = True
    return {"error": error}


class FakeMeta(FakeApi):
    def __init__(
        self,
        access_token: str,
        api_version: str = META_GRAPH_VERSION,
        *,
        app_secret: str | None = None,
    ) -> None:
        """`app_secret`: the app has "Require App Secret" on; every call must carry
        `appsecret_proof`."""
        super().__init__()
        self.access_token = access_token
        self.api_version = api_version
        self.app_secret = app_secret
        self.audiences: dict[str, set[tuple[str, ...]]] = {}
        self.sessions: dict[int, list[dict[str, Any]]] = {}

    def violation_reply(self, violation: Violation) -> Reply:
        return Reply(violation.status, graph_error("Invalid parameter", 100, violation=violation))

    def throttle(self, times: int = 1, regain_minutes: int | None = None) -> None:
        """Answer like Meta's custom audience throttling (400, code 80003), with the
        `X-Business-Use-Case-Usage` header when `regain_minutes` is given."""
        body = graph_error(
            "There have been too many calls from this ad-account. Please wait a bit and try again.",
            80003,
            subcode=2446079,
            is_transient=True,
        )
        headers = {}
        if regain_minutes is not None:
            usage = {
                "1234567890": [
                    {
                        "type": "custom_audience",
                        "call_count": 100,
                        "total_cputime": 12,
                        "total_time": 20,
                        "estimated_time_to_regain_access": regain_minutes,
                    }
                ]
            }
            headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
        self.inject(400, times=times, body=body, headers=headers)

    def expire_token(self) -> None:
        """Answer as Graph does for an expired access token (400, code 190, subcode 463)."""
        self.inject(
            400,
            times=1_000,
            body=graph_error(
                "Error validating access token: Session has expired on Friday, 04-Dec-26"
                " 10:00:00 PST.",
                190,
                subcode=463,
            ),
        )

    def revoke_permission(self) -> None:
        """Answer as Graph does when the token lacks ads_management (400, code 200)."""
        self.inject(
            400,
            times=1_000,
            body=graph_error(
                "(#200) The user hasn't authorized the application to perform this action",
                200,
            ),
        )

    def emails(self, audience_id: str) -> set[str]:
        return {row[0] for row in self.audiences.get(audience_id, set()) if row[0]}

    def route(self, request: Request) -> Reply:
        match = _USERS.match(request.path)
        self.require(match is not None and request.method in ("POST", "DELETE"), "no route", 404)
        assert match is not None
        self.require(match["version"] == self.api_version, "wrong API version")
        self.require("access_token" not in request.query, "access_token must not be in the URL")
        form = request.form()
        if form.get("access_token") != self.access_token:
            return Reply(
                400,
                graph_error("Invalid OAuth access token - Cannot parse access token", 190),
            )
        if self.app_secret is not None:
            proof = form.get("appsecret_proof")
            expected = hmac.new(
                self.app_secret.encode(), self.access_token.encode(), hashlib.sha256
            ).hexdigest()
            if proof is None:
                message = "API calls from the server require an appsecret_proof argument"
            elif not hmac.compare_digest(proof, expected):
                message = "Invalid appsecret_proof provided in the API argument"
            else:
                message = ""
            if message:
                return Reply(400, graph_error(message, 100, type_="GraphMethodException"))
        payload = json.loads(form.get("payload", "null"))
        self.require(isinstance(payload, dict), "payload must be a JSON object")
        schema = payload.get("schema")
        self.require(isinstance(schema, list) and bool(schema), "schema must be a list")
        self.require(set(schema) <= SCHEMA_KEYS, f"unknown schema keys {schema}")
        self.require(len(set(schema)) == len(schema), "schema keys repeated")
        data = payload.get("data")
        self.require(isinstance(data, list) and bool(data), "payload.data")
        self.require(len(data) <= 10_000, "more than 10,000 rows in one request")
        for row in data:
            self.require(isinstance(row, list) and len(row) == len(schema), "row width")
            self.require(all(v == "" or _HEX64.match(v) for v in row), "values must be SHA-256 hex")
            self.require(any(row), "empty row")
        self._check_session(json.loads(form.get("session", "null")))
        rows = self.audiences.setdefault(match["audience"], set())
        for row in data:
            if request.method == "POST":
                rows.add(tuple(row))
            else:
                rows.discard(tuple(row))
        session = json.loads(form["session"])
        return Reply(
            200,
            {
                "audience_id": match["audience"],
                "session_id": str(session["session_id"]),
                "num_received": len(data),
                "num_invalid_entries": 0,
                "invalid_entry_samples": {},
            },
        )

    def _check_session(self, session: Any) -> None:
        self.require(isinstance(session, dict), "session object")
        keys = {"session_id", "batch_seq", "last_batch_flag", "estimated_num_total"}
        self.require(keys <= set(session), "session keys")
        self.require(isinstance(session["session_id"], int), "session_id must be an integer")
        history = self.sessions.setdefault(session["session_id"], [])
        self.require(not history or not history[-1]["last_batch_flag"], "batch after the last one")
        expected = history[-1]["batch_seq"] + 1 if history else 1
        self.require(
            session["batch_seq"] == expected, f"batch_seq {session['batch_seq']} != {expected}"
        )
        history.append(session)
