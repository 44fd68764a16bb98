"""Benchmark: the memory of `cdp ingest` on a large file, early in the file and at its end.

Writes a CSV file and a JSON document (its rows under `customers`) of `--rows` generated
customers to `var/bench/ingest-memory/` (once, then reused), with a key repeated every
100,000 rows far from its first row. Ingests each with `Ingestor.ingest_file`, what
`cdp ingest` runs, into the Neo4j named by the settings (NEO4J_URI, ...; wiped first), and
prints the peak RSS of this process once `--early` rows are read and at the end of the file,
with rows/s and the duplicates quarantined. Memory is bounded when the two peaks are alike:
the normalisers' caches fill over the first ~130,000 distinct values, and nothing after that
grows with the file. `--convert-only` runs the Python side alone (read, check, convert and
build each chunk's query parameters, as the pipeline's reading thread does), no Neo4j.

    python -m bench.ingest_memory --rows 1000000 --early 250000
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import resource
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.settings import Settings
from graph.client import GraphClient
from graph.schema import migrate, wipe
from ingest.mapping import parse_mapping
from ingest.pipeline import BatchReport, Ingestor
from ingest.readers import detect_format, read_rows

MAPPING = """
source: bulk
json_records_path: customers
customers:
  file: {file}
  key: id
  identifiers:
    - {{field: email, type: email}}
    - {{field: phone, type: phone}}
  attributes:
    given_name: {{field: first, kind: name}}
    family_name: {{field: last, kind: name}}
    dob: {{field: born, kind: date}}
    postcode: {{field: postcode, kind: postcode}}
"""
FIELDS = ["id", "first", "last", "email", "phone", "born", "postcode"]
GIVEN = ["Olivia", "Jack", "Amelia", "Noah", "Isla", "Leo", "Mia", "Henry", "Grace", "Oscar"]
FAMILY = ["Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Martin", "Lee"]
REPEAT_EVERY = 100_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def customers(n: int, seed: int = 16) -> Iterator[dict[str, Any]]:
    """`n` customers; every REPEAT_EVERY-th row repeats the key of a row far before it."""
    rnd = random.Random(seed)
    for i in range(1, n + 1):
        key = i - REPEAT_EVERY // 2 if i % REPEAT_EVERY == 0 else i
        first, last = rnd.choice(GIVEN), rnd.choice(FAMILY)
        born = f"{rnd.randrange(1940, 2005)}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}"
        yield {
            "id": f"B{key:09d}",
            "first": first,
            "last": last,
            "email": f"{first}.{last}.{i}@example.com".lower(),
            "phone": f"04{rnd.randrange(10**8):08d}",
            "born": born,
            "postcode": f"{rnd.randrange(2000, 7000)}",
        }


def write_files(folder: Path, n: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = folder / f"customers-{n}.csv", folder / f"customers-{n}.json"
    if not csv_path.exists():
        with open(csv_path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, FIELDS)
            w.writeheader()
            w.writerows(customers(n))
    if not json_path.exists():
        with open(json_path, "w", encoding="utf-8") as fh:
            fh.write('{"exported": "2026-12-05", "customers": [\n')
            for i, row in enumerate(customers(n)):
                fh.write((",\n" if i else "") + json.dumps(row))
            fh.write("\n]}\n")
    return csv_path, json_path


async def ingest(graph: GraphClient | None, path: Path, size_mb: float, early: int) -> None:
    if graph is not None:
        await wipe(graph)
        await migrate(graph)
    read = 0
    early_peak: float | None = None

    def progress(n: int) -> None:
        nonlocal read, early_peak
        read += n
        if early_peak is None and read >= early:
            early_peak = peak_rss_mb()

    mapping = parse_mapping(MAPPING.format(file=path.name), "bench")
    ingestor = Ingestor(graph, mapping, progress=progress)  # type: ignore[arg-type]
    rss0, t0 = peak_rss_mb(), time.perf_counter()
    if graph is not None:
        rep = await ingestor.ingest_file(path.name, path)
    else:
        rep = await asyncio.to_thread(convert_only, ingestor, path)
    dt = time.perf_counter() - t0
    print(
        f"{path.name} ({size_mb:,.0f} MB): {rep.rows_read:,} rows in {dt:.0f} s "
        f"({rep.rows_read / dt:,.0f} rows/s), {rep.rows_quarantined} quarantined "
        f"{dict(rep.quarantine_reasons)}; peak RSS before {rss0:,.0f} MB, "
        f"after {early:,} rows {early_peak or 0:,.0f} MB, at the end {peak_rss_mb():,.0f} MB"
    )


def convert_only(ingestor: Ingestor, path: Path) -> BatchReport:
    """What the pipeline's reading thread does with the file, the writes left out."""
    m = ingestor.m
    items = read_rows(path, detect_format(path, None), records_path=m.json_records_path)
    rep = BatchReport("bench", m.source, str(path))
    for chunk in ingestor._chunks(rep, items, path.name, str(path), unique_keys=True):
        chunk.prepare(accumulate=False)
    return rep


async def run(rows: int, early: int, folder: Path, formats: list[str], graph_too: bool) -> None:
    t0 = time.perf_counter()
    csv_path, json_path = write_files(folder, rows)
    print(f"files ready in {time.perf_counter() - t0:.0f} s: {csv_path}, {json_path}")
    graph = GraphClient.from_settings(Settings()) if graph_too else None
    try:
        if graph is not None:
            await graph.verify()
        for path in (csv_path, json_path):
            if path.suffix.lstrip(".") in formats:
                await ingest(graph, path, path.stat().st_size / 1e6, early)
    finally:
        if graph is not None:
            await graph.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--early", type=int, default=250_000, help="Rows read at the first peak.")
    p.add_argument("--out", type=Path, default=Path("var/bench/ingest-memory"))
    p.add_argument("--formats", default="csv,json", help="Which files to ingest (csv,json).")
    p.add_argument("--convert-only", action="store_true", help="Python's side alone, no Neo4j.")
    a = p.parse_args()
    asyncio.run(run(a.rows, a.early, a.out, a.formats.split(","), not a.convert_only))


if __name__ == "__main__":
    main()
