"""The Spark engine: resolution's rules run on Spark executors.

Imported only when `cdp resolve --engine spark` (or `RESOLVE_ENGINE=spark`) chooses it, so
that nothing else pays for importing pyspark.

A full resolution (`resolve_each`) comes as the closed parts of the whole graph that the
resolver reads one after the other (`matching.partition`: coarse components found by scipy
over integer columns, each part's facts read from a scan sorted to disk), so that this
process holds a few parts' records at a time, not the graph. The parts go to Spark a job at
a time, one part per task, each resolved by `ComponentRules.resolve` on an executor; the
next job runs while the resolver writes the parts of the one before. Each part is a closed
input, so its resolution alone is the whole resolution restricted to its records (below,
and `matching.partition`).

An incremental run's scope (`resolve`) goes to Spark whole:

1. The driver (this process) reads the graph as the local engine does and hands Spark the
   records, their identifiers and their links as DataFrames.
2. Spark decides which identifiers can join records at all (`ComponentRules.may_join`, the
   rules' own function, per distinct key on the executors) and counts each key's carriers.
3. Spark computes *coarse* components: connected components of records joined by those
   identifiers, by every match (accepted, strong or rejected) and by forced links,
   by min-label propagation over DataFrames (no extra jar).
4. Coarse components are packed into buckets, and each bucket is resolved on an executor by
   `ComponentRules.resolve`, the very function the local engine calls once for everything
   (`groupBy(bucket).applyInPandas`).
5. The driver combines the buckets' resolutions (`components.combine`); the resolver then
   writes them through its usual path (stable ids read the old memberships).

Why the partition is the local engine's, exactly: `resolve_components` decides everything
inside one *unrestricted* component (records joined by identifiers allowed to link, after
households are split per person, by accepted and strong matches and by forced links),
looking at nothing outside it; the rules only ever cut links of that graph. Every edge of
the unrestricted graph is an edge of the coarse graph: identifiers allowed to link pass
`may_join`; a household's contact is kept whole (it joins a superset of what its
per-person keys join, and `split_households` then sees every carrier of it in one bucket);
matches and forced links are all kept. So each coarse component is a union of unrestricted
components, a closed input in the sense of `matching.components`, and so is a bucket (a
union of closed inputs). Resolving it alone gives the full result restricted to its
records. What a closed part cannot see, how many records carry a key that does not link,
is counted globally and passed as `carried_elsewhere`, so the skipped links it reports are
the same too. `tests/integration/test_spark_engine.py` checks all of it against the local
engine, pair by pair.
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import sys
import time
import uuid
from collections.abc import Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from itertools import islice
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

import numpy as np
import pandas as pd

from matching.component_rules import ComponentRules, ResolutionInput
from matching.components import Resolution, combine
from matching.errors import MatchingError
from matching.partition import component_labels

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkEngine", "SparkEngineError", "SparkJobFailed", "SparkUnavailable"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_RECORD: Final = "r"
_IDENTIFIER: Final = "i"
_MATCH: Final = "m"
_STRONG: Final = "s"
_REJECTED: Final = "x"
_FORCED: Final = "f"
_NAME_POSTCODE: Final = "n"
_LINK_KINDS: Final = (_MATCH, _STRONG, _REJECTED, _FORCED, _NAME_POSTCODE)

_ITEMS_SCHEMA: Final = "kind string, a string, b string, ai long, bi long, p double, facts binary"
_RESULT_SCHEMA: Final = "bucket long, resolution binary"
_FACT_FIELDS: Final = (
    "given_name",
    "family_name",
    "email",
    "phone",
    "dob",
    "address",
    "postcode",
    "extra",
)

MAX_ROUNDS: Final = 200
"""Label propagation halves no distance: it needs as many rounds as the longest shortest
path in a coarse component, with the shortcut below far fewer. A chain this long is a
data problem, and stopping with labels unsettled would give a wrong partition."""


class SparkEngineError(MatchingError):
    """The Spark engine could not resolve."""


class SparkUnavailable(SparkEngineError):
    """pyspark is not installed (`pip install -e '.[spark]'`)."""

    def __init__(self) -> None:
        super().__init__("the Spark engine needs pyspark: pip install -e '.[spark]'")


class SparkJobFailed(SparkEngineError):
    """A Spark job resolving a full run's parts failed (a task's error, a lost executor)."""

    def __init__(self, parts: int, cause: BaseException) -> None:
        lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
        # A Python error on an executor comes as a long trace ending with the error itself.
        detail = ([line for line in lines if "Error" in line] or lines or [""])[-1]
        super().__init__(
            f"a Spark job resolving {parts} part(s) failed ({type(cause).__name__}): "
            f"{detail[:300]}; the parts written before it are completed by the next run"
        )
        self.parts = parts


class LabelsDidNotSettle(SparkEngineError):
    def __init__(self, rounds: int) -> None:
        super().__init__(f"coarse components did not settle in {rounds} rounds")
        self.rounds = rounds


def spark_session(
    master: str,
    *,
    shuffle_partitions: int = 8,
    app_name: str = "cdp-resolve",
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """A Spark session for resolution (the active one when there is one).

    Local masters (`local[*]`, `local[2]`) run Python workers with this interpreter; on a
    cluster, the executors need this project installed in their Python (see the README).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise SparkUnavailable() from e
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master.startswith("local"):
        # Spark starts its Python workers with PYSPARK_PYTHON (else `python3` on the path,
        # which lacks this project's packages): in local mode, this interpreter.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


