"""Fake Braze REST API: `POST /users/track` with attribute objects."""

from __future__ import annotations

from typing import Any

from tests.fakes.server import FakeApi, Reply, Request, Violation


class FakeBraze(FakeApi):
    def __init__(
        self,
        api_key: str,
        segments_attribute: str = "cdp_segments",
        invalid_domain: str = "invalid.test",
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.segments_attribute = segments_attribute
        self.invalid_domain = invalid_domain
        self.users: dict[str, dict[str, Any]] = {}

    def violation_reply(self, violation: Violation) -> Reply:
        return Reply(violation.status, {"message": str(violation)})

    def segment_members(self, label: str) -> set[str]:
        return {
            ext
            for ext, user in self.users.items()
            if label in user.get(self.segments_attribute, set())
        }

    def route(self, request: Request) -> Reply:
        self.require(
            request.method == "POST" and request.path == "/users/track", "unknown endpoint", 404
        )
        self.require(request.headers.get("authorization") == f"Bearer {self.api_key}", "auth", 401)
        self.require("application/json" in request.headers.get("content-type", ""), "content-type")
        attributes = request.json().get("attributes")
        self.require(isinstance(attributes, list) and bool(attributes), "attributes must be a list")
        self.require(len(attributes) <= 75, "more than 75 attribute objects")
        errors: list[dict[str, Any]] = []
        for index, obj in enumerate(attributes):
            self.require(isinstance(obj.get("external_id"), str), "external_id")
            change = obj.get(self.segments_attribute)
            self.require(
                isinstance(change, dict)
                and set(change) <= {"add", "remove"}
                and all(isinstance(v, list) for v in change.values()),
                "segments attribute must use {add: [...]} / {remove: [...]}",
            )
            if str(obj.get("email", "")).endswith("@" + self.invalid_domain):
                errors.append(
                    {
                        "type": "'email' is not a valid email",
                        "input_array": "attributes",
                        "index": index,
                    }
                )
                continue
            if obj.get("_update_existing_only") and obj["external_id"] not in self.users:
                continue
            user = self.users.setdefault(obj["external_id"], {self.segments_attribute: set()})
            for key, value in obj.items():
                if key not in (self.segments_attribute, "_update_existing_only"):
                    user[key] = value
            user[self.segments_attribute] |= set(change.get("add", []))
            user[self.segments_attribute] -= set(change.get("remove", []))
        body: dict[str, Any] = {
            "message": "success",
            "attributes_processed": len(attributes) - len(errors),
        }
        if errors:
            body["errors"] = errors
        return Reply(201, body)
