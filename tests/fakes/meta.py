"""Fake Meta Graph API: Custom Audience `/{version}/{audience_id}/users`, POST and DELETE."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakes.server import FakeApi, Reply, Request, Violation

SCHEMA = ["EMAIL", "PHONE", "FN", "LN", "ZIP", "COUNTRY"]
_USERS = re.compile(r"^/(?P<version>v\d+\.\d+)/(?P<audience>\d+)/users$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class FakeMeta(FakeApi):
    def __init__(self, access_token: str, api_version: str = "v23.0") -> None:
        super().__init__()
        self.access_token = access_token
        self.api_version = api_version
        self.audiences: dict[str, set[tuple[str, ...]]] = {}
        self.sessions: dict[int, list[dict[str, Any]]] = {}

    def violation_reply(self, violation: Violation) -> Reply:
        error = {"message": str(violation), "type": "OAuthException", "code": 100}
        return Reply(violation.status, {"error": error})

    def throttle(self, times: int = 1) -> None:
        """Answer like Meta's application-level throttling (400, code 80003)."""
        body = {
            "error": {"message": "User request limit reached", "code": 80003, "is_transient": True}
        }
        self.inject(400, times=times, body=body)

    def emails(self, audience_id: str) -> set[str]:
        return {row[0] for row in self.audiences.get(audience_id, set()) if row[0]}

    def route(self, request: Request) -> Reply:
        match = _USERS.match(request.path)
        self.require(match is not None and request.method in ("POST", "DELETE"), "no route", 404)
        assert match is not None
        self.require(match["version"] == self.api_version, "wrong API version")
        self.require("access_token" not in request.query, "access_token must not be in the URL")
        form = request.form()
        self.require(form.get("access_token") == self.access_token, "bad token", 401)
        payload = json.loads(form.get("payload", "null"))
        self.require(isinstance(payload, dict), "payload must be a JSON object")
        self.require(payload.get("schema") == SCHEMA, "schema")
        data = payload.get("data")
        self.require(isinstance(data, list) and bool(data), "payload.data")
        self.require(len(data) <= 10_000, "more than 10,000 rows in one request")
        for row in data:
            self.require(isinstance(row, list) and len(row) == len(SCHEMA), "row width")
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