class SparkEngine:
    """Resolution's rules per coarse component on Spark.

    Args:
        session: The Spark session to run on (`spark_session`); the engine does not stop it.
        bucket_records: About how many records one bucket (one call of the rules on an
            executor) holds; a coarse component is never split, however large.
        coarse: How coarse components are found. "driver": Spark selects the edges that
            can join records, as pairs of integers, and the driver labels their connected
            components with scipy (16 bytes an edge: 40M edges take 640 MB). "spark":
            min-label propagation in Spark DataFrames, for edge lists no driver holds, at
            the cost of a Spark job per round (rounds grow with the longest chain).
        parts_per_job: A full resolution's parts resolved by one Spark job, one per task
            (None: the session's default parallelism, one part per core). This process
            holds about twice as many parts at once: a job's and the one written meanwhile.
    """

    name = "spark"

    def __init__(
        self,
        session: SparkSession,
        *,
        bucket_records: int = 50_000,
        coarse: Literal["driver", "spark"] = "driver",
        parts_per_job: int | None = None,
    ) -> None:
        self.spark = session
        self.bucket_records = max(1, bucket_records)
        self.coarse = coarse
        self.parts_per_job = max(1, parts_per_job) if parts_per_job is not None else None
        self.jobs = 0
        """Spark jobs the last `resolve_each` ran."""
        self.rounds = 0
        """Label-propagation rounds the last resolution took."""
        self.phases: dict[str, float] = {}

    def resolve_each(
        self, rules: ComponentRules, items: Iterable[tuple[T, ResolutionInput]]
    ) -> Generator[tuple[T, Resolution]]:
        """Each closed part's resolution with its tag, in order: `parts_per_job` parts to a
        Spark job, each part a task resolved by `rules.resolve` on an executor. A job is
        running while the caller handles the results of the one before; closing the
        iterator early cancels it."""
        sc = self.spark.sparkContext
        per_job = self.parts_per_job or max(1, sc.defaultParallelism)
        group_id = f"cdp-resolve-{uuid.uuid4().hex[:12]}"
        rules_b = sc.broadcast(rules)
        pool = ThreadPoolExecutor(1, thread_name_prefix="cdp-spark-parts")
        self.jobs = 0
        taken = iter(items)
        pending: tuple[list[T], Future[list[Resolution]]] | None = None
        finished = False
        try:
            while True:
                group = list(islice(taken, per_job))
                job = None
                if group:
                    shipped = [_shipped(data) for _, data in group]
                    job = pool.submit(self._resolve_parts, rules_b, shipped, group_id)
                    self.jobs += 1
                if pending is not None:
                    tags, done = pending
                    yield from zip(tags, done.result(), strict=True)
                if job is None:
                    finished = True
                    return
                pending = ([tag for tag, _ in group], job)
                del group, shipped
        finally:
            if not finished:
                sc.cancelJobGroup(group_id)
            pool.shutdown(wait=True, cancel_futures=True)
            rules_b.destroy()

    def _resolve_parts(
        self, rules_b: Any, parts: list[ResolutionInput], group_id: str
    ) -> list[Resolution]:
        """One Spark job: each part a task of its own, reading its part from a broadcast of
        its own (a part is megabytes: inside the task it would ship with the task itself,
        and an executor fetches only the parts of its own tasks)."""
        sc = self.spark.sparkContext
        sc.setJobGroup(group_id, "cdp resolve: closed parts", interruptOnCancel=True)
        shipped = [sc.broadcast(part) for part in parts]
        try:
            return (
                sc.parallelize(range(len(shipped)), len(shipped))
                .map(lambda i: rules_b.value.resolve(shipped[i].value))
                .collect()
            )
        except Exception as exc:
            raise SparkJobFailed(len(parts), exc) from exc
        finally:
            for b in shipped:
                b.destroy()

    def resolve(self, rules: ComponentRules, data: ResolutionInput) -> Resolution:
        """The components of `data.records` under `rules`, as `rules.resolve(data)` gives."""
        from pyspark.sql import functions as F

        if not data.records:
            return rules.resolve(data)
        t0 = time.perf_counter()
        spark = self.spark
        frame, nodes, record_nodes = _items(data)
        items = spark.createDataFrame(frame, schema=_ITEMS_SCHEMA)
        del frame
        # Arrow slices the frame into `defaultParallelism` partitions already; held by the
        # executors from here on (the count fills the cache).
        items = items.cache()
        items.count()
        self.phases["input"] = time.perf_counter() - t0
        generic = spark.sparkContext.broadcast(dict(data.generic))
        shared = spark.sparkContext.broadcast(frozenset(data.shared))
        rules_b = spark.sparkContext.broadcast(rules)

        pairs = items.where(F.col("kind") == _IDENTIFIER).select("a", "b", "bi")
        carriers = pairs.groupBy("b", "bi").agg(F.count("*").alias("carriers"))

        def joinable(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            found, gen, sh = rules_b.value, generic.value, shared.value
            for frame in frames:
                keys = frame["b"].tolist()
                ok = found.may_join(keys, gen)
                yield frame[[o and k not in sh for k, o in zip(keys, ok, strict=True)]][["bi"]]

        linking = carriers.select("b", "bi").mapInPandas(joinable, schema="bi long")
        # Records and keys are nodes numbered on the driver (`_items`): ints join fastest.
        edges = (
            items.where(F.col("kind") == _IDENTIFIER)
            .join(F.broadcast(linking), "bi")
            .select(F.col("ai").alias("src"), F.col("bi").alias("dst"))
            .unionByName(
                items.where(F.col("kind").isin(*_LINK_KINDS)).select(
                    F.col("ai").alias("src"), F.col("bi").alias("dst")
                )
            )
        )
        if self.coarse == "spark":
            labels = self._coarse_labels(edges)
        else:
            labels = self._coarse_labels_on_driver(edges, nodes, record_nodes)
        self.phases["coarse"] = time.perf_counter() - t0 - self.phases["input"]

        n_records = len(data.records)
        buckets = max(1, math.ceil(n_records / self.bucket_records))
        buckets = max(buckets, min(spark.sparkContext.defaultParallelism, n_records or 1))
        # Every item goes with its first record's coarse component; a link's two records
        # share one, and an identifier pair carries the key's global carrier count.
        tagged = (
            items.join(labels.withColumnRenamed("node", "ai"), "ai", "left")
            .join(
                carriers.select("bi", "carriers").withColumn("kind", F.lit(_IDENTIFIER)),
                ["bi", "kind"],
                "left",
            )
            .select(
                F.pmod(F.xxhash64(F.coalesce(F.col("label"), F.col("ai"))), F.lit(buckets)).alias(
                    "bucket"
                ),
                "kind",
                "a",
                "b",
                F.when(F.col("kind") == _IDENTIFIER, F.col("carriers"))
                .otherwise(F.col("p"))
                .alias("p"),
                "facts",
            )
        )
        extra = tuple(data.extra)

        def resolve_bucket(frame: pd.DataFrame) -> pd.DataFrame:
            part = _part(frame, extra, generic.value, shared.value)
            resolution = rules_b.value.resolve(part)
            return pd.DataFrame(
                {
                    "bucket": [int(frame["bucket"].iloc[0])],
                    "resolution": [pickle.dumps(resolution, protocol=pickle.HIGHEST_PROTOCOL)],
                }
            )

        t1 = time.perf_counter()
        rows = tagged.groupBy("bucket").applyInPandas(resolve_bucket, schema=_RESULT_SCHEMA)
        parts = [pickle.loads(r["resolution"]) for r in rows.collect()]
        self.phases["rules"] = time.perf_counter() - t1
        items.unpersist()
        for b in (generic, shared, rules_b):
            b.destroy()
        resolution = combine(parts)
        log.info(
            "spark engine: %d records in %d buckets, %d label rounds",
            n_records,
            buckets,
            self.rounds,
        )
        return resolution

    def _coarse_labels_on_driver(self, edges: DataFrame, nodes: int, records: int) -> DataFrame:
        """(node, label) of the record nodes (the first `records` of `nodes`): the connected
        components of `edges`, found by scipy on the driver from the edges Spark selected
        (integers through Arrow)."""
        self.rounds = 0
        found: pd.DataFrame = edges.toPandas()
        src = found["src"].to_numpy(dtype=np.int64)
        dst = found["dst"].to_numpy(dtype=np.int64)
        del found
        labels = component_labels(src, dst, nodes)
        del src, dst
        frame = pd.DataFrame(
            {"node": np.arange(records, dtype=np.int64), "label": labels[:records].astype(np.int64)}
        )
        return self.spark.createDataFrame(frame, schema="node long, label long")

    def _coarse_labels(self, edges: DataFrame) -> DataFrame:
        """(node, label): each node of `edges` labelled with a node of its connected
        component, the same for all of them, by min-label propagation with pointer jumping
        (a node's label is a node of its component, so the label's own label will do too).
        One Spark job per round, and a cheap count of the nodes it changed."""
        from pyspark.sql import functions as F

        both = (
            edges.unionByName(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
            .where(F.col("src") != F.col("dst"))
            .distinct()
            .localCheckpoint()
        )
        labels = (
            both.groupBy("src")
            .agg(F.min("dst").alias("least"))
            .select(F.col("src").alias("node"), F.least("src", "least").alias("label"))
            .localCheckpoint()
        )
        self.rounds = 0
        while True:
            self.rounds += 1
            if self.rounds > MAX_ROUNDS:
                raise LabelsDidNotSettle(MAX_ROUNDS)
            seen = (
                both.join(labels.withColumnRenamed("node", "dst"), "dst")
                .groupBy(F.col("src").alias("node"))
                .agg(F.min("label").alias("seen"))
            )
            jumped = labels.join(
                labels.select(F.col("node").alias("label"), F.col("label").alias("jump")),
                "label",
                "left",
            )
            updated = (
                jumped.join(seen, "node", "left")
                .select(
                    "node",
                    F.least(
                        "label", F.coalesce("jump", "label"), F.coalesce("seen", "label")
                    ).alias("new"),
                    "label",
                )
                .select(
                    "node",
                    F.col("new").alias("label"),
                    (F.col("new") != F.col("label")).alias("moved"),
                )
                .localCheckpoint()
            )
            labels = updated.select("node", "label")
            if not updated.where("moved").limit(1).count():
                return labels


def _shipped(data: ResolutionInput) -> ResolutionInput:
    """`data` with only the facts the rules read, as plain dicts (what crosses to Spark)."""
    facts = {
        rid: {name: fact.get(name) for name in _FACT_FIELDS} for rid, fact in data.facts.items()
    }
    return replace(data, facts=facts)


def _items(data: ResolutionInput) -> tuple[pd.DataFrame, int, int]:
    """The input as one frame of (kind, a, b, ai, bi, p, facts) rows: a record with its
    facts pickled, an identifier pair, or a link of one of `_LINK_KINDS`; `ai` and `bi`
    number their nodes (records first, then identifier keys). And how many nodes there
    are, and how many of them are records."""
    facts = data.facts
    records = list(data.records)
    blobs = [
        pickle.dumps(tuple(f.get(n) for n in _FACT_FIELDS))
        if (f := facts.get(r)) is not None
        else None
        for r in records
    ]
    frames = [
        _frame(_RECORD, records, [None] * len(records), facts=blobs),
        _frame(_IDENTIFIER, [r for r, _ in data.pairs], [k for _, k in data.pairs]),
    ]
    probability = data.probability
    for kind, links in (
        (_MATCH, data.accepted),
        (_STRONG, data.strong),
        (_REJECTED, data.rejected),
        (_FORCED, data.forced),
        (_NAME_POSTCODE, data.name_postcode),
    ):
        p = None
        if kind == _MATCH:
            p = [probability.get((a, b), probability.get((b, a))) for a, b in links]
        frames.append(_frame(kind, [a for a, _ in links], [b for _, b in links], p))
    out = pd.concat([f for f in frames if len(f)], ignore_index=True)
    # Nodes numbered: records (and any rid a link names) first, then identifier keys.
    is_pair = (out["kind"] == _IDENTIFIER).to_numpy()
    is_link = out["kind"].isin(_LINK_KINDS).to_numpy()
    rids = pd.Index(pd.unique(pd.concat([out["a"], out["b"][is_link]], ignore_index=True)))
    keys = pd.Index(pd.unique(out["b"][is_pair]))
    out["ai"] = rids.get_indexer(out["a"])
    bi = np.full(len(out), -1, dtype=np.int64)
    bi[is_link] = rids.get_indexer(out["b"][is_link])
    bi[is_pair] = len(rids) + keys.get_indexer(out["b"][is_pair])
    out["bi"] = bi
    columns = ["kind", "a", "b", "ai", "bi", "p", "facts"]
    return out[columns], len(rids) + len(keys), len(rids)


def _frame(
    kind: str,
    a: list[str],
    b: list[str | None],
    p: list[float | None] | None = None,
    facts: list[bytes | None] | None = None,
) -> pd.DataFrame:
    n = len(a)
    return pd.DataFrame(
        {
            "kind": pd.Series([kind] * n, dtype=object),
            "a": pd.Series(a, dtype=object),
            "b": pd.Series(b, dtype=object),
            "p": pd.Series(p if p is not None else [None] * n, dtype="float64"),
            "facts": pd.Series(facts if facts is not None else [None] * n, dtype=object),
        }
    )


def _part(
    frame: pd.DataFrame,
    extra: tuple[str, ...],
    generic: Mapping[str, str],
    shared: frozenset[str],
) -> ResolutionInput:
    """The closed input of one bucket, from its items."""
    by_kind: dict[str, pd.DataFrame] = dict(iter(frame.groupby("kind", sort=False)))
    empty = frame.iloc[0:0]

    def rows(kind: str) -> pd.DataFrame:
        return by_kind.get(kind, empty)

    records = rows(_RECORD)
    facts: dict[str, dict[str, Any]] = {}
    for rid, blob in zip(records["a"].tolist(), records["facts"].tolist(), strict=True):
        if blob is not None:
            facts[rid] = dict(zip(_FACT_FIELDS, pickle.loads(blob), strict=True))
    identifiers = rows(_IDENTIFIER)
    pairs = list(zip(identifiers["a"].tolist(), identifiers["b"].tolist(), strict=True))
    here = identifiers.groupby("b").size()
    total = identifiers.groupby("b")["p"].first()
    elsewhere = set(total.index[(total > here).to_numpy()].tolist())

    def links(kind: str) -> list[tuple[str, str]]:
        found = rows(kind)
        return list(zip(found["a"].tolist(), found["b"].tolist(), strict=True))

    matches = rows(_MATCH)
    probability = {
        (a, b): float(p)
        for a, b, p in zip(matches["a"], matches["b"], matches["p"], strict=True)
        if not pd.isna(p)
    }
    return ResolutionInput(
        records=records["a"].tolist(),
        pairs=pairs,
        facts=facts,
        extra=extra,
        accepted=links(_MATCH),
        rejected=links(_REJECTED),
        strong=links(_STRONG),
        probability=probability,
        forced=links(_FORCED),
        name_postcode=links(_NAME_POSTCODE),
        shared=shared,
        generic=generic,
        carried_elsewhere=elsewhere,
    )
