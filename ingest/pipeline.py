"""The ingestion pipeline: read a source's files, convert rows, write batches to the graph.

Every file read is an `IngestBatch` with its counts; rows read always equal rows accepted
plus rows quarantined plus rows suppressed (erased on request). Writes are idempotent, so a
crash mid-file is repaired by running the same ingest again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.clock import utc_now, utc_stamp
from core.faults import chunk_size as _chunk
from core.faults import fault_point
from core.hashing import content_hash, email_sha256
from core.owner import is_dead, this_owner
from graph import ingest_repo
from graph.client import GraphClient
from ingest.convert import RowConverter
from ingest.errors import IngestError, SourceFileError
from ingest.first_rows import FirstRows
from ingest.mapping import SourceMapping, mapping_ref
from ingest.model import Event, Order, QuarantinedRow, SourceRecord
from ingest.readers import TEXT_FORMATS, BadRow, check_encoding, detect_format, read_rows
from ingest.suppression import (
    PERSONAL_TYPES,
    SuppressionHasher,
    load_suppressed,
    record_suppression_key,
    row_keys,
)

log = logging.getLogger(__name__)
DEFAULT_CHUNK = 5_000
BATCH_STALE_AFTER = timedelta(hours=1)
"""A running batch of another host's process that has written nothing for this long is
taken as interrupted (one of this host's is known dead at once)."""


@dataclass
class BatchReport:
    batch_id: str
    source: str
    file: str
    status: str = "running"
    error: str | None = None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    rows_suppressed: int = 0
    records: int = 0
    records_changed: int = 0
    orders: int = 0
    events: int = 0
    value_issues: int = 0
    anonymous_rows: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_quarantined": self.rows_quarantined,
            "rows_suppressed": self.rows_suppressed,
            "records": self.records,
            "records_changed": self.records_changed,
            "orders": self.orders,
            "events": self.events,
            "value_issues": self.value_issues,
            "anonymous_rows": self.anonymous_rows,
        }


@dataclass(slots=True)
class _Converted:
    """A row read and converted, before it is counted and placed in a chunk."""

    row_no: int
    row: dict[str, Any]
    items: list[SourceRecord | Order | Event] | QuarantinedRow


@dataclass
class _Chunk:
    records: dict[str, SourceRecord] = field(default_factory=dict)
    orders: list[Order] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    quarantine: list[QuarantinedRow] = field(default_factory=list)

    def size(self) -> int:
        return len(self.records) + len(self.orders) + len(self.events) + len(self.quarantine)

    def prepare(self, accumulate: bool) -> ingest_repo.Chunk:
        """The query parameters of this chunk (built in the worker thread)."""
        return ingest_repo.Chunk(
            records=[_record_row(r, accumulate) for r in self.records.values()],
            orders=[_order_row(o) for o in self.orders],
            events=[_event_row(e) for e in self.events],
            quarantine=[_quarantine_row(q) for q in self.quarantine],
        )


def resolve_file(path: Path, name: str, mapping: SourceMapping) -> Path | None:
    """Where a mapping's file is, given the PATH the user named (a folder or one file)."""
    if path.is_dir():
        # A source's own folder, or the folder holding every source (as `cdp generate` writes).
        for candidate in (path / name, path / mapping.source / name):
            if candidate.is_file():
                return candidate
        return None
    if path.name == Path(name).name or len(mapping.files()) == 1:
        return path
    return None


