"""The Spark engine (pyspark in local mode) against the local engine: the same partition,
the same links dropped and the same joins refused, on random inputs and on the generator's
data resolved through the real graph."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from pyspark.sql import SparkSession

from graph import resolve_repo
from graph.client import GraphClient
from matching.component_rules import ComponentRules, ResolutionInput
from matching.components import INCONSISTENT, Resolution
from matching.config import default_config
from matching.engine import LocalEngine, ResolveEngine
from matching.protection import Protection
from matching.resolve import Resolver
from matching.spark_engine import SparkEngine, spark_session
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


class Recording:
    """An engine that keeps what the engine it wraps resolved."""

    def __init__(self, engine: ResolveEngine) -> None:
        self.engine = engine
        self.name = engine.name
        self.last: Resolution | None = None

    def resolve(self, rules: ComponentRules, data: ResolutionInput) -> Resolution:
        self.last = self.engine.resolve(rules, data)
        return self.last


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


async def test_spark_gives_the_local_partition_on_generated_data(
    graph: GraphClient, tmp_path: Path, spark: SparkSession
) -> None:
    linker = await generated_and_trained(graph, tmp_path)

    local = Recording(LocalEngine())
    first = await Resolver(graph, linker=linker, engine=local).resolve(full=True)
    assert first.matching is not None and first.matching.pairs > 0
    before = {rid: pid for _, _, rid, pid in await resolve_repo.clusters(graph)}
    assert len(set(before.values())) < len(before)

    spark_engine = Recording(SparkEngine(spark, bucket_records=200))
    again = await Resolver(graph, linker=linker, engine=spark_engine).resolve(
        full=True, recompute=True
    )
    assert local.last is not None and spark_engine.last is not None
    assert_same_resolution(local.last, spark_engine.last)
    # The same partition, so stable ids keep every record where it was.
    assert again.moved_records == 0 and again.created == again.merged == again.split == 0
    after = {rid: pid for _, _, rid, pid in await resolve_repo.clusters(graph)}
    assert after == before
    # The data has what makes resolution hard: joins refused and links dropped.
    assert local.last.violations or any(
        s.reason.startswith("limit") for s in local.last.skipped_links
    )
    assert {s.reason for s in local.last.skipped_links} & {"blocked", "generic", "shared"}
