"""Segment-spec messages (HTTP Tracking API) → rows for the `segment` mapping.

`identify` messages become rows of the mapping's `identify` section (customer records keyed
by userId, else anonymousId); `track`, `page` and `screen` messages become rows of its
`track` section (an event, and the identifiers of who did it). `group` and `alias` are
acknowledged and ignored. A row keeps what identity and activity need (ids, traits, event,
properties, `context.traits`, `context.page`), not the client's IP address or user agent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.normalise import normalise_timestamp
from ingest.errors import InvalidPayload

IDENTIFY = "identify"
"""The mapping section (file name) of identify rows."""
TRACK = "track"
"""The mapping section (file name) of track, page and screen rows."""
MAX_ID_CHARS = 512


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    message_id: str | None = Field(default=None, alias="messageId", max_length=MAX_ID_CHARS)
    user_id: str | None = Field(default=None, alias="userId", max_length=MAX_ID_CHARS)
    anonymous_id: str | None = Field(default=None, alias="anonymousId", max_length=MAX_ID_CHARS)
    timestamp: str | None = None
    original_timestamp: str | None = Field(default=None, alias="originalTimestamp")
    context: dict[str, Any] = Field(default_factory=dict)

    @field_validator("message_id", "user_id", "anonymous_id", mode="before")
    @classmethod
    def _id_text(cls, v: Any) -> Any:
        # Some libraries send numeric ids; an empty id is no id.
        if isinstance(v, int) and not isinstance(v, bool):
            v = str(v)
        if isinstance(v, str):
            v = v.strip()
            return v or None
        return v

    @field_validator("context", mode="before")
    @classmethod
    def _no_null_context(cls, v: Any) -> Any:
        return {} if v is None else v


class _WithIdentity(_Message):
    @model_validator(mode="after")
    def _someone(self) -> _WithIdentity:
        if self.user_id is None and self.anonymous_id is None:
            raise ValueError("userId or anonymousId is required")
        return self


class Identify(_WithIdentity):
    type: Literal["identify"] = "identify"
    traits: dict[str, Any] = Field(default_factory=dict)


class Track(_WithIdentity):
    type: Literal["track"] = "track"
    event: str = Field(min_length=1, max_length=200)
    properties: dict[str, Any] = Field(default_factory=dict)


class Page(_WithIdentity):
    type: Literal["page"] = "page"
    name: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class Screen(_WithIdentity):
    type: Literal["screen"] = "screen"
    name: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class Ignored(_Message):
    """`group` and `alias`: valid, acknowledged, not ingested."""

    type: Literal["group", "alias"]


Message = Annotated[Identify | Track | Page | Screen | Ignored, Field(discriminator="type")]


class Batch(BaseModel):
    model_config = ConfigDict(extra="allow")

    batch: list[Message]
    context: dict[str, Any] = Field(default_factory=dict)


@dataclass
class Rows:
    """Rows for the `segment` mapping, by section, and the message ids they came from."""

    identify: list[dict[str, Any]] = field(default_factory=list)
    track: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    """`{message_id, type}` of every new message (to remember it was ingested)."""
    duplicates: int = 0
    """Messages ingested before, or repeated within this request (same messageId)."""
    ignored: int = 0


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


_TAGS = frozenset({"identify", "track", "page", "screen", "group", "alias"})


def _payload_error(exc: ValidationError) -> InvalidPayload:
    errors = []
    for e in exc.errors(include_url=False):
        # Drop the discriminator's tag after a message's index (`batch.0.track.event` →
        # `batch.0.event`).
        loc = e["loc"]
        kept = [
            p for i, p in enumerate(loc) if not (p in _TAGS and i and isinstance(loc[i - 1], int))
        ]
        errors.append((_field(tuple(kept)), e["msg"].removeprefix("Value error, ")))
    return InvalidPayload(errors)


def parse_message(body: Any, kind: Literal["identify", "track"]) -> Identify | Track:
    """Validate the body of `/v1/identify` or `/v1/track`.

    Raises:
        InvalidPayload: With each field in error.
    """
    if not isinstance(body, dict):
        raise InvalidPayload([("", "expected a JSON object")])
    declared = body.get("type")
    if declared is not None and declared != kind:
        raise InvalidPayload([("type", f"must be {kind!r} at /v1/{kind}")])
    model: type[Identify] | type[Track] = Identify if kind == "identify" else Track
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise _payload_error(exc) from exc


def parse_batch(body: Any) -> list[Identify | Track | Page | Screen | Ignored]:
    """Validate the body of `/v1/batch`: `{"batch": [message, ...], "context": {...}}`.

    The batch's `context` is the default of each message's.

    Raises:
        InvalidPayload: With each field in error (`batch.3.event`).
    """
    if not isinstance(body, dict):
        raise InvalidPayload([("", "expected a JSON object with a 'batch' list")])
    try:
        parsed = Batch.model_validate(body)
    except ValidationError as exc:
        raise _payload_error(exc) from exc
    if parsed.context:
        for m in parsed.batch:
            m.context = {**parsed.context, **m.context}
    return list(parsed.batch)


def message_id(msg: _Message) -> str:
    """The messageId, or (when a client sent none) one derived from the message's content,
    so the same message sent twice is still recognised."""
    if msg.message_id:
        return msg.message_id
    content = msg.model_dump(mode="json", by_alias=True, exclude_none=True)
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "auto-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def event_time(msg: _Message, received_at: str) -> str:
    """When it happened: `timestamp`, else `originalTimestamp`, else when we received it.

    An unparseable timestamp is kept as sent, for the pipeline to quarantine with its reason.
    """
    return msg.timestamp or msg.original_timestamp or received_at


def _context(msg: _Message) -> dict[str, Any]:
    kept = {k: msg.context[k] for k in ("traits", "page") if isinstance(msg.context.get(k), dict)}
    return kept


def _row(msg: Identify | Track | Page | Screen, mid: str, received_at: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "type": msg.type,
        "messageId": mid,
        "userId": msg.user_id,
        "anonymousId": msg.anonymous_id,
        "ts": event_time(msg, received_at),
        "receivedAt": received_at,
    }
    context = _context(msg)
    if context:
        row["context"] = context
    if isinstance(msg, Identify):
        row["traits"] = msg.traits
    elif isinstance(msg, Track):
        row["event"] = msg.event
        row["properties"] = msg.properties
    else:
        props = dict(msg.properties)
        if msg.name and "name" not in props:
            props["name"] = msg.name
        row["event"] = msg.type
        row["properties"] = props
    return row


def _sort_key(row: dict[str, Any]) -> str:
    # Later messages last, so within one request the newest traits win.
    return normalise_timestamp(row["ts"]).value or row["receivedAt"]


def to_rows(
    messages: list[Identify | Track | Page | Screen | Ignored],
    received_at: str,
    seen: set[str] | frozenset[str] = frozenset(),
) -> Rows:
    """Rows of the messages not `seen` before (and not repeated within `messages`).

    Args:
        messages: Validated messages.
        received_at: When the request arrived (ISO timestamp, UTC).
        seen: Message ids already ingested.
    """
    out = Rows()
    taken = set(seen)
    for msg in messages:
        if isinstance(msg, Ignored):
            out.ignored += 1
            continue
        mid = message_id(msg)
        if mid in taken:
            out.duplicates += 1
            continue
        taken.add(mid)
        row = _row(msg, mid, received_at)
        (out.identify if isinstance(msg, Identify) else out.track).append(row)
        out.messages.append({"message_id": mid, "type": msg.type})
    out.identify.sort(key=_sort_key)
    out.track.sort(key=_sort_key)
    return out


def message_ids(messages: list[Identify | Track | Page | Screen | Ignored]) -> list[str]:
    """The ids of the messages that would be ingested (to ask which were seen before)."""
    return list(dict.fromkeys(message_id(m) for m in messages if not isinstance(m, Ignored)))
