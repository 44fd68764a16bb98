"""Benchmark: ingestion against a bare loader of the same customer rows, side by side.

For the customer files of the generator's sources (those holding customers only, not orders
or events), in pairs of runs on an emptied graph:

- the pipeline: `Ingestor.ingest_file`, exactly what `cdp ingest` runs (read, validate,
  normalise, lineage, change detection, quarantine, batch bookkeeping);
- a bare loader: the same rows read by the same reader, MERGEd as `Record` and `Identifier`
  nodes with `HAS_IDENTIFIER` edges, one `UNWIND` query per 5,000-row batch, nothing else
  (`bench/cypher/bare_load_customers.cypher`).

With `--lineage`, each pair also times the bare loader writing what the pipeline stores of
each row besides (`bench/cypher/bare_load_customers_lineage.cypher`): what separates the
pipeline from it is the pipeline's own work, what separates it from the bare loader is the
data kept.

Prints each pair, the medians and the ratio, where the pipeline's time goes (seconds per
query, summed over its calls, and Python's read + convert alone), and the peak memory of this
process. `--all-sources` also times the ingestion of every file of the six sources. Uses the
Neo4j named by the settings (NEO4J_URI, ...); it wipes it first.

    python -m bench.ingest --customers 100000 --pairs 3
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import resource
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from neo4j import Record, RoutingControl

from core.settings import Settings
from generator import GENERATED_SOURCES, generate
from graph import health
from graph.client import GraphClient, Params, Tx
from graph.schema import migrate, wipe
from ingest.convert import get_field
from ingest.mapping import CustomerSection, SourceMapping, builtin_mapping
from ingest.pipeline import Ingestor, resolve_file
from ingest.readers import BadRow, detect_format, read_rows

T = TypeVar("T")
BARE_QUERY = (Path(__file__).parent / "cypher" / "bare_load_customers.cypher").read_text()
LINEAGE_QUERY = (
    Path(__file__).parent / "cypher" / "bare_load_customers_lineage.cypher"
).read_text()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds(pid: int | None = None) -> float:
    """CPU seconds (user + system) of this process, or of the process `pid` (the local
    Neo4j's, read from /proc): on a shared machine they vary less than wall time."""
    if pid is None:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class TimedClient(GraphClient):
    """A graph client that sums the wall time of each named query over its calls."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    async def _records(
        self, name: str, query: str, params: Params | None, routing: RoutingControl
    ) -> list[Record]:
        t0 = time.perf_counter()
        try:
            return await super()._records(name, query, params, routing)
        finally:
            self.seconds[name] += time.perf_counter() - t0
            self.calls[name] += 1

    async def in_write_tx(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        t0 = time.perf_counter()
        try:
            return await super().in_write_tx(work)
        finally:
            self.seconds["(transactions, whole, commit included)"] += time.perf_counter() - t0
            self.calls["(transactions, whole, commit included)"] += 1

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()


_tx_run_text = Tx.run_text


async def _timed_tx_run_text(
    self: Tx, name: str, query: str, params: Params | None = None
) -> list[dict[str, Any]]:
    """`Tx.run_text`, timed into its client's figures when that is a TimedClient (the
    statements of a chunk's transaction; the commit is timed as `commit`)."""
    t0 = time.perf_counter()
    try:
        return await _tx_run_text(self, name, query, params)
    finally:
        client = self._client
        if isinstance(client, TimedClient):
            client.seconds[name] += time.perf_counter() - t0
            client.calls[name] += 1


Tx.run_text = _timed_tx_run_text  # type: ignore[method-assign]


@dataclass(frozen=True)
class CustomerFile:
    mapping: SourceMapping
    section: CustomerSection
    path: Path


def customer_files(data: Path) -> list[CustomerFile]:
    """The files of the generator's sources that hold customers only."""
    found = []
    for source in GENERATED_SOURCES:
        m = builtin_mapping(source)
        activity = {s.file for s in m.orders} | {s.file for s in m.events}
        for sec in m.customers:
            path = resolve_file(data, sec.file, m)
            if sec.file not in activity and path is not None:
                found.append(CustomerFile(m, sec, path))
    return found


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def bare_batches(
    f: CustomerFile, size: int, lineage: bool = False
) -> Iterator[list[dict[str, Any]]]:
    """The file's rows as the bare loader sends them: raw values, lower-cased identifiers;
    with `lineage`, also what the pipeline keeps of a row (its raw JSON and content hash,
    source, file and row number, each identifier's sha256)."""
    m, sec = f.mapping, f.section
    rows = read_rows(
        f.path,
        detect_format(f.path, m.format),
        delimiter=m.csv_delimiter,
        records_path=m.json_records_path,
        encoding=m.encoding,
    )
    batch: list[dict[str, Any]] = []
    for number, row in rows:
        if isinstance(row, BadRow) or (key := _text(get_field(row, sec.key))) is None:
            continue
        props = {
            name: text
            for name, a in sec.attributes.items()
            if (text := _text(get_field(row, a.field))) is not None
        }
        identifiers = [
            {"key": f"{i.type}:{text.lower()}", "type": i.type, "value": text.lower()}
            for i in sec.identifiers
            if (text := _text(get_field(row, i.field))) is not None
        ]
        out: dict[str, Any] = {
            "rid": f"{m.source}:{key}",
            "props": props,
            "identifiers": identifiers,
        }
        if lineage:
            raw = json.dumps(row, sort_keys=True, default=str)
            out |= {
                "source": m.source,
                "source_id": key,
                "raw": raw,
                "hash": hashlib.sha256(raw.encode()).hexdigest(),
                "file": sec.file,
                "row": number,
            }
            for i in identifiers:
                i["sha256"] = hashlib.sha256(i["value"].encode()).hexdigest()
        batch.append(out)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


async def bare_load(
    graph: GraphClient, files: list[CustomerFile], size: int, lineage: bool = False
) -> tuple[int, float]:
    rows, t0 = 0, time.perf_counter()
    name, query = (
        ("bench_lineage_load_customers", LINEAGE_QUERY)
        if lineage
        else ("bench_bare_load_customers", BARE_QUERY)
    )
    params = {"batch_id": "bench", "now": "2026-01-01T00:00:00Z"} if lineage else {}
    for f in files:
        for batch in bare_batches(f, size, lineage):
            await graph.write_text(name, query, {**params, "rows": batch})
            rows += len(batch)
    return rows, time.perf_counter() - t0


async def pipeline_load(
    graph: GraphClient, files: list[CustomerFile], chunk: int
) -> tuple[int, float]:
    rows, t0 = 0, time.perf_counter()
    for f in files:
        rep = await Ingestor(graph, f.mapping, chunk_size=chunk).ingest_file(f.section.file, f.path)
        rows += rep.rows_read
    return rows, time.perf_counter() - t0


def convert_only(files: list[CustomerFile], chunk: int) -> tuple[int, float]:
    """Python's share: read, validate, normalise and build the query parameters, no writes."""
    from ingest.pipeline import BatchReport

    rows, t0 = 0, time.perf_counter()
    for f in files:
        ing = Ingestor(None, f.mapping, chunk_size=chunk)  # type: ignore[arg-type]
        m = f.mapping
        items = read_rows(
            f.path,
            detect_format(f.path, m.format),
            delimiter=m.csv_delimiter,
            records_path=m.json_records_path,
            encoding=m.encoding,
        )
        rep = BatchReport("bench", m.source, str(f.path))
        accumulate = f.section.accumulate
        for c in ing._chunks(rep, items, f.section.file, str(f.path), not accumulate):
            c.prepare(accumulate)
        rows += rep.rows_read
    return rows, time.perf_counter() - t0


async def empty(graph: GraphClient) -> None:
    await wipe(graph)
    await migrate(graph)


async def compare(
    graph: TimedClient,
    data: Path,
    pairs: int,
    chunk: int,
    server: int | None,
    lineage: bool = False,
) -> None:
    files = customer_files(data)
    names = ", ".join(f"{f.mapping.source}/{f.section.file}" for f in files)
    print(f"customer files: {names}")
    pipe_rates, bare_rates, ratios, cpu_ratios = [], [], [], []
    lineage_rates: list[float] = []

    async def timed(load: Any) -> tuple[int, float, float, float]:
        c0, s0 = cpu_seconds(), cpu_seconds(server) if server else 0.0
        n, dt = await load
        c1, s1 = cpu_seconds(), cpu_seconds(server) if server else 0.0
        return n, dt, c1 - c0, s1 - s0

    # A Neo4j just started compiles its hot code (JIT) during the first loads: the first
    # measured run took 2-3x the CPU of the same run warm. Warm it on one file first.
    await empty(graph)
    await pipeline_load(graph, files[:1], chunk)
    await empty(graph)
    await bare_load(graph, files[:1], chunk)
    print(f"warmed up on {files[0].mapping.source}/{files[0].section.file} (not measured)")
    for i in range(1, pairs + 1):
        await empty(graph)
        graph.reset()
        n, dt, cpu, srv = await timed(pipeline_load(graph, files, chunk))
        per_query = dict(graph.seconds), dict(graph.calls)
        await empty(graph)
        nb, dtb, cpub, srvb = await timed(bare_load(graph, files, chunk))
        p, b = n / dt, nb / dtb
        pipe_rates.append(p)
        bare_rates.append(b)
        ratios.append(p / b)
        cpu_ratios.append(srvb / srv if server else 0.0)
        where = f", Neo4j CPU {srv:.1f} s" if server else ""
        where_b = f", Neo4j CPU {srvb:.1f} s" if server else ""
        print(
            f"pair {i}: pipeline {n:,} rows {dt:6.1f} s {p:8,.0f} rows/s "
            f"(Python CPU {cpu:.1f} s{where}) | bare {nb:,} rows {dtb:6.1f} s {b:8,.0f} rows/s "
            f"(Python CPU {cpub:.1f} s{where_b}) | ratio {p / b:.2f}"
        )
        if lineage:
            await empty(graph)
            nl, dtl, cpul, srvl = await timed(bare_load(graph, files, chunk, lineage=True))
            lineage_rates.append(nl / dtl)
            where_l = f", Neo4j CPU {srvl:.1f} s" if server else ""
            print(
                f"  bare + what the pipeline stores: {nl:,} rows {dtl:6.1f} s "
                f"{nl / dtl:8,.0f} rows/s (Python CPU {cpul:.1f} s{where_l}) | pipeline / it "
                f"{p / (nl / dtl):.2f}, it / bare {(nl / dtl) / b:.2f}"
            )
    print(
        f"median of {pairs}: pipeline {statistics.median(pipe_rates):,.0f} rows/s, "
        f"bare loader {statistics.median(bare_rates):,.0f} rows/s, "
        f"ratio {statistics.median(ratios):.2f}"
        + (
            f"; Neo4j CPU per row, bare / pipeline: {statistics.median(cpu_ratios):.2f}"
            if server
            else ""
        )
    )
    if lineage_rates:
        print(
            f"median of {pairs}: bare + what the pipeline stores "
            f"{statistics.median(lineage_rates):,.0f} rows/s"
        )
    seconds, calls = per_query
    print(f"pipeline's queries in the last pair (of {dt:.1f} s):")
    for name, s in sorted(seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {name:36s} {s:7.2f} s {calls[name]:6,} calls")
    n, dt = convert_only(files, chunk)
    print(f"Python read + convert alone: {n:,} rows {dt:.1f} s {n / dt:,.0f} rows/s")


async def all_sources(graph: GraphClient, data: Path, chunk: int) -> None:
    await empty(graph)
    total_rows = 0
    t0 = time.perf_counter()
    for source in GENERATED_SOURCES:
        ts = time.perf_counter()
        reports = await Ingestor(graph, builtin_mapping(source), chunk_size=chunk).ingest_path(data)
        rows = sum(r.rows_read for r in reports)
        total_rows += rows
        dt = time.perf_counter() - ts
        print(f"{source:10s} {rows:>11,} rows {dt:8.1f} s {rows / dt:>9,.0f} rows/s")
    dt = time.perf_counter() - t0
    print(f"{'total':10s} {total_rows:>11,} rows {dt:8.1f} s {total_rows / dt:>9,.0f} rows/s")
    print(f"graph: {await health.counts(graph)}")


async def run(
    customers: int,
    out: Path,
    regenerate: bool,
    chunk: int,
    pairs: int,
    every: bool,
    server: int | None,
    lineage: bool = False,
) -> None:
    if regenerate or not (out / "manifest.json").exists():
        t0 = time.perf_counter()
        summary = generate(out, customers=customers, seed=42)
        print(f"generated {sum(summary.rows.values()):,} rows in {time.perf_counter() - t0:.1f} s")
    plain = GraphClient.from_settings(Settings())
    graph = TimedClient(
        plain.driver,
        plain.database,
        plain.uri,
        plain.suppression_keys,
        writes_in_flight=plain.writes_in_flight,
    )
    try:
        await graph.verify()
        if pairs:
            await compare(graph, out, pairs, chunk, server, lineage)
        if every:
            await all_sources(graph, out, chunk)
        print(f"peak RSS of the Python process: {peak_rss_mb():,.0f} MB")
    finally:
        await graph.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--regenerate", action="store_true")
    p.add_argument("--chunk", type=int, default=5_000)
    p.add_argument("--pairs", type=int, default=3, help="Paired runs (0: none).")
    p.add_argument("--all-sources", action="store_true", help="Also ingest every source file.")
    p.add_argument(
        "--server-pid", type=int, default=None, help="The Neo4j's pid: print its CPU seconds."
    )
    p.add_argument(
        "--lineage",
        action="store_true",
        help="In each pair, also the bare loader writing what the pipeline stores of a row "
        "(raw row, hash, batch, file, times, dirty mark, sha256s): what it costs to keep.",
    )
    a = p.parse_args()
    out = a.out or Path(f"var/bench/data-{a.customers}")
    asyncio.run(
        run(
            a.customers,
            out,
            a.regenerate,
            a.chunk,
            a.pairs,
            a.all_sources,
            a.server_pid,
            a.lineage,
        )
    )


if __name__ == "__main__":
    main()
