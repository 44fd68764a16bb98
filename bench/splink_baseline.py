"""Benchmark baseline: a standalone Splink 5 run (DuckDB) on the records in the graph.

What a data team would write with Splink alone, in four timed steps:

1. **export**: every record's matching attributes read from the graph (the same paged
   query `cdp train` reads them with) and written to a Parquet file;
2. **train**: the prior from deterministic rules, u from random pairs, m by EM, on a
   DuckDB database that reads the Parquet file and cleans the columns in SQL (names and
   emails lower-cased, values held by more than `HUB_RECORDS` records taken out as
   placeholders, a full-name column for the name comparison's term frequencies);
3. **predict**: every pair the blocking rules propose, scored, kept from p 0.5;
4. **cluster**: connected components of the pairs at p >= 0.95 (Splink's own clustering).

It writes nothing back: a Splink run ends with a table of clusters, where `cdp resolve`
ends with golden profiles, their memberships, stable ids, merge protection and the
`MATCHES` links that explain them, in Neo4j. The settings are Splink's library
comparisons on the same columns and blocking rules shaped like ours (same keys, Splink's
`block_on`), the training calls and pair counts as ours (3M random pairs for u, the same
three EM blocks, EM without term frequencies as Splink's examples do), so that the two
runs do comparable work; nothing of this project's matching code is used.

`bench.resolve --beside-splink` runs it in its own process after its own run, on the same
graph, and prints the ratio the issue asks for (`cdp train` + `cdp resolve --full` from
scratch over export + train + predict + cluster). Alone:

    python -m bench.splink_baseline            # the Neo4j named by the settings
    python -m bench.splink_baseline --json     # the figures as one JSON line at the end

Figures (2 cores, 23 GB, Neo4j beside it, 2026-12-06): 100k customers (181,558 records to
score) 12.9 s (export 3.4, train 7.2, predict 1.6 with 155,847 pairs, cluster 0.6) against
131.9 s for `cdp train` + `cdp resolve --full` from scratch, 10.2x; 1M (1,833,274 records)
181.7 s (export 56.0, train 16.7, predict 102.5 with 1,884,281 pairs, cluster 5.4; peak RSS
3.24 GB) against 1,570.9 s, 8.6x. Where the difference lies is in the README (*Beside a
standalone Splink run*).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from bench.timing import peak_kb
from core.settings import Settings
from graph import matching_repo
from graph.client import GraphClient

THRESHOLD = 0.95
"""Pairs at or above this probability join a cluster: `cdp resolve`'s default threshold."""

PREDICT_FROM = 0.5
"""Pairs below this probability are not kept by predict (ours keep the same)."""

U_MAX_PAIRS = 3e6
EM_BLOCKS = (
    ("given_name", "family_name", "dob"),
    ("dob", "postcode"),
    ("given_name", "family_name", "postcode"),
)

HUB_RECORDS = 200
"""Values held by more records than this are taken for placeholders and left out (a store's
`noemail@...` is 50,000 records' email at 1M customers: blocking on it alone proposes a
billion pairs, which filled the disk with DuckDB's spill). `cdp resolve` blocks on no key
value shared by more than 200 records (`max_block_size`); a data team running Splink alone
cleans such values out first, as here."""

CLEAN_SQL = f"""
CREATE TABLE records AS
WITH cleaned AS (
    SELECT
        rid AS unique_id,
        nullif(lower(trim(given_name)), '') AS given_name,
        nullif(lower(trim(family_name)), '') AS family_name,
        nullif(dob, '') AS dob,
        nullif(postcode, '') AS postcode,
        nullif(lower(trim(address)), '') AS address,
        nullif(lower(trim(email)), '') AS email,
        nullif(phone, '') AS phone
    FROM read_parquet(?)
),
placeholders_out AS (
    SELECT * REPLACE (
        CASE WHEN count(*) OVER (PARTITION BY dob) > {HUB_RECORDS} THEN NULL ELSE dob END AS dob,
        CASE WHEN count(*) OVER (PARTITION BY address, postcode) > {HUB_RECORDS}
            THEN NULL ELSE address END AS address,
        CASE WHEN count(*) OVER (PARTITION BY email) > {HUB_RECORDS} THEN NULL ELSE email END
            AS email,
        CASE WHEN count(*) OVER (PARTITION BY phone) > {HUB_RECORDS} THEN NULL ELSE phone END
            AS phone
    )
    FROM cleaned
),
keyed AS (
    SELECT
        *,
        nullif(given_name || ' ' || family_name, ' ') AS full_name,
        right(phone, 8) AS phone8,
        split_part(email, '@', 1) AS email_local
    FROM placeholders_out
)
SELECT * REPLACE (
    CASE WHEN count(*) OVER (PARTITION BY phone8) > {HUB_RECORDS} THEN NULL ELSE phone8 END
        AS phone8,
    CASE WHEN count(*) OVER (PARTITION BY email_local) > {HUB_RECORDS}
        THEN NULL ELSE email_local END AS email_local
)
FROM keyed
"""


