"""`generate`: stream a whole synthetic retailer to disk, one chunk of people at a time.

Two random streams drive everything, both consumed strictly in person order: one draws
the people, the other their activity and records. Output therefore depends on the seed
and the arguments only, never on the chunk size, and the same seed gives byte-identical
files. Only one chunk of people is in memory at a time; every row is written as soon
as it is made.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from generator import reference
from generator.behaviour import simulate
from generator.clock import Window
from generator.errors import InvalidCount, InvalidWindow
from generator.ids import Ids, SeenSet
from generator.people import Person, Population, chunked
from generator.presence import decide
from generator.sinks import Sinks
from generator.sources.base import Context, Source, Trail
from generator.sources.ecommerce import Ecommerce
from generator.sources.esp import Esp
from generator.sources.loyalty import Loyalty
from generator.sources.pos import Pos
from generator.sources.service import Service
from generator.sources.web import Web
from generator.truth import Truth

VERSION = "1.0.0"
# The generator's name in the manifest: its module path when the format was fixed. It names
# the data format, not where the code lives, so moving the package leaves data sets unchanged.
GENERATOR_NAME = "ingest.generator"
CHUNK_SIZE = 10_000
JUNK_RATE = 0.002
"""Per person and source: chance a test/junk record follows the person's records."""
KEYLESS_RATE = 0.0005
"""Per person and source: chance of a row with an empty key (for quarantine)."""
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class GenerationSummary:
    out_dir: Path
    seed: int
    customers: int
    rows: dict[str, int]
    """Data rows (header excluded) per file, by path relative to `out_dir`."""
    junk_records: int
    keyless_rows: int
    manifest: Path
    paths: dict[str, Path] = field(default_factory=dict)
    """Absolute path per file, same keys as `rows`."""


@dataclass(slots=True)
class _Tally:
    junk: int = 0
    keyless: int = 0


def _emit(ctx: Context, sources: list[Source], person: Person, tally: _Tally) -> None:
    rng = ctx.rng
    activity = simulate(rng, person, ctx.window)
    presence = decide(rng, activity)
    trail = Trail()
    ctx.truth.person(person.person_id, person.labels)
    for source in sources:
        source.person(person, activity, presence, trail)
    u = rng.random()
    if u < JUNK_RATE * len(sources):
        sources[int(u / JUNK_RATE)].junk()
        tally.junk += 1
    u = rng.random()
    if u < KEYLESS_RATE * len(sources):
        sources[int(u / KEYLESS_RATE)].keyless(person, activity)
        tally.keyless += 1


def generate(
    out_dir: Path,
    customers: int = 10_000,
    seed: int = 42,
    start: date = date(2023, 1, 1),
    end: date = date(2026, 11, 1),
    progress: Callable[[int], None] | None = None,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> GenerationSummary:
    """Write a synthetic omnichannel retailer's source exports to `out_dir`.

    Args:
        out_dir: Directory to write into (created; existing files are overwritten).
        customers: Number of true people.
        seed: Same seed, same bytes.
        start: First day of the period the data covers.
        end: Day after the last one.
        progress: Called with the number of people done after each chunk.
        chunk_size: People per chunk; bounds memory, does not change the output.

    Returns:
        Row counts and paths of every file written.

    Raises:
        GeneratorError: `customers` or `chunk_size` below 1, or `start` not before `end`.
    """
    if customers < 1:
        raise InvalidCount("customers", customers)
    if chunk_size < 1:
        raise InvalidCount("chunk_size", chunk_size)
    if start >= end:
        raise InvalidWindow(start, end)
    out_dir = Path(out_dir)
    window = Window(start, end)
    tally = _Tally()
    with Sinks(out_dir) as sinks:
        ctx = Context(
            rng=random.Random(f"{seed}:activity"),
            window=window,
            ids=Ids(random.Random(f"{seed}:ids")),
            sinks=sinks,
            truth=Truth(sinks),
        )
        sources: list[Source] = [
            Loyalty(ctx),
            Ecommerce(ctx),
            Pos(ctx),
            Esp(ctx),
            Service(ctx),
            Web(ctx),
        ]
        population = Population(
            random.Random(f"{seed}:people"), window, customers, SeenSet(customers * 2)
        )
        done = 0
        for chunk in chunked(iter(population), chunk_size):
            for person in chunk:
                _emit(ctx, sources, person, tally)
            done += len(chunk)
            if progress is not None:
                progress(done)
        reference.write(sinks)
        rows = sinks.counts()

    manifest = out_dir / MANIFEST
    manifest.write_text(
        json.dumps(
            {
                "generator": GENERATOR_NAME,
                "version": VERSION,
                "seed": seed,
                "customers": customers,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "files": rows,
                "junk_records": tally.junk,
                "keyless_rows": tally.keyless,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return GenerationSummary(
        out_dir=out_dir,
        seed=seed,
        customers=customers,
        rows=rows,
        junk_records=tally.junk,
        keyless_rows=tally.keyless,
        manifest=manifest,
        paths={rel: out_dir / rel for rel in rows},
    )
