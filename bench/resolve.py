"""Benchmark: identity resolution.

1. Full resolution of the whole graph (`resolve --full`): time and peak memory, then again
   with nothing changed.
2. Incremental batches: `--batches` x 1,000 ESP profiles held back from the initial load
   are ingested and resolved incrementally into the existing graph, one after the other
   (the first after a server start also pays the planning of the incremental queries).

Matching is part of both: the Splink model is trained on the loaded records first (timed
on its own: training is `cdp train`, not part of a resolution), then the full resolution
scores every record and the incremental one scores the new records against all others.
`--no-matching` times the deterministic resolution alone. Each stage prints its phases and
where their time went, per step: the graph reads and writes by query name, matching's
Splink steps and the in-process work (steps run concurrently overlap; see `bench.timing`).

By default only the customer sections of the mappings are loaded: resolution reads records
and identifiers, not orders or events. Web events and POS transactions are still read (they
build records); only their order and event writes are skipped. `--with-activity` loads
everything, as the pipeline does.

Figures (2 cores, 24 GB shared with another developer's tests, fresh Neo4j with 6g heap and
6g page cache, 2026-12-02), 200,000 customers, customer sections only (2.22M rows, 626,297
records -> 346,095 profiles, largest 39): loaded in 773 s (load 2.9-3.7); model trained in
99.8 s (reading the records from the graph 61.6 s); full resolution 469.4 s (matching 121.8,
read 112.2, components 30.1, survivorship 55.4, write 148.5; load 2.7-3.0); again with no
changes 291.2 s (load 3.4); 1,000 new records ingested in 2.37 s and resolved in 12.42 s,
the next 1,000 in 0.94 s and 6.92 s (matching 3.43, read 2.77; load 3.0-3.3); peak RSS of
this process 3,178 MB, of Neo4j 8,863 MB (ps). At 20,000 customers (61,514 records, load 4-5): full
resolution 92.0 s, incremental 21.2 s on a fresh server. Earlier (2026-11-28, load 1.5-2.5,
everything loaded), 100,000 customers: full resolution 90.2 s, incremental 2.81 s.
Then, on the same 200k graph with `--reuse`, after the paged reads of records to score and
of matches and the household and duplicate-account rules (load 3-4): trained in 70.5 s;
full resolution 257.0 s, moving 4,596 records (matching 97.7, read 62.2, components 26.7,
survivorship 30.7, write 39.5); again with no changes 251.2 s (matching 92.1, read 69.6,
components 33.8, survivorship 41.4, write 14.2); peak RSS 2,594 MB.

1,000,000 customers (2 cores, 23 GB, no other load; 2026-12-03), the graph built offline by
`bench.resolve_graph` (3,141,754 records, 4,749,544 identifiers, 6,617,330 links; CSVs in
834 s with a 9.6 GB peak, neo4j-admin import about 2 min), `--imported`, Neo4j with 4g heap
and 4g page cache: model trained in 121.5 s (reading the records 47.5, to_frame 43.1);
full resolution 1,084.3 s -> 1,721,660 profiles, largest 53 records (read 213.4, matching
187.4, components 80.2, survivorship 141.1, write 458.4; matching scored 1,832,113 records
and wrote 980,530 MATCHES links; splink predict 61.3, writing the links 76.9, resolve_components
40.7, assign_profile_ids 22.1; the write is 1.7M new profiles: profiles 135, membership
132, clearing dirty 89, change events 81); again with no changes 540.8 s (read 215.1,
matching 144.0, components 89.3, survivorship 84.8, write 7.0; splink predict 87.5, scoring
73.3, resolve_components 45.8); 1,000 new records ingested in 12.8 s and resolved in
15.77 s (matching 4.45, read 8.67), the next 1,000 in 1.45 s and 9.14 s (matching 3.17,
read 4.48: identifier_stats 1.44, household_names 1.33; write 1.29); peak RSS of this
process 11,187 MB (sampled: 10.4 GB during the full resolution), of Neo4j 8.8 GB. Matching
plus components: 267.6 s on the first full resolution, 233.3 s when nothing changed, against
a 120 s aim; an incremental batch 9.1 s warm against a 3 s aim. After that run the generic
reads skip the records of identifiers generic by count (store default emails carry 50,000
records here); re-resolving the same batches on that graph in a new process (records marked
dirty, nothing new to create) took 7.38 s cold, then 3.96 s and 3.34 s (matching 2.4: Splink
scoring 1.0 and index.add 0.7; read 0.8-1.2). Before the memory work of 2026-12-02 the full
resolution ran out of memory at 14 GB.

What each resolution wrote is printed as the server counted it (`written:`, per query).
Issue 16 item 3 (2026-12-05, 2 cores shared with other work, Neo4j 2g heap and 2g page
cache), 100,000 customers (315,697 records -> 174,969 profiles, 92,088 links), the loaded
graph copied once (`--load-only`) and each run resolving its own copy (`--reuse`): before
(main e77243b) full resolution 276.4 s from scratch (load 9.0 -> 4.5), 86.6 s with nothing
changed (load 2.2), writing its journal node and every refused link again; after, 488.3 s
from scratch (load 4.9-6.4; every phase, Splink's included, ~1.8x slower: the load) and
151.7 s with nothing changed (load 5-6), writing nothing. Alternating no-change runs on one
graph, before / after: 303.4 / 301.6 s (load 5-10), 199.8 / 107.2 s (load 10 -> 4), 109.5 /
175.1 s (load 3 -> 6): the load swamps any difference. The write phase of an unchanged
run was 0.2-2.5 s before and is 0.1-0.3 s now: its time is the graph reads and rescoring.

`--beside-splink` runs a standalone Splink baseline on the same records after the first full
resolution (`bench.splink_baseline`, in its own process) and prints the ratio of training +
full resolution to it.

It generates (once) and loads the data set itself, holding the batches back. Uses the Neo4j
named by the settings, which it empties first.

    python -m bench.resolve --customers 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import matching.component_rules as component_rules
import matching.linking as linking
import matching.probabilistic as probabilistic
import matching.resolve as resolve_module
from bench.timing import StepTimer, format_steps
from core.settings import Settings
from generator import GENERATED_SOURCES, generate
from graph import health, matching_repo, resolve_repo
from graph.client import GraphClient
from graph.schema import migrate, wipe
from ingest.mapping import SourceMapping, builtin_mapping
from ingest.pipeline import Ingestor
from matching.linking import ProbabilisticLinker
from matching.resolve import Resolver, ResolveReport


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def split_esp(data: Path, held_out: int, batches: int) -> tuple[Path, list[Path]]:
    """Copy esp/profiles.csv into an initial part and `batches` held-out parts of
    `held_out` rows each (beside `data`)."""
    lines = (data / "esp" / "profiles.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    kept = len(rows) - held_out * batches
    first = data.parent / f"{data.name}-esp-initial"
    later = [data.parent / f"{data.name}-esp-later-{i + 1}" for i in range(batches)]
    parts = [(first, rows[:kept])] + [
        (folder, rows[kept + i * held_out : kept + (i + 1) * held_out])
        for i, folder in enumerate(later)
    ]
    for folder, part in parts:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / "profiles.csv").write_text(header + "".join(part), encoding="utf-8")
    return first, later


# Sources whose records accumulate (POS, web) load first (the order the graph was built in
# when ingestion still looked records up again to unlink stale identifiers, a plan that
# scanned every record per row on a fresh database; the write now holds the record it
# merged). Kept so that figures stay comparable with earlier runs.
LOAD_ORDER = ("pos", "web", "ecommerce", "esp", "loyalty", "service")


class Progress:
    """Prints every million rows read while a source loads."""

    def __init__(self, source: str, start: float, every: int = 1_000_000) -> None:
        self.source, self.start, self.every, self.rows = source, start, every, 0

    def __call__(self, rows: int) -> None:
        before, self.rows = self.rows, self.rows + rows
        if self.rows // self.every > before // self.every:
            print(
                f"    {self.source}: {self.rows:,} rows read, "
                f"{time.perf_counter() - self.start:.0f} s [{load_avg()}]",
                flush=True,
            )


def load_avg() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def mapping_for(source: str, with_activity: bool) -> SourceMapping:
    """The built-in mapping, by default without its orders and events: resolution reads
    records and identifiers only. Files that build records from activity rows (POS
    transactions, web events) are still read; only the order and event writes go."""
    mapping = builtin_mapping(source)
    if with_activity:
        return mapping
    return mapping.model_copy(update={"orders": [], "events": []})


def instrument(timer: StepTimer) -> None:
    """Time the graph reads and writes, matching's steps and the in-process work."""
    for name in ("matching_records", "write_matches", "delete_matches"):
        timer.wrap(matching_repo, name, f"graph {name}")
    for name in (
        "dirty_records",
        "expand",
        "links",
        "record_facts",
        "identifier_stats",
        "household_names",
        "matches",
        "forced_links",
        "shared_identifiers",
        "refusals",
    ):
        timer.wrap(resolve_repo, name, f"graph {name}")
    timer.wrap_queries(GraphClient)
    timer.wrap(linking, "to_frame", "python to_frame")
    timer.wrap(probabilistic.MatchIndex, "score_all", "splink score_all (full)")
    timer.wrap(resolve_module, "Parts", "python partition (coarse components)")
    timer.wrap(component_rules, "resolve_components", "python resolve_components")
    timer.wrap(resolve_module, "assign_profile_ids", "python assign_profile_ids")


