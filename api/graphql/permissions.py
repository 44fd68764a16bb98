"""Who may use which field. Every root field that reads or writes data names one of these;
without a valid key the answer is an UNAUTHENTICATED error and no data, with a key of the
wrong role a FORBIDDEN error naming what is needed.

Roles (see `api.auth`): clienteling looks customers up (masked), analyst reads everything,
admin also writes, ingest only ingests.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from api.auth import Permission, Principal
from api.context import AuthProblem, Context
from api.graphql.errors import ApiError, Code

_PROBLEMS = {
    AuthProblem.MISSING: "send an API key: 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
    AuthProblem.INVALID: "the API key is unknown or revoked",
    AuthProblem.UNAVAILABLE: "the API key cannot be checked now; retry later",
    AuthProblem.CSRF: "a browser session's request needs its CSRF token in 'X-CSRF-Token'",
    AuthProblem.PERSISTED_ONLY: "keys of this role may run only registered queries: "
    "POST /graphql/persisted/<id>",
}


def auth_error(ctx: Context) -> ApiError:
    """The error for a request without a valid key, saying what is wrong with it."""
    problem = ctx.auth_problem or AuthProblem.MISSING
    code = Code.UNAVAILABLE if problem is AuthProblem.UNAVAILABLE else Code.UNAUTHENTICATED
    if problem is AuthProblem.PERSISTED_ONLY:
        code = Code.FORBIDDEN
    return ApiError(code, _PROBLEMS[problem])


def principal(info: Info[Context, None]) -> Principal:
    """The caller, or an UNAUTHENTICATED error saying what is wrong with the key."""
    ctx = info.context
    if ctx.principal is not None:
        return ctx.principal
    raise auth_error(ctx)


class _Requires(BasePermission):
    permission: Permission
    what: str

    def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        p = principal(info)
        if not p.can(self.permission):
            raise ApiError(
                Code.FORBIDDEN,
                f"a key of role {p.role.value!r} may not {self.what}",
            )
        return True


class CanLookUp(_Requires):
    """Clienteling, analyst and admin keys: look a customer up."""

    permission = Permission.LOOKUP
    what = "look customers up (needs clienteling, analyst or admin)"


class CanRead(_Requires):
    """Analyst and admin keys: search, explain, audit, the graph view."""

    permission = Permission.READ
    what = "read this (needs analyst or admin)"


class CanWrite(_Requires):
    """Admin keys: overrides and erasure."""

    permission = Permission.WRITE
    what = "change resolution or forget customers (needs admin)"


class CanIngest(_Requires):
    """Ingest and admin keys: send records."""

    permission = Permission.INGEST
    what = "ingest records (needs ingest or admin)"


class CanSearch(BasePermission):
    """Analyst and admin keys search freely; clienteling keys only by a name *and* a
    postcode (the till's fallback when a look-up misses), and see the results masked."""

    def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        p = principal(info)
        if p.can(Permission.READ):
            return True
        f = kwargs.get("filter")
        narrow = (
            f is not None
            and bool((getattr(f, "name", None) or "").strip())
            and bool((getattr(f, "postcode", None) or "").strip())
        )
        if p.can(Permission.LOOKUP) and narrow:
            return True
        raise ApiError(
            Code.FORBIDDEN,
            f"a key of role {p.role.value!r} may search only by a name and a postcode",
        )


class CanActivate(_Requires):
    """Admin keys: segments, destinations and syncs."""

    permission = Permission.WRITE
    what = "change segments, destinations or syncs (needs admin)"
