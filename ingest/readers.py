"""Streaming readers of source files: CSV, JSON Lines, JSON and Parquet.

Each yields `(row_number, row)` where row is a dict, or a `BadRow` for a line that cannot
be a row at all (it goes to quarantine; the file goes on). A file that cannot be read at
all raises `SourceFileError`; `check_encoding` finds a file that does not decode before any
of it is read as rows, naming the first line that does not.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import SourceFileError
from ingest.json_stream import json_rows

csv.field_size_limit(10_000_000)


@dataclass(frozen=True, slots=True)
class BadRow:
    reason: str
    raw: dict[str, Any]


RowItem = tuple[int, dict[str, Any] | BadRow]
TEXT_FORMATS = frozenset({"csv", "jsonl", "json"})
_OTHER_DELIMITERS = (";", "\t", "|", ",")
_CHECK_BLOCK = 1 << 20


def _codec(encoding: str) -> str:
    # A UTF-8 file may start with a byte-order mark (Excel writes one): not part of the data.
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def check_encoding(path: Path, encoding: str = "utf-8") -> None:
    """Decode the whole file as `encoding`, streaming (bounded memory), without parsing it.

    Raises:
        SourceFileError: The file is missing, or a line does not decode; the message names
            the first such line (1-based) and the encoding.
    """
    if not path.is_file():
        raise SourceFileError(str(path), "no such file")
    decoder = codecs.getincrementaldecoder(_codec(encoding))(errors="strict")
    line = 1
    with open(path, "rb") as fh:
        while block := fh.read(_CHECK_BLOCK):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                # Bytes kept from the previous block by the decoder come first in exc.object.
                consumed = exc.object[: max(exc.start, 0)]
                line += consumed.count(b"\n")
                raise SourceFileError(
                    str(path),
                    f"line {line} is not {encoding.upper()} text; declare the file's `encoding` in "
                    "the mapping (e.g. latin-1, cp1252)",
                ) from None
            line += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise SourceFileError(
                str(path), f"the last line is not {encoding.upper()} text (it ends mid-character)"
            ) from None


def detect_format(path: Path, declared: str | None) -> str:
    if declared:
        return declared
    suffix = path.suffix.lower()
    formats = {
        ".csv": "csv",
        ".tsv": "csv",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".json": "json",
        ".parquet": "parquet",
        ".pq": "parquet",
    }
    if suffix not in formats:
        raise SourceFileError(str(path), f"unknown file type {suffix!r}; declare `format`")
    return formats[suffix]


def read_rows(
    path: Path,
    fmt: str,
    *,
    delimiter: str = ",",
    records_path: str | None = None,
    encoding: str = "utf-8",
) -> Iterator[RowItem]:
    if not path.is_file():
        raise SourceFileError(str(path), "no such file")
    codec = _codec(encoding)
    try:
        if fmt == "csv":
            yield from _csv(path, delimiter, codec)
        elif fmt == "json":
            yield from _json(path, records_path, codec)
        elif fmt == "jsonl":
            yield from _jsonl(path, codec)
        else:
            yield from _parquet(path)
    except UnicodeDecodeError as exc:  # `check_encoding` first names the line
        raise SourceFileError(str(path), f"not {encoding.upper()} text") from exc


def _check_header(path: Path, header: list[str], delimiter: str) -> None:
    if not any(header) or len(set(header)) != len(header):
        raise SourceFileError(str(path), "line 1: header has blank or repeated column names")
    if len(header) == 1:
        # One column whose name holds another delimiter: every row would be quarantined.
        for other in _OTHER_DELIMITERS:
            if other != delimiter and other in header[0]:
                raise SourceFileError(
                    str(path),
                    f"line 1: the header is one column with {other!r} in it; the mapping's "
                    f"csv_delimiter is {delimiter!r} (set csv_delimiter: {other!r}?)",
                )


def _csv(path: Path, delimiter: str, codec: str) -> Iterator[RowItem]:
    with open(path, newline="", encoding=codec) as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise SourceFileError(str(path), "empty file: no header row") from None
        except csv.Error as exc:
            raise SourceFileError(str(path), f"unreadable CSV header: {exc}") from exc
        header = [h.strip() for h in header]
        _check_header(path, header, delimiter)
        n = len(header)
        row_no = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row_no += 1
                yield row_no, BadRow(f"malformed_csv: {exc}", {"line": reader.line_num})
                continue
            row_no += 1
            if not values:
                row_no -= 1  # blank line: not a row
                continue
            if len(values) != n:
                raw = {f"col{i}": v for i, v in enumerate(values)}
                yield (
                    row_no,
                    BadRow(f"wrong_field_count: {len(values)} fields, header has {n}", raw),
                )
                continue
            yield row_no, dict(zip(header, values, strict=True))


def _jsonl(path: Path, codec: str) -> Iterator[RowItem]:
    with open(path, encoding=codec) as fh:
        row_no = 0
        for line in fh:
            if not line.strip():
                continue
            row_no += 1
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield row_no, BadRow(f"unparseable_json: {exc.msg}", {"line": line[:2000]})
                continue
            if not isinstance(obj, dict):
                yield row_no, BadRow("not_an_object", {"line": line[:2000]})
                continue
            yield row_no, obj


def _json(path: Path, records_path: str | None, codec: str) -> Iterator[RowItem]:
    for i, obj in enumerate(json_rows(path, records_path, codec), start=1):
        if isinstance(obj, dict):
            yield i, obj
        else:
            yield i, BadRow("not_an_object", {"value": str(obj)[:2000]})


def _parquet(path: Path) -> Iterator[RowItem]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise SourceFileError(str(path), f"not a readable Parquet file: {exc}") from exc
    row_no = 0
    for batch in pf.iter_batches(batch_size=10_000):
        for obj in batch.to_pylist():
            row_no += 1
            yield row_no, obj
