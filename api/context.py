"""Per-request GraphQL context: the graph client, the settings, who is calling (from the API
key) and the request's DataLoaders."""

from __future__ import annotations

import logging
from enum import StrEnum
from functools import cached_property

from fastapi import Request
from strawberry.fastapi import BaseContext

from api.auth import KeyCache, Principal, authenticate, key_from_headers
from api.graphql.loaders import Loaders
from api.web.session import CSRF_HEADER, SESSION_COOKIE, SessionStore, csrf_ok
from core.settings import Settings
from graph.client import GraphClient
from graph.errors import GraphError

log = logging.getLogger(__name__)


class AuthProblem(StrEnum):
    """Why a request has no principal."""

    MISSING = "missing"
    INVALID = "invalid"
    UNAVAILABLE = "unavailable"
    CSRF = "csrf"
    """A browser session's request without its CSRF token."""
    PERSISTED_ONLY = "persisted_only"
    """A key whose role may run only registered (persisted) queries sent free-form GraphQL."""


class Context(BaseContext):
    def __init__(
        self,
        graph: GraphClient,
        settings: Settings,
        principal: Principal | None = None,
        auth_problem: AuthProblem | None = None,
    ) -> None:
        super().__init__()
        self.graph = graph
        self.settings = settings
        self.principal = principal
        """The holder of the request's API key; None without a valid key."""
        self.auth_problem = auth_problem if principal is None else None

    @cached_property
    def loaders(self) -> Loaders:
        """DataLoaders of this request: they batch and cache within it, never across."""
        return Loaders(self.graph)

    @property
    def sees_personal_data(self) -> bool:
        return self.principal is not None and self.principal.sees_personal_data


async def resolve_principal(
    graph: GraphClient, key: str | None, cache: KeyCache | None
) -> tuple[Principal | None, AuthProblem | None]:
    """The principal holding `key`, or why there is none. Never raises."""
    if key is None:
        return None, AuthProblem.MISSING
    try:
        principal = await authenticate(graph, key, cache)
    except GraphError as exc:
        log.error("API key check failed: %s", type(exc).__name__)
        return None, AuthProblem.UNAVAILABLE
    return (principal, None) if principal is not None else (None, AuthProblem.INVALID)


async def session_principal(
    request: Request, graph: GraphClient, cache: KeyCache | None
) -> tuple[Principal | None, AuthProblem | None]:
    """The principal of the request's browser session (the web app), or why there is none.

    The session's key is checked again (through the cache), so revoking it ends the session;
    the request must carry the session's CSRF token. Never raises.
    """
    from api.auth import authenticate_hash

    store: SessionStore | None = getattr(request.app.state, "sessions", None)
    session = store.get(request.cookies.get(SESSION_COOKIE)) if store is not None else None
    if session is None:
        return None, AuthProblem.INVALID
    if not csrf_ok(session, request.headers.get(CSRF_HEADER)):
        return None, AuthProblem.CSRF
    try:
        principal = await authenticate_hash(graph, session.key_hash, cache)
    except GraphError as exc:
        log.error("API key check failed: %s", type(exc).__name__)
        return None, AuthProblem.UNAVAILABLE
    return (principal, None) if principal is not None else (None, AuthProblem.INVALID)


async def get_context(request: Request, persisted: bool = False) -> Context:
    """The GraphQL context getter: authenticates the request's API key, if any.

    Without a key header, the web app's session cookie stands for one (see
    `api.web.session`). A request without a valid key still gets a context (introspection
    works); every field that reads or writes data refuses it with a clear error (see
    `api.graphql.permissions`). Keys of the roles limited to registered queries are refused
    here unless `persisted` (see `api.persisted`).
    """
    graph: GraphClient = request.app.state.graph
    settings: Settings = request.app.state.settings
    cache: KeyCache | None = getattr(request.app.state, "key_cache", None)
    key = key_from_headers(request.headers.get("authorization"), request.headers.get("x-api-key"))
    if key is None and SESSION_COOKIE in request.cookies:
        principal, problem = await session_principal(request, graph, cache)
    else:
        principal, problem = await resolve_principal(graph, key, cache)
        restricted = set(settings.persisted_only_roles)
        if principal is not None and not persisted and principal.role.value in restricted:
            principal, problem = None, AuthProblem.PERSISTED_ONLY
    return Context(graph, settings, principal, problem)
