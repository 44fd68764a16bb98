"""`cdp resolve` killed at points of its write phase: the next run converges to the graph a
clean run builds (the same records together, as many live profiles, none without records,
the same segment counts), for a full resolution from scratch and an incremental one that
merges and moves records between existing profiles (issue 20, item 3).

Only the run under test goes through the command line (a subprocess killed at a fault
point); set-up, clean runs and re-runs call the resolver in-process (`cdp resolve
--deterministic-only` is exactly `Resolver(graph).resolve()`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph.client import GraphClient
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from matching.resolve import Resolver
from tests import cypher as test_cypher
from tests.faults.harness import Snapshot, cdp, snapshot

FIRST = ("ecommerce", "pos")
LATER = ("loyalty", "esp", "service")
_clean: dict[str, Snapshot] = {}


async def _ingest(graph: GraphClient, data: Path, sources: tuple[str, ...]) -> None:
    for source in sources:
        await Ingestor(graph, builtin_mapping(source)).ingest_path(data)


async def _full_setup(graph: GraphClient, data: Path) -> None:
    await _ingest(graph, data, FIRST + LATER)


async def _incremental_setup(graph: GraphClient, data: Path) -> None:
    await _ingest(graph, data, FIRST)
    await Resolver(graph).resolve(full=True)
    await _ingest(graph, data, LATER)


async def _clean_snapshot(graph: GraphClient, data: Path, kind: str) -> Snapshot:
    """What the clean run of `kind` builds (computed once per module)."""
    if kind not in _clean:
        if kind == "full":
            await _full_setup(graph, data)
        else:
            await _incremental_setup(graph, data)
        await Resolver(graph).resolve(full=kind == "full")
        _clean[kind] = await snapshot(graph)
        assert _clean[kind].without_records == 0
        assert _clean[kind].live == len(_clean[kind].partition) > 100
    return _clean[kind]


def _killed_resolve(fault: str, *extra: str) -> None:
    cdp("resolve", "--deterministic-only", *extra, fault=fault)


def _assert_converged(healed: Snapshot, clean: Snapshot) -> None:
    assert healed.without_records == 0
    assert healed.unsettled == 0 and healed.dirty == 0
    assert healed.live == clean.live
    assert healed.partition == clean.partition
    assert healed.segment == clean.segment


async def _dangling_retired(graph: GraphClient) -> int:
    """Retired ids whose MERGED_INTO chain does not end at a live profile with records."""
    rows = await graph.read_text(
        "faults_dangling_retired",
        "MATCH (o:Profile) WHERE o.retired = true "
        "AND NOT EXISTS { (o)-[:MERGED_INTO*1..]->(l:Profile) "
        "  WHERE l.retired IS NULL AND EXISTS { (:Record)-[:IN_PROFILE]->(l) } } "
        "RETURN count(o) AS n",
    )
    return int(rows[0]["n"])


@pytest.mark.parametrize(
    "fault",
    [
        "resolve.write.profiles:2",  # profiles written, no record moved in: ghosts
        "resolve.write.membership:4",  # some records moved, dirty marks not cleared
    ],
)
async def test_killed_full_run_is_completed_by_the_next_run(
    graph: GraphClient, dataset: Path, fault: str
) -> None:
    clean = await _clean_snapshot(graph, dataset, "full")
    await test_cypher.wipe(graph)
    await _full_setup(graph, dataset)
    _killed_resolve(fault, "--full")
    broken = await snapshot(graph)
    assert broken.partition != clean.partition
    if fault.startswith("resolve.write.profiles"):
        assert broken.without_records > 0  # the ghosts of issue 20, item 3
        assert broken.segment < broken.live  # and segments do not count them
    # The next run, incremental as `cdp run` starts it, completes the full one.
    report = await Resolver(graph).resolve()
    assert report.mode == "full" and len(report.completed_runs) == 1
    _assert_converged(await snapshot(graph), clean)


@pytest.mark.parametrize(
    "fault",
    [
        "resolve.write.prepared:1",  # dirty marks and planned retirements only
        "resolve.write.membership:2",  # profiles emptied before they are retired
        "resolve.write.retire:1",  # some ids retired, the others not
    ],
)
async def test_killed_incremental_run_is_completed_by_the_next_run(
    graph: GraphClient, dataset: Path, fault: str
) -> None:
    clean = await _clean_snapshot(graph, dataset, "incremental")
    await test_cypher.wipe(graph)
    await _incremental_setup(graph, dataset)
    _killed_resolve(fault)
    report = await Resolver(graph).resolve()
    assert report.mode == "incremental" and len(report.completed_runs) == 1
    _assert_converged(await snapshot(graph), clean)
    assert await _dangling_retired(graph) == 0
    # A later full run changes nothing of it.
    await Resolver(graph).resolve(full=True)
    _assert_converged(await snapshot(graph), clean)


async def test_full_run_sweeps_ghosts_older_than_the_journal(
    graph: GraphClient, dataset: Path
) -> None:
    """Ghosts a crash left before runs kept a journal are deleted by the next full run."""
    clean = await _clean_snapshot(graph, dataset, "full")
    await test_cypher.wipe(graph)
    await _full_setup(graph, dataset)
    await Resolver(graph).resolve(full=True)
    await graph.write_text(
        "faults_make_ghosts",
        "UNWIND range(1, 25) AS i CREATE (:Profile {pid: 'ghost-' + i, email: 'x@example.com'})",
    )
    assert (await snapshot(graph)).without_records == 25
    # Made behind the resolver's back (no journal, nothing dirty): a full run that finds
    # nothing changed since the last one does not look; a recomputing one sweeps them.
    await Resolver(graph).resolve(full=True, recompute=True)
    _assert_converged(await snapshot(graph), clean)


async def test_write_phase_stopped_by_an_error_is_completed_by_the_same_process(
    graph: GraphClient, dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An API server's resolution that fails mid-write (the database went away) leaves a
    journal entry its live process owns; the next run does not wait for it."""
    clean = await _clean_snapshot(graph, dataset, "incremental")
    await test_cypher.wipe(graph)
    await _incremental_setup(graph, dataset)
    monkeypatch.setenv("CDP_FAULT_CHUNK", "40")
    from core import faults

    faults.chunk_size.cache_clear()
    # Every query passes through `_records`, the batches a write phase sends at once too.
    records = graph._records
    calls = 0

    async def failing(name: str, query: str, params: Any, routing: Any) -> list[Any]:
        nonlocal calls
        if name == "resolve_write_membership":
            calls += 1
            if calls == 2:
                raise ConnectionError("the database went away")
        return await records(name, query, params, routing)

    monkeypatch.setattr(graph, "_records", failing)
    with pytest.raises(ConnectionError):
        await Resolver(graph).resolve()
    assert calls >= 2
    monkeypatch.setattr(graph, "_records", records)
    faults.chunk_size.cache_clear()
    report = await Resolver(graph).resolve()
    assert len(report.completed_runs) == 1
    _assert_converged(await snapshot(graph), clean)
