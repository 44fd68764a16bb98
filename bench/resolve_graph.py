"""Build the resolution benchmark graph (issue 4) offline, as the pipeline would load it.

Loading the 1M-customer data set's customer sections through the ingest pipeline takes over
an hour here (about 880 records/s under load). This builds the same graph in minutes: the
pipeline's own `Ingestor` reads and converts every row of the customer sections (the same
mappings, normalisation, quarantine, suppression and accumulation of POS and web records)
and, instead of writing chunks to Neo4j, folds them as `ingest_records` and
`ingest_records_accumulate` would (records, their stale links removed, their links), then
writes neo4j-admin import CSVs of the `Record` and `Identifier` nodes and `HAS_IDENTIFIER`
links. Every record is dirty, as after a load, and no profile exists yet. Checked at 2,000
customers against a graph loaded by the pipeline: the same 6,003 records with the same
properties and the same 12,481 links with the same first and last seen times; only the batch
ids and load times differ, and a record without value issues has no `issues` property
instead of an empty list (neo4j-admin writes no empty arrays; resolution does not read it).
Quarantined rows and ingest batches are not written (resolution reads neither). The held-out
ESP batches of `bench.resolve` are left out, so the bench ingests them through the pipeline
into the imported graph.

    # 1. the generator's data (about 18 minutes)
    python -m bench.resolve --customers 1000000 --generate-only
    # 2. import CSVs of the customer sections
    python -m bench.resolve_graph csv var/bench/data-1000000 var/bench/resolve-import-1m
    # 3. offline import into the home a LocalNeo4j starts on (the server must be stopped)
    python -m bench.resolve_graph import var/bench/resolve-import-1m var/bench/neo4j-resolve-1m
    # 4. start it with 4g heap and 4g page cache, create the constraints and indexes
    export NEO4J_URI=bolt://127.0.0.1:7697 NEO4J_LOCAL_PORT=7697 \
        NEO4J_LOCAL_HOME=var/bench/neo4j-resolve-1m NEO4J_LOCAL_HEAP=4g \
        NEO4J_LOCAL_PAGECACHE=4g NEO4J_LOCAL_START_TIMEOUT_S=600
    python -m cli.main neo4j start && python -m cli.main migrate
    # 5. the benchmark on it
    python -m bench.resolve --customers 1000000 --imported
"""

from __future__ import annotations

import argparse
import csv
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from bench.admin_import import admin_import
from bench.resolve import LOAD_ORDER, mapping_for, split_esp
from core.clock import utc_stamp
from graph.client import GraphClient
from ingest.pipeline import BatchReport, Ingestor, resolve_file
from ingest.readers import detect_format, read_rows

T0 = time.perf_counter()
ARRAY_DELIMITER = ";"


def log(*a: Any) -> None:
    print(f"{time.perf_counter() - T0:7.1f}s", *a, flush=True)


@dataclass
class Link:
    type: str
    value: str
    first_seen: str | None
    last_seen: str | None
    batch_id: str


