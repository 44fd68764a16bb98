"""Limits that keep one request from costing the graph too much: query depth, aliases,
tokens, an estimated cost, page sizes (`pagination.MAX_PAGE`) and the request body size.

The cost of a query is estimated before it runs: every field costs 1, and what is selected
under a list field is multiplied by how many items the list can hold (its `first` argument,
else a default). `searchProfiles(first: 100) { edges { node { records { identifiers {
key } } } } }` costs about 100 x (1 + 10 x (1 + 10 x 1)) = 11,100.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from api.graphql.errors import ApiError, Code
from api.graphql.pagination import DEFAULT_PAGE, MAX_PAGE

MAX_DEPTH = 10
MAX_ALIASES = 20
MAX_TOKENS = 5_000
MAX_COST = 50_000

# Lists without a `first` argument: how many items to expect.
LIST_SIZE = 10
_LIST_FIELDS = frozenset(
    {
        "records",
        "identifiers",
        "history",
        "segments",
        "profilesByIdentifier",
        "path",
        "barriers",
        "lines",
        "nodes",
        "edges",
        "sources",
    }
)
# Connections: their default page when `first` is not given.
_PAGED_DEFAULTS = {
    "searchProfiles": DEFAULT_PAGE,
    "ingestBatches": DEFAULT_PAGE,
    "quarantine": DEFAULT_PAGE,
    "orders": 10,
    "events": 10,
}
_CONNECTION_PARTS = frozenset({"edges", "nodes"})


def _first(field: FieldNode, variables: Mapping[str, Any]) -> int | None:
    for arg in field.arguments or ():
        if arg.name.value != "first":
            continue
        value = arg.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            got = variables.get(value.name.value)
            return int(got) if isinstance(got, int) else MAX_PAGE
    return None


def _multiplier(field: FieldNode, variables: Mapping[str, Any], in_connection: bool) -> int:
    name = field.name.value
    first = _first(field, variables)
    if first is not None:
        return max(first, 1)
    if name in _PAGED_DEFAULTS:
        return _PAGED_DEFAULTS[name]
    if name in _CONNECTION_PARTS and in_connection:
        return 1  # already counted by the connection's `first`
    return LIST_SIZE if name in _LIST_FIELDS else 1


def estimate_cost(
    document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any] | None
) -> int:
    """The estimated cost of the operation to run (see the module's docstring)."""
    variables = variables or {}
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        ops = [o for o in ops if o.name is not None and o.name.value == operation_name]
    if not ops:
        return 0

    def cost(selection_set: SelectionSetNode, in_connection: bool, seen: frozenset[str]) -> int:
        total = 0
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                if sel.name.value.startswith("__"):
                    continue
                children = 0
                connection = sel.name.value in _PAGED_DEFAULTS or _first(sel, variables) is not None
                if sel.selection_set is not None:
                    children = cost(sel.selection_set, connection, seen)
                total += 1 + _multiplier(sel, variables, in_connection) * children
            elif isinstance(sel, InlineFragmentNode):
                total += cost(sel.selection_set, in_connection, seen)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                frag = fragments.get(name)
                if frag is not None and name not in seen:
                    total += cost(frag.selection_set, in_connection, seen | {name})
        return total

    return cost(ops[0].selection_set, False, frozenset())


_COSTS: dict[tuple[str, str | None, tuple[tuple[str, int], ...]], int] = {}
_MAX_CACHED_COSTS = 1_024


def _cached_cost(
    query: str | None,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """`estimate_cost`, remembered per query text and integer variables (a client sends the
    same few documents again and again)."""
    if query is None:
        return estimate_cost(document, operation_name, variables)
    ints = tuple(sorted((k, v) for k, v in (variables or {}).items() if type(v) is int))
    key = (query, operation_name, ints)
    cost = _COSTS.get(key)
    if cost is None:
        cost = estimate_cost(document, operation_name, variables)
        if len(_COSTS) >= _MAX_CACHED_COSTS:
            _COSTS.clear()
        _COSTS[key] = cost
    return cost


class CostLimiter(SchemaExtension):
    """Refuses, before it runs, an operation whose estimated cost exceeds `max_cost`."""

    max_cost = MAX_COST

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.graphql_document is not None:
            estimated = _cached_cost(ec.query, ec.graphql_document, ec.operation_name, ec.variables)
            if estimated > self.max_cost:
                raise ApiError(
                    Code.LIMIT_EXCEEDED,
                    f"the query is too expensive (estimated cost {estimated:,}, limit "
                    f"{self.max_cost:,}); ask for smaller pages or fewer nested lists",
                )
        yield


@cache
def _limit_rules() -> tuple[type[ASTValidationRule], ...]:
    # Built once: the validation cache is keyed by the rule classes, and each limiter
    # instance would otherwise make classes of its own, so no document would ever hit it.
    return (
        *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    )


class LimitRules(AddValidationRules):
    """The depth and alias limits, as validation rules."""

    def __init__(self) -> None:
        super().__init__(list(_limit_rules()))


def limit_extensions() -> list[Callable[[], SchemaExtension] | type[SchemaExtension]]:
    """The schema extensions enforcing the limits (one instance per request)."""
    return [
        LimitRules,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        CostLimiter,
    ]


# -- request body size --------------------------------------------------------------------


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """ASGI middleware answering 413 to a request body over `max_bytes` on `paths`.

    Refused from `Content-Length` before anything is read when the client declares it, else
    as soon as the streamed body passes the limit.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, paths: tuple[str, ...] = ("/graphql",)
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.paths):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        body = json.dumps(
            {
                "data": None,
                "errors": [
                    {
                        "message": f"the request body exceeds {self.max_bytes} bytes",
                        "extensions": {"code": "PAYLOAD_TOO_LARGE", "limit": self.max_bytes},
                    }
                ],
            }
        ).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode("ascii")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
