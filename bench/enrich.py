"""Benchmark: enrich every profile of the graph named by the settings, the CLV fit included.

Runs on whatever data is there (for example after `python -m bench.ingest --customers N`
and `cdp resolve`); it does not wipe anything. Prints the time of each phase and in total,
and the peak memory of this Python process (Neo4j's own is its configured heap and page
cache). With `--incremental N` it then marks N profiles dirty and times a plain run.

    python -m bench.enrich                      # fit + full run
    python -m bench.enrich --no-fit             # full run with the stored model
    python -m bench.enrich --incremental 10000  # ... then 10,000 dirty profiles
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from pathlib import Path

from enrich.enricher import Enricher, EnrichReport
from enrich.providers.postcode_file import PostcodeFileProvider
from graph import health
from graph.client import GraphClient
from graph.settings import Settings


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def show(title: str, rep: EnrichReport, wall: float) -> None:
    print(f"{title}: {rep.mode}, {rep.profiles:,} profiles written")
    print(
        f"  with purchases {rep.with_purchases:,}, with a CLV {rep.predicted:,}, "
        f"demographics matched {rep.demographics_matched:,}"
    )
    for phase, seconds in rep.seconds.items():
        print(f"  {phase:10s} {seconds:8.1f} s")
    print(f"  {'total':10s} {wall:8.1f} s   ({rep.profiles / max(wall, 1e-9):,.0f} profiles/s)")
    print(f"  model {rep.model_version}")


async def run(fit: bool, postcodes: Path | None, incremental: int) -> None:
    settings = Settings()
    graph = GraphClient.from_settings(settings)
    provider = PostcodeFileProvider(postcodes) if postcodes else None
    try:
        await graph.verify()
        print(f"graph: {await health.counts(graph)}")
        enricher = Enricher(graph, provider=provider)
        t0 = time.perf_counter()
        rep = await enricher.run(full=True, fit=fit)
        show("fit + full run" if fit else "full run", rep, time.perf_counter() - t0)
        print(f"peak RSS of the Python process: {peak_rss_mb():,.0f} MB")
        if incremental:
            await graph.write_text(
                "bench_mark_dirty",
                "MATCH (p:Profile) WHERE p.retired IS NULL WITH p LIMIT $n "
                "SET p.enrich_dirty = true",
                {"n": incremental},
            )
            t0 = time.perf_counter()
            rep = await enricher.run()
            show(f"incremental ({incremental:,} dirty)", rep, time.perf_counter() - t0)
            print(f"peak RSS of the Python process: {peak_rss_mb():,.0f} MB")
    finally:
        if provider is not None:
            await provider.aclose()
        await graph.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--no-fit", action="store_true", help="Use the stored CLV model.")
    p.add_argument("--postcodes", type=Path, default=None, help="reference/postcodes.csv")
    p.add_argument("--incremental", type=int, default=0, help="Then time N dirty profiles.")
    a = p.parse_args()
    asyncio.run(run(not a.no_fit, a.postcodes, a.incremental))


if __name__ == "__main__":
    main()