@dataclass
class SourceGraph:
    """One source's records and links, as the ingest queries leave them."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    links: dict[str, dict[str, Link]] = field(default_factory=dict)

    def add(self, row: Mapping[str, Any], batch_id: str, now: str, accumulate: bool) -> bool:
        """Fold one record row in; True when the record changed (ingest_records*)."""
        old = self.records.get(row["rid"])
        if old is None:
            self.records[row["rid"]] = {
                **row,
                "props": dict(row["props"]),
                "created_at": now,
                "first_batch_id": batch_id,
                "batch_id": batch_id,
                "updated_at": now,
            }
            return True
        if not accumulate:
            if old["hash"] == row["hash"]:
                return False
            # SET r += row.props (a null removes), and the stale links go.
            props = {**old["props"], **row["props"]}
            old.update({k: row[k] for k in ("hash", "raw", "issues", "file", "row", "keys")})
            old.update(props={k: v for k, v in props.items() if v is not None})
            old.update(observed_at=row["observed_at"], batch_id=batch_id, updated_at=now)
            keep = set(row["keys"])
            links = self.links.get(row["rid"], {})
            for key in [k for k in links if k not in keep]:
                del links[key]
            return True
        seen, before = row["observed_at"], old["observed_at"]
        newer = seen is not None and (before is None or seen > before)
        updates = [
            k
            for k, v in row["props"].items()
            if old["props"].get(k) is None or (newer and old["props"][k] != v)
        ]
        if old["hash"] is not None and not updates:
            return False
        old["props"].update({k: row["props"][k] for k in updates})
        old.update(issues=row["issues"], batch_id=batch_id, file=row["file"], row=row["row"])
        if newer or old["raw"] is None:
            old["raw"] = row["raw"]
        if newer:
            old["observed_at"] = seen
        old["updated_at"] = now
        return True

    def link(self, row: dict[str, Any], batch_id: str) -> None:
        """One observed link (the links part of ingest_records*)."""
        links = self.links.setdefault(row["rid"], {})
        seen = row["seen"]
        h = links.get(row["key"])
        if h is None:
            links[row["key"]] = Link(row["type"], row["value"], seen, seen, batch_id)
        elif seen is not None and (h.last_seen is None or seen > h.last_seen):
            h.last_seen = seen


def convert_source(source: str, folder: Path) -> tuple[SourceGraph, int]:
    """Read and convert `source`'s customer sections at `folder` with the pipeline's own
    Ingestor, folding its chunks into a SourceGraph. Returns it and the rows read."""
    mapping = mapping_for(source, with_activity=False)
    ingestor = Ingestor(cast(GraphClient, None), mapping)
    graph, rows = SourceGraph(), 0
    for name in mapping.files():
        path = resolve_file(folder, name, mapping)
        if path is None:
            continue
        cust = mapping.customer_section(name)
        accumulate = bool(cust and cust.accumulate)
        now = utc_stamp()
        batch_id = f"{source}-import-{name}"
        rep = BatchReport(batch_id, source, str(path))
        items = read_rows(
            path,
            detect_format(path, mapping.format),
            delimiter=mapping.csv_delimiter,
            records_path=mapping.json_records_path,
        )
        for chunk in ingestor._chunks(rep, items, name, str(path)):
            prepared = chunk.prepare(accumulate)
            for row in prepared.records:
                # A record's links are written with it when it changed, and every row's
                # links when records accumulate (ingest_records*).
                if graph.add(row, batch_id, now, accumulate) or accumulate:
                    for link in row["links"]:
                        graph.link(
                            {**link, "rid": row["rid"], "seen": row["observed_at"]}, batch_id
                        )
        rows += rep.rows_read
        log(
            f"{source} {name}: {rep.rows_read:,} rows, {rep.rows_quarantined:,} quarantined, "
            f"{len(graph.records):,} records so far"
        )
    return graph, rows


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, list):
        return "string[]"
    return "string"


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        items = [str(v) for v in value]
        if any(ARRAY_DELIMITER in v for v in items):
            raise ValueError(f"array value holds the delimiter {ARRAY_DELIMITER!r}: {items}")
        return ARRAY_DELIMITER.join(items)
    return value


FIXED: tuple[str, ...] = ("source", "source_id", "hash", "raw", "file", "observed_at")
FIXED += ("created_at", "first_batch_id", "batch_id", "updated_at")


def write_source_csv(
    source: str,
    g: SourceGraph,
    out: Path,
    kinds: dict[str, str],
    identifiers: dict[str, tuple[str, str, str]],
) -> tuple[int, int]:
    """One source's records and HAS_IDENTIFIER links as neo4j-admin import CSVs of their own
    (`records-<source>.csv`, `has_identifier-<source>.csv`, each with its own header), and
    its identifiers added to `identifiers` (written once for all sources by
    `write_identifiers_csv`). `kinds` holds each property's type across the sources written
    so far: a property typed otherwise in another source is an error. Returns the records
    and links written."""
    out.mkdir(parents=True, exist_ok=True)
    own: set[str] = set()
    for rec in g.records.values():
        for k, v in rec["props"].items():
            if v is not None:
                kind = _kind(v)
                if kinds.setdefault(k, kind) != kind:
                    raise ValueError(f"property {k} is both {kinds[k]} and {kind}")
                own.add(k)
    props = sorted(k for k in own if k not in FIXED and k not in ("rid", "row", "issues"))
    header = ["rid:ID(Record)", *FIXED, "row:long", "issues:string[]", "dirty:boolean"]
    header += [k if kinds[k] == "string" else f"{k}:{kinds[k]}" for k in props]
    n_records = n_links = 0
    with (
        (out / f"records-{source}.csv").open("w", newline="", encoding="utf-8") as fr,
        (out / f"has_identifier-{source}.csv").open("w", newline="", encoding="utf-8") as fl,
    ):
        wr, wl = csv.writer(fr), csv.writer(fl)
        wr.writerow([*header, ":LABEL"])
        wl.writerow(
            [":START_ID(Record)", ":END_ID(Identifier)", "first_seen", "last_seen", "batch_id"]
            + [":TYPE"]
        )
        for rid, rec in g.records.items():
            cells = [rid, *(rec[k] for k in FIXED), rec["row"], _cell(rec["issues"]), "true"]
            cells += [_cell(rec["props"].get(k)) for k in props]
            wr.writerow([*cells, "Record"])
            n_records += 1
            for key, h in g.links.get(rid, {}).items():
                wl.writerow([rid, key, h.first_seen, h.last_seen, h.batch_id, "HAS_IDENTIFIER"])
                identifiers.setdefault(key, (h.type, h.value, rec["created_at"]))
                n_links += 1
    return n_records, n_links


def write_identifiers_csv(identifiers: dict[str, tuple[str, str, str]], out: Path) -> None:
    with (out / "identifiers.csv").open("w", newline="", encoding="utf-8") as fi:
        wi = csv.writer(fi)
        wi.writerow(["key:ID(Identifier)", "type", "value", "created_at", ":LABEL"])
        for key, (kind, value, created) in identifiers.items():
            wi.writerow([key, kind, value, created, "Identifier"])


def to_csv(data: Path, out: Path, held_out: int, batches: int) -> None:
    """Each source converted, written and let go before the next, so that memory holds one
    source's records at a time: all of them at once took 11.2 GB at 1M customers; one at a
    time, 6.9 GB at 2M (6,298,102 records, 32.6 minutes, 2026-12-06)."""
    first, _ = split_esp(data, held_out, batches)
    kinds: dict[str, str] = {}
    identifiers: dict[str, tuple[str, str, str]] = {}
    rows = n_records = n_links = 0
    for source in LOAD_ORDER:
        graph, n = convert_source(source, first if source == "esp" else data)
        rows += n
        written = write_source_csv(source, graph, out, kinds, identifiers)
        del graph
        n_records += written[0]
        n_links += written[1]
        log(f"{source}: wrote {written[0]:,} records, {written[1]:,} links")
    write_identifiers_csv(identifiers, out)
    log(
        f"converted {rows:,} rows; wrote {n_records:,} records, {len(identifiers):,} "
        f"identifiers, {n_links:,} links"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="step", required=True)
    c = sub.add_parser("csv", help="generator data -> neo4j-admin import CSVs")
    c.add_argument("data", type=Path)
    c.add_argument("out", type=Path)
    c.add_argument("--held-out", type=int, default=1_000, help="as bench.resolve's")
    c.add_argument("--batches", type=int, default=2, help="as bench.resolve's")
    i = sub.add_parser("import", help="import CSVs -> a LocalNeo4j home (server stopped)")
    i.add_argument("csv", type=Path)
    i.add_argument("home", type=Path)
    a = p.parse_args()
    if a.step == "csv":
        to_csv(a.data, a.out, a.held_out, a.batches)
    else:
        admin_import(
            a.csv,
            a.home,
            nodes=[f.stem for f in sorted(a.csv.glob("records-*.csv"))] + ["identifiers"],
            relationships=[f.stem for f in sorted(a.csv.glob("has_identifier-*.csv"))],
            extra=(f"--array-delimiter={ARRAY_DELIMITER}",),
        )


if __name__ == "__main__":
    main()
