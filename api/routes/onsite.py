"""Onsite personalisation: the storefront asks, for its current visitor, which segments they
are in and a few non-personal traits, to choose what to show.

`GET /v1/onsite/visitor` with exactly one of `anonymous_id` (the analytics cookie),
`customer_id` (the shop's logged-in customer id, `ONSITE_CUSTOMER_ID_TYPE`) or
`email_sha256` (hex SHA-256 of the trimmed, lower-cased address), and a key of role
`onsite`. The key sits in the storefront's JavaScript, so the answer never holds personal
data: the segments (`ONSITE_SEGMENTS`, all when unset) and the traits of `ONSITE_TRAITS`,
which may only be derived bands (`clv_band`, `churn_band`) or catalogue attributes that are
neither personal nor part of the golden record (no postcode, no city). An unknown visitor is
a 200 with `known: false`, so the storefront needs no error path; the answer may be cached
by the browser for `ONSITE_CACHE_MAX_AGE_S`. One indexed read per request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import Principal, Role, http_error, require_roles
from api.deps import GraphDep
from core.settings import Settings
from enrich.catalogue import BY_NAME
from graph import onsite_repo
from ingest.errors import InvalidIdentifier
from ingest.identifiers import typed_identifier_key

PATH = "/v1/onsite/visitor"
DERIVED = ("clv_band", "churn_band")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MAX_ID_CHARS = 200

router = APIRouter()
OnsiteKey = Annotated[Principal, Depends(require_roles(Role.ONSITE))]


class InvalidOnsiteSetting(ValueError):
    """An onsite setting names something a public key must not see."""


def check_traits(traits: Iterable[str]) -> tuple[str, ...]:
    """The configured traits, each a derived band or a non-personal, non-golden attribute.

    Raises:
        InvalidOnsiteSetting: naming the first trait that is neither.
    """
    checked = []
    for name in traits:
        attribute = BY_NAME.get(name)
        allowed = name in DERIVED or (
            attribute is not None and not attribute.personal and attribute.family != "golden"
        )
        if not allowed:
            raise InvalidOnsiteSetting(
                f"ONSITE_TRAITS: {name!r} is not a derived band ({', '.join(DERIVED)}) or a"
                " non-personal enrichment attribute"
            )
        checked.append(name)
    return tuple(checked)


def clv_band(percentile: Any) -> str | None:
    """The CLV percentile (0 to 1) as a band a storefront can act on."""
    if not isinstance(percentile, int | float):
        return None
    if percentile >= 0.9:
        return "top"
    if percentile >= 0.6:
        return "high"
    if percentile >= 0.3:
        return "medium"
    return "low"


def churn_band(risk: Any) -> str | None:
    """Churn risk is a band already (`low`, `medium`, `high`), or a probability."""
    if isinstance(risk, str):
        return risk or None
    if not isinstance(risk, int | float):
        return None
    return "high" if risk >= 0.6 else "medium" if risk >= 0.3 else "low"


def traits_of(profile: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        if name == "clv_band":
            out[name] = clv_band(profile.get("clv_percentile"))
        elif name == "churn_band":
            out[name] = churn_band(profile.get("churn_risk"))
        else:
            value = profile.get(name)
            out[name] = value if isinstance(value, str | int | float | bool | list) else None
    return out


def _bad(message: str) -> HTTPException:
    return http_error(status.HTTP_400_BAD_REQUEST, "bad_request", message)


def _lookup(
    settings: Settings, anonymous_id: str | None, customer_id: str | None, email_sha256: str | None
) -> tuple[str | None, str | None]:
    """(identifier key, email hash) of the one parameter given."""
    given = [v for v in (anonymous_id, customer_id, email_sha256) if v is not None]
    if len(given) != 1:
        raise _bad("send exactly one of anonymous_id, customer_id, email_sha256")
    if email_sha256 is not None:
        digest = email_sha256.strip().lower()
        if not _SHA256.match(digest):
            raise _bad("email_sha256 must be 64 hexadecimal characters")
        return None, digest
    value = given[0]
    if len(value) > _MAX_ID_CHARS:
        raise _bad(f"an id has at most {_MAX_ID_CHARS} characters")
    id_type = "cookie" if anonymous_id is not None else settings.onsite_customer_id_type
    name = "anonymous_id" if anonymous_id is not None else "customer_id"
    try:
        return typed_identifier_key(id_type, value), None
    except InvalidIdentifier:
        raise _bad(f"{name} is not a valid id") from None


@router.get(PATH)
async def visitor(
    request: Request,
    response: Response,
    graph: GraphDep,
    _: OnsiteKey,
    anonymous_id: Annotated[str | None, Query()] = None,
    customer_id: Annotated[str | None, Query()] = None,
    email_sha256: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    """The visitor's segments and traits (`known: false` when we do not know them)."""
    settings: Settings = request.app.state.settings
    key, digest = _lookup(settings, anonymous_id, customer_id, email_sha256)
    response.headers["Cache-Control"] = f"private, max-age={settings.onsite_cache_max_age_s}"
    response.headers["Vary"] = "Origin, Authorization, X-API-Key"
    found = await onsite_repo.visitor(graph, key=key, sha256=digest)
    traits: tuple[str, ...] = request.app.state.onsite_traits
    if found is None:
        return {"known": False, "segments": [], "traits": dict.fromkeys(traits)}
    segments = found.segments
    if settings.onsite_segments is not None:
        allowed = set(settings.onsite_segments)
        segments = [s for s in segments if s in allowed]
    return {"known": True, "segments": segments, "traits": traits_of(found.traits, traits)}


class OnsiteCors:
    """CORS for the onsite endpoint only, for the storefront's origins (no cookies: the key
    travels in a header). Every other path is left to the app's own CORS settings."""

    def __init__(self, app: ASGIApp, origins: Iterable[str]) -> None:
        self.app = app
        self.origins = frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        origin = headers.get(b"origin", b"").decode("latin-1")
        allowed = origin in self.origins
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await self._preflight(send, origin if allowed else None)
            return

        async def send_with_cors(message: Any) -> None:
            if message["type"] == "http.response.start" and allowed:
                message["headers"] = [
                    *message.get("headers", []),
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, send: Send, origin: str | None) -> None:
        headers = [(b"vary", b"Origin"), (b"content-length", b"0")]
        if origin is not None:
            headers += [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-methods", b"GET"),
                (b"access-control-allow-headers", b"Authorization, X-API-Key"),
                (b"access-control-max-age", b"600"),
            ]
        await send(
            {
                "type": "http.response.start",
                "status": 204 if origin is not None else 403,
                "headers": headers,
            }
        )
        await send({"type": "http.response.body", "body": b""})
