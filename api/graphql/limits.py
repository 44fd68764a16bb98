"""Limits that keep one request from costing the graph too much, checked before anything
else runs: the caller's key first (a request without one may only ask the public fields),
then the document's depth, aliases, estimated cost and type repetition, measured in linear
time (`api.graphql.shape`), then GraphQL's own validation. Tokens are limited at parsing,
page sizes by `pagination.MAX_PAGE`, and the request's body, time and response size by
`api.bounds`.

`searchProfiles(first: 100) { edges { node { records { identifiers { key } } } } }` costs
about 100 x (1 + 10 x (1 + 10 x 1)) = 11,100; `profile { records { profile { records {
profile ... } } } }` enters `Profile` three times along one path and is refused whatever its
cost.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
)
from strawberry.extensions import MaxTokensLimiter, SchemaExtension
from strawberry.schema.schema import validate_document

from api.graphql.errors import ApiError, Code
from api.graphql.permissions import auth_error
from api.graphql.shape import DocumentShape, measure

if TYPE_CHECKING:
    import strawberry

MAX_DEPTH = 10
MAX_ALIASES = 20
MAX_TOKENS = 5_000
MAX_COST = 50_000
MAX_SAME_KEY = 4
"""How many fields of one selection set may give one response key (`{ pid pid }` gives two):
GraphQL's validation compares them pairwise, and 600 `records { rid }` in one selection set
took it 9 s."""
MAX_TYPE_REPEATS = 2
"""How often one type may be entered along one path: `profile { records { profile { pid } }
}` enters `Profile` twice, which is as far as any screen needs to go back."""

_INTROSPECTION = frozenset({"__schema", "__type", "__typename"})


def shape_error(shape: DocumentShape, operation: str) -> ApiError | None:
    """The limit a document breaks, if any, as the error to answer with."""
    if shape.depth > MAX_DEPTH:
        return ApiError(
            Code.LIMIT_EXCEEDED, f"'{operation}' exceeds maximum operation depth of {MAX_DEPTH}"
        )
    if shape.aliases > MAX_ALIASES:
        return ApiError(
            Code.LIMIT_EXCEEDED, f"{shape.aliases} aliases found. Allowed: {MAX_ALIASES}"
        )
    if shape.same_key > MAX_SAME_KEY:
        return ApiError(
            Code.LIMIT_EXCEEDED,
            f"a selection asks for one field {shape.same_key} times (allowed: {MAX_SAME_KEY}); "
            "ask for it once",
        )
    if shape.repeats > MAX_TYPE_REPEATS:
        return ApiError(
            Code.LIMIT_EXCEEDED,
            f"'{operation}' enters {shape.repeated_type} {shape.repeats} times along one path "
            f"(allowed: {MAX_TYPE_REPEATS}); ask for the nested object by its id instead",
        )
    if shape.cost > MAX_COST:
        return ApiError(
            Code.LIMIT_EXCEEDED,
            f"the query is too expensive (estimated cost {shape.cost:,}, limit "
            f"{MAX_COST:,}); ask for smaller pages or fewer nested lists",
        )
    return None


def public_root_fields(schema: strawberry.Schema) -> frozenset[str]:
    """The root fields that need no key: those without a permission class."""
    names: set[str] = set()
    for type_name in ("Query", "Mutation"):
        definition = schema.get_type_by_name(type_name)
        for f in getattr(definition, "fields", ()):
            if not f.permission_classes:
                names.add(schema.config.name_converter.get_graphql_name(f))
    return frozenset(names)


def _root_fields(document: DocumentNode) -> Iterator[str]:
    """The names of the fields at the root of every operation, through the fragments spread
    there (each fragment once)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    todo = [d.selection_set for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    seen: set[str] = set()
    while todo:
        for sel in todo.pop().selections:
            if isinstance(sel, FieldNode):
                yield sel.name.value
            elif isinstance(sel, InlineFragmentNode):
                todo.append(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
                seen.add(sel.name.value)
                fragment = fragments.get(sel.name.value)
                if fragment is not None:
                    todo.append(fragment.selection_set)


V = TypeVar("V")


class _PerDocument(Generic[V]):
    """What was worked out for a parsed document, found by the document's identity (the
    parser cache hands out one object per query text). Hashing a document by value walks
    its whole tree, on every request; the entry holds the document, so its id cannot be
    reused by another while the entry lives."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[object, ...], tuple[DocumentNode, V]] = OrderedDict()

    def get(self, document: DocumentNode, *key: object) -> V | None:
        entry = self._entries.get((id(document), *key))
        if entry is None or entry[0] is not document:
            return None
        self._entries.move_to_end((id(document), *key))
        return entry[1]

    def put(self, document: DocumentNode, value: V, *key: object) -> None:
        self._entries[(id(document), *key)] = (document, value)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


_VALIDATED: _PerDocument[list[GraphQLError]] = _PerDocument()
# GraphQL's validation of a new document runs in a worker thread, one at a time, so however
# long it takes the event loop keeps answering everyone else (the request's deadline still
# applies while it waits).
_VALIDATING = asyncio.Semaphore(1)


async def _validate(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    errors = _VALIDATED.get(document, id(schema))
    if errors is None:
        async with _VALIDATING:
            errors = await asyncio.to_thread(validate_document, schema, document, rules)
        _VALIDATED.put(document, errors, id(schema))
    return errors


class Guard(SchemaExtension):
    """Checks a request before GraphQL validates it: the key, then the shape, then (cached)
    validation. Whatever fails is answered at once, and nothing after it runs."""

    async def on_validate(self) -> AsyncIterator[None]:
        ec = self.execution_context
        document = ec.graphql_document
        if document is not None:
            errors = self._errors(document)
            if not errors:
                errors = await _validate(ec.schema._schema, document, tuple(ec.validation_rules))
            ec.pre_execution_errors = errors
        yield

    def _errors(self, document: DocumentNode) -> list[GraphQLError]:
        ec = self.execution_context
        context = ec.context
        if getattr(context, "principal", None) is None:
            public = public_root_fields(ec.schema)
            if getattr(getattr(context, "settings", None), "introspection_without_key", False):
                public = public | _INTROSPECTION
            if any(name not in public for name in _root_fields(document)):
                return [auth_error(context)]
        error = _shape_error(ec.schema._schema, document, ec.operation_name, ec.variables)
        return [] if error is None else [error]


_SHAPES: _PerDocument[DocumentShape] = _PerDocument()


def _shape_error(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: str | None,
    variables: dict[str, object] | None,
) -> ApiError | None:
    """`shape_error` of the document, remembered per document, operation and the integer
    variables (the only values the shape depends on: page sizes): a client asking the same
    query again with another identifier is not measured again."""
    numbers = tuple(sorted((k, v) for k, v in (variables or {}).items() if type(v) is int))
    shape = _SHAPES.get(document, id(schema), operation, numbers)
    if shape is None:
        shape = measure(document, operation, variables, schema)
        _SHAPES.put(document, shape, id(schema), operation, numbers)
    return shape_error(shape, operation or "anonymous")


def limit_extensions() -> list[Callable[[], SchemaExtension] | type[SchemaExtension]]:
    """The schema extensions enforcing the limits (one instance per request)."""
    return [lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS), Guard]