def print_resolution(title: str, rep: ResolveReport, timer: StepTimer, digits: int) -> None:
    scored = (
        f"; matching scored {rep.matching.scored:,} records, {rep.matching.pairs:,} pairs "
        f"accepted ({rep.matching.written:,} links written, {rep.matching.removed:,} removed) "
        f"in {rep.matching.seconds:.{digits}f} s"
        if rep.matching
        else ""
    )
    print(
        f"{title}: {rep.records:,} records -> {rep.components:,} profiles in "
        f"{rep.seconds:.{digits}f} s; largest profile {rep.largest_profile} records; "
        f"moved {rep.moved_records:,}, {rep.created:,} created, {rep.merged:,} merges, "
        f"{rep.split:,} splits{scored} [{load_avg()}]"
    )
    print("  phases: " + ", ".join(f"{k} {v:.{digits}f} s" for k, v in rep.phases.items()))
    print(f"  written: {rep.writes.describe()}")
    print("  steps: " + format_steps(timer.take()))


async def load(
    graph: GraphClient,
    data: Path,
    first: Path,
    held_out: int,
    batches: int,
    with_activity: bool,
) -> None:
    """Empty the graph and load the data set, the held-out ESP batches apart."""
    await wipe(graph)
    await migrate(graph)
    t0 = time.perf_counter()
    rows = 0
    assert sorted(LOAD_ORDER) == sorted(GENERATED_SOURCES)
    for source in LOAD_ORDER:
        t1 = time.perf_counter()
        target = first if source == "esp" else data
        ingestor = Ingestor(
            graph, mapping_for(source, with_activity), progress=Progress(source, t1)
        )
        reports = await ingestor.ingest_path(target)
        rows += sum(r.rows_read for r in reports)
        print(
            f"  {source}: {sum(r.rows_read for r in reports):,} rows in "
            f"{time.perf_counter() - t1:.1f} s"
        )
    counts = await health.counts(graph)
    what = "customers, orders and events" if with_activity else "customer sections only"
    print(
        f"loaded ({what}) in {time.perf_counter() - t0:.1f} s: {rows:,} rows -> "
        f"{counts['records']:,} records, {counts['identifiers']:,} identifiers, "
        f"{counts['orders']:,} orders, {counts['events']:,} events "
        f"(held back {batches} x {held_out:,} ESP profiles) [{load_avg()}]"
    )


