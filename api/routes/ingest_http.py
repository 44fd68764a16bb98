"""HTTP ingestion: Segment-spec messages and Shopify webhooks, through the ingest pipeline.

Segment-spec messages (`POST /v1/identify`, `/v1/track`, `/v1/batch`): an API key of role
`ingest` (or `admin`) as `Authorization: Bearer <key>`, `X-API-Key: <key>`, or HTTP Basic with
the key as user name (what Segment's libraries send as their write key). A message whose `messageId`
was ingested before is acknowledged as a duplicate and not ingested again. Delivery is at
least once: messages are remembered after their rows are written, and the writes are
idempotent, so a retry after a failure is safe.

Shopify (`POST /webhooks/shopify/customers`, `/webhooks/shopify/orders`): Shopify cannot send
our API key, so when `SHOPIFY_WEBHOOK_SECRET` is set a webhook is authenticated by its
`X-Shopify-Hmac-Sha256` signature alone (a missing or wrong signature is 401). Without the
secret the endpoints need an ingest key like the others (for a relay or replays).

Every endpoint refuses a body over `API_MAX_BODY_BYTES` (413) before reading it when
`Content-Length` says so, and while reading it otherwise; malformed JSON is 400, a payload
that breaks the spec 422 naming each field. The answer counts what happened:
`{"accepted", "duplicates", "quarantined", "ignored", "batch_id", "batch_ids"}`. Rows of a
person who asked to be forgotten are counted as accepted and dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel

from api.auth import Principal, Role, principal_of, require_roles
from api.deps import GraphDep, SettingsDep
from core.clock import utc_stamp
from core.settings import Settings
from graph import ingest_repo
from graph.client import GraphClient
from graph.errors import GraphError
from ingest.connectors import segment_spec, shopify
from ingest.errors import IngestError, InvalidPayload
from ingest.mapping import SourceMapping, builtin_mapping
from ingest.pipeline import BatchReport, Ingestor

log = logging.getLogger(__name__)
router = APIRouter(tags=["ingest"])

IngestKey = Annotated[Principal, Depends(require_roles(Role.INGEST))]
_INGEST_ROLES = frozenset({Role.INGEST})


class IngestResult(BaseModel):
    accepted: int = 0
    """Messages or payloads ingested (rows written, or dropped as forgotten)."""
    duplicates: int = 0
    """Messages ingested before (same messageId): acknowledged, not ingested again."""
    quarantined: int = 0
    """Rows kept in quarantine with their reason (e.g. an unparseable timestamp)."""
    ignored: int = 0
    """Valid messages this service does not ingest (Segment-spec group/alias, other topics)."""
    batch_id: str | None = None
    """The first ingest batch written (`IngestBatch.id`), None when nothing was."""
    batch_ids: list[str] = []
    """Every ingest batch written (a mixed batch of messages writes identify and track rows)."""


@cache
def _mapping(source: str) -> SourceMapping:
    return builtin_mapping(source)


def _error(code: int, error: str, message: str, **extra: Any) -> HTTPException:
    return HTTPException(code, detail={"error": error, "message": message, **extra})


# -- reading the request ------------------------------------------------------------------


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise _error(400, "bad_request", "Content-Length is not a number") from None
        if size > limit:
            raise _too_large(limit)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in {"", "identity"}:
        raise _error(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "unsupported_encoding",
            f"Content-Encoding {encoding!r} is not supported; send the JSON uncompressed",
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _too_large(limit: int) -> HTTPException:
    return _error(
        status.HTTP_413_CONTENT_TOO_LARGE,
        "payload_too_large",
        f"the body exceeds {limit} bytes; send fewer messages per request",
        limit=limit,
    )


def parse_json(body: bytes) -> Any:
    """The JSON document of the body, or 400 saying where it breaks."""
    if not body.strip():
        raise _error(400, "malformed_json", "the body is empty; expected a JSON object")
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise _error(
            400,
            "malformed_json",
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from None
    except UnicodeDecodeError:
        raise _error(400, "malformed_json", "the body is not UTF-8 text") from None
    except RecursionError:
        raise _error(400, "malformed_json", "the JSON is nested too deeply") from None


def _schema_error(errors: list[tuple[str, str]]) -> HTTPException:
    listed = [{"field": f or "(body)", "message": m} for f, m in errors]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in listed[:5])
    return _error(status.HTTP_422_UNPROCESSABLE_CONTENT, "invalid_payload", summary, errors=listed)


def _label(request: Request) -> str:
    # Becomes IngestBatch.file and Record.file: where the rows came from.
    return f"http:{request.url.path}"


# -- writing ------------------------------------------------------------------------------


async def _ingest(
    graph: GraphClient, source: str, parts: Iterable[tuple[str, list[dict[str, Any]]]], label: str
) -> list[BatchReport]:
    ingestor = Ingestor(graph, _mapping(source))
    reports = []
    try:
        for name, rows in parts:
            if rows:
                reports.append(await ingestor.ingest_rows(name, rows, label))
    except GraphError as exc:
        log.error("HTTP ingestion of %s failed: %s", source, type(exc).__name__)
        raise _error(503, "unavailable", "the graph is unavailable; retry later") from exc
    except IngestError as exc:
        log.error("HTTP ingestion of %s failed: %s", source, type(exc).__name__)
        raise _error(500, "ingest_failed", "the rows could not be ingested") from exc
    return reports


def _result(reports: list[BatchReport], duplicates: int = 0, ignored: int = 0) -> IngestResult:
    ids = [r.batch_id for r in reports]
    return IngestResult(
        accepted=sum(r.rows_accepted + r.rows_suppressed for r in reports),
        duplicates=duplicates,
        quarantined=sum(r.rows_quarantined for r in reports),
        ignored=ignored,
        batch_id=ids[0] if ids else None,
        batch_ids=ids,
    )


# -- Segment-spec messages ----------------------------------------------------------------


async def _ingest_messages(
    request: Request,
    graph: GraphClient,
    messages: list[
        segment_spec.Identify
        | segment_spec.Track
        | segment_spec.Page
        | segment_spec.Screen
        | segment_spec.Ignored
    ],
) -> IngestResult:
    try:
        seen = await ingest_repo.seen_message_ids(graph, segment_spec.message_ids(messages))
    except GraphError as exc:
        raise _error(503, "unavailable", "the graph is unavailable; retry later") from exc
    rows = segment_spec.to_rows(messages, utc_stamp(), seen)
    reports = await _ingest(
        graph,
        "segment",
        [(segment_spec.IDENTIFY, rows.identify), (segment_spec.TRACK, rows.track)],
        _label(request),
    )
    # Only now: a message is a duplicate once its rows are in the graph.
    result = _result(reports, duplicates=rows.duplicates, ignored=rows.ignored)
    try:
        await ingest_repo.remember_messages(graph, rows.messages, result.batch_id, utc_stamp())
    except GraphError as exc:
        raise _error(503, "unavailable", "the graph is unavailable; retry later") from exc
    log.info(
        "messages: %d accepted, %d duplicates, %d quarantined",
        result.accepted,
        result.duplicates,
        result.quarantined,
    )
    return result


async def _message_body(request: Request, settings: Settings) -> Any:
    return parse_json(await read_body(request, settings.api_max_body_bytes))


@router.post("/v1/identify")
async def identify_message(
    request: Request, _: IngestKey, graph: GraphDep, settings: SettingsDep
) -> IngestResult:
    """A Segment-spec `identify` message: who a user is (userId/anonymousId and traits)."""
    try:
        message = segment_spec.parse_message(await _message_body(request, settings), "identify")
    except InvalidPayload as exc:
        raise _schema_error(exc.errors) from None
    return await _ingest_messages(request, graph, [message])


@router.post("/v1/track")
async def track_message(
    request: Request, _: IngestKey, graph: GraphDep, settings: SettingsDep
) -> IngestResult:
    """A Segment-spec `track` message: an event a user did, with its properties."""
    try:
        message = segment_spec.parse_message(await _message_body(request, settings), "track")
    except InvalidPayload as exc:
        raise _schema_error(exc.errors) from None
    return await _ingest_messages(request, graph, [message])


@router.post("/v1/batch")
async def message_batch(
    request: Request, _: IngestKey, graph: GraphDep, settings: SettingsDep
) -> IngestResult:
    """Several Segment-spec messages (`{"batch": [...]}`), each with its `type`. The batch is
    validated as a whole: one message that breaks the spec refuses it (422), naming it."""
    try:
        messages = segment_spec.parse_batch(await _message_body(request, settings))
    except InvalidPayload as exc:
        raise _schema_error(exc.errors) from None
    return await _ingest_messages(request, graph, messages)


# -- Shopify ------------------------------------------------------------------------------


async def _webhook_body(request: Request, graph: GraphClient, settings: Settings) -> bytes:
    """The raw body of an authenticated webhook: signed when a secret is set, else sent with
    an ingest key."""
    limit = settings.api_max_body_bytes
    secret = settings.shopify_webhook_secret
    if secret is None:
        await principal_of(request, graph, _INGEST_ROLES)
        return await read_body(request, limit)
    body = await read_body(request, limit)
    signature = request.headers.get("x-shopify-hmac-sha256")
    if not shopify.verify_hmac(secret.get_secret_value(), body, signature):
        log.warning("Shopify webhook refused: %s signature", "wrong" if signature else "no")
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail={
                "error": "invalid_signature",
                "message": "X-Shopify-Hmac-Sha256 is missing or does not match the body",
            },
        )
    return body


def _topic_ignored(request: Request, topics: frozenset[str]) -> bool:
    topic = request.headers.get("x-shopify-topic")
    return topic is not None and topic.strip().lower() not in topics


@router.post("/webhooks/shopify/customers")
async def shopify_customers(
    request: Request, graph: GraphDep, settings: SettingsDep
) -> IngestResult:
    """`customers/create` and `customers/update`: the customer's full state, on the same
    record as the Shopify export's (`ecommerce:<id>`)."""
    body = await _webhook_body(request, graph, settings)
    if _topic_ignored(request, shopify.CUSTOMER_TOPICS):
        return IngestResult(ignored=1)
    try:
        row = shopify.customer_row(parse_json(body))
    except InvalidPayload as exc:
        raise _schema_error(exc.errors) from None
    reports = await _ingest(graph, "ecommerce", [(shopify.CUSTOMERS_FILE, [row])], _label(request))
    return _result(reports)


@router.post("/webhooks/shopify/orders")
async def shopify_orders(request: Request, graph: GraphDep, settings: SettingsDep) -> IngestResult:
    """`orders/create` (and `orders/updated`): an order placed by `ecommerce:<customer.id>`."""
    body = await _webhook_body(request, graph, settings)
    if _topic_ignored(request, shopify.ORDER_TOPICS):
        return IngestResult(ignored=1)
    try:
        row = shopify.order_row(parse_json(body))
    except InvalidPayload as exc:
        raise _schema_error(exc.errors) from None
    reports = await _ingest(graph, "ecommerce", [(shopify.ORDERS_FILE, [row])], _label(request))
    return _result(reports)
