"""GraphQL errors the API answers with: a clear message and a machine-readable
`extensions.code`. Domain errors are translated here, and only here, in `api/`."""

from __future__ import annotations

from enum import StrEnum

from graphql import GraphQLError


class Code(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    UNAVAILABLE = "UNAVAILABLE"


class ApiError(GraphQLError):
    """An error meant for the client: its message is safe to show (no personal data)."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message, extensions={"code": code.value})
        self.code = code


def bad_input(message: str) -> ApiError:
    return ApiError(Code.BAD_USER_INPUT, message)


def not_found(message: str) -> ApiError:
    return ApiError(Code.NOT_FOUND, message)


def unavailable() -> ApiError:
    return ApiError(Code.UNAVAILABLE, "the graph is unavailable; retry later")
