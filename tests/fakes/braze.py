"""Fake Braze REST API: `POST /users/track` with user attributes objects.

As documented (post_user_track, the user attributes object, custom attributes):
- a user is named by `external_id` or by `user_alias: {alias_name, alias_label}`, one of
  them; an unknown user is created unless `_update_existing_only` is true, and an
  alias-only user only when `_update_existing_only` is explicitly false;
- an array custom attribute changed with `{"add": [...]}` / `{"remove": [...]}` holds at
  most `array_limit` values (25 by default): further values are dropped without an error;
- a custom attribute set to `null` is unset;
- `subscription_groups: [{subscription_group_id, subscription_state}]`;
- each attribute written is a data point (`data_points`), identifiers and flags aside;
- a request holds at most `max_objects` objects (75, or 50 under an MAU contract);
- per-object problems come back in a 201 as `errors: [{type, input_array, index}]`.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.server import FakeApi, Reply, Request, Violation

_NOT_DATA_POINTS = frozenset({"external_id", "user_alias", "braze_id", "_update_existing_only"})
_STATES = frozenset({"subscribed", "unsubscribed"})


class FakeBraze(FakeApi):
    def __init__(
        self,
        api_key: str,
        segments_attribute: str = "cdp_segments",
        invalid_domain: str = "invalid.test",
        *,
        array_limit: int = 25,
        max_objects: int = 75,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.segments_attribute = segments_attribute
        self.invalid_domain = invalid_domain
        self.array_limit = array_limit
        self.max_objects = max_objects
        self.users: dict[str, dict[str, Any]] = {}
        """external_id, or 'alias:<label>:<name>' -> attributes."""
        self.subscriptions: dict[str, dict[str, str]] = {}
        """user key -> subscription group id -> state."""
        self.data_points = 0

    def violation_reply(self, violation: Violation) -> Reply:
        return Reply(violation.status, {"message": str(violation)})

    def segment_members(self, label: str) -> set[str]:
        """Users in a segment, by the array attribute or the segment's boolean."""
        boolean = f"{self.segments_attribute}_{label}"
        return {
            key
            for key, user in self.users.items()
            if label in (user.get(self.segments_attribute) or []) or user.get(boolean) is True
        }

    def _key(self, obj: dict[str, Any]) -> str:
        external_id, alias = obj.get("external_id"), obj.get("user_alias")
        self.require((external_id is None) != (alias is None), "external_id or user_alias")
        if external_id is not None:
            self.require(isinstance(external_id, str) and bool(external_id), "external_id")
            return str(external_id)
        self.require(
            isinstance(alias, dict)
            and set(alias) == {"alias_name", "alias_label"}
            and all(isinstance(v, str) and v for v in alias.values()),
            "user_alias needs alias_name and alias_label",
        )
        assert isinstance(alias, dict)
        return f"alias:{alias['alias_label']}:{alias['alias_name']}"

    def route(self, request: Request) -> Reply:
        self.require(
            request.method == "POST" and request.path == "/users/track", "unknown endpoint", 404
        )
        self.require(request.headers.get("authorization") == f"Bearer {self.api_key}", "auth", 401)
        self.require("application/json" in request.headers.get("content-type", ""), "content-type")
        attributes = request.json().get("attributes")
        self.require(isinstance(attributes, list) and bool(attributes), "attributes must be a list")
        self.require(
            len(attributes) <= self.max_objects, f"more than {self.max_objects} attribute objects"
        )
        errors: list[dict[str, Any]] = []
        for index, obj in enumerate(attributes):
            key = self._key(obj)
            if str(obj.get("email", "")).endswith("@" + self.invalid_domain):
                errors.append(
                    {
                        "type": "'email' is not a valid email",
                        "input_array": "attributes",
                        "index": index,
                    }
                )
                continue
            existing_only = obj.get("_update_existing_only")
            if key not in self.users:
                alias_only = "user_alias" in obj
                if existing_only is True or (alias_only and existing_only is not False):
                    continue
            self._apply(key, obj)
        body: dict[str, Any] = {
            "message": "success",
            "attributes_processed": len(attributes) - len(errors),
        }
        if errors:
            body["errors"] = errors
        return Reply(201, body)

    def _apply(self, key: str, obj: dict[str, Any]) -> None:
        user = self.users.setdefault(key, {})
        for name, value in obj.items():
            if name in _NOT_DATA_POINTS:
                continue
            self.data_points += 1
            if name == "subscription_groups":
                self._subscribe(key, value)
            elif name == "email_subscribe":
                self.require(
                    value in ("opted_in", "subscribed", "unsubscribed"),
                    "email_subscribe: opted_in, subscribed or unsubscribed",
                )
                user[name] = value
            elif isinstance(value, dict):
                self.require(
                    set(value) <= {"add", "remove"}
                    and all(isinstance(v, list) for v in value.values()),
                    f"{name}: an array is changed with {{add: [...]}} / {{remove: [...]}}",
                )
                held = [v for v in user.get(name) or [] if v not in value.get("remove", [])]
                for item in value.get("add", []):
                    if item not in held and len(held) < self.array_limit:
                        held.append(item)  # past the limit: dropped, no error
                user[name] = held
            elif value is None:
                user.pop(name, None)
            else:
                user[name] = value

    def _subscribe(self, key: str, groups: Any) -> None:
        self.require(isinstance(groups, list), "subscription_groups must be a list")
        held = self.subscriptions.setdefault(key, {})
        for group in groups:
            self.require(
                isinstance(group, dict)
                and isinstance(group.get("subscription_group_id"), str)
                and group.get("subscription_state") in _STATES,
                "subscription_groups items: subscription_group_id and subscription_state",
            )
            held[group["subscription_group_id"]] = group["subscription_state"]
