"""Benchmark: identity resolution.

1. Full resolution of the whole graph (`resolve --full`): time and peak memory.
2. An incremental batch: 1,000 ESP profiles held back from the initial load are ingested,
   then resolved incrementally into the existing graph.

Matching is part of both: the Splink model is trained on the loaded records first (timed
on its own: training is `cdp train`, not part of a resolution), then the full resolution
scores every record and the incremental one scores the new records against all others.
`--no-matching` times the deterministic resolution alone.

Figures (2 cores, 24 GB, load 1.5-2.5, 2026-11-28), 100,000 customers (1.69M rows,
311,814 records -> 174,008 profiles): loaded through the pipeline in 246 s; model trained
in 22.6 s; full resolution 90.2 s (matching 23.0, read 17.4, components 5.0, survivorship
10.6, write 34.0); again with no changes 53.3 s; 1,000 new records ingested in 0.55 s and
resolved incrementally in 2.81 s (matching 1.13, read 1.37); peak RSS 1.9 GB.

It generates (once) and loads the data set itself, holding the batch back. Uses the Neo4j
named by the settings, which it empties first.

    python -m bench.resolve --customers 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import time
from pathlib import Path

from graph.client import GraphClient
from graph.schema import migrate
from graph.settings import Settings
from ingest.generator import GENERATED_SOURCES, generate
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from matching.linking import ProbabilisticLinker
from matching.resolve import Resolver


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def split_esp(data: Path, held_out: int) -> tuple[Path, Path]:
    """Copy esp/profiles.csv into an initial part and a held-out part of `held_out` rows."""
    lines = (data / "esp" / "profiles.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    first, later = data.parent / f"{data.name}-esp-initial", data.parent / f"{data.name}-esp-later"
    for folder, part in ((first, rows[:-held_out]), (later, rows[-held_out:])):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / "profiles.csv").write_text(header + "".join(part), encoding="utf-8")
    return first, later


async def run(customers: int, data: Path, held_out: int, matching: bool) -> None:
    if not (data / "manifest.json").exists():
        generate(data, customers=customers, seed=42)
    first, later = split_esp(data, held_out)
    graph = GraphClient.from_settings(Settings())
    try:
        await graph.verify()
        await graph.write_batched("test_wipe_graph")
        await migrate(graph)
        t0 = time.perf_counter()
        for source in GENERATED_SOURCES:
            target = first if source == "esp" else data
            await Ingestor(graph, builtin_mapping(source)).ingest_path(target)
        print(f"loaded in {time.perf_counter() - t0:.1f} s (held back {held_out} ESP profiles)")
        linker = None
        if matching:
            models = data.parent / f"{data.name}-models"
            shutil.rmtree(models, ignore_errors=True)
            linker = ProbabilisticLinker(graph, models)
            t0 = time.perf_counter()
            model = await linker.train()
            print(f"matching model trained in {time.perf_counter() - t0:.1f} s ({model.version})")
        resolver = Resolver(graph, linker=linker)
        rep = await resolver.resolve(full=True)
        scored = (
            f"; matching scored {rep.matching.scored:,} records, {rep.matching.pairs:,} pairs "
            f"accepted in {rep.matching.seconds:.1f} s"
            if rep.matching
            else ""
        )
        print(
            f"full resolution: {rep.records:,} records -> {rep.components:,} profiles in "
            f"{rep.seconds:.1f} s; largest profile {rep.largest_profile} records{scored}"
        )
        print("  phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in rep.phases.items()))
        rep2 = await resolver.resolve(full=True)
        print(
            f"full resolution again (no changes): {rep2.seconds:.1f} s, moved {rep2.moved_records}"
        )
        print("  phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in rep2.phases.items()))
        t0 = time.perf_counter()
        await Ingestor(graph, builtin_mapping("esp")).ingest_path(later)
        t_ingest = time.perf_counter() - t0
        inc = await resolver.resolve()
        print(
            f"incremental batch: {held_out:,} new records ingested in {t_ingest:.2f} s, resolved "
            f"in {inc.seconds:.2f} s (closure {inc.records:,} records, {inc.merged} merges, "
            f"{inc.created} new profiles"
            + (f"; matching {inc.matching.seconds:.2f} s" if inc.matching else "")
            + ")"
        )
        print("  phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in inc.phases.items()))
        print(f"peak RSS of the Python process: {peak_rss_mb():,.0f} MB")
    finally:
        await graph.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--held-out", type=int, default=1_000)
    p.add_argument("--no-matching", action="store_true", help="Deterministic links only.")
    a = p.parse_args()
    data = a.data or Path(f"var/bench/data-{a.customers}")
    asyncio.run(run(a.customers, data, a.held_out, not a.no_matching))


if __name__ == "__main__":
    main()