class Ingestor:
    """Ingests files of one source into the graph."""

    def __init__(
        self,
        graph: GraphClient,
        mapping: SourceMapping,
        *,
        chunk_size: int = DEFAULT_CHUNK,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.graph = graph
        self.m = mapping
        self.conv = RowConverter(mapping)
        self.chunk_size = chunk_size if chunk_size != DEFAULT_CHUNK else _chunk(DEFAULT_CHUNK)
        self.progress = progress
        self._suppressed: set[str] = set()
        self._hasher: SuppressionHasher | None = None

    async def _load_suppressed(self) -> None:
        self._hasher = SuppressionHasher(self.graph.suppression_keys)
        self._suppressed = await load_suppressed(self.graph, self._hasher)

    async def ingest_path(self, path: Path) -> list[BatchReport]:
        """Ingest every file of the mapping found at `path` (a folder, or one file).

        Raises:
            SourceFileError: None of the mapping's files is there.
        """
        targets = [(n, resolve_file(path, n, self.m)) for n in self.m.files()]
        found = [(n, p) for n, p in targets if p is not None]
        if not found:
            expected = ", ".join(self.m.files())
            raise SourceFileError(str(path), f"none of the mapping's files found ({expected})")
        # Every file decodes completely, or nothing is written (and the error names the line).
        for _, p in found:
            assert p is not None
            await asyncio.to_thread(self._check_file, p)
        await self._load_suppressed()
        # Customers first, so orders and events find their records rather than stubs.
        reports = []
        for name, p in found:
            assert p is not None
            reports.append(await self._ingest_checked_file(name, p))
        return reports

    async def ingest_rows(
        self, name: str, rows: Iterable[dict[str, Any]], label: str = "api"
    ) -> BatchReport:
        """Ingest rows already in memory (HTTP ingestion) as one batch."""
        await self._load_suppressed()
        items = ((i, r) for i, r in enumerate(rows, start=1))
        return await self._run(name, label, items)

    async def ingest_file(self, name: str, path: Path) -> BatchReport:
        """Ingest one file of the mapping as one batch.

        Raises:
            SourceFileError: The file cannot be read, or does not decode as the mapping's
                `encoding` (found before anything is written).
        """
        await asyncio.to_thread(self._check_file, path)
        return await self._ingest_checked_file(name, path)

    def _check_file(self, path: Path) -> None:
        if detect_format(path, self.m.format) in TEXT_FORMATS:
            check_encoding(path, self.m.encoding)

    async def _ingest_checked_file(self, name: str, path: Path) -> BatchReport:
        fmt = detect_format(path, self.m.format)
        items = read_rows(
            path,
            fmt,
            delimiter=self.m.csv_delimiter,
            records_path=self.m.json_records_path,
            encoding=self.m.encoding,
        )
        # A file is one system's snapshot: two rows with one key are a mistake to show, not
        # an update (the later row is quarantined naming the first).
        return await self._run(name, str(path), items, unique_keys=True)

    async def _run(
        self,
        name: str,
        label: str,
        items: Iterable[tuple[int, dict[str, Any] | BadRow]],
        *,
        unique_keys: bool = False,
    ) -> BatchReport:
        batch_id = f"{self.m.source}-{utc_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        rep = BatchReport(batch_id, self.m.source, label)
        cust = self.m.customer_section(name)
        accumulate = bool(cust and cust.accumulate)
        # Reading and converting rows (CPU in Python) overlaps with the writes (CPU in Neo4j):
        # a worker thread prepares the next chunk while the previous one is being written.
        chunks: queue.Queue[ingest_repo.Chunk | BaseException | None] = queue.Queue(maxsize=2)
        stop = threading.Event()

        def offer(item: ingest_repo.Chunk | BaseException | None) -> bool:
            # A writer that stopped takes nothing more: never block on a full queue then.
            while not stop.is_set():
                try:
                    chunks.put(item, timeout=0.2)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            try:
                for chunk in self._chunks(rep, items, name, label, unique_keys and not accumulate):
                    if not offer(chunk.prepare(accumulate)):
                        return
                offer(None)
            except BaseException as exc:  # handed to the writer, which re-raises it
                offer(exc)

        worker = threading.Thread(target=produce, name=f"ingest-{self.m.source}", daemon=True)
        # The first chunk is converted while the batch's bookkeeping is written (a file's
        # first chunk cannot overlap a write of its own).
        worker.start()
        try:
            await self._start(batch_id, label)
        except BaseException:
            stop.set()
            await asyncio.to_thread(worker.join)
            raise
        try:
            while True:
                item = await asyncio.to_thread(chunks.get)
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                await self._flush(rep, item, accumulate=accumulate)
            rep.status = "completed"
        except IngestError as exc:
            rep.status, rep.error = "failed", str(exc)
            raise
        except Exception as exc:
            rep.status, rep.error = "failed", type(exc).__name__
            raise
        except BaseException:
            # Ctrl-C, a cancelled task: what was written stays and a re-run completes it.
            rep.status, rep.error = "interrupted", "the run was stopped"
            raise
        finally:
            stop.set()
            await asyncio.to_thread(worker.join)
            await self._finish(batch_id, rep)
        return rep

    async def _start(self, batch_id: str, label: str) -> None:
        """Heal batches left running by dead processes and record this one's start."""
        await heal_batches(self.graph)
        owner = this_owner()
        await ingest_repo.start_batch(
            self.graph,
            batch_id,
            self.m.source,
            label,
            mapping_ref(self.m),
            utc_stamp(),
            host=owner["host"],
            pid=owner["pid"],
        )
        # What the mapping asks matching to compare: training reads it from the graph.
        await ingest_repo.record_comparisons(
            self.graph, self.m.source, _comparison_rows(self.m), utc_stamp()
        )
        await ingest_repo.record_key_types(
            self.graph, self.m.source, self.m.key_identifier_types(), utc_stamp()
        )

    async def _finish(self, batch_id: str, rep: BatchReport) -> None:
        """Record how the batch ended. When the run already failed and the bookkeeping
        write fails too (the server is gone), the first error is the one reported: the
        batch stays `running` and the next ingest marks it interrupted."""
        try:
            await ingest_repo.finish_batch(
                self.graph, batch_id, rep.counts(), rep.status, rep.error, utc_stamp()
            )
        except Exception:
            if rep.status == "completed":
                raise
            log.warning("batch %s: its end (%s) could not be recorded", batch_id, rep.status)

    def _chunks(
        self,
        rep: BatchReport,
        items: Iterable[tuple[int, dict[str, Any] | BadRow]],
        name: str,
        label: str,
        unique_keys: bool = False,
    ) -> Iterator[_Chunk]:
        cust = self.m.customer_section(name)
        orders = [s for s in self.m.orders if s.file == name]
        events = [s for s in self.m.events if s.file == name]
        # Where each key first occurred, for the whole file: on disk, not in a dict that
        # would grow with the file. Rows are converted a buffer at a time and their keys
        # looked up together; then each row is counted and placed in file order, exactly
        # as if it had been checked on its own.
        first_rows = FirstRows() if unique_keys and cust else None
        chunk = _Chunk()
        pending: list[_Converted] = []
        try:
            for row_no, row in items:
                if isinstance(row, BadRow):
                    q = QuarantinedRow(self.m.source, label, row_no, row.reason, row.raw, "row")
                    pending.append(_Converted(row_no, row.raw, q))
                else:
                    converted = self._convert(row, label, row_no, cust, orders, events)
                    pending.append(_Converted(row_no, row, converted))
                if len(pending) >= self.chunk_size:
                    full, chunk = self._place(rep, pending, chunk, label, cust, first_rows)
                    yield from full
                    pending = []
            full, chunk = self._place(rep, pending, chunk, label, cust, first_rows)
            yield from full
            yield chunk
        finally:
            if first_rows is not None:
                first_rows.close()
        if self.progress:
            self.progress(rep.rows_read % 1000)

    def _place(
        self,
        rep: BatchReport,
        pending: list[_Converted],
        chunk: _Chunk,
        label: str,
        cust: Any,
        first_rows: FirstRows | None,
    ) -> tuple[list[_Chunk], _Chunk]:
        """Count and place converted rows in file order, from `chunk` on. Returns the chunks
        they filled up and the one still open."""
        full: list[_Chunk] = []
        firsts: dict[int, int] = {}  # position in `pending` -> the row its key first had
        if first_rows is not None:
            keyed = [
                (i, c.items[0].rid, c.row_no)
                for i, c in enumerate(pending)
                if isinstance(c.items, list) and c.items and isinstance(c.items[0], SourceRecord)
            ]
            found = first_rows.first([(rid, row) for _, rid, row in keyed])
            firsts = {i: first for (i, _, _), first in zip(keyed, found, strict=True)}
        for i, c in enumerate(pending):
            rep.rows_read += 1
            if isinstance(c.items, QuarantinedRow):
                self._add_quarantine(rep, chunk, c.items)
            else:
                first = firsts.get(i, c.row_no)
                if first != c.row_no:
                    reason = f"duplicate_key: row {first} of this file has the same key"
                    q = QuarantinedRow(self.m.source, label, c.row_no, reason, c.row, "customer")
                    self._add_quarantine(rep, chunk, q)
                else:
                    self._accept(rep, chunk, c.items, cust)
            if chunk.size() >= self.chunk_size:
                full.append(chunk)
                chunk = _Chunk()
            if self.progress and rep.rows_read % 1000 == 0:
                self.progress(1000)
        return full, chunk

    def _convert(
        self,
        row: dict[str, Any],
        label: str,
        row_no: int,
        cust: Any,
        orders: list[Any],
        events: list[Any],
    ) -> list[SourceRecord | Order | Event] | QuarantinedRow:
        """What a row becomes, or the reason it cannot become anything."""
        out: list[SourceRecord | Order | Event] = []
        for item in (
            ([self.conv.customer(cust, row, label, row_no)] if cust else [])
            + [self.conv.order(s, row, label, row_no) for s in orders]
            + [self.conv.event(s, row, label, row_no) for s in events]
        ):
            if isinstance(item, QuarantinedRow):
                return item
            out.append(item)
        return out

    def _accept(
        self, rep: BatchReport, chunk: _Chunk, out: list[SourceRecord | Order | Event], cust: Any
    ) -> None:
        if self._is_suppressed(out):
            rep.rows_suppressed += 1
            return
        rep.rows_accepted += 1
        if cust and cust.skip_empty and isinstance(out[0], SourceRecord) and _is_empty(out[0]):
            rep.anonymous_rows += 1
            out = [_anonymous(item) for item in out[1:]]
        for item in out:
            if isinstance(item, SourceRecord):
                rep.value_issues += len(item.issues)
                prev = chunk.records.get(item.rid)
                chunk.records[item.rid] = (
                    _accumulate(prev, item) if prev and cust and cust.accumulate else item
                )
            elif isinstance(item, Order):
                chunk.orders.append(item)
            else:
                chunk.events.append(item)

    def _is_suppressed(self, items: list[SourceRecord | Order | Event]) -> bool:
        if not self._suppressed or self._hasher is None:
            return False
        suppressed = self._hasher.any_suppressed
        for item in items:
            if suppressed([record_suppression_key(item.rid)], self._suppressed):
                return True
            if isinstance(item, SourceRecord) and suppressed(
                (i.key for i in item.identifiers), self._suppressed
            ):
                return True
        return False

    def _is_forgotten_row(self, q: QuarantinedRow) -> bool:
        """Whether a row that cannot be a record carries someone erased: then it is dropped
        as suppressed, never stored in quarantine with their data."""
        if not self._suppressed or self._hasher is None:
            return False
        types = {*PERSONAL_TYPES, *self.m.identifier_types()}
        keys = row_keys(q.raw, self.m.source, sorted(types), self.m.default_region or "AU")
        return self._hasher.any_suppressed(keys, self._suppressed)

    def _add_quarantine(self, rep: BatchReport, chunk: _Chunk, q: QuarantinedRow) -> None:
        if self._is_forgotten_row(q):
            rep.rows_suppressed += 1
            return
        rep.rows_quarantined += 1
        reason = q.reason.split(":")[0]
        rep.quarantine_reasons[reason] = rep.quarantine_reasons.get(reason, 0) + 1
        chunk.quarantine.append(q)

    async def _flush(self, rep: BatchReport, chunk: ingest_repo.Chunk, *, accumulate: bool) -> None:
        def counts(changed: int) -> dict[str, int]:
            # The batch's counts once this chunk is written, stored in its transaction.
            c = rep.counts()
            c["records"] += len(chunk.records)
            c["records_changed"] += changed
            c["orders"] += len(chunk.orders)
            c["events"] += len(chunk.events)
            return c

        changed = await ingest_repo.write_chunk(
            self.graph, rep.batch_id, chunk, counts, accumulate=accumulate, now=utc_stamp()
        )
        rep.records += len(chunk.records)
        rep.records_changed += changed
        rep.orders += len(chunk.orders)
        rep.events += len(chunk.events)
        fault_point("ingest.chunk")


async def heal_batches(graph: GraphClient) -> int:
    """Batches left `running` by a process that died (killed, machine lost) are marked
    `interrupted`; they keep the counts of the chunks they wrote. Returns how many."""
    stale = utc_stamp(utc_now() - BATCH_STALE_AFTER)
    dead = [
        b["id"]
        for b in await ingest_repo.running_batches(graph)
        if is_dead(b["host"], b["pid"]) or (b["heartbeat_at"] or "") < stale
    ]
    return await ingest_repo.mark_interrupted(graph, dead, utc_stamp()) if dead else 0


def _is_empty(r: SourceRecord) -> bool:
    return not r.identifiers and all(v is None for v in r.attributes.values())


def _anonymous(item: Order | Event | SourceRecord) -> Order | Event | SourceRecord:
    if isinstance(item, Order | Event):
        item.customer_source_id = ""
    return item


def _accumulate(prev: SourceRecord, new: SourceRecord) -> SourceRecord:
    attrs = dict(prev.attributes)
    attrs.update({k: v for k, v in new.attributes.items() if v is not None})
    keys = {i.key for i in prev.identifiers}
    idents = prev.identifiers + [i for i in new.identifiers if i.key not in keys]
    observed = max(filter(None, [prev.observed_at, new.observed_at]), default=None)
    return SourceRecord(
        source=new.source,
        source_id=new.source_id,
        attributes=attrs,
        raw=new.raw,
        identifiers=idents,
        issues=prev.issues + new.issues,
        file=new.file,
        row=new.row,
        observed_at=observed,
    )


def _comparison_rows(m: SourceMapping) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "kind": c.kind,
            "thresholds": list(c.thresholds) if c.thresholds is not None else None,
            "term_frequency": c.term_frequency,
            "blocking": c.blocking,
            "personal": c.personal,
        }
        for name, c in sorted(m.compared_attributes().items())
    ]


