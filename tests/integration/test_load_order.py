"""Incremental equals full (issue 15, item 4): the same data set loaded in two halves, the
second resolved incrementally, ends in the same partition as a load of everything resolved
from scratch, pair by pair. Both use one trained model, with the term frequencies frozen
with it (`matching.term_frequencies`): counted over the records loaded so far, a till
card's name and postcode scored when half the data was in (p 0.95) was not scored again
when the rest arrived, and a full run, counting every record, linked it."""

from __future__ import annotations

import itertools
import shutil
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.febrl import febrl_file, febrl_mapping
from generator import generate
from graph import resolve_repo
from graph.client import GraphClient
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from matching.linking import INDEX_FILE, ProbabilisticLinker
from matching.resolve import Resolver
from tests import cypher as test_cypher

Load = Callable[[GraphClient, int], Awaitable[None]]
"""Loads half 0 or half 1 of a data set."""


async def _together(graph: GraphClient) -> set[tuple[str, str]]:
    """Pairs of records in one profile."""
    members: dict[str, list[str]] = defaultdict(list)
    for _, _, rid, pid in await resolve_repo.clusters(graph):
        if pid:
            members[pid].append(rid)
    return {pair for rids in members.values() for pair in itertools.combinations(sorted(rids), 2)}


async def _both_ways(graph: GraphClient, tmp: Path, load: Load) -> None:
    await load(graph, 0)
    await load(graph, 1)
    full_models = tmp / "full-models"
    linker = ProbabilisticLinker(graph, full_models)
    await linker.train()
    await Resolver(graph, linker=linker).resolve(full=True)
    full = await _together(graph)

    await test_cypher.wipe(graph)
    halves_models = tmp / "halves-models"
    shutil.copytree(full_models, halves_models, ignore=shutil.ignore_patterns(INDEX_FILE + "*"))
    linker = ProbabilisticLinker(graph, halves_models)
    await load(graph, 0)
    await Resolver(graph, linker=linker).resolve(full=True)
    await load(graph, 1)
    await Resolver(graph, linker=linker).resolve()
    halves = await _together(graph)

    assert full, "the data set has duplicates"
    assert sorted(full - halves) == [] and sorted(halves - full) == []


async def test_generated_retailer_in_two_halves(graph: GraphClient, tmp_path: Path) -> None:
    data = tmp_path / "data"
    generate(data, customers=300, seed=11)
    halves = (("ecommerce", "pos", "web"), ("esp", "loyalty", "service"))

    async def load(g: GraphClient, half: int) -> None:
        for source in halves[half]:
            await Ingestor(g, builtin_mapping(source)).ingest_path(data)

    await _both_ways(graph, tmp_path, load)


async def test_febrl_in_two_halves(graph: GraphClient, tmp_path: Path) -> None:
    lines = febrl_file("dataset1").read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    parts = []
    for i, part in enumerate((rows[0::2], rows[1::2])):
        path = tmp_path / f"half{i}" / "febrl.csv"
        path.parent.mkdir()
        path.write_text(header + "".join(part), encoding="utf-8")
        parts.append(path)

    async def load(g: GraphClient, half: int) -> None:
        await Ingestor(g, febrl_mapping()).ingest_path(parts[half])

    await _both_ways(graph, tmp_path, load)