async def run(
    customers: int,
    data: Path,
    held_out: int,
    batches: int,
    matching: bool,
    with_activity: bool,
    reuse: bool = False,
    imported: bool = False,
    generate_only: bool = False,
    load_only: bool = False,
    beside_splink: bool = False,
    recompute: bool = True,
) -> None:
    if not (data / "manifest.json").exists():
        t0 = time.perf_counter()
        generate(data, customers=customers, seed=42)
        print(f"generated {data} in {time.perf_counter() - t0:.0f} s [{load_avg()}]")
    first, later = split_esp(data, held_out, batches)
    if generate_only:
        return
    timer = StepTimer()
    graph = GraphClient.from_settings(Settings())
    try:
        await graph.verify()
        if imported:
            counts = await health.counts(graph)
            print(
                f"imported graph (bench.resolve_graph): {counts['records']:,} records, "
                f"{counts['identifiers']:,} identifiers [{load_avg()}]"
            )
        elif not reuse:
            await load(graph, data, first, held_out, batches, with_activity)
        if load_only:
            return
        instrument(timer)
        linker = None
        models = data.parent / f"{data.name}-models"
        if matching:
            shutil.rmtree(models, ignore_errors=True)
            linker = ProbabilisticLinker(graph, models)
            t0 = time.perf_counter()
            with timer.listen():
                model = await linker.train()
            print(
                f"matching model trained in {time.perf_counter() - t0:.1f} s "
                f"({model.version}) [{load_avg()}]"
            )
            print("  steps: " + format_steps(timer.take()))
        trained_s = time.perf_counter() - t0 if matching else 0.0
        resolver = Resolver(graph, linker=linker)
        with timer.listen():
            rep = await resolver.resolve(full=True)
            print_resolution("full resolution", rep, timer, 1)
            print(f"  peak RSS of the Python process so far: {peak_rss_mb():,.0f} MB")
            if beside_splink:
                beside(trained_s, rep)
            rep2 = await resolver.resolve(full=True)
            print(
                f"full resolution again (no changes): {rep2.seconds:.2f} s, stopped at once: "
                f"{rep2.unchanged_since is not None} (nothing changed since the full run of "
                f"{rep2.unchanged_since}), {rep2.records:,} records read, "
                f"{rep2.writes.updates:,} writes [{load_avg()}]"
            )
            timer.take()
            if recompute:
                rep3 = await resolver.resolve(full=True, recompute=True)
                print_resolution("full resolution again, recomputed (no changes)", rep3, timer, 1)
            for n, folder in enumerate([] if reuse else later, start=1):
                t0 = time.perf_counter()
                await Ingestor(graph, mapping_for("esp", with_activity)).ingest_path(folder)
                t_ingest = time.perf_counter() - t0
                print(
                    f"incremental batch {n}: {held_out:,} new records ingested in "
                    f"{t_ingest:.2f} s [{load_avg()}]"
                )
                timer.take()
                inc = await resolver.resolve()
                print_resolution(f"incremental batch {n} resolved", inc, timer, 2)
        print(f"peak RSS of the Python process: {peak_rss_mb():,.0f} MB [{load_avg()}]")
    finally:
        timer.restore()
        await graph.close()


