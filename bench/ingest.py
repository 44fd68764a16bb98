"""Benchmark: generate N customers' data and ingest every source into Neo4j.

Prints rows per second end to end (read, validate, normalise, write) and the peak memory of
this Python process. Uses the Neo4j named by the settings (NEO4J_URI, ...); it wipes it first.

    python -m bench.ingest --customers 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from pathlib import Path

from core.settings import Settings
from generator import GENERATED_SOURCES, generate
from graph import health
from graph.client import GraphClient
from graph.schema import migrate, wipe
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(customers: int, out: Path, regenerate: bool, chunk: int) -> None:
    if regenerate or not (out / "manifest.json").exists():
        t0 = time.perf_counter()
        summary = generate(out, customers=customers, seed=42)
        print(f"generated {sum(summary.rows.values()):,} rows in {time.perf_counter() - t0:.1f} s")
    settings = Settings()
    graph = GraphClient.from_settings(settings)
    try:
        await graph.verify()
        await wipe(graph)
        await migrate(graph)
        total_rows = 0
        t0 = time.perf_counter()
        for source in GENERATED_SOURCES:
            ts = time.perf_counter()
            reports = await Ingestor(graph, builtin_mapping(source), chunk_size=chunk).ingest_path(
                out
            )
            rows = sum(r.rows_read for r in reports)
            total_rows += rows
            dt = time.perf_counter() - ts
            print(f"{source:10s} {rows:>11,} rows {dt:8.1f} s {rows / dt:>9,.0f} rows/s")
        dt = time.perf_counter() - t0
        print(f"{'total':10s} {total_rows:>11,} rows {dt:8.1f} s {total_rows / dt:>9,.0f} rows/s")
        print(f"graph: {await health.counts(graph)}")
        print(f"peak RSS of the Python process: {peak_rss_mb():,.0f} MB")
    finally:
        await graph.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--regenerate", action="store_true")
    p.add_argument("--chunk", type=int, default=5_000)
    a = p.parse_args()
    out = a.out or Path(f"var/bench/data-{a.customers}")
    asyncio.run(run(a.customers, out, a.regenerate, a.chunk))


if __name__ == "__main__":
    main()
