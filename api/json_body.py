"""Strict reading of a JSON request body, shared by every endpoint that takes one.

A body is refused, with a reason a client can act on, when it is not UTF-8, nests deeper
than `MAX_DEPTH` (checked by a linear scan before parsing, so a depth bomb never reaches the
recursive parser), is not valid JSON, uses `NaN`/`Infinity` (Python's extension: no other
JSON client reads them back), or holds a lone surrogate (`"\\ud800"`: valid JSON, but no
UTF-8 string, so the graph could never store it).
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64
"""Objects and arrays nested deeper than this are refused; real payloads use a handful."""

_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")


class BadJson(ValueError):
    """The body is not a JSON document the service accepts; the message says why and `code`
    (a GraphQL error code) whether the JSON itself is broken or a value in it."""

    def __init__(self, message: str, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.code = code


def nesting_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit` (one pass, no recursion)."""
    depth = 0
    in_string = False
    escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False


def _no_constant(name: str) -> Any:
    raise BadJson(f"{name} is not valid JSON; send null or a string instead")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e999: finite in the text, infinite as a number
        raise BadJson(f"the number {text[:40]} is too large")
    return value


def _has_lone_surrogate(doc: Any) -> bool:
    """Whether any string (key or value) of the parsed document cannot be UTF-8 encoded.

    Iterative, so any depth is safe (the depth is bounded before parsing anyway).
    """
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def loads(body: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON document of `body`.

    Raises:
        BadJson: The body is empty, not UTF-8, too deep, not valid JSON, uses NaN or
            Infinity, or holds a lone surrogate.
    """
    if not body.strip():
        raise BadJson("the body is empty; expected a JSON object")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadJson(f"the body is not UTF-8 JSON text (byte {exc.start})") from None
    if nesting_depth_exceeds(body, max_depth):
        raise BadJson(f"the JSON nests deeper than {max_depth} levels")
    try:
        doc = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise BadJson(
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except BadJson:
        raise
    except ValueError:  # an integer of more than 4,300 digits (Python's own limit)
        raise BadJson("the body is not valid JSON: a number is too long") from None
    except RecursionError:  # unreachable after the depth check; kept as a last guard
        raise BadJson(f"the JSON nests deeper than {max_depth} levels") from None
    if _has_lone_surrogate(doc):
        raise BadJson(
            "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text",
            "BAD_USER_INPUT",
        )
    return doc


def _kind(doc: Any) -> str:
    if doc is None:
        return "null"
    if isinstance(doc, bool):
        return "a boolean"
    if isinstance(doc, int | float):
        return "a number"
    return "a string" if isinstance(doc, str) else "an array"


def loads_object(body: bytes, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """Like `loads`, and the document must be a JSON object."""
    doc = loads(body, max_depth=max_depth)
    if not isinstance(doc, dict):
        raise BadJson(f"expected a JSON object, got {_kind(doc)}")
    return doc