def beside(trained_s: float, rep: ResolveReport) -> None:
    """The standalone Splink baseline on the same graph, in its own process (its memory
    its own), and the ratio of this run's training + full resolution to it."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.splink_baseline", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    splink = json.loads(lines[-1])
    print("  " + lines[-2])
    ours = trained_s + rep.seconds
    phase = rep.phases.get
    print(
        f"  beside it: train + full resolution {ours:.1f} s ({trained_s:.1f} + "
        f"{rep.seconds:.1f}) against Splink's export + train + predict + cluster "
        f"{splink['total_s']:.1f} s: {ours / splink['total_s']:.2f}x (aim 1.5x); "
        f"training {trained_s:.1f} s against export + train "
        f"{splink['export_s'] + splink['train_s']:.1f} s, matching "
        f"{phase('matching', 0.0):.1f} s against predict {splink['predict_s']:.1f} s; "
        f"what Splink does not do: reading the graph ({phase('read', 0.0):.1f} s), "
        f"components and rules ({phase('components', 0.0):.1f} s), survivorship "
        f"({phase('survivorship', 0.0):.1f} s), writing profiles ({phase('write', 0.0):.1f} s)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--held-out", type=int, default=1_000, help="ESP profiles per batch.")
    p.add_argument(
        "--batches",
        type=int,
        default=2,
        help="Incremental batches, one after the other (the first after a server start "
        "also pays the planning of the incremental queries).",
    )
    p.add_argument("--no-matching", action="store_true", help="Deterministic links only.")
    p.add_argument(
        "--reuse",
        action="store_true",
        help="Keep the graph an earlier run loaded: train, then full resolutions only (its "
        "held-out batches are in already).",
    )
    p.add_argument(
        "--imported",
        action="store_true",
        help="The graph was built offline by bench.resolve_graph (everything but the "
        "held-out batches): train, full resolutions, then the incremental batches.",
    )
    p.add_argument(
        "--generate-only", action="store_true", help="Generate and split the data set, then stop."
    )
    p.add_argument(
        "--load-only",
        action="store_true",
        help="Load the data set, then stop (a copy of the loaded database serves several "
        "`--reuse` runs, each resolving from scratch).",
    )
    p.add_argument(
        "--with-activity",
        action="store_true",
        help="Load orders and events too (the whole data set, as the pipeline does).",
    )
    p.add_argument(
        "--beside-splink",
        action="store_true",
        help="After the first full resolution, run a standalone Splink baseline on the same "
        "records (bench.splink_baseline, its own process) and print the ratio.",
    )
    p.add_argument(
        "--no-recompute",
        action="store_true",
        help="Skip the full resolution recomputed with nothing changed (12 min at 1M).",
    )
    a = p.parse_args()
    data = a.data or Path(f"var/bench/data-{a.customers}")
    asyncio.run(
        run(
            a.customers,
            data,
            a.held_out,
            a.batches,
            not a.no_matching,
            a.with_activity,
            a.reuse,
            a.imported,
            a.generate_only,
            a.load_only,
            a.beside_splink,
            not a.no_recompute,
        )
    )


if __name__ == "__main__":
    main()
