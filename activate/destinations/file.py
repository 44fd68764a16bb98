"""File: one CSV or Parquet file per action and run, with a manifest.

Layout: `<directory>/<segment id>/<run id>/added.csv|parquet`, `removed.*` (and
`updated.*` when `update()` was called), then `manifest.json` with the run id, the
format, the columns, row counts, byte sizes and SHA-256 checksums of each file, and the
start and finish timestamps.

Rows stream into hidden temporary files as batches arrive; `finish()` closes them,
fsyncs and renames them into place, and writes the manifest last (temp + rename too),
so a reader that sees `manifest.json` sees complete files. Files are created 0600 and
directories 0700: they hold personal data. Disk and pyarrow work runs in a thread so
the event loop is never blocked. Segment and run ids are reduced to a safe file-name
alphabet, so neither can climb out of `directory`.

CSV cells a spreadsheet would run as a formula (text starting with =, +, -, @, a tab or
a carriage return; OWASP "CSV Injection") get a leading `'` unless they are a plain
number, so "+447700900123" and "-12.5" stay as they are. `escape_formulas: false` turns
that off for consumers that load the file into a database, not a spreadsheet.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict

from activate.destinations.base import (
    Channel,
    DeliveryResult,
    Destination,
    DestinationConfigError,
    Member,
    SegmentRef,
)
from activate.destinations.delivery import jsonable
from core.clock import utc_now

BASE_COLUMNS = ("pid", "email", "phone", "first_name", "last_name", "postcode", "country", "city")
ParquetType = Literal["string", "double", "int64", "bool"]
Kind = Literal["added", "removed", "updated"]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "double": pa.float64(),
    "int64": pa.int64(),
    "bool": pa.bool_(),
}


class FileConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    directory: Path
    format: Literal["csv", "parquet"] = "csv"
    attribute_columns: tuple[str, ...] = ()
    """Member attributes written as columns, after the base columns."""
    attribute_types: dict[str, ParquetType] = {}
    """Parquet column types of attributes; string when not named."""
    escape_formulas: bool = True
    """CSV only: neutralise cells a spreadsheet would evaluate (see the module doc)."""


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def escape_formula(value: Any) -> Any:
    """`value` with a leading `'` when a spreadsheet would evaluate it as a formula."""
    formula = isinstance(value, str) and value.startswith(_FORMULA_START)
    return "'" + value if formula and not _PLAIN_NUMBER.match(value) else value


def safe_name(value: str) -> str:
    name = _UNSAFE.sub("_", value)
    return name if name.strip(".") else f"_{name}"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_private(path: Path) -> io.BufferedWriter:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


def write_atomic(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with _open_private(temp) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    _fsync_dir(path.parent)


class _Writer:
    """Rows of one kind streaming into a temporary file."""

    def __init__(self, final: Path, columns: Sequence[str], schema: pa.Schema | None) -> None:
        self.final = final
        self.temp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
        self.columns = list(columns)
        self.rows = 0
        self._handle = _open_private(self.temp)
        self._schema = schema
        self._parquet: pq.ParquetWriter | None = None
        self._text: io.TextIOWrapper | None = None
        self._csv: Any = None
        if schema is None:
            self._text = io.TextIOWrapper(self._handle, encoding="utf-8", newline="")
            self._csv = csv.writer(self._text)
            self._csv.writerow(self.columns)
        else:
            self._parquet = pq.ParquetWriter(self._handle, schema)

    def write(self, rows: list[list[Any]]) -> None:
        if not rows:
            return
        if self._parquet is not None and self._schema is not None:
            arrays = [
                pa.array([row[i] for row in rows], type=self._schema.field(i).type)
                for i in range(len(self.columns))
            ]
            self._parquet.write_table(pa.Table.from_arrays(arrays, schema=self._schema))
        else:
            self._csv.writerows(["" if v is None else v for v in row] for row in rows)
        self.rows += len(rows)

    def commit(self) -> dict[str, Any]:
        if self._parquet is not None:
            self._parquet.close()
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
        elif self._text is not None:
            self._text.flush()
            os.fsync(self._handle.fileno())
            self._text.close()
        os.replace(self.temp, self.final)
        return {
            "path": self.final.name,
            "rows": self.rows,
            "bytes": self.final.stat().st_size,
            "sha256": _sha256_file(self.final),
        }

    def abort(self) -> None:
        try:
            if self._parquet is not None:
                self._parquet.close()
            (self._text or self._handle).close()
        finally:
            self.temp.unlink(missing_ok=True)


@dataclass
class _Run:
    run_id: str
    directory: Path
    started_at: str
    writers: dict[Kind, _Writer] = field(default_factory=dict)


class FileDestination(Destination):
    name = "file"
    max_batch = 100_000
    channel: Channel = "file"

    def __init__(self, config: FileConfig) -> None:
        overlap = set(config.attribute_columns) & set(BASE_COLUMNS)
        if overlap:
            raise DestinationConfigError(self.name, f"attribute columns clash: {sorted(overlap)}")
        self.config = config
        self.columns = (*BASE_COLUMNS, *config.attribute_columns)
        self._runs: dict[str, _Run] = {}

    @property
    def extension(self) -> str:
        return self.config.format

    def schema(self) -> pa.Schema | None:
        if self.config.format != "parquet":
            return None
        fields = [pa.field(name, pa.string()) for name in BASE_COLUMNS]
        fields += [
            pa.field(name, _ARROW_TYPES[self.config.attribute_types.get(name, "string")])
            for name in self.config.attribute_columns
        ]
        return pa.schema(fields)

    def row(self, member: Member) -> list[Any]:
        base = [getattr(member, name) for name in BASE_COLUMNS]
        types = self.config.attribute_types
        extra = []
        for name in self.config.attribute_columns:
            value = jsonable(member.attributes.get(name))
            if self.config.format == "csv" and isinstance(value, dict | list):
                value = json.dumps(value, ensure_ascii=False)
            elif self.config.format == "parquet" and types.get(name, "string") == "string":
                value = (
                    None
                    if value is None
                    else (value if isinstance(value, str) else json.dumps(value))
                )
            extra.append(value)
        if self.config.format == "csv" and self.config.escape_formulas:
            return [escape_formula(v) for v in base + extra]
        return base + extra

    async def begin(self, segment: SegmentRef, run_id: str) -> None:
        old = self._runs.pop(segment.id, None)
        if old is not None:
            await asyncio.to_thread(self._abort, old)
        directory = await asyncio.to_thread(self._make_run_dir, segment.id, run_id)
        self._runs[segment.id] = _Run(run_id, directory, utc_now().isoformat())

    def _make_run_dir(self, segment_id: str, run_id: str) -> Path:
        root = self.config.directory.resolve()
        directory = root / safe_name(segment_id) / safe_name(run_id)
        if root not in directory.resolve().parents:
            raise DestinationConfigError(self.name, "run directory escapes the output directory")
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return directory

    async def add(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        return await self._write(segment, "added", members)

    async def remove(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        return await self._write(segment, "removed", members)

    async def update(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        return await self._write(segment, "updated", members)

    async def _write(
        self, segment: SegmentRef, kind: Kind, members: Sequence[Member]
    ) -> DeliveryResult:
        run = self._run(segment)
        valid, invalid = self.split_valid(members)
        rows = [self.row(m) for m in valid]
        await asyncio.to_thread(self._append, run, kind, rows)
        return DeliveryResult(sent=len(rows), invalid=invalid)

    def _append(self, run: _Run, kind: Kind, rows: list[list[Any]]) -> None:
        writer = self._writer(run, kind)
        writer.write(rows)

    def _writer(self, run: _Run, kind: Kind) -> _Writer:
        if kind not in run.writers:
            final = run.directory / f"{kind}.{self.extension}"
            run.writers[kind] = _Writer(final, self.columns, self.schema())
        return run.writers[kind]

    async def finish(self, segment: SegmentRef, run_id: str) -> None:
        run = self._run(segment)
        if run.run_id != run_id:
            raise DestinationConfigError(
                self.name, f"finish for run {run_id} but {run.run_id} is open"
            )
        del self._runs[segment.id]
        await asyncio.to_thread(self._commit, run, segment)

    def _commit(self, run: _Run, segment: SegmentRef) -> None:
        for kind in ("added", "removed"):
            self._writer(run, kind)  # consumers always find both files, even empty
        files = {kind: writer.commit() for kind, writer in sorted(run.writers.items())}
        _fsync_dir(run.directory)
        manifest = {
            "run_id": run.run_id,
            "segment": {"id": segment.id, "name": segment.name, "external_id": segment.external_id},
            "format": self.config.format,
            "columns": list(self.columns),
            "files": files,
            "started_at": run.started_at,
            "finished_at": utc_now().isoformat(),
        }
        data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
        write_atomic(run.directory / "manifest.json", data)

    def _run(self, segment: SegmentRef) -> _Run:
        run = self._runs.get(segment.id)
        if run is None:
            raise DestinationConfigError(
                self.name, f"no open run for segment {segment.id}: call begin()"
            )
        return run

    @staticmethod
    def _abort(run: _Run) -> None:
        for writer in run.writers.values():
            writer.abort()

    async def aclose(self) -> None:
        runs, self._runs = list(self._runs.values()), {}
        for run in runs:
            await asyncio.to_thread(self._abort, run)
