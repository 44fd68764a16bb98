"""The schema: the root types of this package merged with the segment API's
(`api.graphql.segments`), and the extensions every request runs through."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from neo4j.exceptions import ServiceUnavailable, SessionExpired, TransientError
from strawberry.extensions import MaskErrors, ParserCache, SchemaExtension
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.graphql.errors import ApiError, DomainError, api_error
from api.graphql.limits import limit_extensions
from api.graphql.mutations import Mutation
from api.graphql.queries import Query
from api.graphql.segments.mutations import SegmentMutation
from api.graphql.segments.queries import SegmentQuery
from api.metrics import MetricsExtension
from graph.errors import GraphError

log = logging.getLogger(__name__)
_UNAVAILABLE = (ServiceUnavailable, SessionExpired, TransientError, OSError)


def _client_error(error: GraphQLError) -> bool:
    """Errors shown as they are: ours, and GraphQL's own (syntax, validation, limits)."""
    original = error.original_error
    return original is None or isinstance(original, ApiError | GraphQLError)


def extensions() -> list[Callable[[], SchemaExtension] | type[SchemaExtension]]:
    return [
        MetricsExtension,
        *limit_extensions(),
        lambda: ParserCache(maxsize=256),
        ClientErrors,
    ]


class ClientErrors(MaskErrors):
    """What a client sees of an error a resolver raised. A domain error (the root error of
    a package, or a subclass) is answered as `api_error` translates it, for every field.
    Unexpected errors (a driver failure, a bug) are logged (see `Schema`) and answered
    without their message, which could quote data: UNAVAILABLE when Neo4j cannot be
    reached, INTERNAL otherwise."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not _client_error(e))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, DomainError):
            shown = api_error(original)
            message, code = shown.message, shown.code.value
        elif isinstance(original, _UNAVAILABLE):
            message, code = "the graph is unavailable; retry later", "UNAVAILABLE"
        else:
            message, code = "Unexpected error.", "INTERNAL"
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": code},
        )


class Schema(strawberry.Schema):
    """Strawberry's schema, logging errors without their messages: a message can quote what
    a client sent (a variable's value is personal data)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            where = ".".join(map(str, error.path or ())) or "(document)"
            original = error.original_error
            if original is None or isinstance(original, ApiError | GraphQLError):
                code = (error.extensions or {}).get("code", "GRAPHQL_VALIDATION")
                log.info("graphql error %s at %s", code, where)
            elif isinstance(original, DomainError) and not isinstance(original, GraphError):
                code = api_error(original).code.value
                log.info("graphql error %s at %s: %s", code, where, type(original).__name__)
            else:
                frames = "".join(traceback.format_tb(original.__traceback__))
                log.error(
                    "graphql resolver failed at %s: %s\n%s", where, type(original).__name__, frames
                )


def build_schema() -> strawberry.Schema:
    query: Any = merge_types("Query", (Query, SegmentQuery))
    mutation: Any = merge_types("Mutation", (Mutation, SegmentMutation))
    return Schema(query=query, mutation=mutation, extensions=extensions())
