"""Relay-style connections with opaque cursors, and the page-size limit."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from api.graphql.errors import bad_input

T = TypeVar("T")
S = TypeVar("S")

MAX_PAGE = 100
DEFAULT_PAGE = 20


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int | None = strawberry.field(
        default=None, description="How many items in all, when known cheaply."
    )

    @strawberry.field(description="The nodes of the edges, for clients that skip the cursors.")
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]


def page_size(first: int | None) -> int:
    """`first` checked against the limits (1..MAX_PAGE)."""
    n = DEFAULT_PAGE if first is None else first
    if not 1 <= n <= MAX_PAGE:
        raise bad_input(f"first must be between 1 and {MAX_PAGE}, not {n}")
    return n


def encode_cursor(kind: str, value: Any) -> str:
    raw = json.dumps([kind, value], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(kind: str, cursor: str | None) -> Any:
    """The value inside a cursor of this kind; None for no cursor.

    Raises:
        ApiError: The cursor is not one this API gave for this list.
    """
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        got_kind, value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError, TypeError, UnicodeError):
        raise bad_input(
            "the cursor `after` is malformed; pass an endCursor from this list"
        ) from None
    if got_kind != kind:
        raise bad_input("the cursor `after` belongs to another list")
    return value


def connection(
    items: Sequence[S],
    has_next: bool,
    cursor_of: Callable[[S], str],
    node_of: Callable[[S], T],
    *,
    has_previous: bool = False,
    total: int | None = None,
) -> Connection[T]:
    edges = [Edge(cursor=cursor_of(i), node=node_of(i)) for i in items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