def peak_rss_mb() -> float:
    """This process's peak RSS since it started (`VmHWM`: unlike `ru_maxrss`, not carried
    over from the process that forked it, `bench.resolve` when run beside it)."""
    return peak_kb(os.getpid()) / 1024


async def export(graph: GraphClient, path: Path) -> int:
    """Every record's matching attributes, page by page, into one Parquet file."""
    schema = pa.schema([(c, pa.string()) for c in matching_repo.COLUMNS])
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        async for rows in matching_repo.matching_record_pages(graph):
            columns = [[_text(row[i]) for row in rows] for i in range(len(schema))]
            writer.write_table(
                pa.table([pa.array(col, pa.string()) for col in columns], schema=schema)
            )
            count += len(rows)
    return count


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def settings() -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.ForenameSurnameComparison(
                "given_name", "family_name", forename_surname_concat_col_name="full_name"
            ),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("address", [1, 3]),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("phone8"),
            block_on("email_local"),
            block_on("given_name", "family_name"),
            block_on("dob", "substr(family_name, 1, 1)"),
            block_on("dob", "given_name"),
            block_on("postcode", "family_name"),
            block_on("postcode", "given_name", "substr(family_name, 1, 1)"),
            block_on("address", "postcode"),
            block_on("dob", "postcode"),
        ],
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
        em_convergence=0.0001,
    )


MEMORY_LIMIT = "3GB"
"""DuckDB's memory limit for the Splink run (past it, it spills to disk). Without one DuckDB
takes up to 80% of the machine's memory, which beside a Neo4j holding its own 8 GB at 1M
customers starved the machine (load 21, the page cache gone). 3 GB is about what the
resolution's own process peaks at (`MATCH_SCORING_MEMORY` 1 GB inside it)."""


def run_splink(parquet: Path, workdir: Path, memory_limit: str = MEMORY_LIMIT) -> dict[str, Any]:
    """Train, predict and cluster on the exported records; the figures of each step."""
    from splink import DuckDBAPI, Linker, block_on

    figures: dict[str, Any] = {"memory_limit": memory_limit}
    t0 = time.perf_counter()
    con = duckdb.connect(config={"memory_limit": memory_limit})
    con.execute(f"SET temp_directory = '{workdir / 'duckdb-tmp'}'").fetchall()
    con.execute(CLEAN_SQL, [str(parquet)]).fetchall()
    db_api = DuckDBAPI(con)
    linker = Linker(db_api.register("records"), settings())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "dob"), block_on("email")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=42)
    for keys in EM_BLOCKS:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*keys), estimate_without_term_frequencies=True
        )
    figures["train_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=PREDICT_FROM)
    figures["pairs"] = _count(con, predictions.physical_name)
    figures["predict_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD
    )
    (row,) = con.execute(
        f"SELECT count(DISTINCT cluster_id), count(*) FROM {clusters.physical_name}"
    ).fetchall()
    figures["clusters"], figures["clustered_records"] = int(row[0]), int(row[1])
    figures["cluster_s"] = time.perf_counter() - t2
    con.close()
    return figures


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    # fetchall, not fetchone: DuckDB refuses other work on a connection whose last result
    # was not read to the end.
    ((count,),) = con.execute(f"SELECT count(*) FROM {table}").fetchall()
    return int(count)


async def baseline(workdir: Path, memory_limit: str = MEMORY_LIMIT) -> dict[str, Any]:
    graph = GraphClient.from_settings(Settings())
    parquet = workdir / "records.parquet"
    try:
        await graph.verify()
        t0 = time.perf_counter()
        records = await export(graph, parquet)
        export_s = time.perf_counter() - t0
    finally:
        await graph.close()
    figures = {
        "records": records,
        "export_s": export_s,
        **run_splink(parquet, workdir, memory_limit),
    }
    figures["total_s"] = time.perf_counter() - t0
    figures["peak_rss_mb"] = peak_rss_mb()
    figures["load"] = os.getloadavg()
    return figures


def describe(f: dict[str, Any]) -> str:
    return (
        f"standalone Splink: {f['records']:,} records -> {f['clusters']:,} clusters in "
        f"{f['total_s']:.1f} s (export {f['export_s']:.1f}, train {f['train_s']:.1f}, "
        f"predict {f['predict_s']:.1f} ({f['pairs']:,} pairs from p {PREDICT_FROM}), "
        f"cluster {f['cluster_s']:.1f}); DuckDB limit {f['memory_limit']}, peak RSS "
        f"{f['peak_rss_mb']:,.0f} MB "
        f"[load {' '.join(f'{x:.2f}' for x in f['load'])}]"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--json", action="store_true", help="End with the figures as one JSON line.")
    p.add_argument(
        "--memory-limit", default=MEMORY_LIMIT, help="DuckDB's memory limit (default %(default)s)."
    )
    a = p.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="splink-baseline-"))
    try:
        figures = asyncio.run(baseline(workdir, a.memory_limit))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(describe(figures), flush=True)
    if a.json:
        print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
