"""The Spark engine (pyspark in local mode) against the local engine: the same partition,
the same links dropped and the same joins refused, on random inputs and on the generator's
data resolved through the real graph in closed parts, several Spark jobs of them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Literal, TypeVar

import pytest
from pyspark.sql import SparkSession

from graph import resolve_repo
from graph.client import GraphClient
from matching import spark_engine as spark_engine_module
from matching.component_rules import ComponentRules, ResolutionInput
from matching.components import INCONSISTENT, Resolution, combine
from matching.config import default_config
from matching.engine import LocalEngine, ResolveEngine
from matching.linking import ProbabilisticLinker
from matching.protection import Protection
from matching.resolve import Resolver
from matching.spark_engine import SparkEngine, SparkJobFailed, spark_session
from tests.factories.cli import cdp
from tests.factories.records import generated_and_trained
from tests.factories.resolution_inputs import THRESHOLD, assert_same_resolution, random_input


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = spark_session(
        "local[2]",
        shuffle_partitions=4,
        conf={"spark.ui.enabled": "false", "spark.sql.adaptive.enabled": "false"},
    )
    yield session
    session.stop()


T = TypeVar("T")


class Recording:
    """An engine that keeps what the engine it wraps resolved, part by part."""

    def __init__(self, engine: ResolveEngine) -> None:
        self.engine = engine
        self.name = engine.name
        self.parts: list[Resolution] = []

    def resolve(self, rules: ComponentRules, data: ResolutionInput) -> Resolution:
        self.parts.append(self.engine.resolve(rules, data))
        return self.parts[-1]

    def resolve_each(
        self, rules: ComponentRules, items: Iterable[tuple[T, ResolutionInput]]
    ) -> Iterator[tuple[T, Resolution]]:
        for tag, resolution in self.engine.resolve_each(rules, items):
            self.parts.append(resolution)
            yield tag, resolution


@pytest.mark.parametrize("coarse", ["driver", "spark"])
def test_spark_resolves_random_inputs_as_the_local_engine(
    spark: SparkSession, coarse: Literal["driver", "spark"]
) -> None:
    config = default_config()
    rules = ComponentRules(Protection.from_config(config), config, ("dob",), threshold=THRESHOLD)
    # Small buckets, so that several coarse components meet in one and buckets are many.
    engine = SparkEngine(spark, bucket_records=40, coarse=coarse)
    # Label propagation costs a Spark job per round: a smaller graph keeps it short.
    # (A seed whose smaller input still exercises every rule.)
    data = random_input(0, people=60) if coarse == "driver" else random_input(1, people=30)
    local = rules.resolve(data)
    assert local.violations and any(s.reason == "apart" for s in local.skipped_matches)
    assert any(s.reason == INCONSISTENT for s in local.skipped_matches)
    assert_same_resolution(local, engine.resolve(rules, data))
    if coarse == "spark":
        assert engine.rounds > 1


def test_parts_go_to_spark_a_job_at_a_time_in_order(spark: SparkSession) -> None:
    config = default_config()
    rules = ComponentRules(Protection.from_config(config), config, ("dob",), threshold=THRESHOLD)
    inputs = [random_input(seed, people=15) for seed in range(5)]
    taken: list[int] = []

    def items() -> Iterator[tuple[int, ResolutionInput]]:
        for i, data in enumerate(inputs):
            taken.append(i)
            yield i, data

    engine = SparkEngine(spark, parts_per_job=2)
    out = list(engine.resolve_each(rules, items()))
    assert [tag for tag, _ in out] == list(range(5))
    assert engine.jobs == 3
    for (_, resolution), data in zip(out, inputs, strict=True):
        assert_same_resolution(rules.resolve(data), resolution)

    # Left after the first part: one job ahead was taken, no more, and the session is free.
    taken.clear()
    each = engine.resolve_each(rules, items())
    first = next(each)
    assert first[0] == 0 and taken == [0, 1, 2, 3]
    each.close()
    assert spark.range(3).count() == 3


async def test_spark_gives_the_local_partition_on_generated_data(
    graph: GraphClient, tmp_path: Path, spark: SparkSession
) -> None:
    linker = await generated_and_trained(graph, tmp_path)

    # Parts of about 60 records: several Spark jobs of three parts each.
    local = Recording(LocalEngine())
    first = await Resolver(graph, linker=linker, engine=local, part_records=60).resolve(full=True)
    assert first.matching is not None and first.matching.pairs > 0
    before = {rid: pid for _, _, rid, pid in await resolve_repo.clusters(graph)}
    assert len(set(before.values())) < len(before)

    engine = SparkEngine(spark, parts_per_job=3)
    spark_engine = Recording(engine)
    again = await Resolver(graph, linker=linker, engine=spark_engine, part_records=60).resolve(
        full=True, recompute=True
    )
    assert len(spark_engine.parts) == len(local.parts) > 6
    assert engine.jobs == -(-len(local.parts) // 3)
    whole = combine(local.parts)
    assert_same_resolution(whole, combine(spark_engine.parts))
    # The same partition, so stable ids keep every record where it was, writing nothing.
    assert again.moved_records == 0 and again.created == again.merged == again.split == 0
    assert again.writes.updates == 0
    after = {rid: pid for _, _, rid, pid in await resolve_repo.clusters(graph)}
    assert after == before
    # The data has what makes resolution hard: joins refused and links dropped.
    assert whole.violations or any(s.reason.startswith("limit") for s in whole.skipped_links)
    assert {s.reason for s in whole.skipped_links} & {"blocked", "generic", "shared"}


async def test_a_failed_spark_job_leaves_a_run_the_next_one_completes(
    graph: GraphClient, tmp_path: Path, spark: SparkSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    linker = await generated_and_trained(graph, tmp_path)
    shipped = spark_engine_module._shipped
    calls = 0

    def third_broken(data: ResolutionInput) -> ResolutionInput:
        nonlocal calls
        calls += 1
        out = shipped(data)
        if calls == 3:
            # The third part reaches its executor without its facts: the rules fail there.
            out = replace(out, facts=None)  # type: ignore[arg-type]
        return out

    monkeypatch.setattr(spark_engine_module, "_shipped", third_broken)
    engine = SparkEngine(spark, parts_per_job=1)
    with pytest.raises(SparkJobFailed, match="resolving 1 part"):
        await Resolver(graph, linker=linker, engine=engine, part_records=60).resolve(full=True)
    monkeypatch.undo()
    # The parts before it were written under the run's journal entry, marked failed at once:
    # this process lives on, and the next run must not wait for it to look dead.
    [failed] = await resolve_repo.open_runs(graph)
    assert failed.mode == "full" and failed.failed_at is not None
    placed = [pid for _, _, _, pid in await resolve_repo.clusters(graph)]
    assert any(placed) and not all(placed)

    # The next run, incremental as `cdp run` starts it, completes it in full.
    local = Recording(LocalEngine())
    healed = await Resolver(graph, linker=linker, engine=local, part_records=60).resolve()
    assert healed.mode == "full" and healed.completed_runs == [failed.id]
    assert await resolve_repo.open_runs(graph) == []
    after = await resolve_repo.clusters(graph)
    groups: dict[str, set[str]] = {}
    for _, _, rid, pid in after:
        assert pid is not None
        groups.setdefault(pid, set()).add(rid)
    whole = combine(local.parts)
    assert {frozenset(g) for g in groups.values()} == {frozenset(c) for c in whole.components}
    # Nothing left half done: a recompute moves nothing and writes nothing but its state.
    again = await Resolver(graph, linker=linker, part_records=60).resolve(full=True, recompute=True)
    assert again.moved_records == again.created == again.merged == again.split == 0


async def test_cdp_resolve_runs_on_spark_in_parts(graph: GraphClient, tmp_path: Path) -> None:
    await generated_and_trained(graph, tmp_path, customers=150)
    env = {"DATA_DIR": str(tmp_path), "SPARK_BUCKET_RECORDS": "80"}
    args = ("resolve", "--full", "--engine", "spark", "--spark-master", "local[1]")
    done = await asyncio.to_thread(partial(cdp, *args, env=env, timeout=300))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "profiles (components)" in done.stdout
    placed = {rid: pid for _, _, rid, pid in await resolve_repo.clusters(graph)}
    assert placed and all(placed.values())
    assert len(set(placed.values())) < len(placed)
    # The local engine, recomputing, finds the same profiles.
    linker = ProbabilisticLinker(graph, tmp_path / "models")
    again = await Resolver(graph, linker=linker).resolve(full=True, recompute=True)
    assert again.moved_records == again.created == again.merged == again.split == 0

    bad = await asyncio.to_thread(partial(cdp, "resolve", "--full", "--engine", "dask", env=env))
    assert bad.returncode == 2 and "local, spark" in bad.stderr and "Traceback" not in bad.stderr
