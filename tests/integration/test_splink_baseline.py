"""The standalone Splink baseline of `bench.resolve --beside-splink`: it exports every
record that matching reads from the real graph and clusters them with Splink alone. Run
on FEBRL dataset1 (1,000 records, 500 people), so that a baseline that exports nothing,
loses a column or clusters nothing fails here rather than in a 1M-record benchmark."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from bench.febrl import febrl_file, febrl_mapping
from bench.splink_baseline import export, run_splink
from graph.client import GraphClient
from ingest.pipeline import Ingestor


async def test_the_baseline_exports_every_record_and_clusters_them(
    graph: GraphClient, tmp_path: Path
) -> None:
    await Ingestor(graph, febrl_mapping()).ingest_path(febrl_file("dataset1"))
    rids = {r["rid"] for r in await graph.read_text("t", "MATCH (r:Record) RETURN r.rid AS rid")}
    assert len(rids) == 1000

    parquet = tmp_path / "records.parquet"
    assert await export(graph, parquet) == 1000
    table = pq.read_table(parquet)
    assert set(table.column("rid").to_pylist()) == rids
    for column in ("given_name", "family_name", "dob", "postcode"):
        assert table.column(column).null_count < 200, column

    figures = run_splink(parquet, tmp_path)
    assert figures["clustered_records"] == 1000
    assert figures["pairs"] >= 400
    # 500 people: clusters well under the 1,000 records, and never fewer than the people
    # by much (Splink alone, untuned, on FEBRL's typos).
    assert 450 <= figures["clusters"] <= 650, figures
