"""The schema: the root types of this package, merged with the segment API's when it is
installed (`api.graphql.segments`), and the extensions every request runs through."""

from __future__ import annotations

import importlib
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

from api.graphql.errors import ApiError
from api.graphql.limits import limit_extensions
from api.graphql.mutations import Mutation
from api.graphql.queries import Query
from api.metrics import MetricsExtension
from graph.errors import Neo4jUnavailable

log = logging.getLogger(__name__)
_UNAVAILABLE = (Neo4jUnavailable, ServiceUnavailable, SessionExpired, TransientError, OSError)

SEGMENTS_MODULE = "api.graphql.segments"


def _segment_types() -> tuple[type | None, type | None]:
    """`SegmentQuery` and `SegmentMutation`, when the segment API is installed."""
    try:
        module = importlib.import_module(SEGMENTS_MODULE)
    except ImportError as exc:
        if exc.name != SEGMENTS_MODULE:
            raise  # the module exists but is broken: say so rather than hide it
        return None, None
    return getattr(module, "SegmentQuery", None), getattr(module, "SegmentMutation", None)


def _root(name: str, own: type, extra: type | None) -> type:
    return own if extra is None else merge_types(name, (own, extra))


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
    """Unexpected errors (a driver failure, a bug) are logged (see `Schema`) and answered
    without their message, which could quote data: UNAVAILABLE when Neo4j cannot be
    reached, INTERNAL otherwise."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not _client_error(e))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        down = isinstance(error.original_error, _UNAVAILABLE)
        return GraphQLError(
            "the graph is unavailable; retry later" if down else "Unexpected error.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "UNAVAILABLE" if down else "INTERNAL"},
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
            else:
                frames = "".join(traceback.format_tb(original.__traceback__))
                log.error(
                    "graphql resolver failed at %s: %s\n%s", where, type(original).__name__, frames
                )


def build_schema() -> strawberry.Schema:
    segment_query, segment_mutation = _segment_types()
    query: Any = _root("Query", Query, segment_query)
    mutation: Any = _root("Mutation", Mutation, segment_mutation)
    return Schema(query=query, mutation=mutation, extensions=extensions())
