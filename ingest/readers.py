"""Streaming readers of source files: CSV, JSON Lines, JSON and Parquet.

Each yields `(row_number, row)` where row is a dict, or a `BadRow` for a line that cannot
be a row at all (it goes to quarantine; the file goes on). A file that cannot be read at
all raises `SourceFileError`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import SourceFileError

csv.field_size_limit(10_000_000)


@dataclass(frozen=True, slots=True)
class BadRow:
    reason: str
    raw: dict[str, Any]


RowItem = tuple[int, dict[str, Any] | BadRow]


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
    path: Path, fmt: str, *, delimiter: str = ",", records_path: str | None = None
) -> Iterator[RowItem]:
    if not path.is_file():
        raise SourceFileError(str(path), "no such file")
    readers = {"csv": _csv, "jsonl": _jsonl, "json": _json, "parquet": _parquet}
    try:
        if fmt == "csv":
            yield from _csv(path, delimiter)
        elif fmt == "json":
            yield from _json(path, records_path)
        else:
            yield from readers[fmt](path)  # type: ignore[operator]
    except UnicodeDecodeError as exc:
        raise SourceFileError(str(path), f"not UTF-8 text (byte {exc.start})") from exc


def _csv(path: Path, delimiter: str) -> Iterator[RowItem]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise SourceFileError(str(path), "empty file: no header row") from None
        except csv.Error as exc:
            raise SourceFileError(str(path), f"unreadable CSV header: {exc}") from exc
        header = [h.strip() for h in header]
        if not any(header) or len(set(header)) != len(header):
            raise SourceFileError(str(path), "header has blank or repeated column names")
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


def _jsonl(path: Path) -> Iterator[RowItem]:
    with open(path, encoding="utf-8-sig") as fh:
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


def _json(path: Path, records_path: str | None) -> Iterator[RowItem]:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            doc = json.load(fh)
    except json.JSONDecodeError as exc:
        raise SourceFileError(str(path), f"not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    rows = doc.get(records_path) if records_path and isinstance(doc, dict) else doc
    if isinstance(rows, dict) and records_path is None:
        lists = [v for v in rows.values() if isinstance(v, list)]
        rows = lists[0] if len(lists) == 1 else rows
    if not isinstance(rows, list):
        raise SourceFileError(str(path), "expected a list of rows (set json_records_path)")
    for i, obj in enumerate(rows, start=1):
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
