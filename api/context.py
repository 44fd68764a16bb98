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
from core.settings import Settings
from graph.client import GraphClient
from graph.errors import GraphError

log = logging.getLogger(__name__)


class AuthProblem(StrEnum):
    """Why a request has no principal."""

    MISSING = "missing"
    INVALID = "invalid"
    UNAVAILABLE = "unavailable"


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


async def get_context(request: Request) -> Context:
    """The GraphQL context getter: authenticates the request's API key, if any.

    A request without a valid key still gets a context (introspection works); every field
    that reads or writes data refuses it with a clear error (see `api.graphql.permissions`).
    """
    graph: GraphClient = request.app.state.graph
    settings: Settings = request.app.state.settings
    cache: KeyCache | None = getattr(request.app.state, "key_cache", None)
    key = key_from_headers(request.headers.get("authorization"), request.headers.get("x-api-key"))
    principal, problem = await resolve_principal(graph, key, cache)
    return Context(graph, settings, principal, problem)