_JSON = json.JSONEncoder(default=str, ensure_ascii=False, separators=(",", ":"))


def _dumps(obj: Any) -> str:
    return _JSON.encode(obj)


def _record_row(r: SourceRecord, accumulate: bool) -> dict[str, Any]:
    props = {k: v for k, v in r.attributes.items() if not accumulate or v is not None}
    links: list[dict[str, str | None]] = [
        {
            "key": i.key,
            "type": i.type,
            "value": i.value,
            "sha256": email_sha256(i.value) if i.type == "email" else None,
        }
        for i in r.identifiers
    ]
    keys = sorted(i.key for i in r.identifiers)
    issues = [f"{i.field}:{i.reason}" for i in r.issues]
    return {
        "rid": r.rid,
        "source": r.source,
        "source_id": r.source_id,
        "props": props,
        "keys": keys,
        "links": links,
        "hash": content_hash(props, keys, issues, r.raw),
        "raw": _dumps(r.raw),
        "issues": issues,
        "file": r.file,
        "row": r.row,
        "observed_at": r.observed_at,
    }


def _order_row(o: Order) -> dict[str, Any]:
    cats = [ln.category for ln in o.lines if ln.category]
    return {
        "oid": o.oid,
        "rid": o.rid if o.customer_source_id else None,
        "source": o.source,
        "customer_source_id": o.customer_source_id,
        "props": {
            "source": o.source,
            "order_id": o.order_id,
            "placed_at": o.placed_at,
            "total": o.total,
            "currency": o.currency,
            "channel": o.channel,
            "store": o.store,
            "categories": sorted(set(cats)),
            "line_skus": [ln.sku for ln in o.lines],
            "line_categories": [ln.category or "" for ln in o.lines],
            "line_quantities": [ln.quantity for ln in o.lines],
            "line_prices": [ln.price for ln in o.lines],
            "file": o.file,
            "row": o.row,
        },
    }


def _event_row(e: Event) -> dict[str, Any]:
    return {
        "eid": e.eid,
        "rid": e.rid if e.customer_source_id else None,
        "source": e.source,
        "customer_source_id": e.customer_source_id,
        "props": {
            "source": e.source,
            "event_id": e.event_id,
            "type": e.type,
            "ts": e.ts,
            "properties": _dumps(e.properties),
            "file": e.file,
            "row": e.row,
        },
    }


def _quarantine_row(q: QuarantinedRow) -> dict[str, Any]:
    raw = _dumps(q.raw)
    return {
        "id": content_hash(q.source, q.file, q.row, q.kind, raw),
        "source": q.source,
        "file": q.file,
        "row": q.row,
        "kind": q.kind,
        "reason": q.reason,
        "raw": raw,
    }
