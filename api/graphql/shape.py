"""The shape of a GraphQL document, measured in time linear in its size: how deep its fields
nest, how many aliases it has, what it is estimated to cost, and how often one type repeats
along a path (`profile { records { profile { records ... } } }`).

Fragments are measured once each and their figures reused wherever they are spread, so a
document whose fragments each spread the next several times (a "fragment bomb", whose
expansion is exponential in its length) is measured as fast as any other. Within one
selection set a fragment spread twice counts once, as GraphQL's execution collects it once.
Figures saturate at `CAP`, so arithmetic on them stays small whatever the document.

The cost model: every field costs 1, and what is selected under a list field is multiplied by
how many items the list can hold (its `first` argument, else a nominal size). Introspection
fields are not counted in the depth, nor introspection types (`__Type`) in the repetition
(a client's introspection query nests its `ofType` chains deeper than any data query
should), but they are in the cost, so an introspection
query that nests lists within lists is as expensive as a data query that does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from api.graphql.pagination import DEFAULT_PAGE, MAX_PAGE

CAP = 10**12
"""Figures saturate here: far above every limit, and a small integer."""

LIST_SIZE = 10
"""How many items to expect of a list without a `first` argument."""
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
        # introspection's lists
        "types",
        "fields",
        "args",
        "inputFields",
        "interfaces",
        "possibleTypes",
        "enumValues",
        "directives",
        "locations",
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


@dataclass(frozen=True)
class Shape:
    """What a selection set (or a whole operation) measures."""

    depth: int = 0
    """The nesting level of its deepest field (top-level fields are level 0)."""
    aliases: int = 0
    cost: int = 0
    repeats: Mapping[str, int] = field(default_factory=dict)
    """Per object type, the most times it is entered along one path."""
    top_keys: Mapping[str, int] = field(default_factory=dict)
    """Its own response keys (inline fragments' included) and how many fields give each."""
    same_key: int = 0
    """The most fields one selection set (with its inline fragments) gives one response key:
    GraphQL's validation compares such fields pairwise, in time quadratic in their number."""

    @property
    def most_repeated(self) -> tuple[str | None, int]:
        """The type entered most often along one path, and how often."""
        if not self.repeats:
            return None, 0
        name = max(self.repeats, key=lambda k: (self.repeats[k], k))
        return name, self.repeats[name]


def _sat(n: int) -> int:
    return n if n < CAP else CAP


def _first(node: FieldNode, variables: Mapping[str, Any]) -> int | None:
    for arg in node.arguments or ():
        if arg.name.value != "first":
            continue
        value = arg.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            got = variables.get(value.name.value)
            return got if type(got) is int else MAX_PAGE
    return None


def _multiplier(node: FieldNode, first: int | None, in_connection: bool) -> int:
    name = node.name.value
    if first is not None:
        return max(first, 1)
    if name in _PAGED_DEFAULTS:
        return _PAGED_DEFAULTS[name]
    if name in _CONNECTION_PARTS and in_connection:
        return 1  # already counted by the connection's `first`
    return LIST_SIZE if name in _LIST_FIELDS else 1


def _merge_repeats(into: dict[str, int], other: Mapping[str, int]) -> None:
    for name, n in other.items():
        if n > into.get(name, 0):
            into[name] = n


class _Measurer:
    """Measures one document; each fragment once per (fragment, in a connection or not)."""

    def __init__(
        self,
        schema: GraphQLSchema | None,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.done: dict[tuple[str, bool], Shape] = {}

    def type_named(self, name: str | None) -> GraphQLNamedType | None:
        if self.schema is None or name is None:
            return None
        return self.schema.get_type(name)

    def field_type(self, parent: GraphQLNamedType | None, name: str) -> GraphQLNamedType | None:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return None
        found = parent.fields.get(name)
        return None if found is None else get_named_type(found.type)

    def fragment(self, name: str, in_connection: bool) -> Shape:
        """A fragment's figures. Fragments are measured in dependency order without
        recursion (a chain of hundreds of fragments is as easy as one); one that spreads
        itself, directly or not, counts as empty where it recurs (validation refuses it)."""
        key = (name, in_connection)
        if key in self.done:
            return self.done[key]
        visiting: set[tuple[str, bool]] = set()
        stack: list[tuple[tuple[str, bool], bool]] = [(key, False)]
        while stack:
            current, expanded = stack.pop()
            if current in self.done:
                continue
            definition = self.fragments.get(current[0])
            if definition is None:
                self.done[current] = Shape()
                continue
            if expanded:
                visiting.discard(current)
                self.done[current] = self.selection_set(
                    definition.selection_set,
                    self.type_named(definition.type_condition.name.value),
                    current[1],
                    spreads_ready=True,
                )
                continue
            if current in visiting:
                continue
            visiting.add(current)
            stack.append((current, True))
            for needed in self.spreads_of(definition.selection_set, current[1]):
                if needed not in self.done and needed not in visiting:
                    stack.append((needed, False))
        return self.done[key]

    def spreads_of(
        self, selection_set: SelectionSetNode, in_connection: bool
    ) -> list[tuple[str, bool]]:
        """The fragments a selection set spreads, with the connection flag each is measured
        under (as `selection_set` would derive it)."""
        found: list[tuple[str, bool]] = []
        todo = [(selection_set, in_connection)]
        while todo:
            current, flag = todo.pop()
            for sel in current.selections:
                if isinstance(sel, FieldNode):
                    if sel.selection_set is not None:
                        connection = (
                            sel.name.value in _PAGED_DEFAULTS
                            or _first(sel, self.variables) is not None
                        )
                        todo.append((sel.selection_set, connection))
                elif isinstance(sel, InlineFragmentNode):
                    todo.append((sel.selection_set, flag))
                elif isinstance(sel, FragmentSpreadNode):
                    found.append((sel.name.value, flag))
        return found

    def selection_set(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        in_connection: bool,
        spreads_ready: bool = False,
    ) -> Shape:
        depth = aliases = cost = same_key = 0
        repeats: dict[str, int] = {}
        spread: set[str] = set()
        keys: dict[str, int] = {}
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                name = sel.name.value
                introspection = name.startswith("__")
                if sel.alias is not None:
                    aliases += 1
                response_key = name if sel.alias is None else sel.alias.value
                keys[response_key] = keys.get(response_key, 0) + 1
                if sel.selection_set is None:
                    cost += 1
                    continue
                first = _first(sel, self.variables)
                child_type = self.field_type(parent, name)
                child = self.selection_set(
                    sel.selection_set,
                    child_type,
                    name in _PAGED_DEFAULTS or first is not None,
                    spreads_ready,
                )
                if not introspection:
                    depth = max(depth, 1 + child.depth)
                aliases += child.aliases
                same_key = max(same_key, child.same_key)
                cost += 1 + _multiplier(sel, first, in_connection) * child.cost
                child_repeats = dict(child.repeats)
                if isinstance(
                    child_type, GraphQLObjectType | GraphQLInterfaceType
                ) and not child_type.name.startswith("__"):
                    child_repeats[child_type.name] = child_repeats.get(child_type.name, 0) + 1
                _merge_repeats(repeats, child_repeats)
            elif isinstance(sel, InlineFragmentNode):
                condition = sel.type_condition
                inline_type = parent if condition is None else self.type_named(condition.name.value)
                inner = self.selection_set(
                    sel.selection_set, inline_type, in_connection, spreads_ready
                )
                depth = max(depth, inner.depth)
                aliases += inner.aliases
                cost += inner.cost
                same_key = max(same_key, inner.same_key)
                # An inline fragment's fields join this selection set's for validation.
                for key, n in inner.top_keys.items():
                    keys[key] = keys.get(key, 0) + n
                _merge_repeats(repeats, inner.repeats)
            elif isinstance(sel, FragmentSpreadNode):
                frag_name = sel.name.value
                if frag_name in spread:
                    continue
                spread.add(frag_name)
                if spreads_ready:
                    inner = self.done.get((frag_name, in_connection), Shape())
                else:
                    inner = self.fragment(frag_name, in_connection)
                depth = max(depth, inner.depth)
                aliases += inner.aliases
                cost += inner.cost
                same_key = max(same_key, inner.same_key)
                _merge_repeats(repeats, inner.repeats)
            aliases, cost = _sat(aliases), _sat(cost)
        same_key = max(same_key, max(keys.values(), default=0))
        return Shape(
            depth=depth,
            aliases=aliases,
            cost=cost,
            repeats=repeats,
            same_key=same_key,
            top_keys=keys,
        )


def operations(
    document: DocumentNode, operation_name: str | None
) -> tuple[list[OperationDefinitionNode], OperationDefinitionNode | None]:
    """Every operation of the document, and the one to run (None when there is none)."""
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        chosen = ops[0] if len(ops) == 1 else None
    else:
        chosen = next((o for o in ops if o.name and o.name.value == operation_name), None)
    return ops, chosen


@dataclass(frozen=True)
class DocumentShape:
    """The figures the limits are checked against."""

    depth: int
    """The deepest nesting of any operation in the document."""
    aliases: int
    """Aliases of every operation of the document, fragments expanded."""
    cost: int
    """The estimated cost of the operation to run (0 when there is none)."""
    repeated_type: str | None
    repeats: int
    """The type entered most often along one path of any operation, and how often."""
    same_key: int = 0
    """The most fields giving one response key in one selection set (see `Shape`)."""


def measure(
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    schema: GraphQLSchema | None = None,
) -> DocumentShape:
    """The document's figures, in time linear in its size (see the module's docstring).
    Without a schema, type repetition is not measured."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    m = _Measurer(schema, fragments, variables or {})
    ops, chosen = operations(document, operation_name)
    depth = aliases = cost = same_key = 0
    repeated: tuple[str | None, int] = (None, 0)
    for op in ops:
        root = None
        if schema is not None:
            root = schema.get_root_type(op.operation)
        shape = m.selection_set(op.selection_set, root, False)
        depth = max(depth, shape.depth)
        aliases = _sat(aliases + shape.aliases)
        same_key = max(same_key, shape.same_key)
        if op is chosen:
            cost = shape.cost
        most = shape.most_repeated
        if most[1] > repeated[1]:
            repeated = most
    # Fragments are measured apart from where they are spread: their own selection sets.
    for shape in m.done.values():
        same_key = max(same_key, shape.same_key)
    return DocumentShape(depth, aliases, cost, repeated[0], repeated[1], same_key)
