"""Benchmark: full resolution with the local engine and with the Spark engine, side by side.

On one generated data set (loaded like `bench.resolve`, customer sections only), after
training: a full resolution with the local engine from scratch, then full resolutions with
nothing changed, by the Spark engine and by the local one, so that both do the same work
(read, scoring, components, no writes). For each: seconds per phase, the engine's own time
(`components`), and whether the Spark engine left every record where the local one put it.
Memory: peak RSS of this Python process, of Spark's JVM (driver and executors in local
mode) and of Spark's Python workers, from /proc (`VmHWM`).

Scoring (Splink on DuckDB), the graph reads and the writes run in this process for both
engines; only the components and the rules run on Spark (see `matching.spark_engine`).

    python -m bench.resolve_spark --customers 20000 --spark-master 'local[2]'
    python -m bench.resolve_spark --resolved DATA_DIR/models   # a graph resolved already

Figures (2 cores shared with other jobs, Neo4j 1g heap and 512m page cache, pyspark 4.3.0,
Java 17, 2026-12-05), 20,000 customers (62,651 records -> 34,421 profiles): loaded in
135.5 s, trained in 32.3 s; local engine from scratch 75.4 s (engine 2.2 s; load 4.6);
Spark started in 22.2 s; Spark engine with nothing changed 135.7 s in the JVM's first run
(engine 102.1 s: input 39.4, coarse 37.9, rules 20.4; load 5.1), 43.3 s warm (engine
24.5 s: input 7.4, coarse 7.1, rules 8.6; load 4.4); every record where the local engine
put it; local engine with nothing changed 25.2 s (engine 1.9 s; load 3.8); peak RSS 848 MB
this process, 1,290 MB the JVM, 617 MB the Python workers. An earlier run (before the
input stopped being repartitioned, load 5.3-6.1): engine 61.6 s first, 39.9 s warm.

Since full runs reach Spark as closed parts (2026-12-06, `--resolved` on the resolved 1M
graph, 3,147,980 records, Neo4j 4g heap and 4g page cache, `spark.driver.memory` 2g, load
0.5-4.3): 572.6 s recomputed with nothing changed (components 69.1 s, 32 jobs of two 50k-record
parts), nothing moved, created, merged or split; peak RSS 2,889 MB this process, 776 MB the
JVM, 766 MB the Python workers. `cdp resolve --full --recompute` with the local engine right
after: 585.5 s, 2.83 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bench.resolve import load, load_avg, peak_rss_mb, split_esp
from bench.timing import peak_kb
from core.settings import Settings
from generator import generate
from graph import resolve_repo
from graph.client import GraphClient
from matching.components import Resolution
from matching.engine import LocalEngine, ResolveEngine
from matching.linking import ProbabilisticLinker
from matching.resolve import Resolver, ResolveReport


class Timed:
    """Times the engine it wraps: a full run's parts by the time the resolver waits for
    each (building a part's input included), not the time the engine works meanwhile."""

    def __init__(self, engine: ResolveEngine) -> None:
        self.engine, self.name, self.seconds = engine, engine.name, 0.0

    def resolve(self, rules: Any, data: Any) -> Resolution:
        t0 = time.perf_counter()
        try:
            return self.engine.resolve(rules, data)
        finally:
            self.seconds = time.perf_counter() - t0

    def resolve_each(self, rules: Any, items: Iterable[Any]) -> Iterator[Any]:
        self.seconds = 0.0
        each = self.engine.resolve_each(rules, items)
        try:
            while True:
                t0 = time.perf_counter()
                item = next(each, None)
                self.seconds += time.perf_counter() - t0
                if item is None:
                    return
                yield item
        finally:
            close = getattr(each, "close", None)
            if close is not None:
                close()


def children(pid: int) -> list[int]:
    """Every descendant of a process."""
    out: list[int] = []
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        direct = [int(c) for t in tasks for c in (t / "children").read_text().split() if c.strip()]
    except OSError:
        return out
    for c in direct:
        out.append(c)
        out.extend(children(c))
    return out


def start_spark(master: str, settings: Settings) -> tuple[Any, int]:
    """A Spark session for the engine and the pid of its JVM (for its memory)."""
    from matching.spark_engine import spark_session

    t0 = time.perf_counter()
    session = spark_session(
        master,
        shuffle_partitions=settings.spark_shuffle_partitions,
        conf={"spark.ui.enabled": "false", **settings.spark_conf},
    )
    jvm = session.sparkContext._gateway.proc.pid  # type: ignore[union-attr]
    print(f"Spark {session.version} at {master} started in {time.perf_counter() - t0:.1f} s")
    return session, int(jvm)


def report(title: str, rep: ResolveReport, engine: Timed) -> None:
    print(
        f"{title}: {rep.records:,} records -> {rep.components:,} profiles in "
        f"{rep.seconds:.1f} s (engine {engine.seconds:.1f} s); moved {rep.moved_records:,}, "
        f"{rep.created:,} created, {rep.merged:,} merges, {rep.split:,} splits [{load_avg()}]"
    )
    print("  phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in rep.phases.items()))
    print(f"  written: {rep.writes.describe(per_query=False)}")


async def run(
    customers: int, data: Path, master: str, reuse: bool, resolved: Path | None = None
) -> None:
    from matching.spark_engine import SparkEngine

    if resolved is not None:
        await run_resolved(master, resolved)
        return
    if not (data / "manifest.json").exists():
        generate(data, customers=customers, seed=42)
    first, _ = split_esp(data, 1_000, 0)
    settings = Settings()
    graph = GraphClient.from_settings(settings)
    try:
        await graph.verify()
        if not reuse:
            await load(graph, data, first, 1_000, 0, False)
        models = data.parent / f"{data.name}-models"
        shutil.rmtree(models, ignore_errors=True)
        linker = ProbabilisticLinker(graph, models)
        t0 = time.perf_counter()
        await linker.train()
        print(f"trained in {time.perf_counter() - t0:.1f} s [{load_avg()}]")

        local = Timed(LocalEngine())
        rep = await Resolver(graph, linker=linker, engine=local).resolve(full=True)
        report("local engine, from scratch", rep, local)
        before = {rid: pid for _, _, rid, pid in await resolve_repo.clusters(graph)}
        print(f"  peak RSS of this process so far: {peak_rss_mb():,.0f} MB")

        session, jvm = start_spark(master, settings)
        try:
            for n in (1, 2):
                engine = SparkEngine(session, bucket_records=settings.spark_bucket_records)
                spark = Timed(engine)
                rep = await Resolver(
                    graph, linker=linker, engine=spark, part_records=settings.spark_bucket_records
                ).resolve(full=True, recompute=True)
                report(f"spark engine, nothing changed (run {n})", rep, spark)
                print(f"  spark jobs: {engine.jobs}")
            after = {rid: pid for _, _, rid, pid in await resolve_repo.clusters(graph)}
            print(f"  every record where the local engine put it: {after == before}")
            workers = sum(peak_kb(p) for p in children(jvm)) / 1024
            print(
                f"  peak RSS: JVM {peak_kb(jvm) / 1024:,.0f} MB, Python workers (alive, summed) "
                f"{workers:,.0f} MB"
            )
        finally:
            session.stop()
        rep = await Resolver(graph, linker=linker, engine=local).resolve(full=True, recompute=True)
        report("local engine, nothing changed", rep, local)
        print(f"peak RSS of this process: {peak_rss_mb():,.0f} MB [{load_avg()}]")
    finally:
        await graph.close()


async def run_resolved(master: str, models: Path) -> None:
    """On a graph already trained (`models`) and resolved by the local engine: one full
    resolution by the Spark engine, recomputed with nothing changed. The same partition as
    the local engine's is what the resolver itself reports: no record moved, no profile
    created, merged or split (stable ids keep every profile whose records stay together);
    what it wrote is printed too (nothing but the full run's recorded state). For data sets
    too large to resolve three times in one sitting (1M customers); this process holds no
    map of every record, so its peak RSS is the run's."""
    from matching.spark_engine import SparkEngine

    settings = Settings()
    graph = GraphClient.from_settings(settings)
    try:
        await graph.verify()
        print(f"resolved graph [{load_avg()}]")
        linker = ProbabilisticLinker(graph, models)
        session, jvm = start_spark(master, settings)
        try:
            engine = SparkEngine(session, bucket_records=settings.spark_bucket_records)
            spark = Timed(engine)
            resolver = Resolver(
                graph, linker=linker, engine=spark, part_records=settings.spark_bucket_records
            )
            rep = await resolver.resolve(full=True, recompute=True)
            report("spark engine, nothing changed (recomputed)", rep, spark)
            print(f"  spark jobs: {engine.jobs}")
            workers = sum(peak_kb(p) for p in children(jvm)) / 1024
            print(
                f"  peak RSS: this process {peak_rss_mb():,.0f} MB, JVM "
                f"{peak_kb(jvm) / 1024:,.0f} MB, Python workers (alive, summed) "
                f"{workers:,.0f} MB"
            )
        finally:
            session.stop()
        same = rep.moved_records == rep.created == rep.merged == rep.split == 0
        print(f"  every record where the local engine put it: {same} [{load_avg()}]")
    finally:
        await graph.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--customers", type=int, default=20_000)
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--spark-master", default="local[2]")
    p.add_argument("--reuse", action="store_true", help="Keep the graph an earlier run loaded.")
    p.add_argument(
        "--resolved",
        type=Path,
        default=None,
        metavar="MODELS",
        help="The graph is trained (models in MODELS) and resolved by the local engine: one "
        "Spark run with nothing changed, recomputed, compared with it.",
    )
    a = p.parse_args()
    data = a.data or Path(f"var/bench/data-{a.customers}")
    asyncio.run(run(a.customers, data, a.spark_master, a.reuse, a.resolved))


if __name__ == "__main__":
    main()
