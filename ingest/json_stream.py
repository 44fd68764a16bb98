"""The rows of a JSON document, read a block at a time: memory does not grow with the file.

A document holds its rows as a list: the whole document, or the list under one of its top-
level keys (`json_records_path`, or the only list there is). The document is read twice:
once to check it is valid JSON and find its list of rows, then to yield the rows. So a
broken document is refused before any row of it is used, with the message and line
`json.load` would give, as when the whole document was parsed at once.

Only the top level and the list of rows are walked here, character by character; each value
below them (a row) is parsed by the scanner `json.loads` uses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from json.scanner import make_scanner
from pathlib import Path
from typing import IO, Any

from ingest.errors import SourceFileError

BLOCK = 1 << 20
"""Characters read at a time (a row larger than this is read in as many blocks as it takes)."""
_WS = re.compile(r"[ \t\n\r]*")  # JSON's whitespace, as `json` skips it
_NEXT = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")  # from one element to the next
# What `json.loads` parses a value with (typeshed types the decoder argument wrongly).
_SCAN: Callable[[str, int], tuple[Any, int]] = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_MARGIN = 8
"""A value that parses (or fails) this close to the end of what was read may be cut short
by the block's end (`12` of `12.5e3`, `tru` of `true`): read more and parse it again."""
_NOT_A_LIST = "expected a list of rows (set json_records_path)"


def json_rows(path: Path, records_path: str | None, encoding: str) -> Iterator[Any]:
    """Each element of the document's list of rows, in order.

    Raises:
        SourceFileError: The document is not valid JSON (the message and line of `json`),
            or holds no list of rows where the mapping says (raised before any row).
    """
    with open(path, encoding=encoding) as fh:
        where = _find_rows(_Text(fh, path), records_path)
    with open(path, encoding=encoding) as fh:
        text = _Text(fh, path)
        text.peek()
        if where is None:
            yield from text.elements()
            return
        for index, _ in text.members():
            if index == where:
                yield from text.elements()
                return
            text.skip_value()


def _find_rows(text: _Text, records_path: str | None) -> int | None:
    """Read the whole document: where its rows are (None: the document is the list; n: the
    list under its n-th top-level key), as `json.load` followed by that choice would find.

    Raises:
        SourceFileError: not valid JSON, or no list of rows there.
    """
    first = text.peek()
    if first == "\ufeff" and text.dropped + text.pos == 0:
        raise text.error("Unexpected UTF-8 BOM (decode using utf-8-sig)", text.pos)
    where: int | None = None
    if first == "[":
        for _ in text.elements():
            pass
    elif first == "{":
        # The last occurrence of a key is the one `json.load` keeps.
        lists: dict[str, int] = {}
        for index, key in text.members():
            if text.peek() == "[":
                for _ in text.elements():
                    pass
                lists[key] = index
            else:
                text.value()
                lists.pop(key, None)
                if key == records_path:
                    lists[key] = -1  # there, but not a list
        if records_path is not None:
            where = lists.get(records_path, -1)
        else:
            where = next(iter(lists.values())) if len(lists) == 1 else -1
    else:
        text.value()
        where = -1
    text.end()
    if where == -1:
        raise SourceFileError(str(text.path), _NOT_A_LIST)
    return where


class _Text:
    """A JSON document read in blocks, with a position in the block held."""

    def __init__(self, fh: IO[str], path: Path) -> None:
        self.fh = fh
        self.path = path
        self.buf = ""
        self.pos = 0
        self.lines = 0  # line breaks before buf[0]
        self.dropped = 0  # characters before buf[0]
        self.eof = False

    def _more(self) -> None:
        """Drop what was used (before `pos`) and read more, as much as is held at least."""
        if self.eof:
            return
        self.lines += self.buf.count("\n", 0, self.pos)
        self.dropped += self.pos
        data = self.fh.read(max(BLOCK, len(self.buf) - self.pos))
        self.buf = self.buf[self.pos :] + data
        self.pos = 0
        self.eof = not data

    def error(self, msg: str, pos: int) -> SourceFileError:
        line = self.lines + self.buf.count("\n", 0, pos) + 1
        return SourceFileError(str(self.path), f"not valid JSON: {msg} at line {line}")

    def peek(self) -> str:
        """Skip whitespace; the next character ('' at the end of the file)."""
        while True:
            match = _WS.match(self.buf, self.pos)
            assert match is not None  # the pattern matches the empty string
            self.pos = match.end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.eof:
                return ""
            self._more()

    def value(self) -> Any:
        """The value at the position (whitespace skipped), parsed by `json`'s scanner."""
        while True:
            try:
                obj, end = _SCAN(self.buf, self.pos)
            except StopIteration as stop:
                pos, msg = stop.value, "Expecting value"
            except json.JSONDecodeError as exc:
                pos, msg = exc.pos, exc.msg
            else:
                if self.eof or end <= len(self.buf) - _MARGIN:
                    self.pos = end
                    return obj
                self._more()
                continue
            if self.eof or (pos < len(self.buf) - _MARGIN and not msg.startswith("Unterminated")):
                raise self.error(msg, pos)
            self._more()

    def skip_value(self) -> None:
        """Pass over the value at the position; a list element by element."""
        if self.peek() == "[":
            for _ in self.elements():
                pass
        else:
            self.value()

    def elements(self) -> Iterator[Any]:
        """The elements of the list at the position, one at a time."""
        self.pos += 1  # "["
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            # Most often a comma and the next element follow, in what was read already.
            step = _NEXT.match(self.buf, self.pos)
            if step is not None and step.end() < len(self.buf):
                self.pos = step.end()
                continue
            c = self.peek()
            if c == "]":
                self.pos += 1
                return
            if c != ",":
                raise self.error("Expecting ',' delimiter", self.pos)
            self.pos += 1
            self.peek()

    def members(self) -> Iterator[tuple[int, str]]:
        """(index, key) of each member of the object at the position; the caller reads or
        skips each member's value before asking for the next."""
        self.pos += 1  # "{"
        c = self.peek()
        if c == "}":
            self.pos += 1
            return
        index = 0
        while True:
            if c != '"':
                raise self.error("Expecting property name enclosed in double quotes", self.pos)
            key = self.value()
            if self.peek() != ":":
                raise self.error("Expecting ':' delimiter", self.pos)
            self.pos += 1
            self.peek()
            yield index, key
            index += 1
            c = self.peek()
            if c == "}":
                self.pos += 1
                return
            if c != ",":
                raise self.error("Expecting ',' delimiter", self.pos)
            self.pos += 1
            c = self.peek()

    def end(self) -> None:
        """Nothing but whitespace may follow the document."""
        if self.peek():
            raise self.error("Extra data", self.pos)
