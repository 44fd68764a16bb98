"""`/app`: the web app's pages and assets, and its session (log in with a key, log out).

The pages are the built single-page app (`api/web/dist`, from `web/`); they hold no data.
Everything the app shows comes from `/graphql` with the session's cookie and CSRF token.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request, Response, status
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from starlette.staticfiles import StaticFiles
from strawberry.fastapi import GraphQLRouter

from api.auth import Principal, Role, authenticate, authenticate_hash, hash_key, key_cache
from api.deps import GraphDep, SettingsDep
from api.web.session import CSRF_HEADER, SESSION_COOKIE, Session, SessionStore, csrf_ok
from graph.errors import GraphError

log = logging.getLogger(__name__)

DIST = Path(__file__).resolve().parent / "dist"
PREFIX = "/app"
_SCREEN_ROLES = frozenset({Role.CLIENTELING, Role.ANALYST, Role.ADMIN})
_NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>graph-cdp</title></head><body><main><h1>The web app is not built</h1>
<p>Run <code>make web</code> (or <code>make demo</code>), then reload.</p></main></body></html>"""

# The pages load only their own scripts and styles; nothing may frame them.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; font-src 'self' data:; "
        "style-src 'self' 'unsafe-inline'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def sessions(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.sessions
    return store


def _who(principal: Principal, session: Session) -> dict[str, Any]:
    return {"name": principal.name, "role": principal.role.value, "csrf": session.csrf}


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, {"error": "unauthorised", "message": message}
    )


async def _check(request: Request, graph: GraphDep, key_hash: str) -> Principal | None:
    try:
        return await authenticate_hash(graph, key_hash, key_cache(request))
    except GraphError as exc:
        log.error("API key check failed: %s", type(exc).__name__)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            {"error": "unavailable", "message": "cannot check the key now; retry later"},
        ) from exc


@router.post("/api/login")
async def login(
    request: Request,
    graph: GraphDep,
    settings: SettingsDep,
    key: Annotated[str, Body(embed=True, max_length=256)],
) -> JSONResponse:
    """Exchange an API key for a session cookie; answers who is logged in and the CSRF
    token the app sends with every request."""
    try:
        principal = await authenticate(graph, key.strip(), key_cache(request))
    except GraphError as exc:
        log.error("API key check failed: %s", type(exc).__name__)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            {"error": "unavailable", "message": "cannot check the key now; retry later"},
        ) from exc
    if principal is None:
        raise _unauthorised("this key is unknown or revoked")
    if principal.role not in _SCREEN_ROLES:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            {"error": "forbidden", "message": "ingest keys have no screens in the web app"},
        )
    store = sessions(request)
    sid, session = store.create(hash_key(key.strip()))
    log.info("web session opened for key %s (%s)", principal.name, principal.role.value)
    response = JSONResponse(_who(principal, session))
    response.set_cookie(
        SESSION_COOKIE,
        sid,
        max_age=int(store.ttl_s),
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.environment == "production",
    )
    return response


@router.get("/api/session")
async def current_session(request: Request, graph: GraphDep) -> dict[str, Any]:
    """Who the session belongs to, and its CSRF token; 401 without a live session."""
    session = sessions(request).get(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise _unauthorised("not logged in")
    principal = await _check(request, graph, session.key_hash)
    if principal is None:
        sessions(request).drop(request.cookies.get(SESSION_COOKIE))
        raise _unauthorised("the key of this session was revoked")
    return _who(principal, session)


@router.post("/api/logout")
async def logout(request: Request) -> Response:
    """End the session (needs its CSRF token, so another site cannot log people out)."""
    sid = request.cookies.get(SESSION_COOKIE)
    session = sessions(request).get(sid)
    if session is not None:
        if not csrf_ok(session, request.headers.get(CSRF_HEADER)):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, {"error": "csrf", "message": "missing CSRF token"}
            )
        sessions(request).drop(sid)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def _index() -> Response:
    index = DIST / "index.html"
    if not index.is_file():
        return HTMLResponse(_NOT_BUILT, status_code=503, headers=SECURITY_HEADERS)
    return FileResponse(index, media_type="text/html", headers=SECURITY_HEADERS)


@router.get("")
@router.get("/")
async def app_root() -> Response:
    return _index()


@router.get("/graphiql")
async def graphiql() -> Response:
    """GraphiQL, its scripts and styles bundled (no CDN)."""
    page = DIST / "graphiql.html"
    if not page.is_file():
        return HTMLResponse(_NOT_BUILT, status_code=503, headers=SECURITY_HEADERS)
    return FileResponse(page, media_type="text/html", headers=SECURITY_HEADERS)


@router.get("/{screen:path}")
async def app_screen(screen: str) -> Response:
    """Every other path under /app is a screen of the single-page app (deep links work)."""
    if screen.startswith(("api/", "assets/")):
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return _index()


class _Assets(StaticFiles):
    """The built assets: file names carry a content hash, so they are cached for good."""

    async def get_response(self, path: str, scope: Any) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def assets() -> StaticFiles:
    """The app's assets (`/app/assets`); serves nothing until the app is built."""
    return _Assets(directory=DIST / "assets", check_dir=False)


class LocalGraphiQLRouter(GraphQLRouter[Any, None]):
    """Strawberry's router, whose IDE page (GET /graphql from a browser, in development)
    is our bundled GraphiQL rather than Strawberry's page, which loads GraphiQL from a CDN."""

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return RedirectResponse(f"{PREFIX}/graphiql", status_code=307)  # type: ignore[return-value]
