"""Benchmark: enrich every profile of the graph named by the settings, the CLV fit included.

Runs on whatever data is there (for example after `python -m bench.ingest --customers N`
and `cdp resolve`); it does not wipe anything. Prints the time of each phase and in total,
and the peak memory of this Python process (Neo4j's own is its configured heap and page
cache). With `--incremental N` it then marks N profiles dirty and times a plain run.

    python -m bench.enrich                      # fit + full run
    python -m bench.enrich --no-fit             # full run with the stored model
    python -m bench.enrich --incremental 10000  # ... then 10,000 dirty profiles
    python -m bench.enrich --repeat             # ... a second full run (writes what changed)
    python -m bench.enrich --rewrite-all        # write every profile, changed or not

Besides wall time it prints the CPU seconds this process and the local Neo4j server (when
`NEO4J_LOCAL_HOME` names a running one) spent in each run: on a shared machine the wall
time depends on what else runs, the CPU time much less.

The 1M-customer graph of issue 6 is rebuilt offline with `bench/enrich_graph.py` (see there).

Figures on it (3.5M records, 1.96M profiles, 2.7M orders, 12.6M events; 2 cores, 24 GB
shared with other work, Neo4j heap 4g and page cache 4g; 2026-11-28):

    fit + full, every profile written (--rewrite-all), load 1.8:
      read 71.3 s (fit alongside), compute 20.1, compare 6.1, write 41.3; total 139.6 s;
      CPU python 84 s, neo4j 145 s; peak RSS 4.4 GB
      (before: read 69, compute 32, fit 22, write 150; total 274 s)
    fit + full on an enriched graph (writes the 1.22M buyers, whose model version
      changed), load 2.9: total 173.4 s
    repeat full run (nothing changed, nothing written), load 2.1: total 90.3 s
      (before: 210 s, everything rewritten)
    incremental, 10,000 dirty profiles: 4.5 s (before: 5.3 s)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import time
from pathlib import Path

from core.settings import Settings
from enrich.enricher import EnrichConfig, Enricher, EnrichReport
from enrich.providers.postcode_file import PostcodeFileProvider
from graph import health
from graph.client import GraphClient


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_cpu_s(settings: Settings) -> float | None:
    """CPU seconds of the local Neo4j process, or None when there is none to read."""
    try:
        pid = int((settings.neo4j_local_home / "neo4j-local.pid").read_text().strip())
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, ValueError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuClock:
    """CPU seconds of this process and of the server since the clock started."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.own = own_cpu_s()
        self.server = server_cpu_s(settings)

    def show(self) -> None:
        own = own_cpu_s() - self.own
        now = server_cpu_s(self.settings)
        server = "n/a" if now is None or self.server is None else f"{now - self.server:,.1f} s"
        print(f"  cpu: python {own:,.1f} s, neo4j {server}; load {os.getloadavg()[0]:.1f}")


def show(title: str, rep: EnrichReport, wall: float) -> None:
    print(
        f"{title}: {rep.mode}, {rep.profiles:,} profiles written, "
        f"{rep.unchanged:,} unchanged (not rewritten)"
    )
    print(
        f"  with purchases {rep.with_purchases:,}, with a CLV {rep.predicted:,}, "
        f"demographics matched {rep.demographics_matched:,}"
    )
    for phase, seconds in rep.seconds.items():
        print(f"  {phase:10s} {seconds:8.1f} s")
    print(f"  {'total':10s} {wall:8.1f} s   ({rep.profiles / max(wall, 1e-9):,.0f} profiles/s)")
    print(f"  model {rep.model_version}")


async def run(
    fit: bool, postcodes: Path | None, incremental: int, repeat: bool, rewrite_all: bool
) -> None:
    settings = Settings()
    graph = GraphClient.from_settings(settings)
    provider = PostcodeFileProvider(postcodes) if postcodes else None
    try:
        await graph.verify()
        print(f"graph: {await health.counts(graph)}")
        config = EnrichConfig(skip_unchanged=not rewrite_all)
        enricher = Enricher(graph, provider=provider, config=config)
        t0, cpu = time.perf_counter(), CpuClock(settings)
        rep = await enricher.run(full=True, fit=fit)
        show("fit + full run" if fit else "full run", rep, time.perf_counter() - t0)
        cpu.show()
        print(f"peak RSS of the Python process: {peak_rss_mb():,.0f} MB")
        if repeat:
            t0, cpu = time.perf_counter(), CpuClock(settings)
            rep = await enricher.run(full=True)
            show("repeat full run", rep, time.perf_counter() - t0)
            cpu.show()
            print(f"peak RSS of the Python process: {peak_rss_mb():,.0f} MB")
        if incremental:
            await graph.write_text(
                "bench_mark_dirty",
                "MATCH (p:Profile) WHERE p.retired IS NULL WITH p LIMIT $n "
                "SET p.enrich_dirty = true",
                {"n": incremental},
            )
            t0, cpu = time.perf_counter(), CpuClock(settings)
            rep = await enricher.run()
            show(f"incremental ({incremental:,} dirty)", rep, time.perf_counter() - t0)
            cpu.show()
            print(f"peak RSS of the Python process: {peak_rss_mb():,.0f} MB")
    finally:
        if provider is not None:
            await provider.aclose()
        await graph.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--no-fit", action="store_true", help="Use the stored CLV model.")
    p.add_argument("--postcodes", type=Path, default=None, help="reference/postcodes.csv")
    p.add_argument("--repeat", action="store_true", help="Then time a second full run.")
    p.add_argument("--rewrite-all", action="store_true", help="Write unchanged profiles too.")
    p.add_argument("--incremental", type=int, default=0, help="Then time N dirty profiles.")
    a = p.parse_args()
    asyncio.run(run(not a.no_fit, a.postcodes, a.incremental, a.repeat, a.rewrite_all))


if __name__ == "__main__":
    main()
