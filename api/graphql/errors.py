"""GraphQL errors the API answers with: a clear message and a machine-readable
`extensions.code`. Domain errors are translated here, and only here, in `api/`: resolvers let
them rise and `api_error` (applied to every field by `api.graphql.schema.ClientErrors`)
turns each package's root error, and its subclasses, into an `ApiError`."""

from __future__ import annotations

from enum import StrEnum

from graphql import GraphQLError

from activate.errors import (
    ActivationError,
    DestinationNotFound,
    SegmentExists,
    SegmentInUse,
    SegmentNotFound,
    SyncAlreadyRunning,
)
from enrich.errors import EnrichError
from graph.errors import GraphError
from ingest.errors import IngestError, InvalidIdentifier, InvalidRows
from matching.errors import (
    IdentifierNotOnProfile,
    MatchingError,
    ProfileNotFound,
    SharedIdentifier,
)
from matching.explain import RecordNotFound
from matching.overrides import OverrideTargetNotFound


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


DomainError = GraphError | IngestError | MatchingError | ActivationError | EnrichError
"""The root errors of the packages the API calls; their messages hold no personal data."""

_NOT_FOUND = (
    SegmentNotFound,
    DestinationNotFound,
    OverrideTargetNotFound,
    RecordNotFound,
    ProfileNotFound,
    IdentifierNotOnProfile,
)
_CONFLICT = (SegmentExists, SegmentInUse, SyncAlreadyRunning, SharedIdentifier)


def api_error(exc: DomainError) -> ApiError:
    """The API's answer to a domain error."""
    if isinstance(exc, GraphError):
        return unavailable()
    if isinstance(exc, _NOT_FOUND):
        return ApiError(Code.NOT_FOUND, str(exc))
    if isinstance(exc, _CONFLICT):
        return ApiError(Code.CONFLICT, str(exc))
    if isinstance(exc, IngestError) and not isinstance(exc, InvalidRows | InvalidIdentifier):
        # A row's content can be quoted in an ingestion error's message.
        return ApiError(Code.BAD_USER_INPUT, "the rows could not be ingested")
    return ApiError(Code.BAD_USER_INPUT, str(exc))
